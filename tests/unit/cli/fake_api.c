#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fake_api.h"

static const char *
header_find(const char *req, const char *name)
{
	const char	*p = req;
	size_t		 n = strlen(name);

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (p[0] == '\r')
			return NULL;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':')
			return p + n + 1 + (p[n + 1] == ' ');
	}
	return NULL;
}

void
fake_header(const struct fake *f, int i, const char *name, char *out,
    size_t len)
{
	const char	*v = header_find(f->req[i].raw, name);
	size_t		 n;

	out[0] = '\0';
	if (v == NULL)
		return;
	n = strcspn(v, "\r");
	if (n >= len)
		n = len - 1;
	memcpy(out, v, n);
	out[n] = '\0';
}

static int
complete(struct fake_req *r)
{
	const char	*end = strstr(r->raw, "\r\n\r\n");
	const char	*cl;

	if (end == NULL)
		return 0;
	cl = header_find(r->raw, "Content-Length");
	r->body = end + 4;
	return cl == NULL || (size_t)(r->raw + r->len - r->body) >=
	    (size_t)atol(cl);
}

/* Waits for fd to be readable; 0 if the stop pipe fired or timed out. */
static int
readable(struct fake *f, int fd)
{
	struct pollfd p[2] = { { fd, POLLIN, 0 }, { f->stop[0], POLLIN, 0 } };

	if (poll(p, 2, FAKE_WAIT_MS) <= 0)
		return 0;
	return (p[0].revents & (POLLIN | POLLHUP)) != 0;
}

static void
serve_one(struct fake *f, int fd)
{
	struct fake_req	*r = &f->req[f->nreq];
	ssize_t		 n;

	while (!complete(r) && r->len < sizeof(r->raw) - 1 && readable(f, fd)) {
		n = read(fd, r->raw + r->len, sizeof(r->raw) - 1 - r->len);
		if (n <= 0)
			break;
		r->len += (size_t)n;
		r->raw[r->len] = '\0';
	}
	(void)sscanf(r->raw, "%511[^\r]", r->line);
	if (write(fd, f->ans[f->nreq], strlen(f->ans[f->nreq])) < 0)
		r->line[0] = '\0';
	f->nreq++;
}

static void *
serve(void *arg)
{
	struct fake	*f = arg;
	int		 fd;

	while (f->nreq < f->nans && readable(f, f->lfd)) {
		fd = accept(f->lfd, NULL, NULL);
		if (fd < 0)
			break;
		serve_one(f, fd);
		close(fd);
	}
	return NULL;
}

struct fake *
fake_new(void)
{
	struct fake		*f = calloc(1, sizeof(*f));
	struct sockaddr_un	 sa = { .sun_family = AF_UNIX };

	if (f == NULL)
		return NULL;
	f->lfd = -1;
	f->stop[0] = f->stop[1] = -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/paas-cli-test.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return NULL;
	}
	snprintf(f->sock, sizeof(f->sock), "%s/paasd.sock", f->dir);
	snprintf(f->api, sizeof(f->api), "unix:%s", f->sock);
	memcpy(sa.sun_path, f->sock, strlen(f->sock) + 1);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->lfd < 0 || bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(f->lfd, 4) || pipe2(f->stop, O_CLOEXEC)) {
		fake_free(f);
		return NULL;
	}
	return f;
}

void
fake_free(struct fake *f)
{
	char path[128];

	if (f == NULL)
		return;
	if (f->running)
		fake_wait(f);
	if (f->lfd >= 0)
		close(f->lfd);
	if (f->stop[0] >= 0) {
		close(f->stop[0]);
		close(f->stop[1]);
	}
	unlink(f->sock);
	snprintf(path, sizeof(path), "%s/admin-token", f->dir);
	unlink(path);
	rmdir(f->dir);
	free(f);
}

void
fake_push(struct fake *f, int status, const char *body)
{
	if (f->nans == FAKE_MAX)
		abort();
	snprintf(f->ans[f->nans++], sizeof(f->ans[0]), "HTTP/1.1 %d X\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n%s", status, strlen(body), body);
}

void
fake_run(struct fake *f)
{
	f->nreq = 0;
	memset(f->req, 0, sizeof(f->req));
	if (pthread_create(&f->th, NULL, serve, f) != 0)
		abort();
	f->running = 1;
}

void
fake_wait(struct fake *f)
{
	char c = 'x';

	if (!f->running)
		return;
	if (write(f->stop[1], &c, 1) != 1)
		abort();
	pthread_join(f->th, NULL);
	if (read(f->stop[0], &c, 1) != 1)
		abort();
	f->running = 0;
	f->nans = 0;
}
