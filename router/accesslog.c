#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "accesslog.h"
#include "router.h"

/* Copy untrusted bytes, escaping quotes, backslashes and controls. */
static size_t
esc(char *out, size_t room, struct slice s)
{
	static const char	hex[] = "0123456789abcdef";
	size_t			i, o = 0;

	for (i = 0; i < s.len && o + 4 < room; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (c < 0x20 || c >= 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return o;
}

size_t
accesslog_format(const struct accesslog_entry *e, char *out, size_t outlen)
{
	char		ts[40], path[1024], host[300], rid[210], fwd[200];
	struct tm	tm;
	int		n;

	gmtime_r(&e->when.tv_sec, &tm);
	n = (int)strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, sizeof(ts) - (size_t)n, ".%06ld+00:00",
	    e->when.tv_nsec / 1000);
	esc(path, sizeof(path), e->path);
	esc(host, sizeof(host), e->host);
	esc(rid, sizeof(rid), e->request_id);
	esc(fwd, sizeof(fwd), e->fwd);
	n = snprintf(out, outlen, "%s %s paas[router]: at=%s%s%s%s%s%s "
	    "method=%s path=\"%s\" host=%s request_id=%s fwd=\"%s\" dyno=%s "
	    "connect=%llums service=%llums status=%d bytes=%llu "
	    "protocol=http", e->app ? e->app : "-", ts,
	    e->code ? "error" : "info", e->code ? " code=" : "",
	    e->code ? e->code : "", e->code ? " desc=\"" : "",
	    e->desc ? e->desc : "", e->code ? "\"" : "",
	    e->method ? e->method : "-", path, host, rid, fwd,
	    e->dyno ? e->dyno : "", (unsigned long long)e->connect_ms,
	    (unsigned long long)e->service_ms, e->status,
	    (unsigned long long)e->bytes);
	if (n < 0)
		return 0;
	return (size_t)n < outlen ? (size_t)n : outlen - 1;
}

int
accesslog_open(struct accesslog *l, const char *path)
{
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (path == NULL)
		return 0;
	if (strlen(path) >= sizeof(l->sa.sun_path))
		return -ENAMETOOLONG;
	l->sa.sun_family = AF_UNIX;
	memcpy(l->sa.sun_path, path, strlen(path) + 1);
	l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	return l->fd < 0 ? -errno : 0;
}

void
accesslog_send(struct accesslog *l, const struct accesslog_entry *e)
{
	char	line[ROUTER_LOG_LINE_MAX_BYTES];
	size_t	n;

	if (l->fd < 0)
		return;
	n = accesslog_format(e, line, sizeof(line));
	if (sendto(l->fd, line, n, MSG_DONTWAIT | MSG_NOSIGNAL,
	    (struct sockaddr *)&l->sa, sizeof(l->sa)) < 0)
		l->dropped++;
	else
		l->sent++;
}

void
accesslog_close(struct accesslog *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}
