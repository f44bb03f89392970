#ifndef ROUTER_ACCESSLOG_H
#define ROUTER_ACCESSLOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>
#include <time.h>

#include "slice.h"

/*
 * One Heroku-format line per request (docs/ROUTER.md), sent as one
 * datagram "APP LINE" to paasd's log socket. Sending never blocks: a
 * full or absent socket drops the line and counts it.
 */
struct accesslog_entry {
	const char	*app;
	const char	*code;		/* "H12" for errors, else NULL */
	const char	*desc;		/* "Request timeout" */
	const char	*method;
	struct slice	 path, host, request_id, fwd;
	const char	*dyno;		/* NULL: none */
	uint64_t	 connect_ms, service_ms;
	int		 status;
	uint64_t	 bytes;		/* from the app to the client */
	struct timespec	 when;		/* CLOCK_REALTIME */
};

/* accesslog_format(): the datagram into out; returns its length. Pure. */
size_t	accesslog_format(const struct accesslog_entry *, char *out,
	    size_t outlen);

struct accesslog {
	int			fd;	/* -1: no log socket configured */
	struct sockaddr_un	sa;
	uint64_t		sent;
	uint64_t		dropped;
};

int	accesslog_open(struct accesslog *, const char *path);
void	accesslog_send(struct accesslog *, const struct accesslog_entry *);
void	accesslog_close(struct accesslog *);

#endif
