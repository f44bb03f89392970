#include <arpa/inet.h>
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"

/* rflags: the request in progress */
#define RQ_ACTIVE	0x0001	/* a request head was accepted */
#define RQ_DONE		0x0002	/* its body was read to the end */
#define RQ_UPGRADE	0x0004	/* it asked for an Upgrade */
#define RQ_RETRIED	0x0008	/* one connect retry spent */
#define RQ_SENT		0x0010	/* bytes were handed to an app */
#define RS_HEAD		0x0020	/* the app's response head is parsed */
#define RS_STARTED	0x0040	/* bytes of a response went to the client */
#define RQ_TOOBIG	0x0080	/* body over the app's cap */
#define CN_CLOSE	0x0100	/* close the client after this response */
#define CN_READING	0x0200	/* client read started */
#define CN_INPUMP	0x0400	/* inside conn_pump(): do not recurse */
#define RQ_COUNTED	0x0800	/* counted in be->outstanding */
#define RQ_QUEUED	0x1000	/* waiting for a slot: every instance full */
#define CN_FASTCLOSE	0x2000	/* close once written: the client asked to */

/* Requests waiting for an app whose instances are all at their cap. */
struct appq {
	char		 name[32];
	struct conn	*head, *tail;
	unsigned	 len;		/* this worker's */
	struct slot	*slot;		/* every worker's: the bound */
	struct appq	*next;
};

struct conn {
	struct worker		*w;
	enum conn_state		 state;
	uv_tcp_t		 client;
	uv_timer_t		 timer;
	uint64_t		 deadline;	/* loop ms the state times out */
	uint64_t		 armed;		/* loop ms timer fires, 0: none */
	uv_shutdown_t		 sreq;
	int			 nopen;		/* handles not yet closed */
	unsigned		 flags;
	unsigned		 port;		/* local port the client used */
	char			 ip[INET6_ADDRSTRLEN];
	struct conn		*next, *prev;	/* worker's list */
	size_t			 cq;		/* bytes queued to the client */
	size_t			 lingered;	/* bytes discarded while closing */

	struct buf		 in;		/* client bytes not yet parsed */
	struct head_scan	 scan;
	struct hpar		 req;
	struct head		 head;
	struct buf		 cout;		/* for the client, this turn */
	struct buf		 uout;		/* for the app, not yet written */

	struct route_table	*table;		/* ref held while RQ_ACTIVE */
	struct route_app	*app;
	int			 inst;
	struct upconn		*up;
	struct appq		*q;		/* set while RQ_QUEUED */
	struct conn		*qnext, *qprev;

	struct buf		 rin;		/* app response head so far */
	struct head_scan	 rscan;
	struct hpar		 res;
	struct head		 rhead;
	unsigned		 oflags;	/* HEAD_OUT_* */

	/* for the access log line, copied out of the head */
	const char		*method;
	char			 path[256];
	size_t			 pathlen;
	char			 host[ROUTE_HOST_MAX + 1];
	size_t			 hostlen;
	char			 rid[201];
	size_t			 ridlen;
	uint64_t		 t_start, t_dial, connect_ms;
	uint64_t		 bytes;
	int			 status;
};

/* ---- the transition table */

#define B(s)	(1u << (s))
static const unsigned conn_next[CONN_NSTATES] = {
	[CONN_IDLE]	= B(CONN_HEAD) | B(CONN_DRAIN) | B(CONN_DEAD),
	[CONN_HEAD]	= B(CONN_DIAL) | B(CONN_WAIT) | B(CONN_IDLE) |
			  B(CONN_DRAIN) | B(CONN_DEAD),
	[CONN_DIAL]	= B(CONN_DIAL) | B(CONN_WAIT) | B(CONN_IDLE) |
			  B(CONN_DRAIN) | B(CONN_DEAD),
	[CONN_WAIT]	= B(CONN_RESP) | B(CONN_TUNNEL) | B(CONN_DRAIN) |
			  B(CONN_DEAD),
	[CONN_RESP]	= B(CONN_IDLE) | B(CONN_DRAIN) | B(CONN_DEAD),
	[CONN_TUNNEL]	= B(CONN_DRAIN) | B(CONN_DEAD),
	[CONN_DRAIN]	= B(CONN_DEAD),
	[CONN_DEAD]	= 0,
};

static const char *const conn_names[CONN_NSTATES] = {
	"idle", "head", "dial", "wait", "resp", "tunnel", "drain", "dead",
};

int
conn_may_enter(enum conn_state from, enum conn_state to)
{
	if ((unsigned)from >= CONN_NSTATES || (unsigned)to >= CONN_NSTATES)
		return 0;
	return (conn_next[from] & B(to)) != 0;
}

const char *
conn_state_name(enum conn_state s)
{
	return (unsigned)s < CONN_NSTATES ? conn_names[s] : "?";
}

static uint64_t
state_timeout(const struct conn *c, enum conn_state s)
{
	const struct router_timeouts *to = c->w->to;

	switch (s) {
	case CONN_IDLE:		return to->keepalive_ms;
	case CONN_HEAD:		return to->head_ms;
	case CONN_DIAL:		return to->connect_ms;
	case CONN_WAIT:		return to->first_byte_ms;
	case CONN_RESP:		return to->idle_ms;
	case CONN_TUNNEL:	return to->idle_ms;
	case CONN_DRAIN:	return to->linger_ms;
	default:		return 0;
	}
}

static void on_timer(uv_timer_t *);

