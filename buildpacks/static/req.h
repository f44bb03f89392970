#ifndef STATIC_REQ_H
#define STATIC_REQ_H

#include <stddef.h>

#include "slice.h"

enum req_method {
	REQ_GET,
	REQ_HEAD,
	REQ_OTHER,
};

/*
 * One parsed request head. Every slice points into the caller's buffer;
 * a header that was absent has .p == NULL.
 */
struct req {
	enum req_method	 method;
	struct slice	 target;
	int		 minor;		/* HTTP/1.minor: 0 or 1 */
	int		 keepalive;	/* by version, then Connection */
	int		 has_body;	/* Content-Length > 0 or TE */
	struct slice	 if_none_match;
	struct slice	 if_modified_since;
	struct slice	 accept_encoding;
};

/*
 * req_parse() parses the head at the start of buf (CRLF line ends, no
 * obsolete line folding). Returns the head's length including its final
 * CRLF CRLF, 0 when buf holds no complete head yet, -EINVAL for a
 * malformed head (400: bad request line, bad header, no Host in 1.1, two
 * Hosts or Content-Lengths), -E2BIG for more than STATIC_HEADERS_MAX
 * headers (431), or -EPROTONOSUPPORT for a version other than HTTP/1.x
 * (505). The caller caps len at STATIC_HEAD_MAX_BYTES.
 */
int	req_parse(const char *buf, size_t len, struct req *r);

/*
 * req_accepts_gzip() is 1 when an Accept-Encoding value accepts gzip: a
 * "gzip" or "x-gzip" coding, or "*", with a q-value above 0.
 */
int	req_accepts_gzip(struct slice accept_encoding);

#endif
