#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "health.h"
#include "parse.h"

/* ---------------------------------------------------------------- values */

static int
path_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > HEALTH_PATH_MAX || s[0] != '/' ||
	    (len > 1 && s[1] == '/'))
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

static int
content_ok(const char *s, size_t len)
{
	size_t i;

	if (len > HEALTH_CONTENT_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static void
check_defaults(struct health_check *c, int attempts, int timeout_s,
    int wait_s)
{
	memset(c, 0, sizeof(*c));
	c->attempts = attempts;
	c->timeout_s = timeout_s;
	c->wait_s = wait_s;
}

/* ---------------------------------------------------------------- app.json */

struct num_field {
	const char	*name;
	size_t		 off;
	int		 min, max;
};

static const struct num_field num_fields[] = {
	{ "attempts", offsetof(struct health_check, attempts), 1, 100 },
	{ "timeout", offsetof(struct health_check, timeout_s), 1, 600 },
	{ "wait", offsetof(struct health_check, wait_s), 0, 600 },
	{ "initialDelay", offsetof(struct health_check, delay_s), 0, 600 },
};

/* Fields of Dokku's entries that are not path checks: refused, named. */
static const char *const unsupported[] = {
	"command", "uptime", "listening", "port", "onFailure", "warn",
};

static int
entry_parse(json_t *e, size_t idx, struct health_check *c, int *skip,
    struct perr *err)
{
	const char	*key, *s;
	json_t		*v;
	size_t		 i, len;

	*skip = 0;
	check_defaults(c, HEALTH_ATTEMPTS, HEALTH_TIMEOUT_S, HEALTH_WAIT_S);
	if (!json_is_object(e))
		return perr_set(err, -EINVAL, "app.json: healthchecks.web[%zu] "
		    "is not an object", idx);
	json_object_foreach(e, key, v) {
		for (i = 0; i < sizeof(num_fields) / sizeof(num_fields[0]); i++)
			if (strcmp(key, num_fields[i].name) == 0)
				break;
		if (i < sizeof(num_fields) / sizeof(num_fields[0])) {
			if (!json_is_integer(v) ||
			    json_integer_value(v) < num_fields[i].min ||
			    json_integer_value(v) > num_fields[i].max)
				return perr_set(err, -EINVAL, "app.json: "
				    "healthchecks.web[%zu].%s must be an "
				    "integer from %d to %d", idx, key,
				    num_fields[i].min, num_fields[i].max);
			*(int *)(void *)((char *)c + num_fields[i].off) =
			    (int)json_integer_value(v);
			continue;
		}
		for (i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]);
		    i++)
			if (strcmp(key, unsupported[i]) == 0)
				return perr_set(err, -ENOTSUP, "app.json: "
				    "healthchecks.web[%zu].%s is not "
				    "supported (only path checks on $PORT)",
				    idx, key);
		if (strcmp(key, "name") != 0 && strcmp(key, "description") !=
		    0 && strcmp(key, "type") != 0 && strcmp(key, "path") != 0 &&
		    strcmp(key, "content") != 0 && strcmp(key, "scheme") != 0)
			return perr_set(err, -EINVAL, "app.json: "
			    "healthchecks.web[%zu]: unknown field \"%.40s\"",
			    idx, key);
		if (!json_is_string(v))
			return perr_set(err, -EINVAL, "app.json: "
			    "healthchecks.web[%zu].%s must be a string", idx,
			    key);
		s = json_string_value(v);
		len = json_string_length(v);
		if (strcmp(key, "type") == 0) {
			if (strcmp(s, "liveness") == 0)
				*skip = 1;
			else if (strcmp(s, "startup") != 0 &&
			    strcmp(s, "readiness") != 0)
				return perr_set(err, -EINVAL, "app.json: "
				    "healthchecks.web[%zu].type must be "
				    "startup, readiness or liveness", idx);
		} else if (strcmp(key, "scheme") == 0) {
			if (strcmp(s, "http") != 0)
				return perr_set(err, -ENOTSUP, "app.json: "
				    "healthchecks.web[%zu].scheme: only http",
				    idx);
		} else if (strcmp(key, "path") == 0) {
			if (!path_ok(s, len))
				return perr_set(err, -EINVAL, "app.json: "
				    "healthchecks.web[%zu].path must start "
				    "with one / and be at most %d printable "
				    "characters without spaces", idx,
				    HEALTH_PATH_MAX);
			memcpy(c->path, s, len + 1);
		} else if (strcmp(key, "content") == 0) {
			if (!content_ok(s, len))
				return perr_set(err, -EINVAL, "app.json: "
				    "healthchecks.web[%zu].content must be at "
				    "most %d characters, no control characters",
				    idx, HEALTH_CONTENT_MAX);
			memcpy(c->content, s, len + 1);
		}
	}
	if (!*skip && c->path[0] == '\0')
		return perr_set(err, -EINVAL, "app.json: healthchecks.web[%zu] "
		    "has no path", idx);
	return 0;
}