/*
 * The deadline moves on every state change and every byte relayed, but
 * the timer is re-armed only when the deadline comes earlier than the
 * timer: a later deadline is found when the timer fires (on_timer arms
 * it again for the rest). No timer heap work per request or per read.
 */
static void
conn_deadline(struct conn *c, uint64_t ms)
{
	c->deadline = uv_now(c->w->loop) + ms;
	if (c->armed != 0 && c->armed <= c->deadline)
		return;
	c->armed = c->deadline;
	uv_timer_start(&c->timer, on_timer, ms, 0);
}

static void
conn_enter(struct conn *c, enum conn_state next)
{
	assert(conn_may_enter(c->state, next));
	c->state = next;
	if (next != CONN_DEAD)
		conn_deadline(c, state_timeout(c, next));
}

/* every byte relayed restarts the rolling window of the state */
static void
conn_touch(struct conn *c)
{
	conn_deadline(c, state_timeout(c, c->state));
}

/* ---- closing */

static void
on_handle_close(uv_handle_t *h)
{
	struct conn *c = h->data;

	if (--c->nopen > 0)
		return;
	buf_release(&c->in);
	buf_release(&c->cout);
	buf_release(&c->uout);
	buf_release(&c->rin);
	free(c);
}

static void request_end(struct conn *, int reuse_upstream);

static void
conn_close(struct conn *c)
{
	struct worker *w = c->w;

	if (c->state == CONN_DEAD)
		return;
	request_end(c, 0);
	conn_enter(c, CONN_DEAD);
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	w->nconns--;
	METRICS_SET(w->metrics.active_conns, w->nconns);
	uv_close((uv_handle_t *)&c->timer, on_handle_close);
	uv_close((uv_handle_t *)&c->client, on_handle_close);
}

/* ---- output */

static void
on_client_write(uv_write_t *req, int status)
{
	struct wreq	*wr = (struct wreq *)req;
	struct conn	*c = req->handle->data;

	c->cq -= wr->b.len;
	wreq_free(wr);
	if (status < 0 || ((c->flags & CN_FASTCLOSE) && c->cq == 0)) {
		conn_close(c);
		return;
	}
	if (c->state != CONN_DEAD && c->up != NULL && c->cq <
	    ROUTER_WQUEUE_HIGH_BYTES)
		upstream_read(c->up, 1);
}

static void conn_reading(struct conn *);

/* Hand this turn's output to libuv, and set what we read. */
static void
conn_flush(struct conn *c)
{
	size_t	 queued;

	if (c->state == CONN_DEAD)
		return;
	if (c->cout.len > 0) {
		if (stream_send((uv_stream_t *)&c->client, &c->cout,
		    on_client_write, &queued) != 0) {
			conn_close(c);
			return;
		}
		c->cq += queued;
	}
	if (c->uout.len > 0 && c->up != NULL && c->up->connected) {
		c->flags |= RQ_SENT;
		if (upstream_write(c->up, &c->uout) != 0) {
			conn_close(c);
			return;
		}
	}
	conn_reading(c);
}

static void on_client_read(uv_stream_t *, ssize_t, const uv_buf_t *);

static void
conn_reading(struct conn *c)
{
	int	 want = 0;
	size_t	 upq = c->uout.len + (c->up ? c->up->wq : 0);

	switch (c->state) {
	case CONN_IDLE:
	case CONN_HEAD:
		want = c->cq < ROUTER_WQUEUE_HIGH_BYTES &&
		    c->in.len <= ROUTER_HEAD_MAX_BYTES;
		break;
	case CONN_DIAL:
	case CONN_WAIT:
	case CONN_RESP:
		/*
		 * Once the request is read, keep reading (it costs no
		 * syscall, and a client that leaves is seen): pipelined
		 * bytes wait in c->in, up to a bound.
		 */
		if (c->flags & (RQ_UPGRADE | RQ_QUEUED))
			want = 0;
		else if (c->flags & RQ_DONE)
			want = c->in.len < ROUTER_PENDING_MAX_BYTES;
		else
			want = upq < ROUTER_WQUEUE_HIGH_BYTES;
		break;
	case CONN_TUNNEL:
		want = upq < ROUTER_WQUEUE_HIGH_BYTES;
		break;
	case CONN_DRAIN:
		want = 1;
		break;
	default:
		return;
	}
	if (c->up != NULL && c->up->connected && c->state != CONN_DIAL)
		upstream_read(c->up, c->cq < ROUTER_WQUEUE_HIGH_BYTES);
	if (want == !!(c->flags & CN_READING))
		return;
	if (want) {
		c->flags |= CN_READING;
		uv_read_start((uv_stream_t *)&c->client, upstream_alloc_cb,
		    on_client_read);
	} else {
		c->flags &= ~CN_READING;
		uv_read_stop((uv_stream_t *)&c->client);
	}
}

/* ---- end of a request: log, count, give back what it held */

static uint64_t
now_ms(const struct conn *c)
{
	return uv_now(c->w->loop);
}

