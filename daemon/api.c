#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "api.h"
#include "applog.h"
#include "atomic.h"
#include "build.h"
#include "dyno.h"
#include "gitsrv.h"
#include "log.h"
#include "model.h"
#include "parse.h"
#include "routes.h"
#include "sshkeys.h"
#include "store.h"
#include "valid.h"

#define API_PARAMS_MAX	3

struct api_call {
	struct paasd		*pd;
	const struct http_req	*req;
	struct http_resp	*resp;
	const char		*params[API_PARAMS_MAX];
};

typedef void api_fn(struct api_call *);

struct api_route {
	const char	*method;
	const char	*pattern;	/* "{}" captures one segment */
	api_fn		*fn;
};

/* ---------------------------------------------------------------- answers */

static void
reply_json(struct api_call *c, int status, json_t *o)
{
	char *s;

	c->resp->status = status;
	s = json_dumps(o, JSON_COMPACT);
	if (s) {
		buf_adds(&c->resp->body, s);
		buf_addch(&c->resp->body, '\n');
		free(s);
	}
	json_decref(o);
}

static void
reply_error(struct api_call *c, int status, const char *id, const char *msg)
{
	reply_json(c, status, model_error_json(id, msg));
}

/* reply_perr() maps a negative errno to the API's status and id. */
static void
reply_perr(struct api_call *c, const struct perr *err)
{
	static const struct {
		int		 code;
		int		 status;
		const char	*id;
	} map[] = {
		{ -EBADMSG, 400, "bad_request" },
		{ -ENOENT, 404, "not_found" },
		{ -EEXIST, 409, "conflict" },
		{ -EINVAL, 422, "invalid_params" },
		{ -E2BIG, 422, "invalid_params" },
		{ -EPERM, 422, "invalid_params" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].code == err->code) {
			reply_error(c, map[i].status, map[i].id, err->msg);
			return;
		}
	log_warnx("api %s %s: %s", c->req->method, c->req->path, err->msg);
	reply_error(c, 500, "internal_error", err->msg);
}

/*
 * The router's table follows every change of apps, domains and
 * maintenance: the supervisor rewrites it (it knows the ready
 * instances). A failure to write it is logged; the router keeps its
 * last table, and the next change writes a whole new one.
 */
static void
routes_update(struct paasd *pd)
{
	(void)pd;
	dyno_poke();
}

static int
app_param(struct api_call *c, struct perr *err)
{
	const char *name = c->params[0];

	if (valid_app_name(name, strlen(name), NULL) != 0)
		return perr_set(err, -ENOENT, "app '%.64s' not found", name);
	return 0;
}

static void
urls_of(struct paasd *pd, struct model_urls *u)
{
	u->domain = pd->domain;
	u->http_port = pd->http_port;
	u->git_base = pd->git_base;
}

/* ---------------------------------------------------------------- files */

static void
path_of(struct paasd *pd, char *out, size_t outlen, const char *dir,
    const char *name, const char *suffix)
{
	snprintf(out, outlen, "%s/%s/%s%s", pd->data_dir, dir, name, suffix);
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 ? 0 : -1;
}

/* FTW_PHYS: never follow a symlink out of the tree being removed. */
static void
rm_tree(const char *path)
{
	if (access(path, F_OK) == 0 &&
	    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0)
		log_warn("remove %s", path);
}

static int
repo_init(const char *path, struct perr *err)
{
	git_repository_init_options	 o;
	git_repository			*repo = NULL;
	int				 rc;

	git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	o.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH |
	    GIT_REPOSITORY_INIT_NO_REINIT;
	o.initial_head = "main";
	o.mode = GIT_REPOSITORY_INIT_SHARED_UMASK;
	rc = git_repository_init_ext(&repo, path, &o);
	git_repository_free(repo);
	if (rc != 0) {
		const git_error *e = git_error_last();

		return perr_set(err, -EIO, "create git repository: %s",
		    e ? e->message : "unknown error");
	}
	return 0;
}

/* ---------------------------------------------------------------- apps */

static void
apps_list(struct api_call *c)
{
	struct perr		 err = PERR_INIT;
	struct model_urls	 u;
	struct app		*apps = NULL;
	size_t			 n = 0, i;
	json_t			*arr;

	if (store_app_list(c->pd->store, &apps, &n, &err) != 0) {
		reply_perr(c, &err);
		return;
	}
	urls_of(c->pd, &u);
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, model_app_json(&apps[i], &u));
	free(apps);
	reply_json(c, 200, arr);
}

static void
apps_create(struct api_call *c)
{
	struct perr		err = PERR_INIT;
	struct model_urls	u;
	struct app		a;
	char			name[64], host[512], tmp[1200], repo[1200];
	char			id[STORE_ID_LEN + 1];

	if (model_parse_app_create(c->req->body, c->req->bodylen, name,
	    sizeof(name), &err) != 0)
		goto fail;
	snprintf(host, sizeof(host), "%s.%s", name, c->pd->domain);
	/* Make the repository aside, commit, then move it into place. */
	store_uuid(id);
	path_of(c->pd, tmp, sizeof(tmp), "repos", ".new-", id);
	path_of(c->pd, repo, sizeof(repo), "repos", name, ".git");
	if (repo_init(tmp, &err) != 0)
		goto fail;
	if (store_app_create(c->pd->store, name, host, &a, &err) != 0) {
		rm_tree(tmp);
		goto fail;
	}
	rm_tree(repo);	/* a leftover of a crash between commit and rename */
	if (rename(tmp, repo) != 0) {
		perr_set(&err, -EIO, "move git repository into place: %s",
		    strerror(errno));
		rm_tree(tmp);
		(void)store_app_delete(c->pd->store, name, NULL);
		goto fail;
	}
	if (applog_app_init(c->pd->applog, a.name) != 0)
		log_warn("app=%s make log dir", a.name);
	applog_event(c->pd->applog, a.name, "api", "Release v1 created "
	    "(Initial release)");
	log_info("app=%s created uid=%d", a.name, a.uid);
	routes_update(c->pd);
	urls_of(c->pd, &u);
	reply_json(c, 201, model_app_json(&a, &u));
	return;
fail:
	reply_perr(c, &err);
}

