#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "applog.h"
#include "log.h"
#include "valid.h"

#define APPLOG_FDS	32	/* open log files kept */

struct logfd {
	char	app[32];
	int	fd;
	off_t	size;
	ino_t	ino;
};

struct applog {
	char		 dir[300];	/* DATA/logs */
	uv_loop_t	*loop;
	struct logfd	 fds[APPLOG_FDS];
	unsigned	 next_evict;
	int		 sock;		/* router datagrams, or -1 */
	uv_poll_t	 poll;
	int		 polling;
	unsigned long	 dropped;
	struct applog_follow *follows;
};

struct applog_follow {
	struct applog		*al;
	struct applog_follow	*next;
	char			 app[32];
	char			 source[8], dyno[64];
	struct applog_filter	 filter;
	applog_line_cb		*cb;
	void			*arg;
	uv_timer_t		 timer;
	int			 fd;
	ino_t			 ino;
	struct buf		 partial;
};

/* ---------------------------------------------------------------- pure */

void
applog_timestamp(const struct timespec *ts, char out[40])
{
	struct tm	tm;
	char		base[24];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 40, "%s.%06u+00:00", base,
	    (unsigned)((unsigned long)ts->tv_nsec / 1000 % 1000000));
}

void
applog_format(struct buf *out, const struct timespec *ts, const char *source,
    const char *dyno, const char *msg, size_t len)
{
	char	stamp[40];
	size_t	off = 0, i, n;

	applog_timestamp(ts, stamp);
	if (len && msg[len - 1] == '\n')
		len--;
	if (len && msg[len - 1] == '\r')
		len--;
	do {
		n = len - off > APPLOG_LINE_MAX_BYTES ? APPLOG_LINE_MAX_BYTES :
		    len - off;
		buf_addf(out, "%s %s[%s]: ", stamp, source, dyno);
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)msg[off + i];

			buf_addch(out, (c < 0x20 && c != '\t') || c == 0x7f ?
			    '?' : c);
		}
		buf_addch(out, '\n');
		off += n;
	} while (off < len);
}

int
applog_match(const char *line, size_t len, const struct applog_filter *f)
{
	const char	*sp, *lb, *rb;
	size_t		 srclen, dynolen;

	if (f == NULL || (f->source == NULL && f->dyno == NULL))
		return 1;
	sp = memchr(line, ' ', len);
	if (sp == NULL)
		return 0;
	lb = memchr(sp, '[', len - (size_t)(sp - line));
	rb = lb ? memchr(lb, ']', len - (size_t)(lb - line)) : NULL;
	if (rb == NULL)
		return 0;
	srclen = (size_t)(lb - sp - 1);
	dynolen = (size_t)(rb - lb - 1);
	if (f->dyno && (strlen(f->dyno) != dynolen ||
	    memcmp(f->dyno, lb + 1, dynolen) != 0))
		return 0;
	if (f->source == NULL)
		return 1;
	if (strcmp(f->source, "router") == 0)
		return srclen == 4 && memcmp(sp + 1, "paas", 4) == 0 &&
		    dynolen == 6 && memcmp(lb + 1, "router", 6) == 0;
	if (strcmp(f->source, "paas") == 0)
		return srclen == 4 && memcmp(sp + 1, "paas", 4) == 0 &&
		    !(dynolen == 6 && memcmp(lb + 1, "router", 6) == 0);
	return strlen(f->source) == srclen &&
	    memcmp(f->source, sp + 1, srclen) == 0;
}

void
applog_keep_last(struct buf *text, size_t n)
{
	size_t	i = text->len, count = 0;

	if (i && text->p[i - 1] == '\n')
		i--;
	while (i > 0) {
		if (text->p[i - 1] == '\n' && ++count == n)
			break;
		i--;
	}
	if (i == 0)
		return;
	memmove(text->p, text->p + i, text->len - i);
	buf_truncate(text, text->len - i);
}

