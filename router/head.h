#ifndef ROUTER_HEAD_H
#define ROUTER_HEAD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "llhttp.h"
#include "route.h"
#include "router.h"
#include "slice.h"

/*
 * HTTP/1.x message heads, pure. A head is first scanned line by line
 * (head_scan: the checks llhttp 8.1.0 lacks, and the size budget), then
 * parsed whole by llhttp (hpar), then checked (head_check_request /
 * head_check_response), then written out again from its fields
 * (head_write_*): the router never forwards a head as it came.
 */

/* head_scan() results besides an HTTP status for the error */
#define HEAD_MORE	0
#define HEAD_DONE	1

struct head_scan {
	size_t		pos;		/* bytes already scanned */
	size_t		line;		/* offset where the current line starts */
	unsigned	nlines;		/* complete lines seen */
	int		response;	/* scanning an app's response */
};

void	head_scan_init(struct head_scan *, int response);
/*
 * head_scan() looks at p[0..len) (the same bytes again plus any new ones
 * on each call). Returns HEAD_MORE, HEAD_DONE with *headlen set to the
 * length of the head including its empty line, or the HTTP status to
 * answer with: 400, 414 or 431 (for a response: any non-zero status
 * above 1 means the app's head is malformed).
 */
int	head_scan(struct head_scan *, const char *p, size_t len,
	    size_t *headlen);

struct head_field {
	struct slice	name;
	struct slice	value;
	unsigned	kind;		/* HF_* of the name */
};

#define HEAD_HAS_CL		0x001
#define HEAD_CHUNKED		0x002
#define HEAD_CONN_CLOSE		0x004
#define HEAD_CONN_KEEPALIVE	0x008
#define HEAD_CONN_UPGRADE	0x010
#define HEAD_EXPECT_CONTINUE	0x020
#define HEAD_UPGRADE		0x040	/* Upgrade header and token */
#define HEAD_HAS_TE		0x080

struct head {
	int			 response;
	uint8_t			 method;	/* llhttp_method_t */
	uint8_t			 major, minor;
	int			 status;
	struct slice		 url, reason;
	struct head_field	 f[ROUTER_HEADERS_MAX];
	size_t			 nf;
	/* set by head_check_*() */
	unsigned		 flags;		/* HEAD_* */
	uint64_t		 content_length;
	struct slice		 host, path, request_id, upgrade;
	struct slice		 tokens[ROUTER_CONN_TOKENS_MAX];	/* Connection */
	size_t			 ntokens;
	/* a request's Host as route_host_normalize() keys it */
	char			 hostkey[ROUTE_HOST_MAX + 1];
	size_t			 hostkeylen;
};

/* hpar: llhttp with our callbacks. body() returns 0 or -1 to stop. */
typedef int hpar_body_cb(void *arg, const char *p, size_t len);

enum hpar_state { HPAR_HEAD, HPAR_BODY, HPAR_DONE };

struct hpar {
	llhttp_t	 llh;
	struct head	*head;		/* borrowed; fields point into the input */
	hpar_body_cb	*body;
	void		*arg;
	enum hpar_state	 state;
	int		 no_body;	/* response to HEAD */
	int		 last;		/* last span kind, to join split spans */
	size_t		 extra_bytes;	/* chunk extensions + trailers */
	uint64_t	 body_bytes;	/* decoded body so far */
};

void	hpar_init(struct hpar *, int response, hpar_body_cb *, void *arg);
/* hpar_next() readies the parser for the next message on the stream. */
void	hpar_next(struct hpar *, struct head *);
/*
 * hpar_feed() runs the parser over p[0..len). Returns 0 when it took all
 * of it, HPAR_DONE_RC when the message ended (*used says where), or -1
 * on a parse error. Feed a head only after head_scan() says HEAD_DONE.
 */
#define HPAR_DONE_RC	1
int	hpar_feed(struct hpar *, const char *p, size_t len, size_t *used);
/* hpar_eof(): the stream ended. Returns HPAR_DONE_RC if that ends the
 * message (a body delimited by close), else -1. */
int	hpar_eof(struct hpar *);
int	hpar_keepalive(const struct hpar *);

/* head_check_request(): 0, or the status to answer (400, 417). */
int	head_check_request(struct head *);
/* head_check_response(): 0, or -1 for a response the router must not
 * pass on (a 502). */
int	head_check_response(struct head *);

/* X-Request-Id: 20 to 200 of [A-Za-z0-9+/=-] */
int	head_request_id_valid(struct slice);
/* head_request_id_make(): a UUID v4 string from 16 random bytes. */
void	head_request_id_make(char out[37], const uint8_t rnd[16]);

struct head_fwd {
	struct slice	 client_ip;
	const char	*proto;		/* "http" */
	unsigned	 port;		/* port the client connected to */
	uint64_t	 start_ms;	/* ms since epoch at receipt */
	struct slice	 request_id;
};

/* The request head to send upstream: origin-form, HTTP/1.1, rewritten. */
void	head_write_request(const struct head *, const struct head_fwd *,
	    struct buf *out);

#define HEAD_OUT_CHUNKED	0x1	/* we re-chunk the body */
#define HEAD_OUT_CLOSE		0x2	/* Connection: close */
#define HEAD_OUT_KEEPALIVE	0x4	/* Connection: keep-alive (1.0) */
#define HEAD_OUT_UPGRADE	0x8	/* 101: pass Upgrade on */

/* The response head to send to the client, from an app's head. */
void	head_write_response(const struct head *, unsigned outflags,
	    struct buf *out);

/* head_is_hop(): a hop-by-hop or Connection-listed name (for tests). */
int	head_is_hop(const struct head *, struct slice name);

#endif