static void
apps_info(struct api_call *c)
{
	struct perr		err = PERR_INIT;
	struct model_urls	u;
	struct app		a;

	if (app_param(c, &err) != 0 ||
	    store_app_get(c->pd->store, c->params[0], &a, &err) != 0) {
		reply_perr(c, &err);
		return;
	}
	urls_of(c->pd, &u);
	reply_json(c, 200, model_app_json(&a, &u));
}

static void
apps_patch(struct api_call *c)
{
	struct perr		err = PERR_INIT;
	struct model_app_patch	p;
	int			on, boot, grace;

	if (app_param(c, &err) != 0 ||
	    model_parse_app_patch(c->req->body, c->req->bodylen, &p,
	    &err) != 0) {
		reply_perr(c, &err);
		return;
	}
	on = p.maintenance;
	boot = p.boot_s;
	grace = p.grace_s;
	/* one transaction per setting: each is whole on its own */
	if (((boot >= 0 || grace >= 0) && store_app_set_timeouts(c->pd->store,
	    c->params[0], boot, grace, &err) != 0) ||
	    (p.deploy_branch[0] && store_app_set_branch(c->pd->store,
	    c->params[0], p.deploy_branch, &err) != 0) ||
	    (on >= 0 && store_app_set_maintenance(c->pd->store, c->params[0],
	    on, &err) != 0)) {
		reply_perr(c, &err);
		return;
	}
	if (p.deploy_branch[0]) {
		if (gitsrv_set_head(c->pd->data_dir, c->params[0],
		    p.deploy_branch) != 0)
			log_warnx("app=%s: cannot point HEAD at %s",
			    c->params[0], p.deploy_branch);
		applog_event(c->pd->applog, c->params[0], "api", "Settings "
		    "changed: deploy_branch=%s", p.deploy_branch);
	}
	if (on >= 0) {
		log_info("app=%s maintenance=%s", c->params[0],
		    on ? "on" : "off");
		applog_event(c->pd->applog, c->params[0], "api",
		    "Maintenance mode %s", on ? "enabled" : "disabled");
		routes_update(c->pd);
	}
	if (boot >= 0 || grace >= 0)
		applog_event(c->pd->applog, c->params[0], "api", "Settings "
		    "changed: boot_timeout=%d grace=%d", boot, grace);
	apps_info(c);
}

static void
apps_destroy(struct api_call *c)
{
	struct perr		err = PERR_INIT;
	struct model_urls	u;
	struct app		a;
	char			path[1200];

	if (app_param(c, &err) != 0 ||
	    store_app_get(c->pd->store, c->params[0], &a, &err) != 0 ||
	    store_app_delete(c->pd->store, c->params[0], &err) != 0) {
		reply_perr(c, &err);
		return;
	}
	path_of(c->pd, path, sizeof(path), "repos", a.name, ".git");
	rm_tree(path);
	applog_app_remove(c->pd->applog, a.name);
	path_of(c->pd, path, sizeof(path), "cache", a.name, "");
	rm_tree(path);
	log_info("app=%s destroyed", a.name);
	routes_update(c->pd);
	urls_of(c->pd, &u);
	reply_json(c, 200, model_app_json(&a, &u));
}

/* ---------------------------------------------------------------- config */

static void
config_get(struct api_call *c)
{
	struct perr	 err = PERR_INIT;
	json_t		*config;

	if (app_param(c, &err) != 0 ||
	    store_config_get(c->pd->store, c->params[0], &config, &err) != 0) {
		reply_perr(c, &err);
		return;
	}
	reply_json(c, 200, config);
}

static void
config_patch(struct api_call *c)
{
	struct perr	 err = PERR_INIT;
	struct release	 rel;
	json_t		*patch = NULL;

	memset(&rel, 0, sizeof(rel));
	if (app_param(c, &err) != 0 ||
	    model_parse_config_patch(c->req->body, c->req->bodylen, &patch,
	    &err) != 0 ||
	    store_config_patch(c->pd->store, c->params[0], patch,
	    VALID_CONFIG_MAX, &rel, &err) != 0) {
		json_decref(patch);
		reply_perr(c, &err);
		return;
	}
	json_decref(patch);
	if (rel.version > 0) {
		log_info("app=%s release=v%lld desc=\"%s\"", c->params[0],
		    rel.version, rel.description);
		applog_event(c->pd->applog, c->params[0], "api", "%s",
		    rel.description);
		applog_event(c->pd->applog, c->params[0], "api", "Release "
		    "v%lld created", rel.version);
	}
	release_release(&rel);
	dyno_poke();
	config_get(c);
}