/* Filter whole lines of in into out. */
static void
filter_lines(const char *in, size_t len, const struct applog_filter *f,
    struct buf *out)
{
	const char *p = in, *end = in + len, *nl;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (applog_match(p, (size_t)(nl - p), f))
			buf_add(out, p, (size_t)(nl - p) + 1);
		p = nl + 1;
	}
}

/* ---------------------------------------------------------------- files */

static void
app_path(struct applog *al, const char *app, const char *file, char *out,
    size_t outlen)
{
	snprintf(out, outlen, "%s/%s%s%s", al->dir, app, file ? "/" : "",
	    file ? file : "");
}

int
applog_new(const char *data_dir, uv_loop_t *loop, struct applog **out)
{
	struct applog	*al;
	size_t		 i;

	al = calloc(1, sizeof(*al));
	if (al == NULL)
		return -ENOMEM;
	snprintf(al->dir, sizeof(al->dir), "%s/logs", data_dir);
	al->loop = loop;
	al->sock = -1;
	for (i = 0; i < APPLOG_FDS; i++)
		al->fds[i].fd = -1;
	*out = al;
	return 0;
}

static void
poll_closed(uv_handle_t *h)
{
	free(h->data);
}

void
applog_free(struct applog *al)
{
	size_t i;

	if (al == NULL)
		return;
	while (al->follows)
		applog_unfollow(al->follows);
	for (i = 0; i < APPLOG_FDS; i++)
		if (al->fds[i].fd >= 0)
			close(al->fds[i].fd);
	if (al->polling) {
		uv_poll_stop(&al->poll);
		al->poll.data = al;
		uv_close((uv_handle_t *)&al->poll, poll_closed);
		close(al->sock);
		return;
	}
	free(al);
}

int
applog_app_init(struct applog *al, const char *app)
{
	char path[512];

	app_path(al, app, NULL, path, sizeof(path));
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static void
fd_forget(struct applog *al, const char *app)
{
	size_t i;

	for (i = 0; i < APPLOG_FDS; i++)
		if (al->fds[i].fd >= 0 && strcmp(al->fds[i].app, app) == 0) {
			close(al->fds[i].fd);
			al->fds[i].fd = -1;
		}
}

void
applog_app_remove(struct applog *al, const char *app)
{
	char path[512];

	fd_forget(al, app);
	app_path(al, app, "log", path, sizeof(path));
	(void)unlink(path);
	app_path(al, app, "log.1", path, sizeof(path));
	(void)unlink(path);
	app_path(al, app, NULL, path, sizeof(path));
	(void)rmdir(path);
}

static struct logfd *
fd_get(struct applog *al, const char *app)
{
	struct logfd	*l = NULL;
	struct stat	 sb;
	char		 path[512];
	size_t		 i;
	int		 fd;

	for (i = 0; i < APPLOG_FDS; i++)
		if (al->fds[i].fd >= 0 && strcmp(al->fds[i].app, app) == 0)
			return &al->fds[i];
	for (i = 0; i < APPLOG_FDS && l == NULL; i++)
		if (al->fds[i].fd < 0)
			l = &al->fds[i];
	if (l == NULL) {
		l = &al->fds[al->next_evict++ % APPLOG_FDS];
		close(l->fd);
		l->fd = -1;
	}
	app_path(al, app, "log", path, sizeof(path));
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0 || fstat(fd, &sb) != 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	snprintf(l->app, sizeof(l->app), "%s", app);
	l->fd = fd;
	l->size = sb.st_size;
	l->ino = sb.st_ino;
	return l;
}

static void
rotate(struct applog *al, struct logfd *l)
{
	char from[512], to[512];

	app_path(al, l->app, "log", from, sizeof(from));
	app_path(al, l->app, "log.1", to, sizeof(to));
	if (rename(from, to) != 0)
		log_warn("app=%s rotate log", l->app);
	close(l->fd);
	l->fd = -1;
}

void
applog_append(struct applog *al, const char *app, const char *lines,
    size_t len)
{
	struct logfd	*l;
	struct stat	 sb;
	char		 path[512];

	if (len == 0 || (l = fd_get(al, app)) == NULL)
		return;
	/* Shims append too: size and identity come from the file itself. */
	app_path(al, app, "log", path, sizeof(path));
	if (stat(path, &sb) != 0 || sb.st_ino != l->ino) {
		fd_forget(al, app);
		if ((l = fd_get(al, app)) == NULL)
			return;
	} else
		l->size = sb.st_size;
	if (write(l->fd, lines, len) != (ssize_t)len)
		log_warn("app=%s append log", app);
	l->size += (off_t)len;
	if (l->size >= APPLOG_ROTATE_BYTES)
		rotate(al, l);
}

void
applog_event(struct applog *al, const char *app, const char *dyno,
    const char *fmt, ...)
{
	struct timespec	 now;
	struct buf	 msg = BUF_INIT, line = BUF_INIT;
	va_list		 ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &now);
	applog_format(&line, &now, "paas", dyno, msg.p, msg.len);
	applog_append(al, app, line.p, line.len);
	buf_release(&msg);
	buf_release(&line);
}

