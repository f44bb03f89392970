#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "out.h"

void
out_table_init(struct out_table *t, size_t ncols, const char *sep)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols > OUT_COLS_MAX ? OUT_COLS_MAX : ncols;
	t->sep = sep;
}

void
out_table_release(struct out_table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}

static char *
xstrdup(const char *s)
{
	char *d = strdup(s != NULL ? s : "");

	if (d == NULL)
		abort();
	return d;
}

void
out_table_row(struct out_table *t, const char *const *cells)
{
	size_t i;

	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = reallocarray(t->cells, t->cap * t->ncols,
		    sizeof(*t->cells));
		if (t->cells == NULL)
			abort();
	}
	for (i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = xstrdup(cells[i]);
	t->nrows++;
}

void
out_table_kv(struct out_table *t, const char *key, const char *value)
{
	struct buf	 k = BUF_INIT;
	const char	*row[OUT_COLS_MAX] = { NULL };

	buf_addf(&k, "%s:", key);
	row[0] = k.p;
	row[1] = value;
	out_table_row(t, row);
	buf_release(&k);
}

size_t
out_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

void
out_table_print(const struct out_table *t, FILE *f)
{
	size_t		 width[OUT_COLS_MAX] = { 0 }, r, c, w, last;
	const char	*cell;

	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			w = out_width(t->cells[r * t->ncols + c]);
			if (w > width[c])
				width[c] = w;
		}
	for (r = 0; r < t->nrows; r++) {
		last = 0;
		for (c = 0; c < t->ncols; c++)
			if (t->cells[r * t->ncols + c][0] != '\0')
				last = c;
		for (c = 0; c <= last; c++) {
			cell = t->cells[r * t->ncols + c];
			fputs(cell, f);
			if (c == last)
				break;
			for (w = out_width(cell); w < width[c]; w++)
				fputc(' ', f);
			fputs(t->sep, f);
		}
		fputc('\n', f);
	}
}

void
out_header(FILE *f, const char *fmt, ...)
{
	va_list ap;

	fputs("=== ", f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
}
