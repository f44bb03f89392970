#ifndef PAAS_STATIC_H
#define PAAS_STATIC_H

/*
 * paas-static: program-wide limits. Every input has a budget: a client
 * that exceeds one gets a 4xx and a closed connection, never more memory.
 */
#define STATIC_HEAD_MAX_BYTES	8192	/* request line + headers */
#define STATIC_HEADERS_MAX	64
#define STATIC_PATH_MAX_BYTES	1024	/* decoded path under root */
#define STATIC_CONNS_MAX	1024	/* open client connections */
#define STATIC_REQS_PER_CONN	1000	/* then Connection: close */
#define STATIC_HEAD_TIMEOUT_MS	10000	/* a whole head */
#define STATIC_IDLE_TIMEOUT_MS	5000	/* keep-alive idle */
#define STATIC_WRITE_TIMEOUT_MS	30000	/* without any progress */
#define STATIC_LINGER_MS	2000	/* draining input before close */
/* a response head + inline body; fits a Location of 3x the path */
#define STATIC_OUT_MAX_BYTES	4096
#define STATIC_BACKLOG		511
#define STATIC_ACCEPT_PAUSE_MS	100	/* after accept's EMFILE */

#endif