static void
conn_log(struct conn *c, const char *code, const char *desc)
{
	struct accesslog_entry	e;
	struct worker		*w = c->w;

	memset(&e, 0, sizeof(e));
	e.app = c->app ? c->app->name : NULL;
	e.code = code;
	e.desc = desc;
	e.method = c->method;
	e.path = slice_from(c->path, c->pathlen);
	e.host = slice_from(c->host, c->hostlen);
	e.request_id = slice_from(c->rid, c->ridlen);
	e.fwd = slice_cstr(c->ip);
	e.dyno = c->app && c->inst >= 0 && (size_t)c->inst < c->app->ninst ?
	    c->app->inst[c->inst].dyno : NULL;
	e.connect_ms = c->connect_ms;
	e.service_ms = now_ms(c) - c->t_start;
	e.status = c->status;
	e.bytes = c->bytes;
	if (e.app != NULL && w->log.fd >= 0) {
		clock_gettime(CLOCK_REALTIME, &e.when);
		accesslog_send(&w->log, &e);
		METRICS_SET(w->metrics.log_dropped, w->log.dropped);
	}
	if (c->app == NULL) {
		metrics_request(&w->metrics, NULL, c->status, e.service_ms);
		return;
	}
	/* the table is this worker's: the app's slot is looked up once */
	if (c->app->mslot == 0)
		c->app->mslot = (unsigned)metrics_app_slot(&w->metrics,
		    c->app->name) + 1;
	metrics_request_at(&w->metrics, c->app->mslot - 1, c->status,
	    e.service_ms);
}

static void
table_unref(struct route_table *t)
{
	if (t != NULL && --t->refs == 0)
		route_table_free(t);
}

static struct backend *
conn_backend(const struct conn *c)
{
	if (c->app == NULL || c->inst < 0 || (size_t)c->inst >= c->app->ninst)
		return NULL;
	return c->app->inst[c->inst].backend;
}

static struct appq *
appq_find(struct worker *w, const char *name)
{
	struct appq *q;

	for (q = w->queues; q != NULL; q = q->next)
		if (strncmp(q->name, name, sizeof(q->name)) == 0)
			return q;
	return NULL;
}

static struct appq *
appq_get(struct worker *w, const char *name)
{
	char		 key[SLOT_KEY_MAX];
	struct appq	*q;

	if ((q = appq_find(w, name)) != NULL)
		return q;
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		abort();
	snprintf(q->name, sizeof(q->name), "%s", name);
	snprintf(key, sizeof(key), "app:%s", q->name);
	q->slot = slot_get(w->up.slots, key);
	q->next = w->queues;
	w->queues = q;
	return q;
}

static void
queue_unlink(struct conn *c)
{
	struct appq *q = c->q;

	if (!(c->flags & RQ_QUEUED))
		return;
	if (c->qprev)
		c->qprev->qnext = c->qnext;
	else
		q->head = c->qnext;
	if (c->qnext)
		c->qnext->qprev = c->qprev;
	else
		q->tail = c->qprev;
	q->len--;
	slot_dequeue(c->w->up.slots, q->slot);
	c->q = NULL;
	c->qnext = c->qprev = NULL;
	c->flags &= ~RQ_QUEUED;
}

static int conn_pick(struct conn *, int exclude);
static void conn_go(struct conn *);
static void conn_flush(struct conn *);
static void conn_respond(struct conn *, int, const char *, const char *,
    const char *, int);

/* Slots may have freed up: the oldest waiting requests take them. */
static void
queue_wake(struct appq *q)
{
	struct conn	*c;
	int		 r;

	while ((c = q->head) != NULL) {
		r = conn_pick(c, -1);
		if (r == 0)
			break;
		queue_unlink(c);
		if (r < 0)
			conn_respond(c, 503, NULL, "H14",
			    "No web processes running", 1);
		else
			conn_go(c);
		conn_flush(c);
	}
}

/*
 * A slot of app was given back. Requests wait anywhere (a worker's own
 * queue or another's): the own queue first, then, if anyone is still
 * waiting and none of them here, every other worker looks at its
 * queues (wake_peers). One atomic load when nobody waits.
 */
static void
slot_freed(struct worker *w, const char *app)
{
	struct appq *q;

	if (slots_queued(w->up.slots) == 0)
		return;
	if ((q = appq_find(w, app)) != NULL)
		queue_wake(q);
	if ((q == NULL || q->head == NULL) && slots_queued(w->up.slots) > 0 &&
	    w->wake_peers != NULL)
		w->wake_peers(w);
}

static void
on_wake(uv_async_t *a)
{
	struct worker	*w = a->data;
	struct appq	*q;

	for (q = w->queues; q != NULL; q = q->next)
		queue_wake(q);
}

void
conn_worker_init(struct worker *w)
{
	uv_async_init(w->loop, &w->wake, on_wake);
	w->wake.data = w;
	uv_unref((uv_handle_t *)&w->wake);
}

void
conn_worker_release(struct worker *w)
{
	struct appq *q, *next;

	for (q = w->queues; q != NULL; q = next) {
		next = q->next;
		slot_put(w->up.slots, q->slot);
		free(q);
	}
	w->queues = NULL;
}

static void
request_end(struct conn *c, int reuse)
{
	struct backend	*be = conn_backend(c);
	int		 woke = 0;

	if (c->up != NULL) {
		if (reuse)
			upstream_release(&c->w->up, c->up);
		else
			upstream_close(c->up);
		c->up = NULL;
	}
	queue_unlink(c);
	if ((c->flags & RQ_COUNTED) && be != NULL) {
		if (be->outstanding > 0)
			be->outstanding--;
		slot_give(be->slot);
		woke = 1;
	}
	c->flags &= ~RQ_COUNTED;
	if (woke && c->app != NULL)
		slot_freed(c->w, c->app->name);
	if (c->flags & RQ_ACTIVE)
		table_unref(c->table);
	c->table = NULL;
	c->app = NULL;
	c->inst = -1;
	buf_reset(&c->rin);
	head_scan_init(&c->rscan, 1);
	c->flags &= ~(RQ_ACTIVE | RQ_DONE | RQ_UPGRADE | RQ_RETRIED | RQ_SENT |
	    RS_HEAD | RS_STARTED | RQ_TOOBIG);
}

