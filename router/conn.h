#ifndef ROUTER_CONN_H
#define ROUTER_CONN_H

#include <stdint.h>

#include <uv.h>

#include "accesslog.h"
#include "head.h"
#include "metrics.h"
#include "route.h"
#include "router.h"
#include "upstream.h"

struct appq;

/*
 * A client connection is an explicit state machine. conn_may_enter() is
 * the whole transition table and is pure; conn_enter() asserts it and
 * restarts the state's timer.
 */
enum conn_state {
	CONN_IDLE,	/* keep-alive, between requests */
	CONN_HEAD,	/* reading a request head */
	CONN_DIAL,	/* connecting to the app */
	CONN_WAIT,	/* request going up, no response byte yet */
	CONN_RESP,	/* relaying the response (and any request body) */
	CONN_TUNNEL,	/* after a 101: bytes both ways */
	CONN_DRAIN,	/* last bytes out, then a bounded lingering close */
	CONN_DEAD,	/* handles closing; freed by the last close_cb */
	CONN_NSTATES
};

int		 conn_may_enter(enum conn_state from, enum conn_state to);
const char	*conn_state_name(enum conn_state);

/* The per-loop context: one per worker thread. */
struct worker {
	uv_loop_t		*loop;
	const struct router_timeouts *to;
	struct route_table	*table;		/* current; refs held */
	struct upstream		 up;
	struct accesslog	 log;
	struct metrics		 metrics;
	struct conn		*conns;		/* every live conn */
	unsigned		 nconns;
	int			 stopping;	/* graceful stop under way */
	uint64_t		 rng[2];	/* request ids, xorshift128+ */
	unsigned		 rr;		/* round robin position */
	struct appq		*queues;	/* H11 backlog, per app */
	uv_async_t		 wake;		/* a peer gave a slot back */
	void			(*wake_peers)(struct worker *);
};

/* conn_worker_init(): the worker's own handles, once its loop exists. */
void	conn_worker_init(struct worker *);

void	worker_set_table(struct worker *, struct route_table *);
/* conn_worker_release() frees what the worker's conns left: the queues. */
void	conn_worker_release(struct worker *);
/* conn_accept(): take one connection from server (port it listens on). */
int	conn_accept(struct worker *, uv_stream_t *server, unsigned port);
/* conn_adopt(): take an accepted socket handed over by the acceptor. */
int	conn_adopt(struct worker *, int fd, unsigned port);
/* conn_stop_all(): graceful stop; hard closes every conn when hard. */
void	conn_stop_all(struct worker *, int hard);

/* From upstream.c */
void	conn_up_connected(struct conn *, int status);
void	conn_up_data(struct conn *, ssize_t n, const char *p);
void	conn_up_drained(struct conn *);

#endif
