#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cond.h"
#include "conn.h"
#include "mime.h"
#include "paas_static.h"
#include "req.h"
#include "urlpath.h"

enum conn_state {
	CONN_READ,	/* waiting for (the rest of) a request head */
	CONN_WRITE,	/* sending out[], then the file */
	CONN_LINGER,	/* all sent, write side shut: drain until EOF */
};

struct conn {
	int		 fd;
	enum conn_state	 state;
	const struct site *site;
	int64_t		 deadline;	/* CLOCK_MONOTONIC ms */
	unsigned	 nreq;		/* requests answered so far */
	int		 keepalive;	/* after the current response */
	size_t		 inlen;
	char		 in[STATIC_HEAD_MAX_BYTES];
	size_t		 outlen, outoff;
	char		 out[STATIC_OUT_MAX_BYTES];
	int		 filefd;	/* body being sent, or -1 */
	off_t		 fileoff, fileend;
};

/* The file chosen for a response and what describes it. */
struct entity {
	int		 fd;
	struct stat	 st;
	const char	*type;
	int		 gzip;		/* fd is the .gz variant */
	int		 vary;		/* a .gz variant exists */
};

struct status {
	int		 code;
	const char	*reason;
};

static const struct status statuses[] = {
	{ 200, "OK" },
	{ 301, "Moved Permanently" },
	{ 304, "Not Modified" },
	{ 400, "Bad Request" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 414, "URI Too Long" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 505, "HTTP Version Not Supported" },
};

static const char *
status_reason(int code)
{
	size_t	i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].code == code)
			return statuses[i].reason;
	return "Error";
}

struct conn *
conn_new(int fd, const struct site *site, int64_t now)
{
	struct conn	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return NULL;
	}
	c->fd = fd;
	c->site = site;
	c->state = CONN_READ;
	c->filefd = -1;
	c->deadline = now + STATIC_HEAD_TIMEOUT_MS;
	return c;
}

void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->filefd >= 0)
		close(c->filefd);
	close(c->fd);
	free(c);
}

int
conn_fd(const struct conn *c)
{
	return c->fd;
}

short
conn_events(const struct conn *c)
{
	return c->state == CONN_WRITE ? POLLOUT : POLLIN;
}

int64_t
conn_deadline(const struct conn *c)
{
	return c->deadline;
}

int
conn_idle(const struct conn *c)
{
	return (c->state == CONN_READ && c->inlen == 0 && c->nreq > 0) ||
	    c->state == CONN_LINGER;
}

/*
 * Start a response head in out[]. type NULL: no Content-Type; clen < 0:
 * no Content-Length (304). extra is zero or more complete header lines.
 * Returns 0, or -1 when it does not fit (a bug: heads are small).
 */
static int
head_start(struct conn *c, int code, const char *type, long long clen,
    const char *extra)
{
	char	date[COND_DATE_LEN + 1], len[40] = "";
	int	n;

	cond_date_fmt(time(NULL), date);
	if (clen >= 0)
		snprintf(len, sizeof(len), "Content-Length: %lld\r\n", clen);
	n = snprintf(c->out, sizeof(c->out),
	    "HTTP/1.1 %d %s\r\nServer: paas-static\r\nDate: %s\r\n"
	    "%s%s%s%s%s"
	    "Connection: %s\r\n\r\n",
	    code, status_reason(code), date,
	    type ? "Content-Type: " : "", type ? type : "", type ? "\r\n" : "",
	    len, extra ? extra : "", c->keepalive ? "keep-alive" : "close");
	if (n < 0 || (size_t)n >= sizeof(c->out))
		return -1;
	c->outlen = (size_t)n;
	c->outoff = 0;
	return 0;
}

/* A short text answer: errors, redirects. */
static int
respond_text(struct conn *c, int code, int head_only, const char *extra)
{
	char	body[64];
	int	n;

	n = snprintf(body, sizeof(body), "%d %s\n", code, status_reason(code));
	if (head_start(c, code, "text/plain; charset=utf-8", n, extra) < 0)
		return -1;
	if (!head_only) {
		if (c->outlen + (size_t)n > sizeof(c->out))
			return -1;
		memcpy(c->out + c->outlen, body, (size_t)n);
		c->outlen += (size_t)n;
	}
	return 0;
}

static void
entity_close(struct entity *e)
{
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
}