/* ---- router-made responses */

static const struct {
	int		 status;
	const char	*reason;
	const char	*page;
} pages[] = {
	{ 400, "Bad Request", "Bad request.\n" },
	{ 404, "Not Found", "No such app.\n" },
	{ 408, "Request Timeout", "Request timeout.\n" },
	{ 413, "Payload Too Large", "Request body too large.\n" },
	{ 414, "URI Too Long", "Request line too long.\n" },
	{ 417, "Expectation Failed", "Expectation failed.\n" },
	{ 431, "Request Header Fields Too Large", "Request head too large.\n" },
	{ 502, "Bad Gateway", "The application sent a bad response.\n" },
	{ 503, "Service Unavailable", "Application unavailable.\n" },
};

static void conn_drain(struct conn *, int linger);
static void conn_pump(struct conn *);

/*
 * Answer the current request ourselves. keep: the connection may carry
 * another request after this one (the request was read whole).
 */
static void
conn_respond(struct conn *c, int status, const char *page, const char *code,
    const char *desc, int keep)
{
	const char	*reason = "Error";
	size_t		 i, n0 = c->cout.len;

	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		if (pages[i].status == status) {
			reason = pages[i].reason;
			if (page == NULL)
				page = pages[i].page;
		}
	if (page == NULL)
		page = "Error.\n";
	if (!(c->flags & RQ_DONE) || c->w->stopping)
		keep = 0;
	buf_addf(&c->cout, "HTTP/1.1 %d %s\r\nContent-Type: text/html; "
	    "charset=utf-8\r\nContent-Length: %zu\r\nCache-Control: no-cache, "
	    "no-store\r\n%s\r\n", status, reason, strlen(page),
	    keep ? "" : "Connection: close\r\n");
	if (c->method == NULL || strcmp(c->method, "HEAD") != 0)
		buf_adds(&c->cout, page);
	c->status = status;
	c->bytes = 0;
	(void)n0;
	conn_log(c, code, desc);
	request_end(c, 0);
	if (!keep) {
		conn_drain(c, 1);
		return;
	}
	conn_enter(c, CONN_IDLE);
	conn_flush(c);
	conn_pump(c);
}

/* A head we will not parse: answer, then close without reading it. */
static void
conn_reject(struct conn *c, int status)
{
	if (c->flags & RS_STARTED) {
		conn_close(c);
		return;
	}
	c->flags &= ~RQ_DONE;
	conn_respond(c, status, NULL, NULL, NULL, 0);
}

static void
on_shutdown(uv_shutdown_t *req, int status)
{
	(void)req;
	(void)status;
}

/*
 * Flush what is queued, then close. linger: send FIN, read and drop
 * until EOF, the timer or the byte budget, so that a client still
 * sending does not get a reset that eats our answer. Without linger
 * (the client said it sends no more) close as soon as all is written.
 */
static void
conn_drain(struct conn *c, int linger)
{
	if (c->state == CONN_DEAD || c->state == CONN_DRAIN)
		return;
	request_end(c, 0);
	conn_enter(c, CONN_DRAIN);
	conn_flush(c);
	if (c->state == CONN_DEAD)
		return;
	if (!linger) {
		c->flags |= CN_FASTCLOSE;
		if (c->cq == 0)
			conn_close(c);
		return;
	}
	if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->client, on_shutdown) != 0)
		conn_close(c);
}

/* ---- the request */

static int
req_body(void *arg, const char *p, size_t len)
{
	struct conn *c = arg;

	if (c->app != NULL && c->req.body_bytes > c->app->body_max) {
		c->flags |= RQ_TOOBIG;
		return -1;
	}
	if (c->head.flags & HEAD_CHUNKED)
		buf_addf(&c->uout, "%zx\r\n", len);
	buf_add(&c->uout, p, len);
	if (c->head.flags & HEAD_CHUNKED)
		buf_add(&c->uout, "\r\n", 2);
	return 0;
}

static void
in_consume(struct conn *c, size_t n)
{
	memmove(c->in.p, c->in.p + n, c->in.len - n);
	buf_truncate(&c->in, c->in.len - n);
	c->scan.pos = c->scan.line = 0;
	c->scan.nlines = 0;
}

/* Feed request body bytes; returns bytes used or -1 (conn answered). */
static ssize_t
conn_req_feed(struct conn *c, const char *p, size_t len)
{
	size_t	 used = 0;
	int	 rc;

	if (c->flags & RQ_DONE)
		return 0;
	rc = hpar_feed(&c->req, p, len, &used);
	if (rc < 0) {
		conn_reject(c, (c->flags & RQ_TOOBIG) ? 413 : 400);
		return -1;
	}
	if (rc == HPAR_DONE_RC) {
		c->flags |= RQ_DONE;
		if (c->head.flags & HEAD_CHUNKED)
			buf_add(&c->uout, "0\r\n\r\n", 5);
	}
	return (ssize_t)used;
}

static void conn_dial(struct conn *, int exclude);