/* ---------------------------------------------------------------- releases */

static void
releases_list(struct api_call *c)
{
	struct perr	 err = PERR_INIT;
	struct release	*rels = NULL;
	size_t		 n = 0, i;
	json_t		*arr;

	if (app_param(c, &err) != 0 ||
	    store_release_list(c->pd->store, c->params[0], &rels, &n,
	    &err) != 0) {
		reply_perr(c, &err);
		return;
	}
	arr = json_array();
	for (i = 0; i < n; i++) {
		json_array_append_new(arr, model_release_json(&rels[i], 0));
		release_release(&rels[i]);
	}
	free(rels);
	reply_json(c, 200, arr);
}

static void
releases_info(struct api_call *c)
{
	struct perr	err = PERR_INIT;
	struct release	rel;
	long long	version;

	if (app_param(c, &err) != 0 ||
	    model_parse_version(c->params[1], &version, &err) != 0 ||
	    store_release_get(c->pd->store, c->params[0], version, &rel,
	    &err) != 0) {
		if (err.code == -EINVAL)
			err.code = -ENOENT;
		reply_perr(c, &err);
		return;
	}
	reply_json(c, 200, model_release_json(&rel, 1));
	release_release(&rel);
}

/* A rollback needs the old release's image: GC keeps only the newest. */
static int
image_kept(struct api_call *c, long long version, struct perr *err)
{
	struct release	rel;
	char		path[600];
	int		rc = 0;

	if (store_release_get(c->pd->store, c->params[0], version, &rel,
	    err) != 0)
		return err->code;
	if (rel.image && strlen(rel.image) == 71) {
		snprintf(path, sizeof(path), "%s/images/blobs/sha256/%s",
		    c->pd->data_dir, rel.image + 7);
		if (access(path, F_OK) != 0)
			rc = perr_set(err, -EINVAL, "the image of v%lld was "
			    "garbage-collected; roll back to one of the last "
			    "releases", version);
	}
	release_release(&rel);
	return rc;
}

static void
releases_create(struct api_call *c)
{
	struct perr	err = PERR_INIT;
	struct release	rel;
	long long	version;

	if (app_param(c, &err) != 0 ||
	    model_parse_rollback(c->req->body, c->req->bodylen, &version,
	    &err) != 0 ||
	    image_kept(c, version, &err) != 0 ||
	    store_release_rollback(c->pd->store, c->params[0], version, &rel,
	    &err) != 0) {
		reply_perr(c, &err);
		return;
	}
	log_info("app=%s release=v%lld desc=\"%s\"", c->params[0],
	    rel.version, rel.description);
	applog_event(c->pd->applog, c->params[0], "api", "Release v%lld "
	    "created (%s)", rel.version, rel.description);
	reply_json(c, 201, model_release_json(&rel, 1));
	release_release(&rel);
	dyno_poke();
}

/* ---------------------------------------------------------------- formation */

static json_t *
formation_array(struct api_call *c, const char *only, struct perr *err)
{
	struct formation	*f = NULL;
	struct release		 cur;
	size_t			 n = 0, i;
	json_t			*arr;

	if (store_formation_list(c->pd->store, c->params[0], &f, &n,
	    err) != 0)
		return NULL;
	memset(&cur, 0, sizeof(cur));
	(void)store_release_get(c->pd->store, c->params[0], 0, &cur, NULL);
	arr = json_array();
	for (i = 0; i < n; i++)
		if (only == NULL || strcmp(only, f[i].type) == 0)
			json_array_append_new(arr,
			    model_formation_json(&f[i], &cur));
	release_release(&cur);
	free(f);
	return arr;
}

static void
formation_list(struct api_call *c)
{
	struct perr	 err = PERR_INIT;
	json_t		*arr;

	if (app_param(c, &err) != 0 ||
	    (arr = formation_array(c, NULL, &err)) == NULL) {
		reply_perr(c, &err);
		return;
	}
	reply_json(c, 200, arr);
}

static void
formation_info(struct api_call *c)
{
	struct perr	 err = PERR_INIT;
	json_t		*arr;

	if (app_param(c, &err) != 0 ||
	    (arr = formation_array(c, c->params[1], &err)) == NULL) {
		reply_perr(c, &err);
		return;
	}
	if (json_array_size(arr) == 0) {
		json_decref(arr);
		perr_set(&err, -ENOENT, "process type '%.64s' not found",
		    c->params[1]);
		reply_perr(c, &err);
		return;
	}
	reply_json(c, 200, json_incref(json_array_get(arr, 0)));
	json_decref(arr);
}

static void
formation_log(struct api_call *c, const struct formation_update *u, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char q[16] = "-";

		if (u[i].quantity >= 0)
			snprintf(q, sizeof(q), "%d", u[i].quantity);
		log_info("app=%s formation type=%s quantity=%s size=%s",
		    c->params[0], u[i].type, q, u[i].size[0] ? u[i].size : "-");
		applog_event(c->pd->applog, c->params[0], "api", "Scaled %s "
		    "to quantity=%s size=%s", u[i].type, q,
		    u[i].size[0] ? u[i].size : "unchanged");
	}
}

