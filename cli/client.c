#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "client.h"
#include "cli.h"

struct client {
	struct client_url	 url;
	char			*auth;		/* "Authorization: Bearer ..." */
	CURL			*curl;
};

/* What an HTTP status means to a caller, as a negative errno. */
static const struct {
	long	status;
	int	code;
} client_status_codes[] = {
	{ 400, -EINVAL },
	{ 401, -EACCES },
	{ 403, -EACCES },
	{ 404, -ENOENT },
	{ 405, -EINVAL },
	{ 409, -EEXIST },
	{ 422, -EINVAL },
};

static int
url_set(char *dst, size_t dstlen, const char *src, size_t srclen,
    struct perr *err)
{
	if (srclen == 0 || srclen >= dstlen)
		return perr_set(err, -EINVAL, "invalid API address: %s",
		    srclen == 0 ? "empty" : "too long");
	memcpy(dst, src, srclen);
	dst[srclen] = '\0';
	return 0;
}

static int
url_has_space(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return 1;
	return 0;
}

int
client_url_parse(const char *s, struct client_url *u, struct perr *err)
{
	size_t	 len;
	int	 n;

	memset(u, 0, sizeof(*u));
	if (s == NULL || *s == '\0')
		return perr_set(err, -EINVAL, "invalid API address: empty");
	if (strncmp(s, "unix:", 5) == 0) {
		u->kind = CLIENT_UNIX;
		s += 5;
		if (strncmp(s, "//", 2) == 0)
			s += 2;
		if (url_set(u->sock, sizeof(u->sock), s, strlen(s), err))
			return perr_set(err, -EINVAL, "invalid API address "
			    "'unix:%s': socket path is %s", s, *s ? "too long" :
			    "missing");
		(void)snprintf(u->base, sizeof(u->base), "http://localhost");
		return 0;
	}
	if (url_has_space(s))
		return perr_set(err, -EINVAL, "invalid API address '%s': "
		    "contains spaces or control characters", s);
	u->kind = CLIENT_HTTP;
	if (strncmp(s, "tcp:", 4) == 0) {
		if (s[4] == '\0' || strchr(s + 4, ':') == NULL)
			return perr_set(err, -EINVAL, "invalid API address "
			    "'%s': expected tcp:HOST:PORT", s);
		n = snprintf(u->base, sizeof(u->base), "http://%s", s + 4);
		if (n < 0 || (size_t)n >= sizeof(u->base))
			return perr_set(err, -EINVAL, "invalid API address: "
			    "too long");
		return 0;
	}
	if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0)
		return perr_set(err, -EINVAL, "invalid API address '%s': "
		    "expected unix:PATH, http://HOST:PORT or tcp:HOST:PORT", s);
	len = strlen(s);
	while (len > 0 && s[len - 1] == '/')
		len--;
	if (s[len - 1] == ':' || strchr(s, '?') || strchr(s, '#') ||
	    len <= strlen(strncmp(s, "https", 5) == 0 ? "https://" : "http://"))
		return perr_set(err, -EINVAL, "invalid API address '%s': "
		    "missing host", s);
	return url_set(u->base, sizeof(u->base), s, len, err);
}

int
client_token_path(const struct client_url *u, char *out, size_t outlen)
{
	const char	*slash;
	int		 n;

	if (u->kind != CLIENT_UNIX)
		return -ENOENT;
	slash = strrchr(u->sock, '/');
	if (slash == NULL)
		n = snprintf(out, outlen, "admin-token");
	else if (slash == u->sock)
		n = snprintf(out, outlen, "/admin-token");
	else
		n = snprintf(out, outlen, "%.*s/admin-token",
		    (int)(slash - u->sock), u->sock);
	if (n < 0 || (size_t)n >= outlen)
		return -ENAMETOOLONG;
	return 0;
}

int
client_new(const struct client_url *u, const char *token,
    struct client **cp, struct perr *err)
{
	struct client	*c;
	struct buf	 b = BUF_INIT;

