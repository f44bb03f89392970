#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "parse.h"
#include "valid.h"

json_t *
model_app_json(const struct app *a, const struct model_urls *u)
{
	char	web[512], git[512], port[16] = "";
	json_t	*o;

	if (u->http_port != 80)
		snprintf(port, sizeof(port), ":%d", u->http_port);
	snprintf(web, sizeof(web), "http://%s.%s%s/", a->name, u->domain, port);
	snprintf(git, sizeof(git), "%s/%s.git", u->git_base, a->name);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}",
	    "id", a->id, "name", a->name, "created_at", a->created_at,
	    "updated_at", a->updated_at, "web_url", web,
	    "maintenance", a->maintenance);
	json_object_set_new(o, "git_url", u->git_base[0] ? json_string(git) :
	    json_null());
	json_object_set_new(o, "release_version", a->release_version > 0 ?
	    json_integer(a->release_version) : json_null());
	json_object_set_new(o, "boot_timeout", json_integer(a->boot_timeout_s));
	json_object_set_new(o, "grace", json_integer(a->grace_s));
	json_object_set_new(o, "deploy_branch", json_string(a->deploy_branch));
	return o;
}

static json_t *
str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *
model_release_json(const struct release *r, int with_config)
{
	json_t *o;

	o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:b, s:O}",
	    "id", r->id, "version", (json_int_t)r->version,
	    "description", r->description, "status", r->status,
	    "created_at", r->created_at, "current", r->current,
	    "process_types", r->process_types);
	json_object_set_new(o, "image", str_or_null(r->image));
	json_object_set_new(o, "commit", str_or_null(r->commit));
	if (with_config)
		json_object_set(o, "config_vars", r->config);
	return o;
}

json_t *
model_formation_json(const struct formation *f, const struct release *cur)
{
	json_t *cmd = NULL;

	if (cur && cur->process_types)
		cmd = json_object_get(cur->process_types, f->type);
	return json_pack("{s:s, s:i, s:s, s:O, s:s}", "type", f->type,
	    "quantity", f->quantity, "size", f->size,
	    "command", cmd ? cmd : json_null(), "updated_at", f->updated_at);
}

json_t *
model_domain_json(const struct domain *d)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "id", d->id,
	    "hostname", d->hostname, "kind", d->kind,
	    "created_at", d->created_at);
}

json_t *
model_error_json(const char *id, const char *message)
{
	return json_pack("{s:s, s:s}", "id", id, "message", message);
}

/*
 * load_object() parses body as a JSON object. jansson's JSON_STRICT in
 * json_unpack_ex() then rejects unknown keys for us.
 */
static int
load_object(const char *body, size_t len, json_t **out, struct perr *err)
{
	json_error_t	 je;
	json_t		*o;

	if (len == 0)
		return perr_set(err, -EBADMSG, "request body is empty; a JSON "
		    "object is needed");
	o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL)
		return perr_set(err, -EBADMSG, "invalid JSON at line %d column "
		    "%d: %s", je.line, je.column, je.text);
	if (!json_is_object(o)) {
		json_decref(o);
		return perr_set(err, -EBADMSG, "request body must be a JSON "
		    "object");
	}
	*out = o;
	return 0;
}

static int
unpack_fail(json_error_t *je, struct perr *err)
{
	return perr_set(err, -EBADMSG, "invalid request: %s", je->text);
}

int
model_parse_app_create(const char *body, size_t len, char *name,
    size_t namelen, struct perr *err)
{
	json_error_t	 je;
	json_t		*o;
	const char	*s;
	size_t		 slen;
	int		 rc;

	if ((rc = load_object(body, len, &o, err)) != 0)
		return rc;
	if (json_unpack_ex(o, &je, JSON_STRICT, "{s:s%}", "name", &s,
	    &slen) != 0)
		rc = unpack_fail(&je, err);
	else if ((rc = valid_app_name(s, slen, err)) == 0)
		snprintf(name, namelen, "%s", s);
	json_decref(o);
	return rc;
}