int
health_parse_appjson(const char *text, size_t len, struct health_conf *hc,
    struct perr *err)
{
	json_error_t	 je;
	json_t		*o, *hcs, *web;
	size_t		 i;
	int		 skip, rc = 0;

	memset(hc, 0, sizeof(*hc));
	hc->source = "app.json";
	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL)
		return perr_set(err, -EINVAL, "app.json: line %d: %s", je.line,
		    je.text);
	if (!json_is_object(o)) {
		rc = perr_set(err, -EINVAL, "app.json is not a JSON object");
		goto out;
	}
	hcs = json_object_get(o, "healthchecks");
	if (hcs == NULL)
		goto out;
	if (!json_is_object(hcs)) {
		rc = perr_set(err, -EINVAL, "app.json: healthchecks must be an "
		    "object of process types");
		goto out;
	}
	web = json_object_get(hcs, "web");
	if (web == NULL)
		goto out;
	if (!json_is_array(web)) {
		rc = perr_set(err, -EINVAL, "app.json: healthchecks.web must "
		    "be an array");
		goto out;
	}
	if (json_array_size(web) > HEALTH_CHECKS_MAX) {
		rc = perr_set(err, -E2BIG, "app.json: more than %d web health "
		    "checks", HEALTH_CHECKS_MAX);
		goto out;
	}
	for (i = 0; i < json_array_size(web); i++) {
		if ((rc = entry_parse(json_array_get(web, i), i,
		    &hc->c[hc->n], &skip, err)) != 0) {
			hc->n = 0;
			goto out;
		}
		if (!skip)
			hc->n++;
	}
out:
	json_decref(o);
	return rc;
}

/* ---------------------------------------------------------------- CHECKS */

static const char *
trim(const char *s, const char *end, const char **endp)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\r'))
		end--;
	*endp = end;
	return s;
}

static int
checks_setting(const char *s, size_t len, int lineno, int *attempts,
    int *timeout_s, int *wait_s, struct perr *err)
{
	static const struct {
		const char	*name;
		int		 min, max;
	} keys[] = {
		{ "WAIT", 0, 600 }, { "TIMEOUT", 1, 600 },
		{ "ATTEMPTS", 1, 100 },
	};
	int	*dst[] = { wait_s, timeout_s, attempts };
	char	 num[16];
	size_t	 i, klen;
	int	 v;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		klen = strlen(keys[i].name);
		if (len <= klen || memcmp(s, keys[i].name, klen) != 0 ||
		    s[klen] != '=')
			continue;
		if (len - klen - 1 >= sizeof(num))
			break;
		memcpy(num, s + klen + 1, len - klen - 1);
		num[len - klen - 1] = '\0';
		if (parse_int(num, keys[i].min, keys[i].max, &v) != 0)
			return perr_set(err, -EINVAL, "CHECKS line %d: %s must "
			    "be a number from %d to %d", lineno, keys[i].name,
			    keys[i].min, keys[i].max);
		*dst[i] = v;
		return 0;
	}
	return perr_set(err, -EINVAL, "CHECKS line %d: unknown setting (WAIT=, "
	    "TIMEOUT= or ATTEMPTS=)", lineno);
}

