#ifndef PAASD_HEALTH_H
#define PAASD_HEALTH_H

#include <stddef.h>

#include "buf.h"
#include "llhttp.h"
#include "perr.h"

/*
 * health: the checks a new web instance must pass before it is routed
 * to, after it accepts TCP on $PORT. Declared by the app, in the slug:
 *
 *   app.json  {"healthchecks": {"web": [{"type": "startup",
 *              "path": "/health", "attempts": 3, "timeout": 5,
 *              "wait": 5, "initialDelay": 0, "content": "ok"}]}}
 *             (Dokku's shape; "name", "description" and "scheme":"http"
 *             are accepted too, "liveness" entries are skipped)
 *   CHECKS    Dokku's older file: WAIT=, TIMEOUT=, ATTEMPTS= lines,
 *             then one "PATH [CONTENT]" per line, '#' comments
 *
 * app.json wins when it declares web checks. A check passes when
 * GET PATH (Host: the app's domain) answers 2xx within its timeout,
 * with CONTENT in the body when one is given; it is tried `attempts`
 * times, `wait` seconds apart. Everything here is pure except
 * health_load(), which reads the two files from the slug without
 * following symlinks.
 */
#define HEALTH_CHECKS_MAX	16
#define HEALTH_PATH_MAX		1024
#define HEALTH_CONTENT_MAX	1024
#define HEALTH_FILE_MAX		(64 * 1024)	/* app.json, CHECKS */
#define HEALTH_BODY_MAX		(64 * 1024)	/* searched for content */
#define HEALTH_REQ_MAX		(HEALTH_PATH_MAX + 512)

/* Defaults: app.json entries (Dokku's), then the CHECKS file's. */
#define HEALTH_ATTEMPTS		3
#define HEALTH_TIMEOUT_S	5
#define HEALTH_WAIT_S		5
#define HEALTH_CHECKS_ATTEMPTS	5
#define HEALTH_CHECKS_TIMEOUT_S	30
#define HEALTH_CHECKS_WAIT_S	5

struct health_check {
	char	path[HEALTH_PATH_MAX + 1];
	char	content[HEALTH_CONTENT_MAX + 1];	/* "": any body */
	int	attempts;	/* 1 to 100 */
	int	timeout_s;	/* per attempt, 1 to 600 */
	int	wait_s;		/* between attempts, 0 to 600 */
	int	delay_s;	/* before the first attempt, 0 to 600 */
};

struct health_conf {
	struct health_check	c[HEALTH_CHECKS_MAX];
	size_t			n;
	const char		*source;	/* "app.json", "CHECKS" */
};

/*
 * health_parse_appjson() reads the web checks of an app.json (no
 * "healthchecks", or none for web: n = 0). A malformed file, an unknown
 * field or a value out of range is an error naming the field.
 */
int	health_parse_appjson(const char *text, size_t len,
	    struct health_conf *, struct perr *);

/* health_parse_checks(): a CHECKS file; errors carry the line number. */
int	health_parse_checks(const char *text, size_t len,
	    struct health_conf *, struct perr *);

/*
 * health_load() reads APPDIR/app.json, else APPDIR/CHECKS (regular
 * files only: a symlink is an error, never followed). No file: n = 0.
 */
int	health_load(int appdirfd, struct health_conf *, struct perr *);

/* The most a run of every check can take, in ms (deploy deadlines). */
unsigned long long health_budget_ms(const struct health_conf *);

/* The request of a check: GET PATH HTTP/1.1 with Host, then close. */
int	health_request(const struct health_check *, const char *host,
	    char *out, size_t outlen);

/* A response being read: strictly parsed, the body kept up to a cap. */
struct health_resp {
	llhttp_t		 p;
	llhttp_settings_t	 s;
	int			 status;
	int			 done;
	struct buf		 body;
};

void	health_resp_init(struct health_resp *);
void	health_resp_release(struct health_resp *);

/* Feed bytes (len 0: the peer closed). 1: complete, 0: more, <0: bad. */
int	health_resp_feed(struct health_resp *, const char *data, size_t len);

/*
 * health_verdict(): 0 when the complete response passes the check,
 * else -1 with why set ("status 500", "body lacks \"ok\"").
 */
int	health_verdict(const struct health_resp *, const struct health_check *,
	    char *why, size_t whylen);

#endif
