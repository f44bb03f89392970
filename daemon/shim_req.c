#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "shim_req.h"
#include "valid.h"

static int
id_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > SHIM_ID_MAX || strstr(s, "..") != NULL)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9') || (i > 0 && (s[i] == '.' || s[i] == '_' ||
		    s[i] == '-'))))
			return 0;
	return 1;
}

/* TYPE.N: a process type, a dot, a number */
static int
dyno_ok(const char *s)
{
	const char *dot = strrchr(s, '.');
	size_t i;

	if (dot == NULL || dot[1] == '\0' || strlen(dot + 1) > 9 ||
	    valid_process_type(s, (size_t)(dot - s), NULL) != 0)
		return 0;
	for (i = 1; dot[i] != '\0'; i++)
		if (dot[i] < '0' || dot[i] > '9')
			return 0;
	return 1;
}

static int
abs_path_ok(const char *p)
{
	const char *c;

	if (p == NULL || p[0] != '/' || strlen(p) >= CONTAINER_PATH_MAX)
		return 0;
	for (c = p; (c = strstr(c, "/..")) != NULL; c += 3)
		if (c[3] == '/' || c[3] == '\0')
			return 0;
	return 1;
}

static char **
str_array(json_t *a, size_t max, int *bad)
{
	char **v;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) > max) {
		*bad = 1;
		return NULL;
	}
	v = calloc(json_array_size(a) + 1, sizeof(*v));
	if (v == NULL) {
		*bad = 1;
		return NULL;
	}
	for (i = 0; i < json_array_size(a); i++) {
		if (!json_is_string(json_array_get(a, i)) ||
		    strlen(json_string_value(json_array_get(a, i))) !=
		    json_string_length(json_array_get(a, i)) ||
		    (v[i] = strdup(json_string_value(json_array_get(a, i)))) ==
		    NULL)
			*bad = 1;
	}
	return v;
}