static void
formation_patch(struct api_call *c)
{
	struct perr		 err = PERR_INIT;
	struct formation_update	*u = NULL;
	size_t			 n = 0;

	if (app_param(c, &err) != 0 ||
	    model_parse_formation_updates(c->req->body, c->req->bodylen, &u,
	    &n, &err) != 0 ||
	    store_formation_update(c->pd->store, c->params[0], u, n,
	    &err) != 0) {
		free(u);
		reply_perr(c, &err);
		return;
	}
	formation_log(c, u, n);
	free(u);
	dyno_poke();
	formation_list(c);
}

static void
formation_patch_one(struct api_call *c)
{
	struct perr		err = PERR_INIT;
	struct formation_update	u;

	if (app_param(c, &err) != 0 ||
	    model_parse_formation_one(c->req->body, c->req->bodylen,
	    c->params[1], &u, &err) != 0 ||
	    store_formation_update(c->pd->store, c->params[0], &u, 1,
	    &err) != 0) {
		reply_perr(c, &err);
		return;
	}
	formation_log(c, &u, 1);
	dyno_poke();
	formation_info(c);
}

/* ---------------------------------------------------------------- domains */

static void
domains_list(struct api_call *c)
{
	struct perr	 err = PERR_INIT;
	struct domain	*d = NULL;
	size_t		 n = 0, i;
	json_t		*arr;

	if (app_param(c, &err) != 0 ||
	    store_domain_list(c->pd->store, c->params[0], &d, &n, &err) != 0) {
		reply_perr(c, &err);
		return;
	}
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, model_domain_json(&d[i]));
	free(d);
	reply_json(c, 200, arr);
}

static void
domains_add(struct api_call *c)
{
	struct perr	err = PERR_INIT;
	struct domain	d;
	char		host[256];

	if (app_param(c, &err) != 0 ||
	    model_parse_domain(c->req->body, c->req->bodylen, host,
	    sizeof(host), &err) != 0 ||
	    store_domain_add(c->pd->store, c->params[0], host, &d, &err) != 0) {
		reply_perr(c, &err);
		return;
	}
	log_info("app=%s domain added host=%s", c->params[0], d.hostname);
	applog_event(c->pd->applog, c->params[0], "api", "Domain %s added",
	    d.hostname);
	routes_update(c->pd);
	reply_json(c, 201, model_domain_json(&d));
}

static void
domains_remove(struct api_call *c)
{
	struct perr	err = PERR_INIT;
	struct domain	d;
	char		host[256];
	size_t		i, len = strlen(c->params[1]);

	if (app_param(c, &err) != 0)
		goto fail;
	if (len >= sizeof(host) ||
	    valid_hostname(c->params[1], len, 1, NULL) != 0) {
		perr_set(&err, -ENOENT, "domain '%.64s' not found",
		    c->params[1]);
		goto fail;
	}
	for (i = 0; i <= len; i++) {
		char ch = c->params[1][i];

		host[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
	}
	if (store_domain_remove(c->pd->store, c->params[0], host, &d,
	    &err) != 0)
		goto fail;
	log_info("app=%s domain removed host=%s", c->params[0], d.hostname);
	applog_event(c->pd->applog, c->params[0], "api", "Domain %s removed",
	    d.hostname);
	routes_update(c->pd);
	reply_json(c, 200, model_domain_json(&d));
	return;
fail:
	reply_perr(c, &err);
}

/* ---------------------------------------------------------------- keys */

/*
 * DATA/ssh/authorized_keys follows the keys table, written whole and
 * renamed into place. sshd reads it (AuthorizedKeysFile); each line's
 * forced command is paas-git-shell.
 */
static int
keys_write(struct paasd *pd, struct perr *err)
{
	struct store_key	*k = NULL;
	struct buf		 text = BUF_INIT;
	char			 dir[400], path[420], shell[300];
	char			 line[SSHKEYS_LINE_MAX + 1024];
	size_t			 n = 0, i;
	int			 rc;

	snprintf(dir, sizeof(dir), "%s/ssh", pd->data_dir);
	snprintf(path, sizeof(path), "%s/authorized_keys", dir);
	snprintf(shell, sizeof(shell), "%s/paas-git-shell", pd->bin_dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return perr_set(err, -errno, "mkdir %s: %s", dir,
		    strerror(errno));
	if ((rc = store_key_list(pd->store, &k, &n, err)) != 0)
		return rc;
	buf_adds(&text, "# written by paasd from its keys; do not edit\n");
	for (i = 0; i < n && rc == 0; i++) {
		rc = sshkeys_line(line, sizeof(line), shell, pd->data_dir,
		    k[i].id, k[i].type, k[i].blob);
		if (rc)
			perr_set(err, rc, "paths unusable in a forced command: "
			    "%s, %s", shell, pd->data_dir);
		else
			buf_addf(&text, "%s %s\n", line, k[i].comment);
	}
	for (i = 0; i < n; i++)
		store_key_release(&k[i]);
	free(k);
	if (rc == 0 && (rc = atomic_write(path, text.p, text.len,
	    0600)) != 0)
		rc = perr_set(err, rc, "write %s: %s", path, strerror(-rc));
	buf_release(&text);
	return rc;
}

static json_t *
key_json(const struct store_key *k)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", k->id,
	    "fingerprint", k->fingerprint, "type", k->type,
	    "comment", k->comment, "created_at", k->created_at);
}

