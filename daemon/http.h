#ifndef PAASD_HTTP_H
#define PAASD_HTTP_H

#include <uv.h>

#include "buf.h"

/*
 * http: a small HTTP/1.1 server on libuv + llhttp for the control API.
 * Requests are read whole (head and body within the limits of paasd.h),
 * handed to one handler, and answered in order (pipelining works);
 * keep-alive is honoured. Anything malformed or over a limit is answered
 * 400 (or 413/431) with Connection: close, and never reaches the handler.
 */
enum http_listener_kind {
	HTTP_UNIX,	/* trusted when the peer is root or our uid */
	HTTP_TCP,	/* always needs a bearer token */
};

struct http_req {
	const char	*method;	/* "GET", ... */
	const char	*path;		/* without query, NUL-terminated */
	const char	*query;		/* after '?', or "" */
	const char	*authorization;	/* header value, or "" */
	const char	*content_type;	/* header value, or "" */
	const char	*body;		/* NUL-terminated */
	size_t		 bodylen;
	enum http_listener_kind kind;
	int		 peer_ok;	/* unix peer passed SO_PEERCRED */
	const char	*peer;		/* client IP for TCP, "unix" else */
	const char	*content_encoding;	/* header value, or "" */
	long long	 content_length;	/* -1 if none (chunked) */
	void		*conn;		/* for http_stream_begin() */
};

struct http_resp {
	int		 status;
	struct buf	 body;		/* JSON text */
};

typedef void http_handler_cb(void *arg, const struct http_req *,
    struct http_resp *);

struct http_server;
struct http_stream;

/*
 * Streaming answers (logs -t): a handler calls http_stream_begin() and
 * leaves resp->status at 0. The head goes out at once, the body in
 * chunks, and the connection closes after http_stream_end(). on_gone is
 * called once if the client goes away first, or the server closes; the
 * stream must not be used after it.
 */
typedef void http_stream_gone_cb(void *arg);

struct http_stream *http_stream_begin(const struct http_req *, int status,
	    const char *content_type, http_stream_gone_cb *on_gone, void *arg);
/* Returns the bytes queued and not yet written, for dropping on a slow reader. */
size_t	http_stream_write(struct http_stream *, const char *, size_t);
void	http_stream_end(struct http_stream *);

int	http_server_new(uv_loop_t *, http_handler_cb *, void *arg,
	    struct http_server **);

/*
 * Requests whose bodies are streamed (git pushes): the head handler is
 * asked once the head is parsed (body and bodylen are empty then). If it
 * returns 1 it owns the request: body bytes go to sink->data as they
 * arrive, sink->end follows the last one, and the answer must come
 * through http_stream_begin(). It may hold the body back with
 * http_conn_pause() (bytes already read still arrive) and
 * http_conn_resume(). Returning 0 leaves the request to the normal path.
 */
struct http_sink {
	void	(*data)(void *arg, const char *, size_t);
	void	(*end)(void *arg);
	void	*arg;
};
typedef int http_head_cb(void *arg, const struct http_req *,
    struct http_sink *);
void	http_server_set_head_handler(struct http_server *, http_head_cb *);
/*
 * From a head handler: answer at once (status, extra header lines each
 * ending in CRLF, a text body), ignore any body and close. The handler
 * then returns 1.
 */
void	http_reply_now(const struct http_req *, struct http_sink *,
	    int status, const char *extra_headers, const char *body);
void	http_conn_pause(void *conn);
void	http_conn_resume(void *conn);
/* http_listen_unix() creates the socket with mode 0600, replacing a stale one. */
int	http_listen_unix(struct http_server *, const char *path);
int	http_listen_tcp(struct http_server *, const char *host, int port);
/* Stop listening and close every connection; the loop then frees them. */
void	http_server_close(struct http_server *);
/* http_status_text() is pure. */
const char *http_status_text(int status);

#endif