int
health_parse_checks(const char *text, size_t len, struct health_conf *hc,
    struct perr *err)
{
	const char	*p = text, *end = text + len, *nl, *s, *e, *sp;
	int		 lineno = 0, attempts = HEALTH_CHECKS_ATTEMPTS;
	int		 timeout_s = HEALTH_CHECKS_TIMEOUT_S;
	int		 wait_s = HEALTH_CHECKS_WAIT_S, rc;
	size_t		 i;
	struct health_check *c;

	memset(hc, 0, sizeof(*hc));
	hc->source = "CHECKS";
	if (memchr(text, '\0', len) != NULL)
		return perr_set(err, -EINVAL, "CHECKS has a NUL byte");
	for (; p < end; p = nl + 1) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		s = trim(p, nl, &e);
		if (s == e || *s == '#')
			continue;
		if (*s != '/') {
			if (memchr(s, '=', (size_t)(e - s)) == NULL)
				goto badline;
			if ((rc = checks_setting(s, (size_t)(e - s), lineno,
			    &attempts, &timeout_s, &wait_s, err)) != 0)
				goto fail;
			continue;
		}
		if (hc->n == HEALTH_CHECKS_MAX) {
			rc = perr_set(err, -E2BIG, "CHECKS line %d: more than "
			    "%d checks", lineno, HEALTH_CHECKS_MAX);
			goto fail;
		}
		for (sp = s; sp < e && *sp != ' ' && *sp != '\t'; sp++)
			;
		c = &hc->c[hc->n];
		memset(c, 0, sizeof(*c));
		if (!path_ok(s, (size_t)(sp - s)))
			goto badline;
		memcpy(c->path, s, (size_t)(sp - s));
		s = trim(sp, e, &e);
		if (!content_ok(s, (size_t)(e - s))) {
			rc = perr_set(err, -EINVAL, "CHECKS line %d: the "
			    "expected content is over %d characters or has "
			    "control characters", lineno, HEALTH_CONTENT_MAX);
			goto fail;
		}
		memcpy(c->content, s, (size_t)(e - s));
		hc->n++;
	}
	/* the settings apply to every check, wherever they are written */
	for (i = 0; i < hc->n; i++) {
		hc->c[i].attempts = attempts;
		hc->c[i].timeout_s = timeout_s;
		hc->c[i].wait_s = wait_s;
		hc->c[i].delay_s = i == 0 ? wait_s : 0;
	}
	return 0;
badline:
	rc = perr_set(err, -EINVAL, "CHECKS line %d: expected a path like "
	    "/health (optionally followed by the expected content) or "
	    "NAME=VALUE", lineno);
fail:
	hc->n = 0;
	return rc;
}

/* ---------------------------------------------------------------- files */

static int
read_small(int dirfd, const char *name, char **textp, size_t *lenp,
    struct perr *err)
{
	struct stat	 sb;
	char		*text;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd;

