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
/* http_listen_unix() creates the socket with mode 0600, replacing a stale one. */
int	http_listen_unix(struct http_server *, const char *path);
int	http_listen_tcp(struct http_server *, const char *host, int port);
/* Stop listening and close every connection; the loop then frees them. */
void	http_server_close(struct http_server *);
/* http_status_text() is pure. */
const char *http_status_text(int status);

#endif
