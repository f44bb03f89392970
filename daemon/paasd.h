#ifndef PAASD_H
#define PAASD_H

#include <stddef.h>
#include <stdint.h>

/* Program-wide limits of paasd, units in the names. */
#define PAASD_API_BODY_MAX_BYTES	(256 * 1024)
#define PAASD_API_URL_MAX_BYTES		4096
#define PAASD_API_HEAD_MAX_BYTES	(16 * 1024)
#define PAASD_API_HEADERS_MAX		100
#define PAASD_API_CONNS_MAX		512
#define PAASD_API_IDLE_MS		60000
#define PAASD_DB_BUSY_MS		5000
/* app uids: 10001.. (lib/container.h's CONTAINER_APP_UID_MIN..MAX) */
#define PAASD_TOKEN_BYTES		32

#define PAASD_DEFAULT_DATA		"/var/lib/paas"
#define PAASD_DEFAULT_HTTP_PORT		80
#define PAASD_DEFAULT_DOMAIN		"localhost"
#define PAASD_BUILDS_MAX		64	/* --builds; default: cores */
#define PAASD_PUSH_MAX_BYTES		(1024ULL * 1024 * 1024)	/* 1 GiB */

struct store;
struct applog;

/* The one context of the daemon. */
struct paasd {
	char		 data_dir[256];
	char		 domain[256];	/* base domain, apps are APP.domain */
	int		 http_port;	/* public router port, for web_url */
	char		 git_base[300];	/* "http://HOST:PORT" of TCP API, or "" */
	char		 token[PAASD_TOKEN_BYTES * 2 + 1];	/* admin, hex */
	char		 bin_dir[256];	/* where paasd and its helpers live */
	int		 builds_max;	/* builds at a time (--builds) */
	uint64_t	 push_max_bytes; /* one push, inflated (--max-push-size) */
	int		 userns;	/* --userns: containers get their own */
	struct store	*store;
	struct applog	*applog;
};

#endif
