#ifndef PAAS_OUT_H
#define PAAS_OUT_H

#include <stddef.h>
#include <stdio.h>

/*
 * Heroku-style output: "=== Title" headers and tables whose columns are
 * padded to the widest cell (counted in UTF-8 characters). The last
 * column is never padded, so no line ends in spaces.
 */
#define OUT_COLS_MAX	8

struct out_table {
	size_t	  ncols;
	size_t	  nrows;
	size_t	  cap;
	char	**cells;		/* nrows * ncols strings, owned */
	const char *sep;		/* between columns, borrowed */
};

void	out_table_init(struct out_table *, size_t ncols, const char *sep);
void	out_table_release(struct out_table *);
/* out_table_row() copies ncols strings; NULL counts as "". */
void	out_table_row(struct out_table *, const char *const *cells);
/* out_table_kv() adds the row "KEY:" value, for "KEY:  value" lists. */
void	out_table_kv(struct out_table *, const char *key, const char *value);
void	out_table_print(const struct out_table *, FILE *);

void	out_header(FILE *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* out_width() is the display width of s: its UTF-8 characters. */
size_t	out_width(const char *s);

#endif
