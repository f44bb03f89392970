#ifndef PAAS_BUF_H
#define PAAS_BUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * The growable string. Invariants (git's strbuf): after BUF_INIT or
 * buf_init(), p is never NULL and p[len] is always NUL; len excludes the
 * NUL; buf_detach() is the only way to take the memory. Allocation
 * failure aborts: a daemon out of memory has no better move.
 */
struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;		/* bytes allocated, 0 while p points at buf_empty */
};

extern char buf_empty[];
#define BUF_INIT	{ buf_empty, 0, 0 }

void	 buf_init(struct buf *);
void	 buf_release(struct buf *);
void	 buf_reset(struct buf *);		/* len = 0, keeps memory */
void	 buf_grow(struct buf *, size_t extra);
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_adds(struct buf *, const char *);
void	 buf_addch(struct buf *, int);
void	 buf_addf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 buf_vaddf(struct buf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
/* buf_add_json_str() appends s as a JSON string literal, quotes included. */
void	 buf_add_json_str(struct buf *, const char *s, size_t len);
void	 buf_truncate(struct buf *, size_t len);
char	*buf_detach(struct buf *, size_t *lenp);

#endif