int
model_parse_empty_object(const char *body, size_t len, struct perr *err)
{
	json_t	*o;
	int	 rc;

	if ((rc = load_object(body, len, &o, err)) != 0)
		return rc;
	if (json_object_size(o) != 0)
		rc = perr_set(err, -EBADMSG, "unexpected field \"%.40s\": "
		    "this request takes no parameters",
		    json_object_iter_key(json_object_iter(o)));
	json_decref(o);
	return rc;
}

int
model_parse_app_patch(const char *body, size_t len, struct model_app_patch *p,
    struct perr *err)
{
	json_error_t	 je;
	json_t		*o, *m = NULL, *b = NULL, *g = NULL, *br = NULL;
	int		 rc;

	p->maintenance = -1;
	p->boot_s = -1;
	p->grace_s = -1;
	p->deploy_branch[0] = '\0';
	if ((rc = load_object(body, len, &o, err)) != 0)
		return rc;
	if (json_unpack_ex(o, &je, JSON_STRICT, "{s?o, s?o, s?o, s?o}",
	    "maintenance", &m, "boot_timeout", &b, "grace", &g,
	    "deploy_branch", &br) != 0)
		rc = unpack_fail(&je, err);
	else if (m == NULL && b == NULL && g == NULL && br == NULL)
		rc = perr_set(err, -EBADMSG, "nothing to change: give "
		    "maintenance, boot_timeout, grace or deploy_branch");
	else if (br && !json_is_string(br))
		rc = perr_set(err, -EBADMSG, "deploy_branch is a string");
	else if (br && valid_branch(json_string_value(br),
	    json_string_length(br), err) != 0)
		rc = -EINVAL;
	else if ((m && !json_is_boolean(m)) || (b && !json_is_integer(b)) ||
	    (g && !json_is_integer(g)))
		rc = perr_set(err, -EBADMSG, "maintenance is a boolean, "
		    "boot_timeout and grace are integers (seconds)");
	else if (b && (json_integer_value(b) < 1 ||
	    json_integer_value(b) > 3600))
		rc = perr_set(err, -EINVAL, "boot_timeout must be 1 to 3600 "
		    "seconds");
	else if (g && (json_integer_value(g) < 0 ||
	    json_integer_value(g) > 3600))
		rc = perr_set(err, -EINVAL, "grace must be 0 to 3600 seconds");
	if (rc == 0) {
		if (m)
			p->maintenance = json_is_true(m);
		if (b)
			p->boot_s = (int)json_integer_value(b);
		if (g)
			p->grace_s = (int)json_integer_value(g);
		if (br)
			snprintf(p->deploy_branch, sizeof(p->deploy_branch),
			    "%s", json_string_value(br));
	}
	json_decref(o);
	return rc;
}

int
model_parse_config_patch(const char *body, size_t len, json_t **patch,
    struct perr *err)
{
	const char	*k;
	json_t		*o, *v;
	int		 rc;

	if ((rc = load_object(body, len, &o, err)) != 0)
		return rc;
	json_object_foreach(o, k, v) {
		if (!json_is_string(v) && !json_is_null(v)) {
			rc = perr_set(err, -EBADMSG, "config var '%.64s' must be "
			    "a string or null", k);
			break;
		}
		if ((rc = valid_config_key(k, strlen(k), err)) != 0)
			break;
		if (json_is_string(v) && (rc = valid_config_value(
		    json_string_value(v), json_string_length(v), err)) != 0)
			break;
	}
	if (rc) {
		json_decref(o);
		return rc;
	}
	*patch = o;
	return 0;
}

static int
formation_fill(json_t *o, const char *type, struct formation_update *u,
    struct perr *err)
{
	json_error_t	 je;
	json_t		*q = NULL;
	const char	*size = NULL, *t = NULL;
	int		 rc;