static void
copy_log_fields(struct conn *c)
{
	struct head	*h = &c->head;
	uint8_t		 rnd[16];
	uint64_t	 a, b;

	c->method = llhttp_method_name((llhttp_method_t)h->method);
	c->pathlen = h->path.len < sizeof(c->path) ? h->path.len :
	    sizeof(c->path) - 1;
	memcpy(c->path, h->path.p, c->pathlen);
	memcpy(c->host, h->hostkey, h->hostkeylen + 1);
	c->hostlen = h->hostkeylen;
	if (head_request_id_valid(h->request_id)) {
		memcpy(c->rid, h->request_id.p, h->request_id.len);
		c->ridlen = h->request_id.len;
	} else {
		/* xorshift128+: ids need to be unique, not secret */
		a = c->w->rng[0];
		b = c->w->rng[1];
		c->w->rng[0] = b;
		a ^= a << 23;
		c->w->rng[1] = a ^ b ^ (a >> 17) ^ (b >> 26);
		a = c->w->rng[1] + b;
		memcpy(rnd, &a, 8);
		b = a * 0x9e3779b97f4a7c15ULL + uv_hrtime();
		memcpy(rnd + 8, &b, 8);
		head_request_id_make(c->rid, rnd);
		c->ridlen = 36;
	}
}

/* Returns 1 when the request goes on to an app, 0 when answered. */
static int
conn_route(struct conn *c)
{
	struct route_app *a;

	a = route_lookup_key(c->table, c->host, c->hostlen);
	c->app = a;
	if (a == NULL) {
		conn_respond(c, 404, NULL, NULL, NULL, 1);
		return 0;
	}
	if (a->maintenance) {
		conn_respond(c, 503, a->maintenance_page, "H80",
		    "Maintenance mode", 1);
		return 0;
	}
	if (a->ninst == 0) {
		if (a->crashed)
			conn_respond(c, 503, NULL, "H10", "App crashed", 1);
		else
			conn_respond(c, 503, NULL, "H14",
			    "No web processes running", 1);
		return 0;
	}
	if ((c->head.flags & HEAD_HAS_CL) && c->head.content_length >
	    a->body_max) {
		conn_respond(c, 413, NULL, NULL, NULL, 0);
		return 0;
	}
	if ((c->head.flags & HEAD_EXPECT_CONTINUE) && !(c->flags & RQ_DONE) &&
	    c->head.minor == 1)
		buf_adds(&c->cout, "HTTP/1.1 100 Continue\r\n\r\n");
	conn_dial(c, -1);
	return c->state == CONN_DIAL || c->state == CONN_WAIT;
}

/* A complete head sits in c->in[0..headlen). */
static void
conn_head(struct conn *c, size_t headlen)
{
	struct head_fwd	 fwd;
	struct timespec	 ts;
	size_t		 used;
	ssize_t		 n;
	int		 rc;

	c->t_start = now_ms(c);
	c->connect_ms = 0;
	c->bytes = 0;
	c->status = 0;
	c->method = NULL;
	c->pathlen = c->hostlen = c->ridlen = 0;
	hpar_next(&c->req, &c->head);
	rc = hpar_feed(&c->req, c->in.p, headlen, &used);
	if (rc < 0 || (rc == 0 && used != headlen)) {
		conn_reject(c, 400);
		return;
	}
	if (rc == HPAR_DONE_RC)
		c->flags |= RQ_DONE;
	if ((rc = head_check_request(&c->head)) != 0) {
		conn_reject(c, rc);
		return;
	}
	copy_log_fields(c);
	c->flags |= RQ_ACTIVE;
	c->table = c->w->table;
	c->table->refs++;
	if (c->head.flags & HEAD_UPGRADE)
		c->flags |= RQ_UPGRADE | RQ_DONE;
	/* written out now: the head's slices die with c->in's bytes */
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	fwd.client_ip = slice_cstr(c->ip);
	fwd.proto = "http";
	fwd.port = c->port;
	fwd.start_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec /
	    1000000;
	fwd.request_id = slice_from(c->rid, c->ridlen);
	buf_reset(&c->uout);
	head_write_request(&c->head, &fwd, &c->uout);
	memset(c->head.f, 0, sizeof(c->head.f[0]) * c->head.nf);
	c->head.url = c->head.path = c->head.host = c->head.upgrade =
	    c->head.request_id = SLICE_NULL;
	c->head.ntokens = 0;
	in_consume(c, headlen);
	if (!conn_route(c))
		return;
	if (!(c->flags & RQ_DONE) && c->in.len > 0) {
		n = conn_req_feed(c, c->in.p, c->in.len);
		if (n < 0)
			return;
		in_consume(c, (size_t)n);
	}
}

/* Parse heads out of c->in while no request is active: pipelining. */
static void
conn_pump(struct conn *c)
{
	size_t	 headlen = 0;
	int	 rc;

	if (c->flags & CN_INPUMP)
		return;
	c->flags |= CN_INPUMP;
	while ((c->state == CONN_IDLE || c->state == CONN_HEAD) &&
	    !(c->flags & RQ_ACTIVE) && c->in.len > 0) {
		if (c->state == CONN_IDLE)
			conn_enter(c, CONN_HEAD);
		rc = head_scan(&c->scan, c->in.p, c->in.len, &headlen);
		if (rc == HEAD_MORE)
			break;
		if (rc != HEAD_DONE) {
			conn_reject(c, rc);
			break;
		}
		conn_head(c, headlen);
	}
	c->flags &= ~CN_INPUMP;
	if (c->state != CONN_DEAD)
		conn_flush(c);
}

/* ---- the upstream side */

