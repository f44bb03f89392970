#ifndef PAASD_DYNO_H
#define PAASD_DYNO_H

#include <jansson.h>
#include <uv.h>

#include "paasd.h"
#include "perr.h"

/*
 * dyno: the supervisor's moving part. It keeps the table of instances
 * (one paas-shim each, docs/RUNTIME.md), asks super_plan() every tick
 * what to start and stop so that each app runs the formation of its
 * release, carries that out, watches boot (a web instance is up once it
 * accepts on its $PORT), crashes (restart with backoff) and exits, and
 * rewrites the router's table whenever the set of ready web instances
 * changes. Instances outlive paasd; on start it re-adopts them from
 * DATA/instances/.
 */
#define DYNO_TICK_MS		100
#define DYNO_DRAIN_MS		1000	/* out of the routes, then SIGTERM */
#define DYNO_PORT_LO		20000
#define DYNO_PORT_HI		29999
#define DYNO_MAX		2000

int	dyno_init(struct paasd *, uv_loop_t *);
/*
 * Stop every instance (unless keep), then stop ticking and call done
 * (on a later turn of the loop).
 */
void	dyno_shutdown(int keep, void (*done)(void));
/* Something changed (formation, release, config): plan at once. */
void	dyno_poke(void);
/* GET /apps/APP/dynos */
json_t	*dyno_list(const char *app);
/*
 * Restart (rolling, new before old) every dyno of app, of one type, or
 * the one named TYPE.N; -ENOENT if none matched.
 */
int	dyno_restart(const char *app, const char *what, struct perr *);
/* Stop one dyno TYPE.N (the formation starts another). */
int	dyno_stop(const char *app, const char *name, struct perr *);
/*
 * A deploy waits for its release: cb(arg, ok, why) once every web
 * instance the formation wants of release version is up (ok), or one
 * of them failed to boot, or the wait timed out (not ok, why says).
 */
typedef void dyno_release_cb(void *arg, int ok, const char *why);
void	dyno_await(const char *app, long long version, dyno_release_cb *,
	    void *arg);
void	dyno_await_cancel(void *arg);

/*
 * paas run: a one-off dyno run.N of the current release. Attached (out
 * set): the container's stdin, stdout and stderr are pipes to paasd:
 * out(arg, 1|2, bytes) as the app writes, exitcb(arg, status) once it
 * ended; feed stdin with dyno_run_stdin(); if the client goes away,
 * dyno_run_detach() kills the run. Detached (out NULL): its output goes
 * to the app's log stream.
 */
#define DYNO_RUN_STDIN_MAX	(1024 * 1024)	/* held before the start */
struct dyno_client;
typedef void dyno_run_out_cb(void *arg, int channel, const char *, size_t);
typedef void dyno_run_exit_cb(void *arg, int status);
int	dyno_run(const char *app, const char *command, const char *size,
	    dyno_run_out_cb *out, dyno_run_exit_cb *exitcb, void *arg,
	    struct dyno_client **, char *name, size_t namelen, struct perr *);
/*
 * dyno_run_tty(), right after dyno_run(): the run gets a pty of the
 * container's own (rows x cols, TERM=term, checked by the caller) and
 * the body fed to dyno_run_stdin() is the shim's input frames (see
 * daemon/shim_tty.h); its output comes as channel 1, raw.
 */
void	dyno_run_tty(struct dyno_client *, unsigned rows, unsigned cols,
	    const char *term);
void	dyno_run_stdin(struct dyno_client *, const char *, size_t);
void	dyno_run_stdin_end(struct dyno_client *);
void	dyno_run_detach(struct dyno_client *);

#endif
