#ifndef PAASD_API_H
#define PAASD_API_H

#include "http.h"
#include "paasd.h"

/*
 * api: the control API of docs/API.md. api_handle() is the http
 * handler: it authenticates, routes through one table, validates the
 * body at the edge and answers only after the store has committed.
 */
void	api_handle(void *paasd, const struct http_req *, struct http_resp *);

/*
 * api_route_match() is pure: does path match pattern ("/apps/{}/x")?
 * Fills at most nparams captured segments (borrowed into buf, which
 * must hold strlen(path) + 1 bytes). Returns the capture count or -1.
 */
int	api_route_match(const char *pattern, const char *path, char *buf,
	    const char **params, int nparams);

/*
 * api_query_get() is pure: the percent-decoded value of key in a query
 * string "a=1&b=2" into out; -ENOENT if absent, -EINVAL if malformed or
 * too long.
 */
int	api_query_get(const char *query, const char *key, char *out,
	    size_t outlen);

/* api_token_ok(): is the Authorization value the admin bearer token? */
int	api_token_ok(struct paasd *, const char *authorization);

#endif
