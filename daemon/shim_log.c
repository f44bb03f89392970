#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shim_log.h"

void
shim_linebuf_feed(struct shim_linebuf *lb, const char *p, size_t len,
    shim_line_cb *cb, void *arg)
{
	const char *nl;
	size_t take;

	while (len > 0) {
		nl = memchr(p, '\n', len);
		take = nl ? (size_t)(nl - p) : len;
		/* a line longer than the buffer goes out in chunks */
		while (lb->len + take >= SHIM_LINE_MAX) {
			size_t room = SHIM_LINE_MAX - lb->len;

			memcpy(lb->buf + lb->len, p, room);
			cb(arg, lb->buf, SHIM_LINE_MAX);
			lb->len = 0;
			p += room;
			len -= room;
			take -= room;
			if (take == 0 && nl != NULL) {
				/* the newline right after a full chunk */
				p++;
				len--;
				goto next;
			}
		}
		memcpy(lb->buf + lb->len, p, take);
		lb->len += take;
		p += take;
		len -= take;
		if (nl != NULL) {
			cb(arg, lb->buf, lb->len);
			lb->len = 0;
			p++;
			len--;
		}
next:
		;
	}
}

void
shim_linebuf_flush(struct shim_linebuf *lb, shim_line_cb *cb, void *arg)
{
	if (lb->len > 0)
		cb(arg, lb->buf, lb->len);
	lb->len = 0;
}

size_t
shim_log_stamp(char *out, size_t outlen, const struct timespec *ts)
{
	struct tm tm;
	size_t n;
	int m;

	if (gmtime_r(&ts->tv_sec, &tm) == NULL)
		return 0;
	n = strftime(out, outlen, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0)
		return 0;
	m = snprintf(out + n, outlen - n, ".%06ld+00:00",
	    (long)(ts->tv_nsec / 1000));
	if (m < 0 || (size_t)m >= outlen - n)
		return 0;
	return n + (size_t)m;
}

size_t
shim_log_format(char *out, size_t outlen, const struct timespec *ts,
    const char *source, const char *dyno, const char *line, size_t len)
{
	size_t n;
	int m;

	if ((n = shim_log_stamp(out, outlen, ts)) == 0)
		return 0;
	m = snprintf(out + n, outlen - n, " %s[%s]: ", source, dyno);
	if (m < 0 || (size_t)m >= outlen - n)
		return 0;
	n += (size_t)m;
	if (len + 1 > outlen - n)
		return 0;
	memcpy(out + n, line, len);
	out[n + len] = '\n';
	return n + len + 1;
}

void
shim_logw_init(struct shim_logw *w, const char *path, const char *dyno)
{
	memset(w, 0, sizeof(*w));
	w->path = path;
	w->dyno = dyno;
	w->fd = -1;
}

static void
logw_open(struct shim_logw *w)
{
	struct stat st;

	if (w->fd != -1)
		close(w->fd);
	w->fd = open(w->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NONBLOCK | O_NOFOLLOW, 0640);
	if (w->fd != -1 && fstat(w->fd, &st) == 0) {
		w->dev = st.st_dev;
		w->ino = st.st_ino;
	}
}

/* once a second, or after a failure: follow the path to a new file */
static void
logw_check(struct shim_logw *w, time_t now, int failed)
{
	struct stat st;

	if (!failed && w->fd != -1 && now == w->checked)
		return;
	w->checked = now;
	if (w->fd == -1 || stat(w->path, &st) == -1 || st.st_dev != w->dev ||
	    st.st_ino != w->ino)
		logw_open(w);
}

static int
logw_put(struct shim_logw *w, const struct timespec *ts, const char *source,
    const char *line, size_t len)
{
	char out[SHIM_LOGLINE_MAX];
	size_t n;

	n = shim_log_format(out, sizeof(out), ts, source, w->dyno, line, len);
	if (n == 0 || w->fd == -1)
		return -1;
	return write(w->fd, out, n) == (ssize_t)n ? 0 : -1;
}

void
shim_logw_line(struct shim_logw *w, const char *source, const char *line,
    size_t len)
{
	struct timespec ts;
	char note[128];
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	logw_check(w, ts.tv_sec, 0);
	if (w->dropped > 0) {
		n = snprintf(note, sizeof(note), "Error L10 (output buffer "
		    "overflow): %llu messages dropped",
		    (unsigned long long)w->dropped);
		if (logw_put(w, &ts, "paas", note, (size_t)n) == 0)
			w->dropped = 0;
	}
	if (w->dropped == 0 && logw_put(w, &ts, source, line, len) == 0)
		return;
	w->dropped++;
	w->dropped_total++;
	logw_check(w, ts.tv_sec, 1);
}

void
shim_logw_release(struct shim_logw *w)
{
	if (w->fd != -1)
		close(w->fd);
	w->fd = -1;
}