static void
keys_list(struct api_call *c)
{
	struct perr		 err = PERR_INIT;
	struct store_key	*k = NULL;
	size_t			 n = 0, i;
	json_t			*arr;

	if (store_key_list(c->pd->store, &k, &n, &err) != 0) {
		reply_perr(c, &err);
		return;
	}
	arr = json_array();
	for (i = 0; i < n; i++) {
		json_array_append_new(arr, key_json(&k[i]));
		store_key_release(&k[i]);
	}
	free(k);
	reply_json(c, 200, arr);
}

static void
keys_add(struct api_call *c)
{
	struct perr		 err = PERR_INIT;
	struct store_key	 k;
	struct sshkey		*sk;
	json_error_t		 je;
	json_t			*o = NULL;
	const char		*line;
	size_t			 len;

	sk = calloc(1, sizeof(*sk));
	if (sk == NULL)
		abort();
	o = json_loadb(c->req->body, c->req->bodylen, JSON_REJECT_DUPLICATES,
	    &je);
	if (o == NULL || json_unpack_ex(o, &je, JSON_STRICT, "{s:s%}",
	    "public_key", &line, &len) != 0) {
		perr_set(&err, -EBADMSG, "invalid request: %s", je.text);
		goto fail;
	}
	if (sshkeys_parse(line, len, sk, &err) != 0 ||
	    store_key_add(c->pd->store, sk->fingerprint, sk->type, sk->blob,
	    sk->comment, &k, &err) != 0)
		goto fail;
	if (keys_write(c->pd, &err) != 0) {
		struct store_key gone;

		if (store_key_remove(c->pd->store, k.id, &gone, NULL) == 0)
			store_key_release(&gone);
		goto fail;
	}
	log_info("ssh key added fingerprint=%s", k.fingerprint);
	reply_json(c, 201, key_json(&k));
	json_decref(o);
	free(sk);
	return;
fail:
	json_decref(o);
	free(sk);
	reply_perr(c, &err);
}

static void
keys_remove(struct api_call *c)
{
	struct perr		err = PERR_INIT;
	struct store_key	k;

	if (store_key_remove(c->pd->store, c->params[0], &k, &err) != 0) {
		reply_perr(c, &err);
		return;
	}
	if (keys_write(c->pd, &err) != 0)
		log_warnx("ssh keys: %s", err.msg);
	log_info("ssh key removed fingerprint=%s", k.fingerprint);
	reply_json(c, 200, key_json(&k));
	store_key_release(&k);
}

/* ---------------------------------------------------------------- tokens */

static json_t *
token_json(const struct store_token *t)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "id", t->id, "app", t->app,
	    "hint", t->hint, "created_at", t->created_at);
}

/* POST /apps/APP/tokens: a new deploy token, shown this once. */
static void
tokens_create(struct api_call *c)
{
	struct perr		 err = PERR_INIT;
	struct store_token	 t;
	unsigned char		 raw[20];
	char			 tok[64], hash[65];
	json_t			*o;
	size_t			 i, n;

	if (app_param(c, &err) != 0 || (c->req->bodylen > 0 &&
	    model_parse_empty_object(c->req->body, c->req->bodylen,
	    &err) != 0)) {
		reply_perr(c, &err);
		return;
	}
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		reply_error(c, 500, "internal", "no randomness");
		return;
	}
	n = (size_t)snprintf(tok, sizeof(tok), "%s", GITSRV_TOKEN_PREFIX);
	for (i = 0; i < sizeof(raw); i++)
		n += (size_t)snprintf(tok + n, sizeof(tok) - n, "%02x", raw[i]);
	if (gitsrv_token_hash(tok, hash) != 0 ||
	    store_token_add(c->pd->store, c->params[0], hash, tok + n - 4, &t,
	    &err) != 0) {
		explicit_bzero(tok, sizeof(tok));
		reply_perr(c, &err);
		return;
	}
	log_info("app=%s deploy token %s created", c->params[0], t.id);
	applog_event(c->pd->applog, c->params[0], "api", "Deploy token ...%s "
	    "created", t.hint);
	o = token_json(&t);
	json_object_set_new(o, "token", json_string(tok));
	explicit_bzero(tok, sizeof(tok));
	reply_json(c, 201, o);
}

static void
tokens_list(struct api_call *c)
{
	struct perr		 err = PERR_INIT;
	struct store_token	*t = NULL;
	size_t			 n = 0, i;
	json_t			*arr;

	if (app_param(c, &err) != 0 ||
	    store_token_list(c->pd->store, c->params[0], &t, &n, &err) != 0) {
		reply_perr(c, &err);
		return;
	}
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, token_json(&t[i]));
	free(t);
	reply_json(c, 200, arr);
}

static void
tokens_remove(struct api_call *c)
{
	struct perr err = PERR_INIT;

	if (app_param(c, &err) != 0 || store_token_remove(c->pd->store,
	    c->params[0], c->params[1], &err) != 0) {
		reply_perr(c, &err);
		return;
	}
	log_info("app=%s deploy token %s revoked", c->params[0], c->params[1]);
	applog_event(c->pd->applog, c->params[0], "api", "Deploy token %s "
	    "revoked", c->params[1]);
	reply_json(c, 200, json_pack("{s:s}", "id", c->params[1]));
}

/* ---------------------------------------------------------------- builds */