static void
conn_dial_failed(struct conn *c, int status)
{
	struct backend	*be = conn_backend(c);
	int		 failed = c->inst;

	c->w->metrics.upstream_errors++;
	if (be != NULL)
		be->skip_until_ms = now_ms(c) + ROUTER_SKIP_MS;
	if (c->up != NULL) {
		upstream_close(c->up);
		c->up = NULL;
	}
	if ((c->flags & RQ_COUNTED) && be != NULL) {
		if (be->outstanding > 0)
			be->outstanding--;
		slot_give(be->slot);
		/*
		 * Requests waiting anywhere look again on the next turn (not
		 * now: a dial that fails at once would recurse through the
		 * queue).
		 */
		if (slots_queued(c->w->up.slots) > 0) {
			uv_async_send(&c->w->wake);
			if (c->w->wake_peers != NULL)
				c->w->wake_peers(c->w);
		}
	}
	c->flags &= ~RQ_COUNTED;
	if (!(c->flags & RQ_RETRIED) && !(c->flags & RQ_SENT)) {
		c->flags |= RQ_RETRIED;
		conn_dial(c, failed);
		conn_flush(c);
		return;
	}
	if (status == UV_ETIMEDOUT)
		conn_respond(c, 503, NULL, "H19", "Backend connection timeout",
		    1);
	else
		conn_respond(c, 503, NULL, "H21", "Backend connection refused",
		    1);
}

/*
 * Choose an instance (least in flight over every worker, round robin
 * among equals) and take one of its in-flight slots. Returns 1 taken,
 * 0 when the chosen one is at its cap, -1 when there is none.
 */
static int
conn_pick(struct conn *c, int exclude)
{
	struct route_load	 load[64];
	struct route_app	*a = c->app;
	struct backend		*be;
	size_t			 i, n = a->ninst < 64 ? a->ninst : 64;

	for (i = 0; i < n; i++) {
		be = a->inst[i].backend;
		load[i].outstanding = be ? slot_count(be->slot) : 0;
		load[i].skip_until_ms = be ? be->skip_until_ms : 0;
	}
	c->inst = route_choose(load, n, now_ms(c), &c->w->rr, exclude);
	be = conn_backend(c);
	if (be == NULL)
		return -1;
	if (!slot_take(be->slot, ROUTER_INFLIGHT_MAX))
		return 0;
	be->outstanding++;
	c->flags |= RQ_COUNTED;
	return 1;
}

/* A slot is taken: a pooled connection, or a new one. */
static void
conn_go(struct conn *c)
{
	struct backend *be = conn_backend(c);

	c->t_dial = now_ms(c);
	c->up = upstream_take(be, c);
	if (c->up != NULL) {
		conn_enter(c, CONN_WAIT);
		return;
	}
	conn_enter(c, CONN_DIAL);
	c->up = upstream_dial(&c->w->up, be, c);
	if (c->up == NULL)
		conn_dial_failed(c, UV_ECONNREFUSED);
}

static void
conn_dial(struct conn *c, int exclude)
{
	struct route_app	*a = c->app;
	struct appq		*q;
	int			 r;

	r = conn_pick(c, exclude);
	if (r < 0) {
		conn_respond(c, 503, NULL, "H14", "No web processes running", 1);
		return;
	}
	if (r > 0) {
		conn_go(c);
		return;
	}
	/* every instance at its cap: wait, up to 50 per instance */
	q = appq_get(c->w, a->name);
	if (!slot_enqueue(c->w->up.slots, q->slot,
	    ROUTER_QUEUE_PER_INSTANCE * (unsigned)a->ninst)) {
		conn_respond(c, 503, NULL, "H11", "Backlog too deep", 1);
		return;
	}
	c->q = q;
	c->qprev = q->tail;
	c->qnext = NULL;
	if (q->tail)
		q->tail->qnext = c;
	else
		q->head = c;
	q->tail = c;
	q->len++;
	c->flags |= RQ_QUEUED;
	conn_enter(c, CONN_DIAL);
	conn_deadline(c, c->w->to->first_byte_ms);
	/*
	 * A slot given back (by any worker) between the pick and the
	 * enqueue found nobody to wake: look once more.
	 */
	if (q->head == c)
		queue_wake(q);
}

void
conn_up_connected(struct conn *c, int status)
{
	if (c->state != CONN_DIAL)
		return;
	if (status < 0) {
		conn_dial_failed(c, status);
		return;
	}
	c->connect_ms = now_ms(c) - c->t_dial;
	conn_enter(c, CONN_WAIT);
	conn_flush(c);
}

void
conn_up_drained(struct conn *c)
{
	if (c->state == CONN_WAIT && !(c->flags & RQ_DONE))
		conn_touch(c);
	conn_reading(c);
}

static int
res_body(void *arg, const char *p, size_t len)
{
	struct conn *c = arg;

	if (c->oflags & HEAD_OUT_CHUNKED)
		buf_addf(&c->cout, "%zx\r\n", len);
	buf_add(&c->cout, p, len);
	if (c->oflags & HEAD_OUT_CHUNKED)
		buf_add(&c->cout, "\r\n", 2);
	c->bytes += len;
	return 0;
}

static void
conn_upstream_error(struct conn *c, const char *code, const char *desc)
{
	c->w->metrics.upstream_errors++;
	if (c->flags & RS_STARTED) {
		c->status = c->status ? c->status : 502;
		conn_log(c, code, desc);
		conn_close(c);
		return;
	}
	conn_respond(c, 502, NULL, code, desc, 0);
}

static void
conn_resp_done(struct conn *c, int clean)
{
	int reuse, asked;

	if (c->oflags & HEAD_OUT_CHUNKED)
		buf_add(&c->cout, "0\r\n\r\n", 5);
	reuse = clean && (c->flags & RQ_DONE) && hpar_keepalive(&c->res) &&
	    c->up != NULL && c->up->wq == 0 && c->uout.len == 0;
	asked = (c->flags & RQ_DONE) && c->in.len == 0 &&
	    (c->head.minor == 1 ? (c->head.flags & HEAD_CONN_CLOSE) :
	    !(c->head.flags & HEAD_CONN_KEEPALIVE));
	conn_log(c, NULL, NULL);
	request_end(c, reuse);
	if (c->oflags & HEAD_OUT_CLOSE) {
		conn_drain(c, !asked);
		return;
	}
	conn_enter(c, CONN_IDLE);
	conn_flush(c);
	conn_pump(c);
}

