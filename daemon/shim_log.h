#ifndef PAAS_SHIM_LOG_H
#define PAAS_SHIM_LOG_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * The shim's log side. Pure parts: cutting an app's byte stream into
 * lines (at most SHIM_LINE_MAX bytes each; longer lines are split) and
 * formatting one line Heroku's way:
 *
 *	2026-11-25T17:00:00.123456+00:00 app[web.1]: line
 *
 * The writer appends each line with one write() to a file opened
 * O_APPEND, reopens the file when its path now names another inode
 * (rotation), and never waits: a line it cannot write is dropped and
 * counted, and the next line that gets through is preceded by a notice
 * saying how many were lost.
 */

#define SHIM_LINE_MAX		10000	/* bytes of payload per log line */
#define SHIM_STAMP_LEN		32	/* "YYYY-MM-DDTHH:MM:SS.uuuuuu+00:00" */
#define SHIM_LOGLINE_MAX	(SHIM_LINE_MAX + 256)

typedef void shim_line_cb(void *arg, const char *line, size_t len);

struct shim_linebuf {
	char	buf[SHIM_LINE_MAX];
	size_t	len;
};

/* shim_linebuf_feed() calls cb for each complete line (without '\n'). */
void	shim_linebuf_feed(struct shim_linebuf *, const char *p, size_t len,
	    shim_line_cb *cb, void *arg);
/* shim_linebuf_flush() emits a pending partial line (at EOF). */
void	shim_linebuf_flush(struct shim_linebuf *, shim_line_cb *cb,
	    void *arg);

/* shim_log_stamp() writes the RFC 5424 timestamp (UTC, microseconds). */
size_t	shim_log_stamp(char *out, size_t outlen, const struct timespec *);

/*
 * shim_log_format() writes "STAMP SOURCE[DYNO]: LINE\n" into out and
 * returns its length (0 if it does not fit).
 */
size_t	shim_log_format(char *out, size_t outlen, const struct timespec *,
	    const char *source, const char *dyno, const char *line,
	    size_t len);

struct shim_logw {
	const char	*path;		/* borrowed */
	const char	*dyno;		/* borrowed */
	int		 fd;
	dev_t		 dev;
	ino_t		 ino;
	uint64_t	 dropped;	/* lines lost since the last notice */
	uint64_t	 dropped_total;
	time_t		 checked;	/* last rotation check, seconds */
};

void	shim_logw_init(struct shim_logw *, const char *path, const char *dyno);
/* shim_logw_line() formats and appends one line; never blocks. */
void	shim_logw_line(struct shim_logw *, const char *source,
	    const char *line, size_t len);
void	shim_logw_release(struct shim_logw *);

#endif