static void
builds_create(struct api_call *c)
{
	struct perr err = PERR_INIT;

	if (app_param(c, &err) != 0 ||
	    build_start(c->pd, c->req, c->params[0], &err) != 0) {
		reply_perr(c, &err);
		return;
	}
	c->resp->status = 0;	/* streaming */
}

static void
builds_list(struct api_call *c)
{
	struct perr	 err = PERR_INIT;
	json_t		*arr;

	if (app_param(c, &err) != 0 ||
	    build_list(c->pd, c->params[0], &arr, &err) != 0) {
		reply_perr(c, &err);
		return;
	}
	reply_json(c, 200, arr);
}

static void
builds_output(struct api_call *c)
{
	struct perr		 err = PERR_INIT;
	struct buf		 text = BUF_INIT;
	struct http_stream	*s;

	if (app_param(c, &err) != 0 ||
	    build_output(c->pd, c->params[0], c->params[1], &text, &err) != 0) {
		buf_release(&text);
		reply_perr(c, &err);
		return;
	}
	s = http_stream_begin(c->req, 200, "text/plain; charset=utf-8", NULL,
	    NULL);
	c->resp->status = 0;
	http_stream_write(s, text.p, text.len);
	http_stream_end(s);
	buf_release(&text);
}

/* ---------------------------------------------------------------- dynos */

static void
dynos_list(struct api_call *c)
{
	struct perr	err = PERR_INIT;
	struct app	a;

	if (app_param(c, &err) != 0 ||
	    store_app_get(c->pd->store, c->params[0], &a, &err) != 0) {
		reply_perr(c, &err);
		return;
	}
	reply_json(c, 200, dyno_list(a.name));
}

static int
dyno_param_ok(const char *what)
{
	size_t	n = strcspn(what, ".");
	int	idx;

	if (valid_process_type(what, n, NULL) != 0)
		return 0;
	return what[n] == '\0' || parse_int(what + n + 1, 1, 100000, &idx) == 0;
}

static void
dynos_restart(struct api_call *c)
{
	struct perr	 err = PERR_INIT;
	struct app	 a;
	const char	*what = c->params[1];

	if (app_param(c, &err) != 0 ||
	    store_app_get(c->pd->store, c->params[0], &a, &err) != 0)
		goto fail;
	if (what && !dyno_param_ok(what)) {
		perr_set(&err, -EINVAL, "'%.64s' is not TYPE or TYPE.N", what);
		goto fail;
	}
	if (dyno_restart(a.name, what, &err) != 0)
		goto fail;
	reply_json(c, 202, dyno_list(a.name));
	return;
fail:
	reply_perr(c, &err);
}

static void
dynos_stop(struct api_call *c)
{
	struct perr	err = PERR_INIT;
	struct app	a;

	if (app_param(c, &err) != 0 ||
	    store_app_get(c->pd->store, c->params[0], &a, &err) != 0)
		goto fail;
	if (!dyno_param_ok(c->params[1]) || strchr(c->params[1], '.') == NULL) {
		perr_set(&err, -EINVAL, "'%.64s' is not TYPE.N", c->params[1]);
		goto fail;
	}
	if (dyno_stop(a.name, c->params[1], &err) != 0)
		goto fail;
	reply_json(c, 202, dyno_list(a.name));
	return;
fail:
	reply_perr(c, &err);
}

/* ---------------------------------------------------------------- buildpacks */

static void
buildpacks_get(struct api_call *c)
{
	struct perr	 err = PERR_INIT;
	json_t		*list;

	if (app_param(c, &err) != 0 ||
	    store_buildpacks_get(c->pd->store, c->params[0], &list, &err) != 0) {
		reply_perr(c, &err);
		return;
	}
	reply_json(c, 200, json_pack("{s:o}", "buildpacks", list));
}

static void
buildpacks_put(struct api_call *c)
{
	struct perr	 err = PERR_INIT;
	json_t		*list = NULL;

	if (app_param(c, &err) != 0 ||
	    model_parse_buildpacks(c->req->body, c->req->bodylen, &list,
	    &err) != 0 ||
	    store_buildpacks_set(c->pd->store, c->params[0], list, &err) != 0) {
		json_decref(list);
		reply_perr(c, &err);
		return;
	}
	applog_event(c->pd->applog, c->params[0], "api", "Buildpacks set to "
	    "%zu %s", json_array_size(list), json_array_size(list) == 1 ?
	    "pack" : "packs");
	reply_json(c, 200, json_pack("{s:o}", "buildpacks", list));
}

/* POST /apps/APP/dynos {"command": "...", "size": "basic"}: run:detached */
static void
dynos_run_detached(struct api_call *c)
{
	struct perr	 err = PERR_INIT;
	json_error_t	 je;
	json_t		*o = NULL;
	const char	*cmd = NULL, *size = "basic";
	char		 name[32];

	if (app_param(c, &err) != 0)
		goto fail;
	o = json_loadb(c->req->body, c->req->bodylen, JSON_REJECT_DUPLICATES,
	    &je);
	if (o == NULL || json_unpack_ex(o, &je, JSON_STRICT, "{s:s, s?s}",
	    "command", &cmd, "size", &size) != 0) {
		perr_set(&err, -EBADMSG, "invalid request: %s", je.text);
		goto fail;
	}
	if (cmd[0] == '\0' || strlen(cmd) > 4096) {
		perr_set(&err, -EINVAL, "command must be 1 to 4096 bytes");
		goto fail;
	}
	if (valid_size(size, strlen(size), &err) != 0 ||
	    dyno_run(c->params[0], cmd, size, NULL, NULL, NULL, NULL, name,
	    sizeof(name), &err) != 0)
		goto fail;
	reply_json(c, 201, json_pack("{s:s, s:s, s:s}", "name", name,
	    "command", cmd, "size", size));
	json_decref(o);
	return;
fail:
	json_decref(o);
	reply_perr(c, &err);
}