static unsigned
resp_outflags(const struct conn *c)
{
	const struct head	*q = &c->head, *r = &c->rhead;
	unsigned		 o = 0;
	int			 keep, nobody;

	keep = q->minor == 1 ? !(q->flags & HEAD_CONN_CLOSE) :
	    !!(q->flags & HEAD_CONN_KEEPALIVE);
	if (!(c->flags & RQ_DONE) || c->w->stopping ||
	    (c->flags & (CN_CLOSE | RQ_UPGRADE)))
		keep = 0;
	nobody = strcmp(c->method, "HEAD") == 0 || r->status == 204 ||
	    r->status == 304;
	if (!nobody && !(r->flags & HEAD_HAS_CL)) {
		if (q->minor == 1)
			o |= HEAD_OUT_CHUNKED;
		else
			keep = 0;
	}
	o |= keep ? (q->minor == 0 ? HEAD_OUT_KEEPALIVE : 0) : HEAD_OUT_CLOSE;
	return o;
}

/* A complete response head sits in hp[0..headlen). */
static int
conn_resp_head(struct conn *c, const char *hp, size_t headlen)
{
	size_t	 used;
	int	 rc;

	hpar_next(&c->res, &c->rhead);
	c->res.no_body = strcmp(c->method, "HEAD") == 0;
	rc = hpar_feed(&c->res, hp, headlen, &used);
	if (rc < 0 || (rc == 0 && used != headlen) ||
	    head_check_response(&c->rhead) != 0) {
		conn_upstream_error(c, "H17", "Poorly formatted HTTP response");
		return -1;
	}
	if (c->rhead.status == 101) {
		if (!(c->flags & RQ_UPGRADE)) {
			conn_upstream_error(c, "H17",
			    "Poorly formatted HTTP response");
			return -1;
		}
		c->oflags = HEAD_OUT_UPGRADE;
		head_write_response(&c->rhead, c->oflags, &c->cout);
		buf_add(&c->uout, c->in.p, c->in.len);
		buf_reset(&c->in);
		c->flags |= RS_HEAD | RS_STARTED;
		c->status = 101;
		conn_log(c, NULL, NULL);
		conn_enter(c, CONN_TUNNEL);
		return 1;
	}
	if (c->rhead.status < 200) {
		/* 100 Continue (we sent our own), 103: not passed on */
		return 0;
	}
	c->oflags = resp_outflags(c);
	head_write_response(&c->rhead, c->oflags, &c->cout);
	c->flags |= RS_HEAD | RS_STARTED;
	c->status = c->rhead.status;
	conn_enter(c, CONN_RESP);
	return 1;
}

static void
conn_resp_body(struct conn *c, const char *p, size_t len)
{
	size_t	 used = 0;
	int	 rc;

	rc = hpar_feed(&c->res, p, len, &used);
	if (rc < 0) {
		conn_upstream_error(c, "H17", "Poorly formatted HTTP response");
		return;
	}
	if (rc == HPAR_DONE_RC)
		conn_resp_done(c, used == len);
}

static void
conn_up_eof(struct conn *c)
{
	if (c->state == CONN_TUNNEL) {
		conn_drain(c, 1);
		return;
	}
	if ((c->flags & RS_HEAD) && hpar_eof(&c->res) == HPAR_DONE_RC) {
		conn_resp_done(c, 0);
		return;
	}
	if (!(c->flags & RQ_DONE))
		conn_upstream_error(c, "H18", "Server Request Interrupted");
	else
		conn_upstream_error(c, "H13", "Connection closed without "
		    "response");
}

void
conn_up_data(struct conn *c, ssize_t n, const char *p)
{
	const char	*hp;
	size_t		 headlen = 0, rest, hl;
	int	 rc;

	if (c->state == CONN_DEAD || c->state == CONN_DRAIN)
		return;
	if (n < 0) {
		conn_up_eof(c);
		conn_flush(c);
		return;
	}
	conn_touch(c);
	if (c->state == CONN_TUNNEL) {
		buf_add(&c->cout, p, (size_t)n);
		conn_flush(c);
		return;
	}
	if (c->flags & RS_HEAD) {
		conn_resp_body(c, p, (size_t)n);
		conn_flush(c);
		return;
	}
	/*
	 * A head that came whole in this read is parsed where it lies (the
	 * read buffer outlives this call, and nothing keeps the head's
	 * slices past it); only a partial head is copied into c->rin.
	 */
	if (c->rin.len == 0) {
		hp = p;
		hl = (size_t)n;
	} else {
		buf_add(&c->rin, p, (size_t)n);
		hp = c->rin.p;
		hl = c->rin.len;
	}
	for (;;) {
		rc = head_scan(&c->rscan, hp, hl, &headlen);
		if (rc == HEAD_MORE) {
			if (hp != c->rin.p)
				buf_add(&c->rin, hp, hl);
			break;
		}
		if (rc != HEAD_DONE) {
			conn_upstream_error(c, "H17",
			    "Poorly formatted HTTP response");
			break;
		}
		rc = conn_resp_head(c, hp, headlen);
		if (rc < 0)
			break;
		rest = hl - headlen;
		if (rc == 0) {
			head_scan_init(&c->rscan, 1);
			if (hp == c->rin.p) {
				memmove(c->rin.p, c->rin.p + headlen, rest);
				buf_truncate(&c->rin, rest);
			} else {
				hp += headlen;
			}
			hl = rest;
			continue;
		}
		if (c->state == CONN_TUNNEL)
			buf_add(&c->cout, hp + headlen, rest);
		else if (rest > 0 || c->res.state == HPAR_DONE)
			conn_resp_body(c, hp + headlen, rest);
		break;
	}
	conn_flush(c);
}