/* Open a regular file under the root, or fail with a negative errno. */
static int
open_regular(const struct site *site, const char *rel, struct stat *st)
{
	int	fd;

	fd = safeopen(site->rootfd, rel, O_RDONLY | O_NONBLOCK, site->mode);
	if (fd < 0)
		return fd;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

/*
 * Pick the representation of rel: the file itself, or its precompressed
 * rel.gz sibling when the client accepts gzip.
 */
static int
entity_open(const struct site *site, const char *rel, int gzip_ok,
    struct entity *e)
{
	char		gzname[STATIC_PATH_MAX_BYTES + 4];
	struct stat	gzst;
	int		gzfd, n;

	e->gzip = e->vary = 0;
	if ((e->fd = open_regular(site, rel, &e->st)) < 0)
		return e->fd;
	e->type = mime_lookup(rel, strlen(rel));
	n = snprintf(gzname, sizeof(gzname), "%s.gz", rel);
	if (n < 0 || (size_t)n >= sizeof(gzname))
		return 0;
	if ((gzfd = open_regular(site, gzname, &gzst)) < 0)
		return 0;
	e->vary = 1;
	if (!gzip_ok) {
		close(gzfd);
		return 0;
	}
	close(e->fd);
	e->fd = gzfd;
	e->st = gzst;
	e->gzip = 1;
	return 0;
}

/*
 * Send an entity: 200 (or code), or 304 when the client's copy is fresh.
 * Takes e's fd in every case.
 */
static int
respond_entity(struct conn *c, const struct req *r, struct entity *e,
    int code)
{
	char	etag[COND_ETAG_MAX], lm[COND_DATE_LEN + 1], extra[256];
	int	n, fresh;

	cond_etag_fmt(etag, (uint64_t)e->st.st_size, e->st.st_mtim.tv_sec,
	    e->st.st_mtim.tv_nsec, e->gzip);
	cond_date_fmt(e->st.st_mtim.tv_sec, lm);
	fresh = code == 200 && cond_not_modified(r->if_none_match,
	    r->if_modified_since, etag, e->st.st_mtim.tv_sec);
	n = snprintf(extra, sizeof(extra),
	    "ETag: %s\r\nLast-Modified: %s\r\n%s%s"
	    "X-Content-Type-Options: nosniff\r\n",
	    etag, lm, e->gzip ? "Content-Encoding: gzip\r\n" : "",
	    e->vary ? "Vary: Accept-Encoding\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(extra) ||
	    head_start(c, fresh ? 304 : code, fresh ? NULL : e->type,
	    fresh ? -1 : (long long)e->st.st_size, extra) < 0) {
		entity_close(e);
		return -1;
	}
	if (fresh || r->method == REQ_HEAD || e->st.st_size == 0) {
		entity_close(e);
		return 0;
	}
	c->filefd = e->fd;
	c->fileoff = 0;
	c->fileend = e->st.st_size;
	e->fd = -1;
	return 0;
}

/* 404 with the site's 404.html when it has one. */
static int
respond_404(struct conn *c, const struct req *r)
{
	struct entity	e = { .fd = -1 };

	if (entity_open(c->site, "404.html", req_accepts_gzip(
	    r->accept_encoding), &e) < 0)
		return respond_text(c, 404, r->method == REQ_HEAD, NULL);
	return respond_entity(c, r, &e, 404);
}

static int
errno_status(int err)
{
	switch (err) {
	case -EACCES:
	case -EPERM:
		return 403;
	case -ENOENT:
	case -ENOTDIR:
	case -ELOOP:
	case -EXDEV:
	case -ENAMETOOLONG:
		return 404;
	default:
		return 500;
	}
}

/* A directory: redirect to "dir/", else serve dir/index.html. */
static int
respond_dir(struct conn *c, const struct req *r, const char *path, int dir)
{
	int		 head = r->method == REQ_HEAD;
	char		 loc[STATIC_PATH_MAX_BYTES * 3 + 16];
	char		 idx[STATIC_PATH_MAX_BYTES + 16];
	char		 hdr[sizeof(loc) + 16];
	struct entity	 e = { .fd = -1 };
	int		 n, rc;

	if (!dir && *path) {
		if ((n = urlpath_escape(path, loc, sizeof(loc) - 1)) < 0)
			return respond_text(c, 414, head, NULL);
		snprintf(hdr, sizeof(hdr), "Location: %s/\r\n", loc);
		return respond_text(c, 301, head, hdr);
	}
	n = snprintf(idx, sizeof(idx), "%s%sindex.html", path,
	    *path ? "/" : "");
	if (n < 0 || (size_t)n >= sizeof(idx))
		return respond_404(c, r);
	rc = entity_open(c->site, idx, req_accepts_gzip(r->accept_encoding),
	    &e);
	if (rc < 0)
		return errno_status(rc) == 404 ? respond_404(c, r) :
		    respond_text(c, errno_status(rc), head, NULL);
	return respond_entity(c, r, &e, 200);
}

static int
respond(struct conn *c, const struct req *r)
{
	char		 path[STATIC_PATH_MAX_BYTES];
	struct entity	 e = { .fd = -1 };
	struct stat	 st;
	int		 dir, rc, fd, head = r->method == REQ_HEAD;

	if (r->method == REQ_OTHER)
		return respond_text(c, 405, 0, "Allow: GET, HEAD\r\n");
	if (r->has_body)
		return respond_text(c, 400, head, NULL);
	rc = urlpath_normalize(r->target, path, sizeof(path), &dir);
	if (rc == -EINVAL)
		return respond_text(c, 400, head, NULL);
	if (rc == -ENAMETOOLONG)
		return respond_text(c, 414, head, NULL);
	if (rc < 0)
		return respond_404(c, r);
	fd = safeopen(c->site->rootfd, path, O_RDONLY | O_NONBLOCK,
	    c->site->mode);
	if (fd < 0)
		return errno_status(fd) == 404 ? respond_404(c, r) :
		    respond_text(c, errno_status(fd), head, NULL);
	rc = fstat(fd, &st);
	close(fd);
	if (rc < 0)
		return respond_text(c, 500, head, NULL);
	if (S_ISDIR(st.st_mode))
		return respond_dir(c, r, path, dir);
	if (!S_ISREG(st.st_mode) || dir)
		return respond_404(c, r);
	rc = entity_open(c->site, path, req_accepts_gzip(r->accept_encoding),
	    &e);
	if (rc < 0)
		return errno_status(rc) == 404 ? respond_404(c, r) :
		    respond_text(c, errno_status(rc), head, NULL);
	return respond_entity(c, r, &e, 200);
}

/*
 * Parse what is buffered and answer a complete head. Returns 1 when a
 * response is queued, 0 when more bytes are needed, -1 to close.
 */
static int
conn_process(struct conn *c, int64_t now)
{
	struct req	r;
	int		headlen, rc, code;

	headlen = req_parse(c->in, c->inlen, &r);
	if (headlen == 0 && c->inlen < sizeof(c->in))
		return 0;
	c->state = CONN_WRITE;
	c->deadline = now + STATIC_WRITE_TIMEOUT_MS;
	if (headlen <= 0) {
		code = headlen == 0 || headlen == -E2BIG ? 431 :
		    headlen == -EPROTONOSUPPORT ? 505 : 400;
		c->keepalive = 0;
		c->inlen = 0;
		return respond_text(c, code, 0, NULL) < 0 ? -1 : 1;
	}
	c->nreq++;
	c->keepalive = r.keepalive && !r.has_body &&
	    c->nreq < STATIC_REQS_PER_CONN;
	rc = respond(c, &r);
	/* r points into in[]: consume the head only now (pipelining) */
	memmove(c->in, c->in + headlen, c->inlen - (size_t)headlen);
	c->inlen -= (size_t)headlen;
	return rc < 0 ? -1 : 1;
}

/* Returns 1 when the response is fully sent, 0 when blocked, -1 on error. */
static int
conn_write(struct conn *c, int64_t now)
{
	ssize_t	n;
	size_t	chunk;

	while (c->outoff < c->outlen) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_NOSIGNAL | (c->filefd >= 0 ? MSG_MORE : 0));
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->outoff += (size_t)n;
		c->deadline = now + STATIC_WRITE_TIMEOUT_MS;
	}
	while (c->filefd >= 0 && c->fileoff < c->fileend) {
		chunk = (size_t)(c->fileend - c->fileoff);
		if (chunk > (1u << 20))
			chunk = 1u << 20;
		n = sendfile(c->fd, c->filefd, &c->fileoff, chunk);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (n == 0)
			return -1;	/* the file shrank under us */
		c->deadline = now + STATIC_WRITE_TIMEOUT_MS;
	}
	if (c->filefd >= 0) {
		close(c->filefd);
		c->filefd = -1;
	}
	return 1;
}

