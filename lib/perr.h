#ifndef PAAS_PERR_H
#define PAAS_PERR_H

/*
 * Why something failed, for a human. Fixed size so that reporting an
 * error never allocates. code is a negative errno; msg follows git's
 * rules: lowercase, what failed first, no final period.
 */
struct perr {
	int	code;
	char	msg[256];
};

#define PERR_INIT	{ 0, "" }

/* perr_set() formats msg (truncating) and returns code, for `return`. */
int	perr_set(struct perr *, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	perr_clear(struct perr *);

#endif