	*cp = NULL;
	if (token != NULL && (url_has_space(token) || *token == '\0' ||
	    strlen(token) > CLIENT_TOKEN_MAX))
		return perr_set(err, -EINVAL, "invalid API token: empty, too "
		    "long or contains spaces");
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return perr_set(err, -ENOMEM, "out of memory");
	c->url = *u;
	if (token != NULL) {
		buf_addf(&b, "Authorization: Bearer %s", token);
		c->auth = buf_detach(&b, NULL);
	}
	c->curl = curl_easy_init();
	if (c->curl == NULL) {
		client_free(c);
		return perr_set(err, -ENOMEM, "cannot start the HTTP client");
	}
	*cp = c;
	return 0;
}

void
client_free(struct client *c)
{
	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	if (c->auth != NULL) {
		explicit_bzero(c->auth, strlen(c->auth));
		free(c->auth);
	}
	free(c);
}

int
client_error_map(long status, const char *body, size_t bodylen,
    struct perr *err)
{
	json_t		*j;
	json_t		*m;
	json_error_t	 je;
	size_t		 i;
	int		 code = -EIO;

	for (i = 0; i < sizeof(client_status_codes) /
	    sizeof(client_status_codes[0]); i++)
		if (client_status_codes[i].status == status)
			code = client_status_codes[i].code;
	j = json_loadb(body, bodylen, 0, &je);
	m = json_is_object(j) ? json_object_get(j, "message") : NULL;
	if (json_is_string(m) && json_string_length(m) > 0)
		perr_set(err, code, "%s", json_string_value(m));
	else if (status == 401)
		perr_set(err, code, "unauthorized: missing or wrong API token "
		    "(set PAAS_TOKEN)");
	else
		perr_set(err, code, "API answered HTTP %ld", status);
	json_decref(j);
	return code;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct buf	*b = arg;
	size_t		 total = size * n;

	if (b->len + total > CLIENT_BODY_MAX_BYTES)
		return 0;
	buf_add(b, p, total);
	return total;
}

static int
transport_error(struct client *c, CURLcode cc, const char *errbuf,
    struct perr *err)
{
	const char	*why = errbuf[0] ? errbuf : curl_easy_strerror(cc);
	const char	*where = c->url.kind == CLIENT_UNIX ? c->url.sock :
			    c->url.base;

	if (cc == CURLE_WRITE_ERROR)
		return perr_set(err, -EFBIG, "API answer larger than %d bytes",
		    CLIENT_BODY_MAX_BYTES);
	if (c->url.kind == CLIENT_UNIX && cc == CURLE_COULDNT_CONNECT)
		why = access(c->url.sock, F_OK) != 0 ? strerror(errno) :
		    "connection refused (is paasd running?)";
	if (cc == CURLE_OPERATION_TIMEDOUT)
		return perr_set(err, -ETIMEDOUT, "API at %s%s: %s",
		    c->url.kind == CLIENT_UNIX ? "unix:" : "", where, why);
	return perr_set(err, -ECONNREFUSED, "cannot reach paasd at %s%s: %s",
	    c->url.kind == CLIENT_UNIX ? "unix:" : "", where, why);
}

static struct curl_slist *
request_headers(struct client *c, int hasbody)
{
	struct curl_slist *h = NULL;

	h = curl_slist_append(h, "Accept: application/json");
	if (hasbody)
		h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	if (c->auth != NULL)
		h = curl_slist_append(h, c->auth);
	return h;
}

static void
request_setup(struct client *c, const char *method, const char *url,
    struct curl_slist *hdrs, const char *payload, char *errbuf,
    struct buf *ans)
{
	CURL *h = c->curl;

