#ifndef PAASD_ROUTES_H
#define PAASD_ROUTES_H

#include <stddef.h>

#include <jansson.h>

#include "perr.h"
#include "store.h"

/*
 * routes: the table paas-router serves (docs/ROUTER.md), written to
 * DATA/router/routes.json atomically (temp file, fsync, rename) on every
 * change of apps, domains, maintenance mode or ready web instances.
 */
#define ROUTES_BODY_MAX_DEFAULT	(1024LL * 1024 * 1024)

/*
 * A ready web instance, as the router needs it; or, with crashed set, a
 * web instance that exited on its own (no address): an app with such an
 * instance and no ready one is marked crashed, and the router answers
 * H10 rather than H14 for it.
 */
struct routes_backend {
	char	app[32];
	char	dyno[72];	/* "web.1" */
	char	address[64];	/* "127.0.0.1:41234" */
	int	crashed;
};

/* Pure: the table for these apps, domains and backends. */
json_t	*routes_build(const struct app *, size_t napps,
	    const struct domain *const *domains, const size_t *ndomains,
	    const struct routes_backend *, size_t nbackends);
/* Read the state from the store and write path atomically. */
int	routes_write(struct store *, const char *path,
	    const struct routes_backend *, size_t nbackends, struct perr *);

#endif
