#ifndef PAASD_APPLOG_H
#define PAASD_APPLOG_H

#include <stddef.h>
#include <time.h>

#include <uv.h>

#include "buf.h"
#include "perr.h"

/*
 * applog: each app's log stream, Heroku's format, on disk in
 * DATA/logs/APP/log (+ log.1, the one before), so history survives
 * restarts. Writers: paasd (platform and router lines) and the shims
 * (app lines, appended directly; they reopen when the file is rotated).
 * Only paasd rotates, at APPLOG_ROTATE_BYTES, so at least the last
 * 1500 lines of any length are always on disk.
 */
#define APPLOG_LINE_MAX_BYTES	10000	/* longer messages are split */
#define APPLOG_ROTATE_BYTES	(16 * 1024 * 1024)
#define APPLOG_LINES_MAX	1500	/* most a reader may ask for */
#define APPLOG_FOLLOW_MS	100	/* tail poll interval */

struct applog;

/* A filter on lines; NULL fields match everything. */
struct applog_filter {
	const char	*source;	/* "app", "router" or "paas" */
	const char	*dyno;		/* "web.1", "router", ... */
};

/* Pure parts. */
/*
 * applog_format() appends "TS SOURCE[DYNO]: MSG\n" lines to out, one per
 * APPLOG_LINE_MAX_BYTES of msg (a trailing newline in msg is dropped,
 * control bytes other than tab are replaced by '?').
 */
void	applog_format(struct buf *out, const struct timespec *ts,
	    const char *source, const char *dyno, const char *msg, size_t len);
void	applog_timestamp(const struct timespec *ts, char out[40]);
/* Does one line (without its newline) pass the filter? */
int	applog_match(const char *line, size_t len, const struct applog_filter *);
/* Keep only the last n lines of text (in place). */
void	applog_keep_last(struct buf *text, size_t n);

int	applog_new(const char *data_dir, uv_loop_t *, struct applog **);
void	applog_free(struct applog *);
/* Log directory of an app: made on app creation, removed on destroy. */
int	applog_app_init(struct applog *, const char *app);
void	applog_app_remove(struct applog *, const char *app);
/* Append a platform line: source "paas", the given dyno ("api", "web.1"). */
void	applog_event(struct applog *, const char *app, const char *dyno,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Append whole, already formatted lines. */
void	applog_append(struct applog *, const char *app, const char *lines,
	    size_t len);
/* Up to n last lines passing the filter, oldest first. */
int	applog_read(struct applog *, const char *app, size_t n,
	    const struct applog_filter *, struct buf *out, struct perr *);

/*
 * A follower sees every line appended after it starts (by anyone),
 * filtered, through cb; applog_unfollow() stops it.
 */
typedef void applog_line_cb(void *arg, const char *lines, size_t len);
struct applog_follow;
int	applog_follow(struct applog *, const char *app,
	    const struct applog_filter *, applog_line_cb *, void *arg,
	    struct applog_follow **);
void	applog_unfollow(struct applog_follow *);

/*
 * Router lines arrive as datagrams "APP LINE" on a unix datagram socket
 * (docs/ROUTER.md); malformed ones are counted and dropped.
 */
int	applog_listen_router(struct applog *, const char *path);
unsigned long applog_router_dropped(struct applog *);

#endif