	memset(u, 0, sizeof(*u));
	u->quantity = -1;
	if (type) {
		if (json_unpack_ex(o, &je, JSON_STRICT, "{s?o, s?s}",
		    "quantity", &q, "size", &size) != 0)
			return unpack_fail(&je, err);
		t = type;
	} else if (json_unpack_ex(o, &je, JSON_STRICT, "{s:s, s?o, s?s}",
	    "type", &t, "quantity", &q, "size", &size) != 0)
		return unpack_fail(&je, err);
	if ((rc = valid_process_type(t, strlen(t), err)) != 0)
		return rc;
	snprintf(u->type, sizeof(u->type), "%s", t);
	if (q == NULL && size == NULL)
		return perr_set(err, -EBADMSG, "formation update for '%s' needs "
		    "a quantity or a size", t);
	if (q) {
		if (!json_is_integer(q))
			return perr_set(err, -EBADMSG, "quantity must be an "
			    "integer");
		if (json_integer_value(q) < 0 ||
		    json_integer_value(q) > VALID_QUANTITY_MAX)
			return perr_set(err, -EINVAL, "invalid quantity %lld: "
			    "must be 0 to %d", (long long)json_integer_value(q),
			    VALID_QUANTITY_MAX);
		u->quantity = (int)json_integer_value(q);
	}
	if (size) {
		if ((rc = valid_size(size, strlen(size), err)) != 0)
			return rc;
		snprintf(u->size, sizeof(u->size), "%s", size);
	}
	return 0;
}

int
model_parse_formation_updates(const char *body, size_t len,
    struct formation_update **out, size_t *n, struct perr *err)
{
	struct formation_update	*u = NULL;
	json_error_t		 je;
	json_t			*o, *arr;
	size_t			 i, j, cnt;
	int			 rc;

	if ((rc = load_object(body, len, &o, err)) != 0)
		return rc;
	if (json_unpack_ex(o, &je, JSON_STRICT, "{s:o}", "updates",
	    &arr) != 0) {
		rc = unpack_fail(&je, err);
		goto out;
	}
	if (!json_is_array(arr) || json_array_size(arr) == 0 ||
	    json_array_size(arr) > 64) {
		rc = perr_set(err, -EBADMSG, "updates must be an array of 1 to "
		    "64 objects");
		goto out;
	}
	cnt = json_array_size(arr);
	u = calloc(cnt, sizeof(*u));
	if (u == NULL)
		abort();
	for (i = 0; i < cnt && rc == 0; i++) {
		json_t *e = json_array_get(arr, i);

		if (!json_is_object(e))
			rc = perr_set(err, -EBADMSG, "updates[%zu] must be an "
			    "object", i);
		else
			rc = formation_fill(e, NULL, &u[i], err);
		for (j = 0; rc == 0 && j < i; j++)
			if (strcmp(u[j].type, u[i].type) == 0)
				rc = perr_set(err, -EINVAL, "process type '%s' "
				    "appears twice", u[i].type);
	}
	if (rc == 0) {
		*out = u;
		*n = cnt;
		u = NULL;
	}
out:
	free(u);
	json_decref(o);
	return rc;
}

int
model_parse_formation_one(const char *body, size_t len, const char *type,
    struct formation_update *u, struct perr *err)
{
	json_t	*o;
	int	 rc;

	if ((rc = valid_process_type(type, strlen(type), err)) != 0)
		return rc;
	if ((rc = load_object(body, len, &o, err)) != 0)
		return rc;
	rc = formation_fill(o, type, u, err);
	json_decref(o);
	return rc;
}

