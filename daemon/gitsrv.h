#ifndef PAASD_GITSRV_H
#define PAASD_GITSRV_H

#include "http.h"
#include "paasd.h"

/*
 * gitsrv: git's smart HTTP protocol for app repos, served by the real
 * `git receive-pack` / `git upload-pack --stateless-rpc` on
 * DATA/repos/APP.git, bodies streamed both ways (gzip request bodies
 * inflated). Authentication (HTTP Basic, password = token; or Bearer) is
 * checked before any git process starts; repeated failures from one
 * address get 429. Every git call runs with platform-owned settings
 * (fsck on, input size cap, deletes refused, hooks from DATA/hooks) and
 * --end-of-options.
 */
#define GITSRV_PUSH_SLACK	(1024 * 1024)	/* pkt-lines past the pack */
#define GITSRV_TIMEOUT_MS	(10 * 60 * 1000)
#define GITSRV_FAILS_MAX	10	/* auth failures per address per minute */

/* gitsrv_head() is an http_head_cb; arg is the struct paasd. */
int	gitsrv_head(void *paasd, const struct http_req *, struct http_sink *);
/* Write DATA/hooks (the platform's read-only hooks) at start-up. */
int	gitsrv_install_hooks(const char *data_dir);

/*
 * Who may use an app's repository: the admin token (Basic password or
 * Bearer; or a unix-socket peer that is root) for every app, a deploy
 * token (GITSRV_TOKEN_PREFIX..., see POST /apps/APP/tokens) for its own
 * app only (app NULL: for no app, i.e. anything but git).
 */
#define GITSRV_TOKEN_PREFIX	"paas_"
enum gitsrv_access {
	GITSRV_DENIED,		/* no or unknown credentials: 401 */
	GITSRV_FORBIDDEN,	/* a deploy token of another app: 403 */
	GITSRV_ALLOWED,
};
int	gitsrv_access(struct paasd *, const struct http_req *,
	    const char *app);
/* gitsrv_token_hash(): SHA-256 of a token, lowercase hex. */
int	gitsrv_token_hash(const char *token, char hex[65]);
/*
 * gitsrv_set_head() points the app repository's HEAD at
 * refs/heads/BRANCH (atomically), so that a clone checks the deploy
 * branch out. Names are validated by the caller.
 */
int	gitsrv_set_head(const char *data_dir, const char *app,
	    const char *branch);
/*
 * gitsrv_parse_path() is pure: "/APP.git/info/refs" and friends ->
 * app name and service; -1 if the path is not a git one.
 */
enum gitsrv_op {
	GITSRV_REFS,		/* GET info/refs?service=... */
	GITSRV_RECEIVE,		/* POST git-receive-pack */
	GITSRV_UPLOAD,		/* POST git-upload-pack */
};
int	gitsrv_parse_path(const char *path, char *app, size_t applen,
	    enum gitsrv_op *op);
/* gitsrv_basic_token() is pure: the password of "Basic b64(user:pw)". */
int	gitsrv_basic_token(const char *authorization, char *out,
	    size_t outlen);

#endif
