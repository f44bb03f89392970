#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conn.h"
#include "upstream.h"

/* One read buffer per thread: reads are handled to the end before the
 * next one starts, and whatever must outlive a read is copied. */
static _Thread_local char rbuf[ROUTER_READ_BYTES];

void
upstream_alloc_cb(uv_handle_t *h, size_t size, uv_buf_t *b)
{
	(void)h;
	(void)size;
	b->base = rbuf;
	b->len = sizeof(rbuf);
}

void
wreq_free(struct wreq *w)
{
	free(w->mem);
	free(w);
}

int
stream_send(uv_stream_t *s, struct buf *out, uv_write_cb cb, size_t *queued)
{
	struct wreq	*w;
	uv_buf_t	 b;
	uv_os_fd_t	 fd;
	ssize_t		 sent;
	size_t		 len, done = 0;
	int		 n;

	*queued = 0;
	if (out->len == 0)
		return 0;
	/*
	 * uv_try_write() without its write(2): send(2) skips the file
	 * position work of write(2), and nothing queued may be overtaken.
	 */
	if (s->write_queue_size == 0 && uv_fileno((uv_handle_t *)s, &fd) == 0) {
		do
			sent = send(fd, out->p, out->len, MSG_DONTWAIT |
			    MSG_NOSIGNAL);
		while (sent < 0 && errno == EINTR);
		if (sent < 0 && errno != EAGAIN) {
			buf_reset(out);
			return -errno;
		}
		if (sent > 0)
			done = (size_t)sent;
	}
	if (done == out->len) {
		buf_reset(out);
		return 0;
	}
	w = malloc(sizeof(*w));
	if (w == NULL)
		abort();
	w->mem = buf_detach(out, &len);
	w->b = uv_buf_init(w->mem + done, (unsigned)(len - done));
	b = w->b;	/* libuv copies the uv_buf_t array */
	if ((n = uv_write(&w->req, s, &b, 1, cb)) != 0) {
		wreq_free(w);
		return n;
	}
	*queued = len - done;
	return 0;
}

static void
on_sweep(uv_timer_t *t)
{
	struct upstream	 *u = t->data;
	struct backend	**pb, *be;
	uint64_t	  now = uv_now(u->loop);
	struct upconn	 *uc, *next;

	for (pb = &u->list; (be = *pb) != NULL;) {
		for (uc = be->idle; uc != NULL; uc = next) {
			next = uc->next;
			if (now - uc->idle_since_ms >= u->pool_idle_ms)
				upstream_close(uc);
		}
		if (be->gen != u->gen && be->nconns == 0 &&
		    be->outstanding == 0) {
			*pb = be->next;
			slot_put(u->slots, be->slot);
			free(be);
			continue;
		}
		pb = &be->next;
	}
}

void
upstream_init(struct upstream *u, uv_loop_t *loop, uint64_t pool_idle_ms,
    struct slots *slots)
{
	uint64_t every;

	memset(u, 0, sizeof(*u));
	u->loop = loop;
	u->slots = slots;
	u->pool_idle_ms = pool_idle_ms;
	uv_timer_init(loop, &u->sweep);
	u->sweep.data = u;
	every = pool_idle_ms / 4 ? pool_idle_ms / 4 : 1;
	uv_timer_start(&u->sweep, on_sweep, every, every);
	uv_unref((uv_handle_t *)&u->sweep);
}

void
upstream_bind_table(struct upstream *u, struct route_table *t)
{
	struct backend	*be;
	size_t		 i, j;

	u->gen++;
	for (i = 0; i < t->napps; i++)
		for (j = 0; j < t->apps[i].ninst; j++) {
			struct route_inst *in = &t->apps[i].inst[j];

			for (be = u->list; be != NULL; be = be->next)
				if (strcmp(be->addr, in->addr) == 0)
					break;
			if (be == NULL) {
				be = calloc(1, sizeof(*be));
				if (be == NULL)
					abort();
				memcpy(be->addr, in->addr, sizeof(be->addr));
				be->sa = in->sa;
				be->slot = slot_get(u->slots, be->addr);
				be->next = u->list;
				u->list = be;
			}
			be->gen = u->gen;
			in->backend = be;
		}
}

