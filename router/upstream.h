#ifndef ROUTER_UPSTREAM_H
#define ROUTER_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "buf.h"
#include "route.h"
#include "slot.h"

struct conn;

/*
 * A backend is one instance address as this worker knows it, across
 * route table reloads: its outstanding requests, its skip window and its
 * pool of idle keep-alive connections. An upconn is one TCP connection
 * to it, owned by a conn while in use and by the pool while idle.
 */
struct upconn {
	uv_tcp_t		 tcp;
	uv_connect_t		 creq;
	struct backend		*be;
	struct conn		*owner;		/* NULL while idle or closing */
	struct upconn		*next, *prev;	/* idle list of be */
	uint64_t		 idle_since_ms;
	size_t			 wq;		/* bytes written, not yet done */
	int			 connected;
	int			 reading;
	int			 closing;
};

struct backend {
	char			 addr[64];
	struct sockaddr_storage	 sa;
	unsigned		 outstanding;	/* this worker's, in flight */
	struct slot		*slot;		/* every worker's, in flight */
	uint64_t		 skip_until_ms;	/* failing: skipped until */
	struct upconn		*idle;		/* pool, most recent first */
	size_t			 nidle;
	size_t			 nconns;	/* upconns alive, in use or idle */
	uint64_t		 gen;		/* last table that named it */
	struct backend		*next;
};

struct upstream {
	uv_loop_t		*loop;
	struct backend		*list;
	struct slots		*slots;		/* shared by the workers */
	uint64_t		 gen;		/* current table's generation */
	uint64_t		 pool_idle_ms;
	int			 stopping;	/* pool no longer kept */
	uv_timer_t		 sweep;
};

void	upstream_init(struct upstream *, uv_loop_t *, uint64_t pool_idle_ms,
	    struct slots *);
/* upstream_bind_table(): attach a backend to each instance of t. */
void	upstream_bind_table(struct upstream *, struct route_table *);
/* upstream_stop() closes the idle pool and the sweep timer. */
void	upstream_stop(struct upstream *);
/* upstream_free() frees the backends once the loop has ended. */
void	upstream_free(struct upstream *);

/* An idle connection from the pool, now owned by c, or NULL. */
struct upconn *upstream_take(struct backend *, struct conn *c);
/* Start a connect; conn_up_connected(c, status) follows. */
struct upconn *upstream_dial(struct upstream *, struct backend *,
	    struct conn *c);
/* Hand a healthy connection back to the pool (or close it). */
void	upstream_release(struct upstream *, struct upconn *);
/* Close; owner is detached at once, memory freed in close_cb. */
void	upstream_close(struct upconn *);
/* Write out's bytes (buf's memory is taken). */
int	upstream_write(struct upconn *, struct buf *out);
void	upstream_read(struct upconn *, int on);

/* Shared by conn.c and upstream.c: a write that owns its bytes. */
struct wreq {
	uv_write_t	 req;
	uv_buf_t	 b;		/* what is left to write */
	char		*mem;		/* the whole allocation */
};
void	wreq_free(struct wreq *);
/*
 * stream_send() writes out's bytes: at once if the socket takes them
 * (no request, no callback, no epoll change), else what is left is
 * queued with a wreq and cb runs when it is written. *queued gets the
 * bytes queued. out is emptied either way. Returns 0 or a libuv error.
 */
int	stream_send(uv_stream_t *, struct buf *out, uv_write_cb cb,
	    size_t *queued);
void	upstream_alloc_cb(uv_handle_t *, size_t, uv_buf_t *);

#endif