int
model_parse_domain(const char *body, size_t len, char *host,
    size_t hostlen, struct perr *err)
{
	json_error_t	 je;
	json_t		*o;
	const char	*s;
	size_t		 slen, i;
	int		 rc;

	if ((rc = load_object(body, len, &o, err)) != 0)
		return rc;
	if (json_unpack_ex(o, &je, JSON_STRICT, "{s:s%}", "hostname", &s,
	    &slen) != 0)
		rc = unpack_fail(&je, err);
	else if ((rc = valid_hostname(s, slen, 1, err)) == 0) {
		if (slen >= hostlen)
			rc = perr_set(err, -EINVAL, "hostname too long");
		for (i = 0; rc == 0 && i <= slen; i++)
			host[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ?
			    s[i] + ('a' - 'A') : s[i]);
	}
	json_decref(o);
	return rc;
}

int
model_parse_version(const char *s, long long *version, struct perr *err)
{
	uint64_t v;

	if (s[0] == 'v')
		s++;
	if (parse_u64(s, strlen(s), 1, INT32_MAX, &v) != 0)
		return perr_set(err, -EINVAL, "invalid release version: use "
		    "vN or N");
	*version = (long long)v;
	return 0;
}

int
model_parse_rollback(const char *body, size_t len, long long *version,
    struct perr *err)
{
	json_error_t	 je;
	json_t		*o, *v;
	int		 rc;

	if ((rc = load_object(body, len, &o, err)) != 0)
		return rc;
	if (json_unpack_ex(o, &je, JSON_STRICT, "{s:o}", "rollback", &v) != 0)
		rc = unpack_fail(&je, err);
	else if (json_is_integer(v) && json_integer_value(v) > 0 &&
	    json_integer_value(v) <= INT32_MAX)
		*version = (long long)json_integer_value(v);
	else if (json_is_string(v))
		rc = model_parse_version(json_string_value(v), version, err);
	else
		rc = perr_set(err, -EBADMSG, "rollback must be a release "
		    "version");
	json_decref(o);
	return rc;
}

int
model_buildpack_valid(const char *spec, struct perr *err)
{
	static const char *const schemes[] = { "https://", "http://",
	    "git://", "ssh://", "file://" };
	size_t	len = strlen(spec), i;

	if (len == 0 || len > 512)
		goto bad;
	for (i = 0; i < len; i++)
		if ((unsigned char)spec[i] <= ' ' || spec[i] == 0x7f ||
		    spec[i] == '\'' || spec[i] == '"' || spec[i] == '\\')
			goto bad;
	if (spec[0] == '/') {
		if (strstr(spec, "/../") || strcmp(spec + len - 3, "/..") == 0)
			goto bad;
		return 0;
	}
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strncmp(spec, schemes[i], strlen(schemes[i])) == 0 &&
		    len > strlen(schemes[i]))
			return 0;
	if (strspn(spec, "abcdefghijklmnopqrstuvwxyz0123456789-_/") == len &&
	    spec[0] != '/')
		return 0;
bad:
	return perr_set(err, -EINVAL, "invalid buildpack '%.80s': use a "
	    "built-in name (nodejs, heroku/python, ...), an absolute path or "
	    "a git URL (https://..., optionally #ref)", spec);
}

int
model_parse_buildpacks(const char *body, size_t len, json_t **out,
    struct perr *err)
{
	json_error_t	 je;
	json_t		*o, *arr, *v;
	size_t		 i;
	int		 rc;

	if ((rc = load_object(body, len, &o, err)) != 0)
		return rc;
	if (json_unpack_ex(o, &je, JSON_STRICT, "{s:o}", "buildpacks",
	    &arr) != 0) {
		rc = unpack_fail(&je, err);
		goto out;
	}
	if (!json_is_array(arr) || json_array_size(arr) > MODEL_BUILDPACKS_MAX) {
		rc = perr_set(err, -EBADMSG, "buildpacks must be an array of at "
		    "most %d strings", MODEL_BUILDPACKS_MAX);
		goto out;
	}
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v)) {
			rc = perr_set(err, -EBADMSG, "buildpacks[%zu] must be a "
			    "string", i);
			goto out;
		}
		if ((rc = model_buildpack_valid(json_string_value(v), err)) != 0)
			goto out;
	}
	*out = json_incref(arr);
out:
	json_decref(o);
	return rc;
}
