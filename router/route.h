#ifndef ROUTER_ROUTE_H
#define ROUTER_ROUTE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "perr.h"
#include "slice.h"

/*
 * The route table (docs/ROUTER.md): pure, parsed from routes.json. A
 * table is immutable once parsed; the worker swaps whole tables and
 * keeps the old one alive while requests still point into it (refs).
 */
#define ROUTE_HOST_MAX	253

struct route_inst {
	char			 dyno[64];	/* "web.1" */
	char			 addr[64];	/* "127.0.0.1:41234" as given */
	struct sockaddr_storage	 sa;
	void			*backend;	/* worker's state; see upstream.h */
};

struct route_app {
	char			*name;
	int			 maintenance;
	int			 crashed;	/* web crashed, none up: H10 */
	char			*maintenance_page;	/* NULL: default page */
	uint64_t		 body_max;		/* bytes */
	struct route_inst	*inst;
	size_t			 ninst;
	unsigned		 mslot;	/* worker's metrics slot + 1, 0: unknown */
};

struct route_dom {
	char			*name;		/* lowercase, "*.x.y" for wildcards */
	size_t			 namelen;
	struct route_app	*app;
};

struct route_table {
	struct route_app	*apps;
	size_t			 napps;
	struct route_dom	*doms;		/* sorted by name, for bsearch */
	size_t			 ndoms;
	int			 refs;		/* owner + requests in flight */
};

/*
 * route_table_parse() checks the whole of text and builds a table, or
 * fails with a message citing line and column. Nothing is half-applied.
 */
int	route_table_parse(const char *text, size_t len,
	    struct route_table **out, struct perr *);
struct route_table *route_table_empty(void);
void	route_table_free(struct route_table *);

/*
 * route_host_normalize() turns a Host value into the lookup key: ASCII
 * lowercase, ":port" and a trailing dot removed. Returns the key length,
 * or -EINVAL for a value that is no host name (out holds ROUTE_HOST_MAX+1).
 */
int	route_host_normalize(struct slice host, char *out);

/*
 * route_lookup() returns the app for a Host value, or NULL. An exact
 * name beats a wildcard, a longer wildcard beats a shorter one. The app
 * belongs to the table.
 */
struct route_app *route_lookup(const struct route_table *, struct slice host);
/* route_lookup_key(): the same for a key route_host_normalize() made. */
struct route_app *route_lookup_key(const struct route_table *,
	    const char *key, size_t len);

/*
 * Instance choice, pure: the least outstanding requests among instances
 * outside their skip window, round robin among equals (*rr advances).
 * exclude is an index not to pick (a failed one) or -1. If every
 * instance is skipped the skip windows are ignored. Returns an index,
 * or -1 when n is 0.
 */
struct route_load {
	unsigned	outstanding;
	uint64_t	skip_until_ms;
};

int	route_choose(const struct route_load *, size_t n, uint64_t now_ms,
	    unsigned *rr, int exclude);

/* route_parse_addr(): "IPv4:port" or "[IPv6]:port" into sa. */
int	route_parse_addr(const char *s, struct sockaddr_storage *sa);

#endif