static void
idle_unlink(struct upconn *uc)
{
	struct backend *be = uc->be;

	if (uc->prev)
		uc->prev->next = uc->next;
	else if (be->idle == uc)
		be->idle = uc->next;
	else
		return;
	if (uc->next)
		uc->next->prev = uc->prev;
	uc->next = uc->prev = NULL;
	be->nidle--;
}

static void
on_close(uv_handle_t *h)
{
	struct upconn *uc = h->data;

	uc->be->nconns--;
	free(uc);
}

void
upstream_close(struct upconn *uc)
{
	if (uc == NULL || uc->closing)
		return;
	idle_unlink(uc);
	uc->owner = NULL;
	uc->closing = 1;
	uv_close((uv_handle_t *)&uc->tcp, on_close);
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct upconn *uc = s->data;

	if (uc->owner == NULL) {
		/* idle: anything at all (data, EOF) ends its reuse */
		if (n != 0)
			upstream_close(uc);
		return;
	}
	if (n == 0)
		return;
	conn_up_data(uc->owner, n, b->base);
}

void
upstream_read(struct upconn *uc, int on)
{
	if (uc->closing || !uc->connected || uc->reading == on)
		return;
	uc->reading = on;
	if (on)
		uv_read_start((uv_stream_t *)&uc->tcp, upstream_alloc_cb,
		    on_read);
	else
		uv_read_stop((uv_stream_t *)&uc->tcp);
}

struct upconn *
upstream_take(struct backend *be, struct conn *c)
{
	struct upconn *uc = be->idle;

	if (uc == NULL)
		return NULL;
	idle_unlink(uc);
	uc->owner = c;
	return uc;
}

static void
on_connect(uv_connect_t *req, int status)
{
	struct upconn *uc = req->data;

	if (uc->closing || uc->owner == NULL)
		return;
	if (status == 0)
		uc->connected = 1;
	conn_up_connected(uc->owner, status);
}

struct upconn *
upstream_dial(struct upstream *u, struct backend *be, struct conn *c)
{
	struct upconn	*uc = calloc(1, sizeof(*uc));
	int		 rc;

	if (uc == NULL)
		abort();
	uc->be = be;
	uc->owner = c;
	uv_tcp_init(u->loop, &uc->tcp);
	uc->tcp.data = uc;
	uc->creq.data = uc;
	be->nconns++;
	uv_tcp_nodelay(&uc->tcp, 1);
	rc = uv_tcp_connect(&uc->creq, &uc->tcp,
	    (const struct sockaddr *)&be->sa, on_connect);
	if (rc != 0) {
		/* report on a later turn, like a refused connect */
		uc->connected = 0;
		upstream_close(uc);
		return NULL;
	}
	return uc;
}

void
upstream_release(struct upstream *u, struct upconn *uc)
{
	struct backend *be = uc->be;

	if (uc->closing)
		return;
	if (be->nidle >= ROUTER_POOL_IDLE_MAX || uc->wq > 0 || be->gen !=
	    u->gen || u->stopping) {
		upstream_close(uc);
		return;
	}
	uc->owner = NULL;
	uc->idle_since_ms = uv_now(u->loop);
	upstream_read(uc, 1);
	uc->prev = NULL;
	uc->next = be->idle;
	if (be->idle)
		be->idle->prev = uc;
	be->idle = uc;
	be->nidle++;
}

static void
on_write(uv_write_t *req, int status)
{
	struct wreq	*w = (struct wreq *)req;
	struct upconn	*uc = req->handle->data;

	(void)status;
	uc->wq -= w->b.len;
	wreq_free(w);
	if (uc->owner != NULL)
		conn_up_drained(uc->owner);
}

int
upstream_write(struct upconn *uc, struct buf *out)
{
	size_t	 queued;
	int	 rc;

	rc = stream_send((uv_stream_t *)&uc->tcp, out, on_write, &queued);
	uc->wq += queued;
	return rc;
}

void
upstream_stop(struct upstream *u)
{
	struct backend	*be;

	u->stopping = 1;
	for (be = u->list; be != NULL; be = be->next)
		while (be->idle != NULL)
			upstream_close(be->idle);
	uv_close((uv_handle_t *)&u->sweep, NULL);
}

void
upstream_free(struct upstream *u)
{
	struct backend *be, *next;

	for (be = u->list; be != NULL; be = next) {
		next = be->next;
		slot_put(u->slots, be->slot);
		free(be);
	}
	u->list = NULL;
}