/* ---- client events */

static void
conn_client_eof(struct conn *c)
{
	switch (c->state) {
	case CONN_DIAL:
	case CONN_WAIT:
	case CONN_RESP:
		c->status = c->status ? c->status : 499;
		conn_log(c, "H27", "Client Request Interrupted");
		break;
	default:
		break;
	}
	conn_close(c);
}

static void
conn_client_data(struct conn *c, const char *p, size_t len)
{
	ssize_t n;

	switch (c->state) {
	case CONN_DRAIN:
		c->lingered += len;
		if (c->lingered > ROUTER_LINGER_MAX_BYTES)
			conn_close(c);
		return;
	case CONN_TUNNEL:
		conn_touch(c);
		buf_add(&c->uout, p, len);
		conn_flush(c);
		return;
	case CONN_IDLE:
	case CONN_HEAD:
		buf_add(&c->in, p, len);
		conn_pump(c);
		return;
	default:
		break;
	}
	conn_touch(c);
	if (!(c->flags & RQ_DONE) && c->in.len == 0) {
		n = conn_req_feed(c, p, len);
		if (n < 0)
			return;
		p += n;
		len -= (size_t)n;
	}
	/* pipelined bytes wait for this response to end */
	buf_add(&c->in, p, len);
	conn_flush(c);
}

static void
on_client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct conn *c = s->data;

	if (n < 0) {
		conn_client_eof(c);
		return;
	}
	if (n > 0)
		conn_client_data(c, b->base, (size_t)n);
}

static void
on_timer(uv_timer_t *t)
{
	struct conn	*c = t->data;
	uint64_t	 now = uv_now(c->w->loop);

	c->armed = 0;
	if (now < c->deadline) {
		c->armed = c->deadline;
		uv_timer_start(&c->timer, on_timer, c->deadline - now, 0);
		return;
	}
	switch (c->state) {
	case CONN_DIAL:
		if (c->flags & RQ_QUEUED) {
			queue_unlink(c);
			conn_respond(c, 503, NULL, "H12", "Request timeout", 1);
			break;
		}
		conn_dial_failed(c, UV_ETIMEDOUT);
		conn_flush(c);
		break;
	case CONN_WAIT:
		if (c->flags & RQ_SENT && !(c->flags & RS_STARTED)) {
			conn_respond(c, 503, NULL, "H12", "Request timeout", 0);
			break;
		}
		conn_close(c);
		break;
	case CONN_RESP:
	case CONN_TUNNEL:
		conn_log(c, "H15", "Idle connection");
		conn_close(c);
		break;
	default:
		conn_close(c);
		break;
	}
}

/* ---- accept and stop */

void
worker_set_table(struct worker *w, struct route_table *t)
{
	upstream_bind_table(&w->up, t);
	table_unref(w->table);
	w->table = t;
}

static struct conn *
conn_new(struct worker *w, unsigned port)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		abort();
	c->w = w;
	c->port = port;
	c->inst = -1;
	buf_init(&c->in);
	buf_init(&c->cout);
	buf_init(&c->uout);
	buf_init(&c->rin);
	head_scan_init(&c->scan, 0);
	head_scan_init(&c->rscan, 1);
	hpar_init(&c->req, 0, req_body, c);
	hpar_init(&c->res, 1, res_body, c);
	uv_tcp_init(w->loop, &c->client);
	uv_timer_init(w->loop, &c->timer);
	c->client.data = c;
	c->timer.data = c;
	c->nopen = 2;
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
	w->nconns++;
	METRICS_SET(w->metrics.active_conns, w->nconns);
	c->state = CONN_IDLE;
	return c;
}

static void
conn_start(struct conn *c)
{
	struct sockaddr_storage	 ss;
	int			 len = sizeof(ss);

	if (uv_tcp_getpeername(&c->client, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET)
			uv_ip4_name((struct sockaddr_in *)&ss, c->ip,
			    sizeof(c->ip));
		else
			uv_ip6_name((struct sockaddr_in6 *)&ss, c->ip,
			    sizeof(c->ip));
	}
	conn_enter(c, CONN_HEAD);
	conn_reading(c);
}

int
conn_accept(struct worker *w, uv_stream_t *server, unsigned port)
{
	struct conn	*c = conn_new(w, port);
	int		 rc;

	if ((rc = uv_accept(server, (uv_stream_t *)&c->client)) != 0) {
		conn_close(c);
		return rc;
	}
	conn_start(c);
	return 0;
}

int
conn_adopt(struct worker *w, int fd, unsigned port)
{
	struct conn	*c = conn_new(w, port);
	int		 rc;

	if ((rc = uv_tcp_open(&c->client, fd)) != 0) {
		close(fd);
		conn_close(c);
		return rc;
	}
	conn_start(c);
	return 0;
}

void
conn_stop_all(struct worker *w, int hard)
{
	struct conn *c, *next;

	w->stopping = 1;
	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		if (hard || c->state == CONN_IDLE ||
		    (c->state == CONN_HEAD && c->in.len == 0))
			conn_close(c);
		else
			c->flags |= CN_CLOSE;
	}
}