static void
free_array(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static int
take_binds(json_t *a, struct shim_req *req, struct perr *err)
{
	const char *src, *dst;
	json_error_t je;
	size_t i;
	int ro;

	if (a == NULL)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > CONTAINER_BINDS_MAX)
		return perr_set(err, -EINVAL, "binds: at most %d entries",
		    CONTAINER_BINDS_MAX);
	for (i = 0; i < json_array_size(a); i++) {
		ro = 1;
		if (json_unpack_ex(json_array_get(a, i), &je, JSON_STRICT,
		    "{s:s, s:s, s?b}", "src", &src, "dst", &dst, "ro", &ro) != 0)
			return perr_set(err, -EINVAL, "binds[%zu]: %s", i,
			    je.text);
		req->binds[i].src = strdup(src);
		req->binds[i].dst = strdup(dst);
		req->binds[i].ro = ro;
		req->nbinds = i + 1;
		if (req->binds[i].src == NULL || req->binds[i].dst == NULL)
			return perr_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

static int
take_layers(json_t *a, struct shim_req *req, struct perr *err)
{
	size_t i;

	if (!json_is_array(a) || json_array_size(a) == 0 ||
	    json_array_size(a) > CONTAINER_LAYERS_MAX)
		return perr_set(err, -EINVAL, "layers: 1 to %d paths",
		    CONTAINER_LAYERS_MAX);
	for (i = 0; i < json_array_size(a); i++) {
		if (!json_is_string(json_array_get(a, i)))
			return perr_set(err, -EINVAL, "layers[%zu]: not a "
			    "string", i);
		req->layers[i] = strdup(json_string_value(json_array_get(a,
		    i)));
		req->nlayers = i + 1;
		if (req->layers[i] == NULL)
			return perr_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

static char *
dup_or(const char *s, const char *dflt)
{
	return strdup(s != NULL ? s : dflt);
}

static int
check_fields(const struct shim_req *req, struct perr *err)
{
	struct cgroup_limits lim;
	size_t i;

	if (valid_app_name(req->app, strlen(req->app), err) != 0)
		return -EINVAL;
	if (!id_ok(req->id))
		return perr_set(err, -EINVAL, "invalid instance id");
	if (!dyno_ok(req->dyno))
		return perr_set(err, -EINVAL, "invalid dyno name");
	if (!abs_path_ok(req->dir) || !abs_path_ok(req->log) ||
	    !abs_path_ok(req->init) || !abs_path_ok(req->cwd) ||
	    !abs_path_ok(req->cgroup_root))
		return perr_set(err, -EINVAL, "dir, log, init, cwd and "
		    "cgroup_root must be absolute paths without '..'");
	for (i = 0; i < req->nlayers; i++)
		if (!abs_path_ok(req->layers[i]))
			return perr_set(err, -EINVAL, "invalid layer path");
	if (cgroup_size_limits(req->size, &lim) != 0)
		return perr_set(err, -EINVAL, "invalid size");
	if (req->uid < SHIM_UID_MIN || req->gid < SHIM_UID_MIN)
		return perr_set(err, -EINVAL, "uid/gid must be at least %d",
		    SHIM_UID_MIN);
	if (req->grace_s > SHIM_GRACE_MAX_S)
		return perr_set(err, -EINVAL, "grace over %d s",
		    SHIM_GRACE_MAX_S);
	if (req->tmp_mb > CONTAINER_TMP_MB_MAX)
		return perr_set(err, -EINVAL, "tmp_mb over %d",
		    CONTAINER_TMP_MB_MAX);
	return 0;
}

int
shim_req_parse(const char *text, size_t len, struct shim_req *req,
    struct perr *err)
{
	const char *id, *app, *dyno, *dir, *log, *init, *size;
	const char *cwd = NULL, *cgroot = NULL, *network = NULL, *stdio = NULL;
	json_int_t uid, gid, tmp_mb = 0, grace = SHIM_GRACE_DEFAULT_S;
	json_int_t rows = 0, cols = 0;
	json_t *root, *layers, *argv, *env, *binds = NULL;
	json_error_t je;
	int host_stack = 1, tty = 0, userns = 0, bad = 0, rc;

	memset(req, 0, sizeof(*req));
	if (len > SHIM_REQ_MAX_BYTES)
		return perr_set(err, -E2BIG, "request over %d bytes",
		    SHIM_REQ_MAX_BYTES);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return perr_set(err, -EINVAL, "request line %d column %d: %s",
		    je.line, je.column, je.text);
	if (json_unpack_ex(root, &je, JSON_STRICT,
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:o, s:o,"
	    " s?s, s?s, s?s, s?I, s?I, s?b, s?o, s?s, s?b, s?I, s?I, s?b}",
	    "id", &id, "app", &app, "dyno", &dyno, "dir", &dir, "log", &log,
	    "init", &init, "size", &size, "uid", &uid, "gid", &gid,
	    "layers", &layers, "argv", &argv, "env", &env,
	    "cwd", &cwd, "cgroup_root", &cgroot, "network", &network,
	    "tmp_mb", &tmp_mb, "grace_s", &grace, "host_stack", &host_stack,
	    "binds", &binds, "stdio", &stdio, "tty", &tty,
	    "tty_rows", &rows, "tty_cols", &cols, "userns", &userns) != 0) {
		rc = perr_set(err, -EINVAL, "request: %s", je.text);
		goto out;
	}
	rc = perr_set(err, -EINVAL, "request: a number is out of range");
	if (uid < 0 || uid > 0x7fffffff || gid < 0 || gid > 0x7fffffff ||
	    tmp_mb < 0 || tmp_mb > CONTAINER_TMP_MB_MAX || grace < 0 ||
	    grace > SHIM_GRACE_MAX_S || rows < 0 ||
	    rows > CONTAINER_WINSIZE_MAX || cols < 0 ||
	    cols > CONTAINER_WINSIZE_MAX)
		goto out;
	rc = perr_set(err, -EINVAL, "request: network is \"host\" or \"none\"");
	if (network != NULL && strcmp(network, "host") != 0 &&
	    strcmp(network, "none") != 0)
		goto out;
	rc = perr_set(err, -EINVAL, "request: stdio is \"log\", \"inherit\" or "
	    "\"pty\"; tty needs inherit, tty_rows and tty_cols pty");
	req->inherit = stdio != NULL && strcmp(stdio, "inherit") == 0;
	req->pty = stdio != NULL && strcmp(stdio, "pty") == 0;
	if ((stdio != NULL && strcmp(stdio, "log") != 0 && !req->inherit &&
	    !req->pty) || (tty && !req->inherit) || ((rows || cols) &&
	    !req->pty))
		goto out;
	req->tty = tty;
	req->rows = (unsigned)rows;
	req->cols = (unsigned)cols;
	req->userns = userns;
	req->id = strdup(id);
	req->app = strdup(app);
	req->dyno = strdup(dyno);
	req->dir = strdup(dir);
	req->log = strdup(log);
	req->init = strdup(init);
	req->size = strdup(size);
	req->cwd = dup_or(cwd, "/app");
	req->cgroup_root = dup_or(cgroot, "/sys/fs/cgroup");
	req->uid = (uid_t)uid;
	req->gid = (gid_t)gid;
	req->tmp_mb = (unsigned)tmp_mb;
	req->grace_s = (unsigned)grace;
	req->host_stack = host_stack;
	req->newnet = network != NULL && strcmp(network, "none") == 0;
	req->argv = str_array(argv, CONTAINER_ARGV_MAX, &bad);
	req->envp = str_array(env, CONTAINER_ARGV_MAX, &bad);
	rc = perr_set(err, -EINVAL, "request: argv and env are arrays of "
	    "strings without NUL bytes");
	if (bad || req->argv == NULL || req->argv[0] == NULL ||
	    req->envp == NULL)
		goto out;
	if ((rc = take_layers(layers, req, err)) < 0 ||
	    (rc = take_binds(binds, req, err)) < 0)
		goto out;
	rc = perr_set(err, -ENOMEM, "out of memory");
	if (req->id == NULL || req->app == NULL || req->dyno == NULL ||
	    req->dir == NULL || req->log == NULL || req->init == NULL ||
	    req->size == NULL || req->cwd == NULL || req->cgroup_root == NULL)
		goto out;
	rc = check_fields(req, err);
out:
	json_decref(root);
	if (rc < 0)
		shim_req_release(req);
	else
		perr_clear(err);
	return rc;
}

void
shim_req_release(struct shim_req *req)
{
	size_t i;

	free(req->id);
	free(req->app);
	free(req->dyno);
	free(req->dir);
	free(req->log);
	free(req->init);
	free(req->size);
	free(req->cwd);
	free(req->cgroup_root);
	for (i = 0; i < req->nlayers; i++)
		free(req->layers[i]);
	for (i = 0; i < req->nbinds; i++) {
		free((char *)req->binds[i].src);
		free((char *)req->binds[i].dst);
	}
	free_array(req->argv);
	free_array(req->envp);
	memset(req, 0, sizeof(*req));
}