static int hexval(char);

/* ---------------------------------------------------------------- logs */

struct log_tail {
	struct http_stream	*stream;
	struct applog_follow	*follow;
	unsigned long		 dropped;
};

static void
tail_gone(void *arg)
{
	struct log_tail *t = arg;

	applog_unfollow(t->follow);
	free(t);
}

/* A slow reader never holds lines up: past 1 MiB queued, drop and count. */
static void
tail_lines(void *arg, const char *lines, size_t len)
{
	struct log_tail *t = arg;
	char		 note[128];
	int		 n;

	if (t->dropped && http_stream_write(t->stream, "", 0) < 512 * 1024) {
		n = snprintf(note, sizeof(note), "(paas: %lu log lines were "
		    "dropped for a slow reader)\n", t->dropped);
		t->dropped = 0;
		http_stream_write(t->stream, note, (size_t)n);
	}
	if (http_stream_write(t->stream, "", 0) > 1024 * 1024) {
		t->dropped += (unsigned long)(memchr(lines, '\n', len) ? 1 : 0);
		return;
	}
	http_stream_write(t->stream, lines, len);
}

static int
logs_filter(struct api_call *c, struct applog_filter *f, char *source,
    char *dyno, size_t *lines, int *tail, struct perr *err)
{
	char		v[64];
	uint64_t	n = 100;

	memset(f, 0, sizeof(*f));
	*tail = 0;
	if (api_query_get(c->req->query, "lines", v, sizeof(v)) == 0 &&
	    parse_u64(v, strlen(v), 1, APPLOG_LINES_MAX, &n) != 0)
		return perr_set(err, -EINVAL, "lines must be 1 to %d",
		    APPLOG_LINES_MAX);
	*lines = (size_t)n;
	if (api_query_get(c->req->query, "source", source, 16) == 0) {
		if (strcmp(source, "app") != 0 && strcmp(source, "router") != 0 &&
		    strcmp(source, "paas") != 0)
			return perr_set(err, -EINVAL, "source must be app, "
			    "router or paas");
		f->source = source;
	}
	if (api_query_get(c->req->query, "dyno", dyno, 64) == 0) {
		if (dyno[0] == '\0' || strspn(dyno, "abcdefghijklmnopqrstuvwxyz"
		    "0123456789._-") != strlen(dyno))
			return perr_set(err, -EINVAL, "invalid dyno name");
		f->dyno = dyno;
	}
	if (api_query_get(c->req->query, "tail", v, sizeof(v)) == 0)
		*tail = strcmp(v, "1") == 0 || strcmp(v, "true") == 0;
	return 0;
}

static void
logs_get(struct api_call *c)
{
	struct perr		 err = PERR_INIT;
	struct applog_filter	 f;
	struct log_tail		*t;
	struct buf		 text = BUF_INIT;
	struct app		 a;
	char			 source[16], dyno[64];
	size_t			 lines = 100;
	int			 tail;

	if (app_param(c, &err) != 0 ||
	    logs_filter(c, &f, source, dyno, &lines, &tail, &err) != 0 ||
	    store_app_get(c->pd->store, c->params[0], &a, &err) != 0 ||
	    applog_read(c->pd->applog, a.name, lines, &f, &text, &err) != 0) {
		reply_perr(c, &err);
		return;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		abort();
	t->stream = http_stream_begin(c->req, 200, "text/plain; charset=utf-8",
	    tail_gone, t);
	c->resp->status = 0;
	http_stream_write(t->stream, text.p, text.len);
	buf_release(&text);
	if (!tail || applog_follow(c->pd->applog, a.name, &f, tail_lines, t,
	    &t->follow) != 0) {
		http_stream_end(t->stream);
		free(t);
	}
}

int
api_query_get(const char *query, const char *key, char *out, size_t outlen)
{
	size_t		 klen = strlen(key), i, o;
	const char	*p = query;

	while (p && *p) {
		const char *end = strchr(p, '&');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len > klen && memcmp(p, key, klen) == 0 && p[klen] == '=') {
			for (i = klen + 1, o = 0; i < len; i++) {
				char ch = p[i];

				if (o + 1 >= outlen)
					return -EINVAL;
				if (ch == '+')
					ch = ' ';
				else if (ch == '%') {
					int hi = i + 2 < len ? hexval(p[i + 1]) : -1;
					int lo = hi < 0 ? -1 : hexval(p[i + 2]);

					if (lo < 0 || (hi == 0 && lo == 0))
						return -EINVAL;
					ch = (char)(hi * 16 + lo);
					i += 2;
				}
				out[o++] = ch;
			}
			out[o] = '\0';
			return 0;
		}
		p = end ? end + 1 : NULL;
	}
	return -ENOENT;
}

/* ---------------------------------------------------------------- routing */