	curl_easy_reset(h);
	if (c->url.kind == CLIENT_UNIX)
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->url.sock);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "paas-cli/" CLI_VERSION);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	/* The token must go to paasd only, never to an http_proxy. */
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
	    (long)CLIENT_CONNECT_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)CLIENT_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, ans);
	if (payload != NULL) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE,
		    (long)strlen(payload));
	}
}

int
client_request(struct client *c, const char *method, const char *path,
    json_t *body, long *status, json_t **out, struct perr *err)
{
	struct curl_slist	*hdrs = NULL;
	struct buf		 url = BUF_INIT, ans = BUF_INIT;
	char			*payload = NULL, errbuf[CURL_ERROR_SIZE];
	json_error_t		 je;
	CURLcode		 cc;
	int			 rc = -EIO;

	*status = 0;
	*out = NULL;
	errbuf[0] = '\0';
	buf_addf(&url, "%s%s", c->url.base, path);
	if (body != NULL) {
		payload = json_dumps(body, JSON_COMPACT);
		if (payload == NULL) {
			rc = perr_set(err, -ENOMEM, "cannot encode request");
			goto out;
		}
	}
	hdrs = request_headers(c, body != NULL);
	request_setup(c, method, url.p, hdrs, payload, errbuf, &ans);
	cc = curl_easy_perform(c->curl);
	if (cc != CURLE_OK) {
		rc = transport_error(c, cc, errbuf, err);
		goto out;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
	if (*status < 200 || *status > 299) {
		rc = client_error_map(*status, ans.p, ans.len, err);
		goto out;
	}
	rc = 0;
	if (ans.len == 0)
		goto out;
	*out = json_loadb(ans.p, ans.len, JSON_DECODE_ANY, &je);
	if (*out == NULL)
		rc = perr_set(err, -EPROTO, "API answered invalid JSON: %s",
		    je.text);
out:
	curl_slist_free_all(hdrs);
	free(payload);
	buf_release(&url);
	buf_release(&ans);
	return rc;
}

struct stream_ctx {
	struct client	*c;
	client_chunk_cb	*cb;
	void		*arg;
	struct buf	 errbody;	/* the body of a non-2xx answer */
};

static size_t
on_stream(char *p, size_t size, size_t n, void *arg)
{
	struct stream_ctx	*s = arg;
	size_t			 total = size * n;
	long			 status = 0;

	curl_easy_getinfo(s->c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status <= 299)
		return s->cb(s->arg, p, total) == 0 ? total : 0;
	if (s->errbody.len + total > 65536)
		return 0;
	buf_add(&s->errbody, p, total);
	return total;
}

int
client_stream(struct client *c, const char *method, const char *path,
    const char *body, size_t bodylen, client_chunk_cb *cb, void *arg,
    struct perr *err)
{
	struct curl_slist	*hdrs = NULL;
	struct stream_ctx	 s;
	struct buf		 url = BUF_INIT, unused = BUF_INIT;
	char			 errbuf[CURL_ERROR_SIZE];
	long			 status = 0;
	CURLcode		 cc;
	int			 rc = 0;

	errbuf[0] = '\0';
	s.c = c;
	s.cb = cb;
	s.arg = arg;
	buf_init(&s.errbody);
	buf_addf(&url, "%s%s", c->url.base, path);
	hdrs = request_headers(c, 0);
	if (body != NULL)
		hdrs = curl_slist_append(hdrs,
		    "Content-Type: application/octet-stream");
	request_setup(c, method, url.p, hdrs, NULL, errbuf, &unused);
	if (body != NULL) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)bodylen);
	}
	/* a tail runs until the user stops it */
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 0L);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_stream);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &s);
	cc = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 0 && (status < 200 || status > 299))
		rc = client_error_map(status, s.errbody.p, s.errbody.len, err);
	else if (cc != CURLE_OK && cc != CURLE_WRITE_ERROR)
		rc = transport_error(c, cc, errbuf, err);
	curl_slist_free_all(hdrs);
	buf_release(&url);
	buf_release(&unused);
	buf_release(&s.errbody);
	return rc;
}