static int
read_file(const char *path, struct buf *out)
{
	char	chunk[65536];
	ssize_t	n;
	int	fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(out, chunk, (size_t)n);
	close(fd);
	return n < 0 ? -EIO : 0;
}

int
applog_read(struct applog *al, const char *app, size_t n,
    const struct applog_filter *f, struct buf *out, struct perr *err)
{
	struct buf	all = BUF_INIT;
	char		path[512];
	int		rc;

	app_path(al, app, "log.1", path, sizeof(path));
	rc = read_file(path, &all);
	app_path(al, app, "log", path, sizeof(path));
	if (rc == 0)
		rc = read_file(path, &all);
	if (rc != 0) {
		buf_release(&all);
		return perr_set(err, rc, "read log of '%s': %s", app,
		    strerror(-rc));
	}
	filter_lines(all.p, all.len, f, out);
	applog_keep_last(out, n);
	buf_release(&all);
	return 0;
}

/* ---------------------------------------------------------------- follow */

static void
follow_read(struct applog_follow *fw)
{
	struct buf	 lines = BUF_INIT;
	char		 chunk[65536], path[512];
	struct stat	 sb;
	ssize_t		 n;
	char		*nl;

	for (;;) {
		while (fw->fd >= 0 &&
		    (n = read(fw->fd, chunk, sizeof(chunk))) > 0)
			buf_add(&fw->partial, chunk, (size_t)n);
		app_path(fw->al, fw->app, "log", path, sizeof(path));
		if (stat(path, &sb) != 0 || (fw->fd >= 0 && sb.st_ino == fw->ino))
			break;
		/* rotated (or first created): drained the old, open the new */
		if (fw->fd >= 0)
			close(fw->fd);
		fw->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fw->fd < 0)
			break;
		fw->ino = sb.st_ino;
	}
	nl = memrchr(fw->partial.p, '\n', fw->partial.len);
	if (nl == NULL)
		return;
	filter_lines(fw->partial.p, (size_t)(nl - fw->partial.p) + 1,
	    &fw->filter, &lines);
	memmove(fw->partial.p, nl + 1, fw->partial.len -
	    (size_t)(nl - fw->partial.p) - 1);
	buf_truncate(&fw->partial, fw->partial.len -
	    (size_t)(nl - fw->partial.p) - 1);
	if (fw->partial.len > 4 * APPLOG_LINE_MAX_BYTES)
		buf_reset(&fw->partial);
	if (lines.len)
		fw->cb(fw->arg, lines.p, lines.len);
	buf_release(&lines);
}

static void
on_follow_tick(uv_timer_t *t)
{
	follow_read(t->data);
}

int
applog_follow(struct applog *al, const char *app,
    const struct applog_filter *f, applog_line_cb *cb, void *arg,
    struct applog_follow **out)
{
	struct applog_follow	*fw;
	struct stat		 sb;
	char			 path[512];