static const struct api_route routes[] = {
	{ "GET",	"/apps",				apps_list },
	{ "POST",	"/apps",				apps_create },
	{ "GET",	"/apps/{}",				apps_info },
	{ "PATCH",	"/apps/{}",				apps_patch },
	{ "DELETE",	"/apps/{}",				apps_destroy },
	{ "GET",	"/apps/{}/config-vars",			config_get },
	{ "PATCH",	"/apps/{}/config-vars",			config_patch },
	{ "GET",	"/apps/{}/releases",			releases_list },
	{ "POST",	"/apps/{}/releases",			releases_create },
	{ "GET",	"/apps/{}/releases/{}",			releases_info },
	{ "GET",	"/apps/{}/formation",			formation_list },
	{ "PATCH",	"/apps/{}/formation",			formation_patch },
	{ "GET",	"/apps/{}/formation/{}",		formation_info },
	{ "PATCH",	"/apps/{}/formation/{}",		formation_patch_one },
	{ "GET",	"/apps/{}/domains",			domains_list },
	{ "POST",	"/apps/{}/domains",			domains_add },
	{ "DELETE",	"/apps/{}/domains/{}",			domains_remove },
	{ "GET",	"/apps/{}/logs",			logs_get },
	{ "GET",	"/apps/{}/dynos",			dynos_list },
	{ "POST",	"/apps/{}/dynos",			dynos_run_detached },
	{ "DELETE",	"/apps/{}/dynos",			dynos_restart },
	{ "DELETE",	"/apps/{}/dynos/{}",			dynos_restart },
	{ "POST",	"/apps/{}/dynos/{}/actions/stop",	dynos_stop },
	{ "GET",	"/apps/{}/buildpacks",			buildpacks_get },
	{ "PUT",	"/apps/{}/buildpacks",			buildpacks_put },
	{ "POST",	"/apps/{}/builds",			builds_create },
	{ "GET",	"/apps/{}/builds",			builds_list },
	{ "GET",	"/apps/{}/builds/{}/output",		builds_output },
	{ "GET",	"/apps/{}/tokens",			tokens_list },
	{ "POST",	"/apps/{}/tokens",			tokens_create },
	{ "DELETE",	"/apps/{}/tokens/{}",			tokens_remove },
	{ "GET",	"/keys",				keys_list },
	{ "POST",	"/keys",				keys_add },
	{ "DELETE",	"/keys/{}",				keys_remove },
};

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Decode %XX in place; a segment may not decode to '/' or NUL. */
static int
pct_decode(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '%') {
			int hi = hexval(s[1]), lo = hi < 0 ? -1 : hexval(s[2]);

			if (lo < 0 || (hi == 0 && lo == 0) ||
			    (hi == 2 && lo == 15))
				return -1;
			*o++ = (char)(hi * 16 + lo);
			s += 2;
		} else
			*o++ = *s;
	}
	*o = '\0';
	return 0;
}

int
api_route_match(const char *pattern, const char *path, char *buf,
    const char **params, int nparams)
{
	const char	*p = pattern, *s = path;
	char		*o = buf;
	int		 n = 0;

	while (*p) {
		if (p[0] == '{' && p[1] == '}') {
			const char *end = strchr(s, '/');
			size_t len = end ? (size_t)(end - s) : strlen(s);

			if (len == 0 || n == nparams)
				return -1;
			memcpy(o, s, len);
			o[len] = '\0';
			if (pct_decode(o) != 0)
				return -1;
			params[n++] = o;
			o += len + 1;
			s += len;
			p += 2;
			continue;
		}
		if (*p != *s)
			return -1;
		p++;
		s++;
	}
	return *s == '\0' ? n : -1;
}

int
api_token_ok(struct paasd *pd, const char *a)
{
	size_t len, want = strlen(pd->token);

	if (strncasecmp(a, "Bearer ", 7) != 0)
		return 0;
	a += 7;
	len = strlen(a);
	return len == want && want > 0 && CRYPTO_memcmp(a, pd->token, len) == 0;
}

static int
authorized(struct paasd *pd, const struct http_req *req)
{
	if (req->kind == HTTP_UNIX && req->peer_ok)
		return 1;
	return api_token_ok(pd, req->authorization);
}

void
api_handle(void *arg, const struct http_req *req, struct http_resp *resp)
{
	struct api_call	 c;
	size_t		 i;
	char		*scratch;
	int		 path_known = 0;

	memset(&c, 0, sizeof(c));
	c.pd = arg;
	c.req = req;
	c.resp = resp;
	if (!authorized(c.pd, req)) {
		if (gitsrv_access(c.pd, req, NULL) == GITSRV_FORBIDDEN)
			reply_error(&c, 403, "forbidden", "a deploy token can "
			    "only push and fetch its app with git");
		else
			reply_error(&c, 401, "unauthorized", "invalid or "
			    "missing token (send Authorization: Bearer TOKEN)");
		return;
	}
	scratch = malloc(strlen(req->path) + 1);
	if (scratch == NULL)
		abort();
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (api_route_match(routes[i].pattern, req->path, scratch,
		    c.params, API_PARAMS_MAX) < 0)
			continue;
		path_known = 1;
		if (strcmp(routes[i].method, req->method) != 0)
			continue;
		routes[i].fn(&c);
		free(scratch);
		return;
	}
	free(scratch);
	if (path_known)
		reply_error(&c, 405, "method_not_allowed", "method not "
		    "allowed on this resource");
	else
		reply_error(&c, 404, "not_found", "no such API endpoint");
}