	*textp = NULL;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ELOOP)
			return perr_set(err, -ELOOP, "%s is a symlink", name);
		return perr_set(err, -errno, "open %s: %s", name,
		    strerror(errno));
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return perr_set(err, -EINVAL, "%s is not a regular file", name);
	}
	if (sb.st_size > HEALTH_FILE_MAX) {
		close(fd);
		return perr_set(err, -EFBIG, "%s is over %d bytes", name,
		    HEALTH_FILE_MAX);
	}
	text = malloc((size_t)sb.st_size + 1);
	if (text == NULL)
		abort();
	while (got < (size_t)sb.st_size &&
	    (n = read(fd, text + got, (size_t)sb.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	text[got] = '\0';
	*textp = text;
	*lenp = got;
	return 1;
}

int
health_load(int appdirfd, struct health_conf *hc, struct perr *err)
{
	char	*text;
	size_t	 len;
	int	 rc;

	memset(hc, 0, sizeof(*hc));
	if ((rc = read_small(appdirfd, "app.json", &text, &len, err)) < 0)
		return rc;
	if (rc == 1) {
		rc = health_parse_appjson(text, len, hc, err);
		free(text);
		if (rc != 0 || hc->n > 0)
			return rc;
	}
	if ((rc = read_small(appdirfd, "CHECKS", &text, &len, err)) <= 0)
		return rc;
	rc = health_parse_checks(text, len, hc, err);
	free(text);
	return rc;
}

unsigned long long
health_budget_ms(const struct health_conf *hc)
{
	unsigned long long	ms = 0;
	size_t			i;

	for (i = 0; i < hc->n; i++)
		ms += (unsigned long long)hc->c[i].delay_s * 1000 +
		    (unsigned long long)hc->c[i].attempts *
		    (unsigned long long)(hc->c[i].timeout_s +
		    hc->c[i].wait_s) * 1000;
	return ms;
}

/* ---------------------------------------------------------------- HTTP */

int
health_request(const struct health_check *c, const char *host, char *out,
    size_t outlen)
{
	int n;

	n = snprintf(out, outlen, "GET %s HTTP/1.1\r\nHost: %s\r\n"
	    "User-Agent: paas-healthcheck\r\nAccept: */*\r\n"
	    "Connection: close\r\n\r\n", c->path, host);
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : n;
}

static int
on_body(llhttp_t *p, const char *at, size_t len)
{
	struct health_resp *r = p->data;

	if (r->body.len < HEALTH_BODY_MAX)
		buf_add(&r->body, at, len < HEALTH_BODY_MAX - r->body.len ?
		    len : HEALTH_BODY_MAX - r->body.len);
	return 0;
}

static int
on_complete(llhttp_t *p)
{
	struct health_resp *r = p->data;

	r->status = (int)llhttp_get_status_code(p);
	r->done = 1;
	return HPE_PAUSED;
}

void
health_resp_init(struct health_resp *r)
{
	memset(r, 0, sizeof(*r));
	llhttp_settings_init(&r->s);
	r->s.on_body = on_body;
	r->s.on_message_complete = on_complete;
	llhttp_init(&r->p, HTTP_RESPONSE, &r->s);
	r->p.data = r;
	buf_init(&r->body);
}

void
health_resp_release(struct health_resp *r)
{
	buf_release(&r->body);
}

int
health_resp_feed(struct health_resp *r, const char *data, size_t len)
{
	enum llhttp_errno e;

	if (r->done)
		return 1;
	e = len ? llhttp_execute(&r->p, data, len) : llhttp_finish(&r->p);
	if (r->done)
		return 1;
	if (len == 0)
		return -EPIPE;		/* closed before a complete response */
	return e == HPE_OK ? 0 : -EBADMSG;
}

int
health_verdict(const struct health_resp *r, const struct health_check *c,
    char *why, size_t whylen)
{
	size_t clen = strlen(c->content);

	if (!r->done) {
		snprintf(why, whylen, "no complete response");
		return -1;
	}
	if (r->status < 200 || r->status > 299) {
		snprintf(why, whylen, "status %d", r->status);
		return -1;
	}
	if (clen > 0 && (r->body.len < clen ||
	    memmem(r->body.p, r->body.len, c->content, clen) == NULL)) {
		snprintf(why, whylen, "status %d, but the body lacks \"%.60s\"",
		    r->status, c->content);
		return -1;
	}
	snprintf(why, whylen, "status %d", r->status);
	return 0;
}
