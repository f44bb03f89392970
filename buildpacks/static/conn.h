#ifndef STATIC_CONN_H
#define STATIC_CONN_H

#include <stdint.h>

#include "safeopen.h"

/* What every connection serves from; owned by main(). */
struct site {
	int			rootfd;	/* the --root directory */
	enum safeopen_mode	mode;
};

struct conn;

/*
 * conn_new() takes ownership of the connected, non-blocking socket fd;
 * the site is borrowed and must outlive the connection. NULL when out of
 * memory (fd is then closed).
 */
struct conn	*conn_new(int fd, const struct site *, int64_t now_ms);
void		 conn_free(struct conn *);
int		 conn_fd(const struct conn *);
/* conn_events() is POLLIN or POLLOUT: what the connection waits for. */
short		 conn_events(const struct conn *);
/* conn_deadline() is when it times out, in CLOCK_MONOTONIC ms. */
int64_t		 conn_deadline(const struct conn *);
/*
 * conn_idle() is 1 between keep-alive requests with nothing buffered,
 * and while lingering after the last response.
 */
int		 conn_idle(const struct conn *);
/*
 * conn_io() does all the reading and writing the socket allows now.
 * Returns 0 to keep the connection, -1 when it is finished (free it).
 */
int		 conn_io(struct conn *, int64_t now_ms);

#endif