struct duplex_ctx {
	struct stream_ctx		 s;
	const struct client_duplex	*dx;
	int				 paused;	/* pull had nothing */
};

static size_t
on_pull(char *p, size_t size, size_t n, void *arg)
{
	struct duplex_ctx	*d = arg;
	long			 got = d->dx->pull(d->dx->arg, p, size * n);

	if (got < 0)
		return 0;		/* the end of the body */
	if (got == 0) {
		d->paused = 1;
		return CURL_READFUNC_PAUSE;
	}
	return (size_t)got;
}

/* one turn: wait for the transfer or an fd, wake, resume the body */
static int
duplex_wait(CURLM *m, CURL *h, struct duplex_ctx *d)
{
	struct curl_waitfd	 w[CLIENT_DUPLEX_FDS_MAX];
	size_t			 i, n = d->dx->nfds;

	for (i = 0; i < n; i++) {
		w[i].fd = d->dx->fds[i];
		w[i].events = CURL_WAIT_POLLIN;
		w[i].revents = 0;
	}
	if (curl_multi_poll(m, w, (unsigned)n, 1000, NULL) != CURLM_OK)
		return -1;
	for (i = 0; i < n; i++)
		if (w[i].fd >= 0 && w[i].revents)
			d->dx->wake(d->dx->arg, i);
	if (d->paused) {
		d->paused = 0;
		curl_easy_pause(h, CURLPAUSE_CONT);
	}
	return 0;
}

static CURLcode
duplex_run(CURL *h, struct duplex_ctx *d)
{
	CURLM		*m = curl_multi_init();
	CURLMsg		*msg;
	CURLcode	 cc = CURLE_OUT_OF_MEMORY;
	int		 running = 1, left;

	if (m == NULL || curl_multi_add_handle(m, h) != CURLM_OK)
		goto out;
	while (running) {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		if (running && duplex_wait(m, h, d) < 0)
			break;
	}
	cc = CURLE_RECV_ERROR;
	while ((msg = curl_multi_info_read(m, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE)
			cc = msg->data.result;
	curl_multi_remove_handle(m, h);
out:
	if (m != NULL)
		curl_multi_cleanup(m);
	return cc;
}

int
client_duplex(struct client *c, const char *method, const char *path,
    const struct client_duplex *dx, struct perr *err)
{
	struct curl_slist	*hdrs = NULL;
	struct duplex_ctx	 d;
	struct buf		 url = BUF_INIT, unused = BUF_INIT;
	char			 errbuf[CURL_ERROR_SIZE];
	long			 status = 0;
	CURLcode		 cc;
	int			 rc = 0;

	if (dx->nfds > CLIENT_DUPLEX_FDS_MAX)
		return perr_set(err, -EINVAL, "too many fds");
	errbuf[0] = '\0';
	memset(&d, 0, sizeof(d));
	d.s.c = c;
	d.s.cb = dx->on_chunk;
	d.s.arg = dx->arg;
	d.dx = dx;
	buf_init(&d.s.errbody);
	buf_addf(&url, "%s%s", c->url.base, path);
	hdrs = request_headers(c, 0);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/octet-stream");
	hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
	request_setup(c, method, url.p, hdrs, NULL, errbuf, &unused);
	curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c->curl, CURLOPT_READFUNCTION, on_pull);
	curl_easy_setopt(c->curl, CURLOPT_READDATA, &d);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 0L);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_stream);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &d.s);
	cc = duplex_run(c->curl, &d);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 0 && (status < 200 || status > 299))
		rc = client_error_map(status, d.s.errbody.p, d.s.errbody.len,
		    err);
	else if (cc != CURLE_OK && cc != CURLE_WRITE_ERROR)
		rc = transport_error(c, cc, errbuf, err);
	curl_slist_free_all(hdrs);
	buf_release(&url);
	buf_release(&unused);
	buf_release(&d.s.errbody);
	return rc;
}
