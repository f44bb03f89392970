#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <llhttp.h>
#include <uv.h>

#include "http.h"
#include "log.h"
#include "paasd.h"

#define HTTP_LISTENERS_MAX	8
#define HTTP_HNAME_MAX_BYTES	1000
#define HTTP_HVALUE_MAX_BYTES	8192

struct listener {
	union {
		uv_pipe_t	pipe;
		uv_tcp_t	tcp;
		uv_stream_t	stream;
		uv_handle_t	handle;
	} h;
	enum http_listener_kind	 kind;
	struct http_server	*srv;
};

struct conn {
	union {
		uv_pipe_t	pipe;
		uv_tcp_t	tcp;
		uv_stream_t	stream;
		uv_handle_t	handle;
	} h;
	uv_timer_t		 idle;
	int			 nopen;		/* handles not yet closed */
	struct http_server	*srv;
	struct conn		*prev, *next;
	enum http_listener_kind	 kind;
	int			 peer_ok;
	llhttp_t		 parser;
	size_t			 head_bytes;	/* of the current request */
	int			 nheaders;
	int			 in_value;	/* last callback was a value */
	int			 value_done;	/* value complete, no new name */
	const char		*chunk;		/* the bytes being parsed */
	char			 chunk_prev;	/* last byte of the chunk before */
	int			 err_status;	/* set by a callback that failed */
	int			 done;		/* no more requests on this conn */
	int			 closing;
	int			 writes;	/* writes in flight */
	int			 streaming;	/* a handler owns the answer */
	int			 sinking;	/* body goes to sink */
	int			 paused;
	struct http_sink	 sink;
	char			 peer[64];
	http_stream_gone_cb	*on_gone;
	void			*gone_arg;
	struct buf		 url, hname, hvalue, auth, ctype, cenc, body;
};

struct http_server {
	uv_loop_t		*loop;
	http_handler_cb		*handler;
	http_head_cb		*head_handler;
	void			*arg;
	struct listener		*listeners[HTTP_LISTENERS_MAX];
	int			 nlisteners;
	struct conn		*conns;
	int			 nconns;
	int			 closing;
};

struct wreq {
	uv_write_t	 req;
	struct conn	*c;
	char		*data;
};

static llhttp_settings_t	settings;

static void	on_alloc(uv_handle_t *, size_t, uv_buf_t *);
static void	write_raw(struct conn *, char *, size_t);
static void	on_read(uv_stream_t *, ssize_t, const uv_buf_t *);
static int			settings_ready;

const char *
http_status_text(int status)
{
	static const struct {
		int		 status;
		const char	*text;
	} table[] = {
		{ 200, "OK" }, { 201, "Created" }, { 204, "No Content" },
		{ 400, "Bad Request" }, { 401, "Unauthorized" },
		{ 403, "Forbidden" }, { 404, "Not Found" },
		{ 405, "Method Not Allowed" }, { 408, "Request Timeout" },
		{ 409, "Conflict" }, { 413, "Payload Too Large" },
		{ 414, "URI Too Long" }, { 422, "Unprocessable Entity" },
		{ 429, "Too Many Requests" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" }, { 503, "Service Unavailable" },
	};
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].status == status)
			return table[i].text;
	return "Unknown";
}

static void
conn_free_cb(uv_handle_t *h)
{
	struct conn *c = h->data;

	if (--c->nopen > 0)
		return;
	buf_release(&c->url);
	buf_release(&c->hname);
	buf_release(&c->hvalue);
	buf_release(&c->auth);
	buf_release(&c->ctype);
	buf_release(&c->cenc);
	buf_release(&c->body);
	free(c);
}

