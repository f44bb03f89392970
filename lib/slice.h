#ifndef PAAS_SLICE_H
#define PAAS_SLICE_H

#include <stddef.h>
#include <string.h>

/*
 * A borrowed run of bytes: never assume a NUL after it. The bytes belong
 * to whoever handed the slice out and live as long as they say.
 */
struct slice {
	const char	*p;
	size_t		 len;
};

#define SLICE(lit)	((struct slice){ (lit), sizeof(lit) - 1 })
#define SLICE_NULL	((struct slice){ NULL, 0 })

static inline struct slice
slice_from(const char *p, size_t len)
{
	struct slice s = { p, len };

	return s;
}

static inline struct slice
slice_cstr(const char *s)
{
	return slice_from(s, s ? strlen(s) : 0);
}

/* slice_eq() compares bytes; slice_caseeq() ignores ASCII case. */
int	slice_eq(struct slice, struct slice);
int	slice_caseeq(struct slice, struct slice);
int	slice_eq_cstr(struct slice, const char *);
int	slice_caseeq_cstr(struct slice, const char *);
/* slice_trim() drops leading and trailing spaces and tabs. */
struct slice slice_trim(struct slice);

#endif
