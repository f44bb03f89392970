#ifndef ROUTER_METRICS_H
#define ROUTER_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * Counters of one worker. Only its own thread writes them; the admin
 * listener reads every worker's (relaxed atomics) and sums them.
 */
#define METRICS_APPS_MAX	256	/* apps beyond it count as "_other" */
#define METRICS_BUCKETS		12

struct metrics_app {
	char		name[32];
	uint64_t	by_class[6];	/* 1xx..5xx in [1..5] */
};

struct metrics {
	struct metrics_app	apps[METRICS_APPS_MAX];
	uint64_t		latency[METRICS_BUCKETS + 1];	/* +Inf last */
	uint64_t		latency_sum_ms;
	uint64_t		latency_count;
	uint64_t		active_conns;
	uint64_t		upstream_errors;
	uint64_t		log_dropped;
};

#define METRICS_ADD(x, n)	__atomic_fetch_add(&(x), (n), __ATOMIC_RELAXED)
#define METRICS_SET(x, n)	__atomic_store_n(&(x), (n), __ATOMIC_RELAXED)

void	metrics_request(struct metrics *, const char *app, int status,
	    uint64_t ms);
/* metrics_app_slot(): where app's counters are, for metrics_request_at */
size_t	metrics_app_slot(struct metrics *, const char *app);
void	metrics_request_at(struct metrics *, size_t slot, int status,
	    uint64_t ms);
/* metrics_render(): Prometheus text of the sum of n workers' counters. */
void	metrics_render(struct metrics *const *, size_t n, struct buf *out);

#endif