static void
conn_close(struct conn *c)
{
	struct http_server *srv = c->srv;

	if (c->closing)
		return;
	c->closing = 1;
	if (c->on_gone) {
		http_stream_gone_cb *cb = c->on_gone;

		c->on_gone = NULL;
		cb(c->gone_arg);
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->nconns--;
	uv_close(&c->h.handle, conn_free_cb);
	uv_close((uv_handle_t *)&c->idle, conn_free_cb);
}

static void
on_write(uv_write_t *req, int status)
{
	struct wreq	*w = (struct wreq *)req;
	struct conn	*c = w->c;

	free(w->data);
	free(w);
	c->writes--;
	if (status < 0 || (c->done && c->writes == 0))
		conn_close(c);
}

static void
conn_send(struct conn *c, int status, const char *body, size_t bodylen,
    int close_after)
{
	struct buf	 out = BUF_INIT;
	struct wreq	*w;
	uv_buf_t	 b;

	if (c->closing)
		return;
	buf_addf(&out, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-store\r\n%s\r\n",
	    status, http_status_text(status), bodylen,
	    close_after ? "Connection: close\r\n" : "");
	buf_add(&out, body, bodylen);
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		abort();
	w->c = c;
	b.len = out.len;
	w->data = buf_detach(&out, NULL);
	b.base = w->data;
	if (close_after)
		c->done = 1;
	c->writes++;
	if (uv_write(&w->req, &c->h.stream, &b, 1, on_write) != 0) {
		free(w->data);
		free(w);
		c->writes--;
		conn_close(c);
	}
}

static void
conn_send_error(struct conn *c, int status, const char *id, const char *msg)
{
	struct buf body = BUF_INIT;

	buf_adds(&body, "{\"id\":");
	buf_add_json_str(&body, id, strlen(id));
	buf_adds(&body, ",\"message\":");
	buf_add_json_str(&body, msg, strlen(msg));
	buf_adds(&body, "}\n");
	conn_send(c, status, body.p, body.len, 1);
	buf_release(&body);
}

static struct conn *
parser_conn(llhttp_t *p)
{
	return p->data;
}

static int
fail(struct conn *c, int status)
{
	if (c->err_status == 0)
		c->err_status = status;
	return -1;
}

static int
on_message_begin(llhttp_t *p)
{
	struct conn *c = parser_conn(p);

	if (c->done)
		return -1;
	buf_reset(&c->url);
	buf_reset(&c->hname);
	buf_reset(&c->hvalue);
	buf_reset(&c->auth);
	buf_reset(&c->ctype);
	buf_reset(&c->cenc);
	buf_reset(&c->body);
	c->head_bytes = 0;
	c->nheaders = 0;
	c->in_value = 0;
	c->value_done = 0;
	return 0;
}

static int
head_budget(struct conn *c, size_t n)
{
	c->head_bytes += n;
	return c->head_bytes <= PAASD_API_HEAD_MAX_BYTES;
}

static int
on_url(llhttp_t *p, const char *at, size_t n)
{
	struct conn *c = parser_conn(p);

	if (c->url.len + n > PAASD_API_URL_MAX_BYTES)
		return fail(c, 414);
	if (!head_budget(c, n))
		return fail(c, 431);
	buf_add(&c->url, at, n);
	return 0;
}

static void
header_done(struct conn *c)
{
	if (c->hname.len == 0)
		return;
	if (strcasecmp(c->hname.p, "authorization") == 0) {
		buf_reset(&c->auth);
		buf_add(&c->auth, c->hvalue.p, c->hvalue.len);
	} else if (strcasecmp(c->hname.p, "content-type") == 0) {
		buf_reset(&c->ctype);
		buf_add(&c->ctype, c->hvalue.p, c->hvalue.len);
	} else if (strcasecmp(c->hname.p, "content-encoding") == 0) {
		buf_reset(&c->cenc);
		buf_add(&c->cenc, c->hvalue.p, c->hvalue.len);
	}
	buf_reset(&c->hname);
	buf_reset(&c->hvalue);
}

static int
on_header_field(llhttp_t *p, const char *at, size_t n)
{
	struct conn *c = parser_conn(p);

	if (c->in_value) {
		header_done(c);
		c->in_value = 0;
	}
	c->value_done = 0;
	if (c->hname.len == 0 && ++c->nheaders > PAASD_API_HEADERS_MAX)
		return fail(c, 431);
	if (c->hname.len + n > HTTP_HNAME_MAX_BYTES || !head_budget(c, n))
		return fail(c, 431);
	buf_add(&c->hname, at, n);
	return 0;
}

static int
on_header_value(llhttp_t *p, const char *at, size_t n)
{
	struct conn	*c = parser_conn(p);
	char		 prev;

	/*
	 * llhttp 8.1.0 accepts obs-fold (the value then holds CR LF) and an
	 * empty header name; both are request-smuggling material. A fold
	 * shows up as a value span right after a line feed.
	 */
	prev = at > c->chunk ? at[-1] : c->chunk_prev;
	if ((!c->in_value && c->hname.len == 0) || c->value_done ||
	    prev == '\n' || memchr(at, '\r', n) || memchr(at, '\n', n))
		return fail(c, 400);
	c->in_value = 1;
	if (c->hvalue.len + n > HTTP_HVALUE_MAX_BYTES || !head_budget(c, n))
		return fail(c, 431);
	buf_add(&c->hvalue, at, n);
	return 0;
}

static int
on_header_value_complete(llhttp_t *p)
{
	parser_conn(p)->value_done = 1;
	return 0;
}

static void
req_fill(struct conn *c, llhttp_t *p, struct http_req *req)
{
	char *q;

	memset(req, 0, sizeof(*req));
	req->method = llhttp_method_name((llhttp_method_t)p->method);
	q = memchr(c->url.p, '?', c->url.len);
	if (q) {
		*q = '\0';
		c->url.len = (size_t)(q - c->url.p);
		req->query = q + 1;
	} else
		req->query = c->url.p + c->url.len;
	req->path = c->url.p;
	req->authorization = c->auth.p;
	req->content_type = c->ctype.p;
	req->content_encoding = c->cenc.p;
	req->content_length = (p->flags & F_CONTENT_LENGTH) ?
	    (long long)p->content_length : -1;
	req->body = c->body.p;
	req->bodylen = c->body.len;
	req->kind = c->kind;
	req->peer_ok = c->peer_ok;
	req->peer = c->peer;
	req->conn = c;
}

static int
on_headers_complete(llhttp_t *p)
{
	struct conn	*c = parser_conn(p);
	struct http_req	 req;

	header_done(c);
	if (llhttp_get_http_major(p) != 1 || llhttp_get_http_minor(p) > 1)
		return fail(c, 400);
	if (c->srv->head_handler) {
		req_fill(c, p, &req);
		memset(&c->sink, 0, sizeof(c->sink));
		if (c->srv->head_handler(c->srv->arg, &req, &c->sink)) {
			c->sinking = 1;
			c->streaming = 1;
			return 0;
		}
		/* the path was split off the query in place; rejoin */
		if (req.query[0])
			((char *)req.query)[-1] = '?';
		c->url.len = strlen(c->url.p);
	}
	if ((p->flags & F_CONTENT_LENGTH) &&
	    p->content_length > PAASD_API_BODY_MAX_BYTES)
		return fail(c, 413);
	return 0;
}

static int
on_body(llhttp_t *p, const char *at, size_t n)
{
	struct conn *c = parser_conn(p);

	if (c->sinking) {
		c->sink.data(c->sink.arg, at, n);
		return 0;
	}
	if (c->body.len + n > PAASD_API_BODY_MAX_BYTES)
		return fail(c, 413);
	buf_add(&c->body, at, n);
	return 0;
}

static int
on_message_complete(llhttp_t *p)
{
	struct conn		*c = parser_conn(p);
	struct http_req		 req;
	struct http_resp	 resp;
	int			 keep;

	if (c->sinking) {
		c->sink.end(c->sink.arg);
		return HPE_PAUSED;
	}
	keep = llhttp_should_keep_alive(p) && !c->srv->closing;
	req_fill(c, p, &req);
	resp.status = 500;
	buf_init(&resp.body);
	c->srv->handler(c->srv->arg, &req, &resp);
	if (!c->streaming)
		conn_send(c, resp.status, resp.body.p, resp.body.len, !keep);
	buf_release(&resp.body);
	return c->streaming ? HPE_PAUSED : 0;
}

static void
settings_init(void)
{
	if (settings_ready)
		return;
	llhttp_settings_init(&settings);
	settings.on_message_begin = on_message_begin;
	settings.on_url = on_url;
	settings.on_header_field = on_header_field;
	settings.on_header_value = on_header_value;
	settings.on_header_value_complete = on_header_value_complete;
	settings.on_headers_complete = on_headers_complete;
	settings.on_body = on_body;
	settings.on_message_complete = on_message_complete;
	settings_ready = 1;
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	static char	slab[64 * 1024];

	(void)h;
	(void)hint;
	b->base = slab;
	b->len = sizeof(slab);
}

void
http_server_set_head_handler(struct http_server *srv, http_head_cb *cb)
{
	srv->head_handler = cb;
}

static void
discard_data(void *arg, const char *p, size_t n)
{
	(void)arg;
	(void)p;
	(void)n;
}

static void
discard_end(void *arg)
{
	(void)arg;
}

void
http_reply_now(const struct http_req *req, struct http_sink *sink,
    int status, const char *extra_headers, const char *body)
{
	struct conn	*c = req->conn;
	struct buf	 out = BUF_INIT;
	size_t		 len;

	sink->data = discard_data;
	sink->end = discard_end;
	sink->arg = NULL;
	buf_addf(&out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\n%sConnection: close\r\n\r\n%s", status,
	    http_status_text(status), body[0] == '{' ? "application/json" :
	    "text/plain; charset=utf-8", strlen(body),
	    extra_headers ? extra_headers : "", body);
	len = out.len;
	c->done = 1;
	write_raw(c, buf_detach(&out, NULL), len);
}

void
http_conn_pause(void *conn)
{
	struct conn *c = conn;

	if (!c->closing && !c->paused) {
		c->paused = 1;
		uv_read_stop(&c->h.stream);
	}
}

void
http_conn_resume(void *conn)
{
	struct conn *c = conn;

	if (!c->closing && c->paused) {
		c->paused = 0;
		uv_read_start(&c->h.stream, on_alloc, on_read);
	}
}

static void
on_idle(uv_timer_t *t)
{
	struct conn *c = t->data;

	if (!c->streaming)
		conn_close(c);
}

static void
write_raw(struct conn *c, char *data, size_t len)
{
	struct wreq	*w;
	uv_buf_t	 b;

	w = calloc(1, sizeof(*w));
	if (w == NULL)
		abort();
	w->c = c;
	w->data = data;
	b.base = data;
	b.len = len;
	c->writes++;
	if (uv_write(&w->req, &c->h.stream, &b, 1, on_write) != 0) {
		free(w->data);
		free(w);
		c->writes--;
		conn_close(c);
	}
}

struct http_stream *
http_stream_begin(const struct http_req *req, int status,
    const char *content_type, http_stream_gone_cb *on_gone, void *arg)
{
	struct conn	*c = req->conn;
	struct buf	 head = BUF_INIT;
	size_t		 len;

	c->streaming = 1;
	c->on_gone = on_gone;
	c->gone_arg = arg;
	buf_addf(&head, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
	    "Transfer-Encoding: chunked\r\nCache-Control: no-store\r\n"
	    "Connection: close\r\n\r\n", status, http_status_text(status),
	    content_type);
	len = head.len;
	write_raw(c, buf_detach(&head, NULL), len);
	return (struct http_stream *)c;
}

size_t
http_stream_write(struct http_stream *s, const char *data, size_t len)
{
	struct conn	*c = (struct conn *)s;
	struct buf	 chunk = BUF_INIT;
	size_t		 n;

	if (c->closing || len == 0)
		return 0;
	buf_addf(&chunk, "%zx\r\n", len);
	buf_add(&chunk, data, len);
	buf_adds(&chunk, "\r\n");
	n = chunk.len;
	write_raw(c, buf_detach(&chunk, NULL), n);
	return c->closing ? 0 : uv_stream_get_write_queue_size(&c->h.stream);
}

void
http_stream_end(struct http_stream *s)
{
	struct conn *c = (struct conn *)s;

	c->on_gone = NULL;
	if (c->closing)
		return;
	c->done = 1;
	write_raw(c, strdup("0\r\n\r\n"), 5);
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct conn	*c = s->data;
	llhttp_errno_t	 e;

	if (n == 0)
		return;
	if (n < 0) {
		if (c->writes == 0)
			conn_close(c);
		else
			c->done = 1;
		uv_read_stop(s);
		return;
	}
	if (c->done || (c->streaming && !c->sinking))
		return;
	uv_timer_again(&c->idle);
	c->chunk = b->base;
	e = llhttp_execute(&c->parser, b->base, (size_t)n);
	c->chunk_prev = b->base[n - 1];
	if (c->streaming) {
		/* keep reading only to notice the client going away */
		if (e != HPE_OK && e != HPE_PAUSED && c->sinking) {
			c->sinking = 0;
			conn_close(c);
		} else if (e == HPE_PAUSED)
			c->sinking = 0;
		return;
	}
	if (e == HPE_OK || c->done) {
		if (c->done)
			uv_read_stop(s);
		return;
	}
	uv_read_stop(s);
	/* the API answers an oversized body 400, like any bad body */
	if (c->err_status == 413)
		conn_send_error(c, 400, "bad_request", "request body too large "
		    "(at most 256 KiB)");
	else if (c->err_status == 414)
		conn_send_error(c, 414, "bad_request", "request URL too long");
	else if (c->err_status == 431)
		conn_send_error(c, 431, "bad_request",
		    "request header fields too large");
	else
		conn_send_error(c, 400, "bad_request", "malformed HTTP request");
}

static int
peer_trusted(uv_stream_t *s)
{
	struct ucred	cred;
	socklen_t	len = sizeof(cred);
	uv_os_fd_t	fd;

	if (uv_fileno((uv_handle_t *)s, &fd) != 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return 0;
	return cred.uid == 0 || cred.uid == geteuid();
}

static void
on_connection(uv_stream_t *ls, int status)
{
	struct listener		*l = ls->data;
	struct http_server	*srv = l->srv;
	struct conn		*c;
	int			 rc;

	if (status < 0) {
		log_warnx("api accept: %s", uv_strerror(status));
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		abort();
	c->srv = srv;
	c->kind = l->kind;
	buf_init(&c->url);
	buf_init(&c->hname);
	buf_init(&c->hvalue);
	buf_init(&c->auth);
	buf_init(&c->ctype);
	buf_init(&c->cenc);
	buf_init(&c->body);
	if (l->kind == HTTP_UNIX)
		rc = uv_pipe_init(srv->loop, &c->h.pipe, 0);
	else
		rc = uv_tcp_init(srv->loop, &c->h.tcp);
	if (rc != 0) {
		free(c);
		return;
	}
	c->h.handle.data = c;
	c->nopen = 1;
	uv_timer_init(srv->loop, &c->idle);
	c->idle.data = c;
	c->nopen++;
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nconns++;
	if (uv_accept(ls, &c->h.stream) != 0 ||
	    srv->nconns > PAASD_API_CONNS_MAX) {
		conn_close(c);
		return;
	}
	if (l->kind == HTTP_UNIX) {
		c->peer_ok = peer_trusted(&c->h.stream);
		snprintf(c->peer, sizeof(c->peer), "unix");
	} else {
		struct sockaddr_storage	ss;
		int			len = sizeof(ss);

		uv_tcp_nodelay(&c->h.tcp, 1);
		if (uv_tcp_getpeername(&c->h.tcp, (struct sockaddr *)&ss,
		    &len) == 0) {
			if (ss.ss_family == AF_INET6)
				uv_ip6_name((struct sockaddr_in6 *)&ss, c->peer,
				    sizeof(c->peer));
			else
				uv_ip4_name((struct sockaddr_in *)&ss, c->peer,
				    sizeof(c->peer));
		}
	}
	settings_init();
	llhttp_init(&c->parser, HTTP_REQUEST, &settings);
	c->parser.data = c;
	uv_timer_start(&c->idle, on_idle, PAASD_API_IDLE_MS, PAASD_API_IDLE_MS);
	uv_read_start(&c->h.stream, on_alloc, on_read);
}

int
http_server_new(uv_loop_t *loop, http_handler_cb *handler, void *arg,
    struct http_server **out)
{
	struct http_server *srv;

	srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		return -ENOMEM;
	srv->loop = loop;
	srv->handler = handler;
	srv->arg = arg;
	*out = srv;
	return 0;
}

static struct listener *
listener_new(struct http_server *srv, enum http_listener_kind kind)
{
	struct listener *l;

	if (srv->nlisteners == HTTP_LISTENERS_MAX)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		abort();
	l->kind = kind;
	l->srv = srv;
	l->h.handle.data = l;
	return l;
}

static void
listener_free_cb(uv_handle_t *h)
{
	free(h->data);
}

int
http_listen_unix(struct http_server *srv, const char *path)
{
	struct listener	*l;
	mode_t		 old;
	int		 rc;

	if ((l = listener_new(srv, HTTP_UNIX)) == NULL)
		return -ENOSPC;
	if ((rc = uv_pipe_init(srv->loop, &l->h.pipe, 0)) != 0) {
		free(l);
		return rc;
	}
	(void)unlink(path);
	/* Born 0600: no window in which another user could connect. */
	old = umask(0177);
	rc = uv_pipe_bind(&l->h.pipe, path);
	umask(old);
	if (rc == 0)
		rc = chmod(path, 0600) == 0 ? 0 : -errno;
	if (rc == 0)
		rc = uv_listen(&l->h.stream, 128, on_connection);
	if (rc != 0) {
		uv_close(&l->h.handle, listener_free_cb);
		return rc;
	}
	srv->listeners[srv->nlisteners++] = l;
	return 0;
}

int
http_listen_tcp(struct http_server *srv, const char *host, int port)
{
	struct sockaddr_storage	 ss;
	struct listener		*l;
	int			 rc;

	if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) != 0 &&
	    uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) != 0)
		return -EINVAL;
	if ((l = listener_new(srv, HTTP_TCP)) == NULL)
		return -ENOSPC;
	if ((rc = uv_tcp_init(srv->loop, &l->h.tcp)) != 0) {
		free(l);
		return rc;
	}
	rc = uv_tcp_bind(&l->h.tcp, (struct sockaddr *)&ss, 0);
	if (rc == 0)
		rc = uv_listen(&l->h.stream, 128, on_connection);
	if (rc != 0) {
		uv_close(&l->h.handle, listener_free_cb);
		return rc;
	}
	srv->listeners[srv->nlisteners++] = l;
	return 0;
}

static void
server_free_cb(uv_handle_t *h)
{
	struct listener		*l = h->data;
	struct http_server	*srv = l->srv;

	free(l);
	if (--srv->nlisteners == 0 && srv->closing)
		free(srv);
}

void
http_server_close(struct http_server *srv)
{
	int i, n = srv->nlisteners;

	srv->closing = 1;
	while (srv->conns)
		conn_close(srv->conns);
	for (i = 0; i < n; i++)
		uv_close(&srv->listeners[i]->h.handle, server_free_cb);
	if (n == 0)
		free(srv);
}
