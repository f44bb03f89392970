#ifndef PAAS_CLIENT_H
#define PAAS_CLIENT_H

#include <stddef.h>

#include <jansson.h>

#include "perr.h"

/*
 * The API client: one request, one JSON answer. Talks HTTP/1.1 through
 * libcurl to paasd's unix socket or to a TCP address.
 */
#define CLIENT_SOCK_MAX		108		/* sizeof(sun_path) */
#define CLIENT_URL_MAX		512
#define CLIENT_TOKEN_MAX	512
#define CLIENT_BODY_MAX_BYTES	(16 * 1024 * 1024)
#define CLIENT_CONNECT_TIMEOUT_S 10
#define CLIENT_TIMEOUT_S	300

enum client_kind {
	CLIENT_UNIX,
	CLIENT_HTTP,
};

/* An API address, parsed: "unix:/path", "http://host:port[/prefix]",
 * "https://..." or paasd's own "tcp:HOST:PORT". */
struct client_url {
	enum client_kind kind;
	char	sock[CLIENT_SOCK_MAX];	/* CLIENT_UNIX: socket path */
	char	base[CLIENT_URL_MAX];	/* URL the request path is appended to,
					   no trailing slash */
};

/* Pure: parse an API address; fills err with what is wrong. */
int	client_url_parse(const char *s, struct client_url *, struct perr *);
/*
 * client_token_path() writes DIR/admin-token for a unix socket address
 * (DIR is the socket's directory); -ENOENT for a TCP address.
 */
int	client_token_path(const struct client_url *, char *out, size_t outlen);

struct client;

/*
 * client_new() takes a copy of url and token (token may be NULL: no
 * Authorization header is sent).
 */
int	client_new(const struct client_url *, const char *token,
	    struct client **, struct perr *);
void	client_free(struct client *);

/*
 * client_request() sends method path (path starts with '/') with body
 * (NULL for none) as JSON and parses the answer. On a 2xx answer it
 * returns 0 and *out holds the parsed JSON (a new reference; NULL for an
 * empty body). On any other status it returns -EIO (-ENOENT for 404,
 * -EACCES for 401, -EEXIST for 409, -EINVAL for 400 and 422) with the
 * API's "message" in err, and *status has the HTTP status; transport
 * failures return -ECONNREFUSED or -ETIMEDOUT-style codes with *status 0.
 */
int	client_request(struct client *, const char *method, const char *path,
	    json_t *body, long *status, json_t **out, struct perr *);

/*
 * client_stream() sends method path (with body, or none when NULL)
 * and hands each piece of a 2xx body to cb as
 * it arrives, with no overall timeout (logs -t); cb returns non-zero to
 * stop. A non-2xx answer is mapped as by client_request().
 */
typedef int client_chunk_cb(void *arg, const char *, size_t);
int	client_stream(struct client *, const char *method, const char *path,
	    const char *body, size_t bodylen, client_chunk_cb *, void *arg,
	    struct perr *);

/*
 * client_duplex() is client_stream() with a request body that is made
 * while the answer streams, sent chunked (paas run). Between transfers
 * it waits on the answer and on fds[0..nfds) (an fd of -1 is skipped;
 * the caller may change them): wake(arg, i) runs when fds[i] is
 * readable, then pull(arg, p, len) is asked for body bytes: it copies
 * up to len and returns how many, 0 for none yet, -1 at the end of the
 * body. on_chunk gets the answer as with client_stream(); returning
 * non-zero from it ends the call with 0.
 */
struct client_duplex {
	client_chunk_cb	*on_chunk;
	long		(*pull)(void *arg, char *p, size_t len);
	void		(*wake)(void *arg, size_t i);
	int		*fds;
	size_t		 nfds;
	void		*arg;
};
#define CLIENT_DUPLEX_FDS_MAX	4
int	client_duplex(struct client *, const char *method, const char *path,
	    const struct client_duplex *, struct perr *);

/*
 * client_error_map() is the pure part of the error mapping: a status and
 * the raw answer body to an errno and a message.
 */
int	client_error_map(long status, const char *body, size_t bodylen,
	    struct perr *);

#endif