/* Returns 1 when bytes arrived, 0 when none are ready, -1 on EOF/error. */
static int
conn_read(struct conn *c, int64_t now)
{
	ssize_t	n;

	if (c->inlen == sizeof(c->in))
		return 1;
	n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0)
		return -1;
	if (c->inlen == 0)
		c->deadline = now + STATIC_HEAD_TIMEOUT_MS;
	c->inlen += (size_t)n;
	return 1;
}

/*
 * Closing right after the last response would make the kernel answer
 * any unread request bytes with a RST, which can destroy the response
 * before the client reads it. Shut the write side and read until the
 * client closes, for at most STATIC_LINGER_MS.
 */
static int
conn_linger(struct conn *c)
{
	char	sink[4096];
	ssize_t	n;

	while ((n = recv(c->fd, sink, sizeof(sink), 0)) > 0)
		;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	return -1;
}

int
conn_io(struct conn *c, int64_t now)
{
	int	rc;

	if (c->state == CONN_LINGER)
		return conn_linger(c);
	for (;;) {
		if (c->state == CONN_READ) {
			if ((rc = conn_read(c, now)) <= 0)
				return rc;
			if ((rc = conn_process(c, now)) <= 0)
				return rc;
		}
		if ((rc = conn_write(c, now)) <= 0)
			return rc;
		if (!c->keepalive) {
			if (shutdown(c->fd, SHUT_WR) < 0)
				return -1;
			c->state = CONN_LINGER;
			c->deadline = now + STATIC_LINGER_MS;
			return conn_linger(c);
		}
		c->state = CONN_READ;
		c->deadline = now + (c->inlen ? STATIC_HEAD_TIMEOUT_MS :
		    STATIC_IDLE_TIMEOUT_MS);
		if (c->inlen > 0 && (rc = conn_process(c, now)) != 0) {
			if (rc < 0)
				return -1;
			continue;
		}
	}
}
