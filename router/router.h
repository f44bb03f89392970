#ifndef ROUTER_H
#define ROUTER_H

#include <stddef.h>
#include <stdint.h>

/*
 * Program-wide limits of paas-router. Every budget on untrusted input
 * lives here, with its unit in its name.
 */
#define ROUTER_REQUEST_LINE_MAX_BYTES	8192	/* else 414 */
#define ROUTER_HEADER_LINE_MAX_BYTES	8192	/* else 431 */
#define ROUTER_HEAD_MAX_BYTES		(16 * 1024)	/* whole head, else 431 */
#define ROUTER_HEADER_NAME_MAX_BYTES	1000	/* else 431 */
#define ROUTER_HEADERS_MAX		100	/* else 431 */
#define ROUTER_CHUNK_LINE_MAX_BYTES	4096	/* chunk size + extensions */
#define ROUTER_CONN_TOKENS_MAX		32	/* names listed in Connection */
#define ROUTER_BODY_MAX_BYTES		(1024ULL * 1024 * 1024)	/* default */
#define ROUTER_RESP_HEAD_MAX_BYTES	(64 * 1024)	/* app response head */
#define ROUTER_RESP_LINE_MAX_BYTES	(64 * 1024)
#define ROUTER_READ_BYTES		(64 * 1024)	/* one read buffer */
#define ROUTER_WQUEUE_HIGH_BYTES	(256 * 1024)	/* stop reading peer */
#define ROUTER_PENDING_MAX_BYTES	(64 * 1024)	/* pipelined, unread */
#define ROUTER_LINGER_MAX_BYTES		(1024 * 1024)	/* discarded at close */
#define ROUTER_INFLIGHT_MAX		50	/* requests per instance */
#define ROUTER_QUEUE_PER_INSTANCE	50	/* H11 backlog per instance */
#define ROUTER_SKIP_MS			5000	/* failing instance skipped */
#define ROUTER_POOL_IDLE_MAX		64	/* idle upstream conns/instance */
#define ROUTER_ROUTES_MAX_BYTES		(16 * 1024 * 1024)	/* routes.json */
#define ROUTER_LOG_LINE_MAX_BYTES	4096
#define ROUTER_WORKERS_MAX		64

/* Timeouts, all configurable (--config FILE); defaults in main.c. */
struct router_timeouts {
	uint64_t	head_ms;	/* client head, slowloris: 10 s */
	uint64_t	connect_ms;	/* upstream connect: 5 s */
	uint64_t	first_byte_ms;	/* first response byte: 30 s, H12 */
	uint64_t	idle_ms;	/* rolling while relaying: 55 s, H15 */
	uint64_t	keepalive_ms;	/* client idle between requests: 60 s */
	uint64_t	linger_ms;	/* lingering close after an error: 2 s */
	uint64_t	pool_idle_ms;	/* idle upstream connection: 4 s */
	uint64_t	drain_ms;	/* graceful stop deadline: 30 s */
};

#endif
