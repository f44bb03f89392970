#ifndef PAASD_BUILD_H
#define PAASD_BUILD_H

#include <jansson.h>

#include "http.h"
#include "paasd.h"
#include "perr.h"

/*
 * build: POST /apps/APP/builds runs paas-build (posix_spawn) for one
 * commit, streams its log to the caller (the repository's pre-receive
 * hook, which relays it to the pusher as "remote:" lines), records the
 * build, and on success records release vN. The last line of the stream
 * is "paas-build-status: succeeded vN" or "paas-build-status: failed";
 * the hook rejects the push on anything but the first. One build per app
 * at a time: a second one fails at once, with a message.
 */
#define BUILD_OUTPUT_MAX_BYTES	(300LL * 1024 * 1024)
#define BUILD_RESULT_MAX_BYTES	(1024 * 1024)
#define BUILD_LINE_MAX_BYTES	(64 * 1024)

/*
 * build_start() validates the request ({"commit": SHA, "objects": DIR}),
 * records the build and starts paas-build, answering through a stream;
 * on an error before that it returns it (nothing was started).
 */
int	build_start(struct paasd *, const struct http_req *, const char *app,
	    struct perr *);
/* GET /apps/APP/builds: newest first */
int	build_list(struct paasd *, const char *app, json_t **, struct perr *);
/* GET /apps/APP/builds/ID/output: the log as text */
int	build_output(struct paasd *, const char *app, const char *id,
	    struct buf *, struct perr *);
/* On start-up: builds a dead paasd left pending have failed. */
void	build_recover(struct paasd *);
/* Cancel running builds (SIGTERM to paas-build) at shutdown. */
void	build_cancel_all(void);
/*
 * build_parse_result() is pure: checks the JSON after "paas-build:
 * result " (image digest, commit, process types, config vars) and
 * returns a new reference, or NULL with err set.
 */
json_t	*build_parse_result(const char *text, size_t len, const char *commit,
	    struct perr *);
/* build_buildpacks_dir(): BIN/../buildpacks if there, else the system's. */
void	build_buildpacks_dir(const char *bin_dir, char *out, size_t outlen);

#endif