	fw = calloc(1, sizeof(*fw));
	if (fw == NULL)
		return -ENOMEM;
	fw->al = al;
	snprintf(fw->app, sizeof(fw->app), "%s", app);
	if (f && f->source) {
		snprintf(fw->source, sizeof(fw->source), "%s", f->source);
		fw->filter.source = fw->source;
	}
	if (f && f->dyno) {
		snprintf(fw->dyno, sizeof(fw->dyno), "%s", f->dyno);
		fw->filter.dyno = fw->dyno;
	}
	fw->cb = cb;
	fw->arg = arg;
	buf_init(&fw->partial);
	app_path(al, app, "log", path, sizeof(path));
	fw->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fw->fd >= 0 && fstat(fw->fd, &sb) == 0) {
		fw->ino = sb.st_ino;
		(void)lseek(fw->fd, 0, SEEK_END);
	}
	uv_timer_init(al->loop, &fw->timer);
	fw->timer.data = fw;
	uv_timer_start(&fw->timer, on_follow_tick, APPLOG_FOLLOW_MS,
	    APPLOG_FOLLOW_MS);
	fw->next = al->follows;
	al->follows = fw;
	*out = fw;
	return 0;
}

static void
follow_closed(uv_handle_t *h)
{
	struct applog_follow *fw = h->data;

	buf_release(&fw->partial);
	free(fw);
}

void
applog_unfollow(struct applog_follow *fw)
{
	struct applog_follow **pp;

	for (pp = &fw->al->follows; *pp; pp = &(*pp)->next)
		if (*pp == fw) {
			*pp = fw->next;
			break;
		}
	if (fw->fd >= 0)
		close(fw->fd);
	uv_timer_stop(&fw->timer);
	uv_close((uv_handle_t *)&fw->timer, follow_closed);
}

/* ---------------------------------------------------------------- router */

static void
on_router_datagram(uv_poll_t *p, int status, int events)
{
	struct applog	*al = p->data;
	char		 dgram[APPLOG_LINE_MAX_BYTES + 512], app[32];
	ssize_t		 n;
	char		*sp;
	int		 budget = 256;	/* then let the loop breathe */
	struct stat	 sb;
	char		 path[512];

	(void)events;
	if (status < 0)
		return;
	while (budget-- > 0) {
		n = recv(al->sock, dgram, sizeof(dgram) - 1, MSG_DONTWAIT);
		if (n <= 0)
			break;
		/* one line per datagram; its newline is optional */
		if (dgram[n - 1] != '\n')
			dgram[n++] = '\n';
		sp = memchr(dgram, ' ', (size_t)n);
		if (sp == NULL || sp - dgram >= (ssize_t)sizeof(app) ||
		    valid_app_name(dgram, (size_t)(sp - dgram), NULL) != 0 ||
		    dgram[n - 1] != '\n' ||
		    memchr(sp + 1, '\n', (size_t)(dgram + n - sp - 2)) != NULL) {
			al->dropped++;
			continue;
		}
		memcpy(app, dgram, (size_t)(sp - dgram));
		app[sp - dgram] = '\0';
		app_path(al, app, NULL, path, sizeof(path));
		if (stat(path, &sb) != 0) {
			al->dropped++;
			continue;
		}
		applog_append(al, app, sp + 1, (size_t)(dgram + n - sp - 1));
	}
}

int
applog_listen_router(struct applog *al, const char *path)
{
	struct sockaddr_un	sa;
	int			fd, rc;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	(void)unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	(void)chmod(path, 0666);	/* the router runs unprivileged */
	al->sock = fd;
	if ((rc = uv_poll_init(al->loop, &al->poll, fd)) != 0) {
		close(fd);
		al->sock = -1;
		return rc;
	}
	al->poll.data = al;
	al->polling = 1;
	return uv_poll_start(&al->poll, UV_READABLE, on_router_datagram);
}

unsigned long
applog_router_dropped(struct applog *al)
{
	return al->dropped;
}
