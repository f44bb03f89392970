#ifndef PAASD_ROUTERCTL_H
#define PAASD_ROUTERCTL_H

#include "paasd.h"

/*
 * routerctl: paasd keeps one paas-router running for the public port.
 * The router lives in a session of its own and outlives paasd (a
 * control-plane restart never drops traffic): on start paasd adopts the
 * router named in DATA/router/router.pid if it is alive, else starts
 * one (posix_spawn). A plain stop stops it too (SIGTERM: it finishes
 * what is in flight); --keep-apps leaves it serving.
 */
int	routerctl_start(struct paasd *, const char *listen);
void	routerctl_stop(struct paasd *);

#endif
