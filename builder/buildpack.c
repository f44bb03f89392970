#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <git2.h>

#include "buildpack.h"
#include "fsutil.h"
#include "sandbox.h"
#include "slice.h"
#include "valid.h"

/* Heroku's order of detection among the built-ins */
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const builtin_order[] = {
	"nodejs", "python", "go", "c", "static", "procfile",
};

/*
 * Source each earlier pack's export, then exec bin/compile: "$1" is the
 * count of export files that follow, the rest is the compile argv.
 */
static const char compile_script[] =
	"n=$1; shift; while [ \"$n\" -gt 0 ]; do "
	"if [ -f \"$1\" ]; then . \"$1\"; fi; shift; n=$((n - 1)); done; "
	"exec \"$@\"";

int
buildpack_spec_kind(const char *spec)
{
	const char	*hash, *p;
	size_t		 i, n = strlen(spec);

	if (n == 0 || n > 1024)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)spec[i] <= ' ' || spec[i] == 0x7f)
			return 0;
	if (spec[0] == '/')
		return strstr(spec, "/../") == NULL &&
		    strcmp(spec + n - (n >= 3 ? 3 : n), "/..") != 0 ? 'p' : 0;
	if (strncmp(spec, "https://", 8) == 0 ||
	    strncmp(spec, "http://", 7) == 0 ||
	    strncmp(spec, "git://", 6) == 0 ||
	    strncmp(spec, "ssh://", 6) == 0 ||
	    strncmp(spec, "file://", 7) == 0) {
		hash = strchr(spec, '#');
		return hash == NULL || hash[1] != '\0' ? 'u' : 0;
	}
	p = strncmp(spec, "heroku/", 7) == 0 ? spec + 7 : spec;
	if (!islower((unsigned char)p[0]))
		return 0;
	for (i = 1; p[i] != '\0'; i++)
		if (!islower((unsigned char)p[i]) &&
		    !isdigit((unsigned char)p[i]) && p[i] != '-' &&
		    p[i] != '_' && p[i] != '.')
			return 0;
	return 'n';
}

static void
env_add(char ***env, size_t *n, const char *k, const char *v)
{
	struct buf	b = BUF_INIT;
	char		**e;

	e = realloc(*env, (*n + 2) * sizeof(**env));
	if (e == NULL)
		abort();
	buf_addf(&b, "%s=%s", k, v);
	e[(*n)++] = buf_detach(&b, NULL);
	e[*n] = NULL;
	*env = e;
}

char **
buildpack_env(const struct build *b)
{
	char	**env = NULL, rid[64];
	size_t	  n = 0;

	(void)snprintf(rid, sizeof(rid), "build-%.12s", b->co.commit);
	env_add(&env, &n, "PATH", BUILD_PATH);
	env_add(&env, &n, "HOME", b->app_dir.p);
	env_add(&env, &n, "APP_DIR", b->app_dir.p);
	env_add(&env, &n, "BUILD_DIR", b->app_dir.p);
	env_add(&env, &n, "CACHE_DIR", b->cache_dir.p);
	env_add(&env, &n, "ENV_DIR", b->envcopy.p);
	env_add(&env, &n, "TMPDIR", b->tmp_dir.p);
	env_add(&env, &n, "STACK", b->stack);
	env_add(&env, &n, "SOURCE_VERSION", b->co.commit);
	env_add(&env, &n, "REQUEST_ID", rid);
	env_add(&env, &n, "LANG", "C.UTF-8");
	env_add(&env, &n, "CURL_CONNECT_TIMEOUT", "30");
	env_add(&env, &n, "CURL_TIMEOUT", "180");
	return env;
}

void
buildpack_env_free(char **env)
{
	size_t	i;

	for (i = 0; env != NULL && env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

static void
stream_line(void *arg, const char *line, size_t len)
{
	(void)arg;
	say_line(line, len);
}

static void
capture_line(void *arg, const char *line, size_t len)
{
	struct buf	*out = arg;

	buf_add(out, line, len);
	buf_addch(out, '\n');
}

/* the build's dirs, at their own paths; rw_pack: the pack that may write */
static int
step_binds(const struct build *b, struct sandbox_opts *o, const char *rw_pack)
{
	struct stat	st;
	int		rc;

	if ((rc = sandbox_bind(o, b->app_dir.p, 0)) != 0 ||
	    (rc = sandbox_bind(o, b->cache_dir.p, 0)) != 0 ||
	    (rc = sandbox_bind(o, b->envcopy.p, 1)) != 0 ||
	    (rc = sandbox_bind(o, b->tmp_dir.p, 0)) != 0 ||
	    (rc = sandbox_bind(o, b->packs_dir.p, 1)) != 0)
		return rc;
	if (b->buildpacks_dir != NULL && stat(b->buildpacks_dir, &st) == 0 &&
	    S_ISDIR(st.st_mode) &&
	    (rc = sandbox_bind(o, b->buildpacks_dir, 1)) != 0)
		return rc;
	if (rw_pack != NULL)
		rc = sandbox_bind(o, rw_pack, 0);
	return rc;
}

/*
 * run_step() runs argv in the sandbox; out NULL streams to the log.
 * rw_pack: the buildpack dir bin/compile may write (its export file).
 */
static int
run_step(struct build *b, char *const argv[], const char *rw_pack,
    struct buf *out, uint64_t cap, struct sandbox_result *res,
    struct perr *err)
{
	struct sandbox_opts	o;
	char			**env;
	int			rc;

	memset(&o, 0, sizeof(o));
	memset(res, 0, sizeof(*res));
	res->status = -1;
	o.cwd = b->app_dir.p;
	o.deadline_ms = b->deadline_ms;
	o.max_output = out ? cap : (b->log_bytes < BUILD_LOG_MAX_BYTES ?
	    BUILD_LOG_MAX_BYTES - b->log_bytes : 1);
	if (step_binds(b, &o, rw_pack) != 0)
		return perr_set(err, -E2BIG, "too many sandbox mounts");
	env = buildpack_env(b);
	o.envp = env;
	rc = sandbox_run(b->sandbox, argv, &o, out ? capture_line :
	    stream_line, out, res, err);
	buildpack_env_free(env);
	if (out == NULL)
		b->log_bytes += res->output_bytes;
	if (rc == 0 && res->timed_out)
		rc = perr_set(err, -ETIMEDOUT, "build timed out after %u "
		    "seconds", b->timeout_sec);
	else if (rc == 0 && res->cancelled)
		rc = perr_set(err, -ECANCELED, "build cancelled");
	else if (rc == 0 && res->pids_max)
		rc = perr_set(err, -EAGAIN, "build exceeded its process limit "
		    "(%llu processes): stopped",
		    (unsigned long long)b->sandbox->lim.pids);
	else if (rc == 0 && res->oom && sandbox_failed(res))
		rc = perr_set(err, -ENOMEM, "build exceeded its memory limit "
		    "(%llu MB)", (unsigned long long)
		    (b->sandbox->lim.memory_bytes >> 20));
	return rc;
}

static int
is_file(const char *dir, const char *rel)
{
	struct buf	p = BUF_INIT;
	struct stat	st;
	int		ok;

	buf_addf(&p, "%s/%s", dir, rel);
	ok = lstat(p.p, &st) == 0 && S_ISREG(st.st_mode);
	buf_release(&p);
	return ok;
}

/* the pack's name: the first line detect printed, trimmed, printable */
static char *
detect_name(const char *p, size_t len)
{
	struct slice	 l;
	const char	*nl = memchr(p, '\n', len);
	char		*name;
	size_t		 i;

	l = slice_trim(slice_from(p, nl ? (size_t)(nl - p) : len));
	if (l.len > BUILD_DETECT_MAX_BYTES)
		l.len = BUILD_DETECT_MAX_BYTES;
	name = strndup(l.len ? l.p : "App", l.len ? l.len : 3);
	for (i = 0; name != NULL && name[i] != '\0'; i++)
		if (!isprint((unsigned char)name[i]))
			name[i] = '?';
	return name;
}

/* detect() returns 1 if the pack applies, with its name in *name */
static int
detect(struct build *b, const char *dir, char **name, struct perr *err)
{
	struct sandbox_result	 res;
	struct buf		 out = BUF_INIT, prog = BUF_INIT;
	char			*argv[3];
	int			 rc;

	buf_addf(&prog, "%s/bin/detect", dir);
	argv[0] = prog.p;
	argv[1] = b->app_dir.p;
	argv[2] = NULL;
	rc = run_step(b, argv, NULL, &out, 64 * 1024, &res, err);
	if (rc == -ENOENT || rc == -EACCES)
		rc = 0;
	else if (rc == 0 && !sandbox_failed(&res)) {
		*name = detect_name(out.p, out.len);
		rc = 1;
	}
	buf_release(&out);
	buf_release(&prog);
	return rc;
}

static int __attribute__((noreturn))
clone_child(struct build *b, pid_t parent, const char *url,
    const char *ref, const char *dest, int fd)
{
	git_clone_options	 co;
	git_checkout_options	 ck;
	git_repository		*r = NULL;
	git_object		*obj = NULL;
	const git_error		*e;
	struct buf		 rev = BUF_INIT;
	char			 msg[256];

	if (b->drop && (setgroups(0, NULL) != 0 ||
	    setresgid(b->gid, b->gid, b->gid) != 0 ||
	    setresuid(b->uid, b->uid, b->uid) != 0))
		_exit(2);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 ||
	    getppid() != parent)
		_exit(2);
	git_libgit2_init();
	if (git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_GLOBAL,
	    "") != 0 || git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH,
	    GIT_CONFIG_LEVEL_XDG, "") != 0 || git_libgit2_opts(
	    GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_SYSTEM, "") != 0 ||
	    git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0) != 0 ||
	    git_clone_options_init(&co, GIT_CLONE_OPTIONS_VERSION) != 0 ||
	    git_checkout_options_init(&ck, GIT_CHECKOUT_OPTIONS_VERSION) != 0 ||
	    git_clone(&r, url, dest, &co) != 0)
		goto fail;
	if (ref != NULL) {
		buf_addf(&rev, "origin/%s", ref);
		if (git_revparse_single(&obj, r, rev.p) != 0 &&
		    git_revparse_single(&obj, r, ref) != 0)
			goto fail;
		ck.checkout_strategy = GIT_CHECKOUT_FORCE;
		if (git_checkout_tree(r, obj, &ck) != 0 ||
		    git_repository_set_head_detached(r, git_object_id(obj)))
			goto fail;
	}
	_exit(0);
fail:
	e = git_error_last();
	(void)snprintf(msg, sizeof(msg), "%s", e && e->message ? e->message :
	    "libgit2 error");
	(void)!write(fd, msg, strlen(msg));
	_exit(1);
}

static int
clone_pack(struct build *b, const char *spec, const char *dest,
    struct perr *err)
{
	struct buf	 url = BUF_INIT;
	const char	*ref = NULL;
	char		 msg[256];
	int64_t		 deadline;
	ssize_t		 n = 0;
	pid_t		 pid, parent;
	int		 p[2], status = 0, rc = 0;
	struct pollfd	 pf;

	buf_adds(&url, spec);
	if (strchr(url.p, '#') != NULL) {
		ref = strchr(spec, '#') + 1;
		buf_truncate(&url, (size_t)(strchr(url.p, '#') - url.p));
	}
	if (pipe2(p, O_CLOEXEC) != 0) {
		buf_release(&url);
		return perr_set(err, -errno, "pipe: %s", strerror(errno));
	}
	parent = getpid();
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		clone_child(b, parent, url.p, ref, dest, p[1]);
	close(p[1]);
	deadline = sandbox_now_ms() + BUILD_CLONE_TIMEOUT_SEC * 1000;
	if (deadline > b->deadline_ms)
		deadline = b->deadline_ms;
	pf = (struct pollfd){ p[0], POLLIN, 0 };
	while (pid > 0 && !sandbox_cancel && sandbox_now_ms() < deadline &&
	    poll(&pf, 1, 200) >= 0 && !(pf.revents & (POLLIN | POLLHUP)))
		;
	if (pid > 0 && (pf.revents & (POLLIN | POLLHUP)))
		n = read(p[0], msg, sizeof(msg) - 1);
	else if (pid > 0)
		(void)kill(pid, SIGKILL);
	close(p[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		msg[n > 0 ? n : 0] = '\0';
		rc = perr_set(err, -EIO, "buildpack '%.200s' could not be "
		    "fetched: %s", spec, n > 0 ? msg : pid < 0 ?
		    strerror(errno) : "timed out or failed");
	}
	buf_release(&url);
	return rc;
}

static int
resolve(struct build *b, const char *spec, struct pack *pk, struct perr *err)
{
	struct buf	 src = BUF_INIT, dst = BUF_INIT;
	struct stat	 st;
	int		 kind = buildpack_spec_kind(spec), rc = 0;

	buf_addf(&dst, "%s/%zu", b->packs_dir.p, b->npacks);
	if (kind == 'n')
		buf_addf(&src, "%s/%s", b->buildpacks_dir, strncmp(spec,
		    "heroku/", 7) == 0 ? spec + 7 : spec);
	else if (kind == 'p')
		buf_adds(&src, spec);
	if (kind == 0) {
		rc = perr_set(err, -EINVAL, "invalid buildpack '%.200s'", spec);
	} else if (kind == 'u') {
		rc = clone_pack(b, spec, dst.p, err);
	} else if (stat(src.p, &st) != 0 || !S_ISDIR(st.st_mode)) {
		rc = perr_set(err, -ENOENT, "buildpack '%.200s' not found%s",
		    spec, kind == 'n' ? " among the built-in buildpacks" : "");
	} else if ((rc = fsutil_copy_tree(src.p, dst.p, err)) == 0 &&
	    b->drop) {
		rc = fsutil_chown_r(dst.p, b->uid, b->gid, err);
	}
	if (rc == 0 && !is_file(dst.p, "bin/compile"))
		rc = perr_set(err, -ENOENT, "buildpack '%.200s' has no "
		    "bin/compile", spec);
	if (rc == 0) {
		pk->spec = strdup(spec);
		pk->src = strdup(kind == 'u' ? spec : src.p);
		pk->dir = buf_detach(&dst, NULL);
	}
	buf_release(&src);
	buf_release(&dst);
	return rc;
}

/* the app's .buildpacks: one spec a line, blank and # lines skipped */
static int
read_dot_buildpacks(struct build *b, const char **specs, char **text,
    size_t *n, struct perr *err)
{
	char	*p, *line, *save = NULL;
	size_t	 len;
	int	 fd, rc;

	*n = 0;
	fd = open(b->app_dir.p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return perr_set(err, -errno, "open build dir: %s",
		    strerror(errno));
	rc = fsutil_read_at(fd, ".buildpacks", BUILD_FILE_MAX_BYTES, text,
	    &len, err);
	close(fd);
	if (rc == -ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	for (p = *text; (line = strtok_r(p, "\r\n", &save)) != NULL;
	    p = NULL) {
		line += strspn(line, " \t");
		len = strlen(line);
		while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (*n >= BUILD_MAX_PACKS)
			return perr_set(err, -E2BIG, ".buildpacks lists more "
			    "than %d buildpacks", BUILD_MAX_PACKS);
		specs[(*n)++] = line;
	}
	return 0;
}

static int
use_specs(struct build *b, const char *const *specs, size_t n,
    struct perr *err)
{
	struct pack	*pk;
	size_t		 i;
	int		 rc;

	for (i = 0; i < n; i++) {
		pk = &b->packs[b->npacks];
		if ((rc = resolve(b, specs[i], pk, err)) != 0)
			return rc;
		b->npacks++;
		say_step("Using buildpack: %s", specs[i]);
		rc = detect(b, pk->dir, &pk->name, err);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return perr_set(err, -ENOEXEC, "App not compatible "
			    "with buildpack: %.200s", specs[i]);
	}
	return 0;
}

/*
 * The built-ins are tried in one container, not one each: the script
 * runs each bin/detect in order and, for the first that exits 0, prints
 * its position and then what it printed.
 */
static const char detect_script[] =
	"b=$1; shift; i=0; for d; do "
	"if [ -f \"$d/bin/detect\" ] && [ -x \"$d/bin/detect\" ] && "
	"out=$(\"$d/bin/detect\" \"$b\" 2>&1); then "
	"printf '%s\\n%s\\n' \"$i\" \"$out\"; exit 0; fi; "
	"i=$((i + 1)); done; exit 1";

static int
auto_detect(struct build *b, struct perr *err)
{
	struct sandbox_result	 res;
	struct buf		 dirs[NELEM(builtin_order)], out = BUF_INIT;
	struct stat		 st;
	const char		*which[NELEM(builtin_order)];
	char			*argv[NELEM(builtin_order) + 6], *nl;
	size_t			 i, n = 0, k = 0;
	int			 rc;

	argv[k++] = "/bin/sh";
	argv[k++] = "-c";
	argv[k++] = (char *)detect_script;
	argv[k++] = "paas-detect";
	argv[k++] = b->app_dir.p;
	for (i = 0; i < NELEM(builtin_order); i++) {
		buf_init(&dirs[n]);
		buf_addf(&dirs[n], "%s/%s", b->buildpacks_dir,
		    builtin_order[i]);
		if (stat(dirs[n].p, &st) != 0 || !S_ISDIR(st.st_mode)) {
			buf_release(&dirs[n]);
			continue;
		}
		which[n] = builtin_order[i];
		argv[k++] = dirs[n++].p;
	}
	argv[k] = NULL;
	rc = n == 0 ? 0 : run_step(b, argv, NULL, &out, 64 * 1024, &res, err);
	if (rc == 0 && n > 0 && !sandbox_failed(&res) &&
	    (nl = strchr(out.p, '\n')) != NULL && (i = strtoul(out.p, NULL,
	    10)) < n) {
		rc = resolve(b, which[i], &b->packs[0], err);
		if (rc == 0) {
			b->packs[0].name = detect_name(nl + 1, out.len -
			    (size_t)(nl + 1 - out.p));
			b->npacks = 1;
		}
	}
	for (i = 0; i < n; i++)
		buf_release(&dirs[i]);
	buf_release(&out);
	if (rc == 0 && b->npacks == 0)
		rc = perr_set(err, -ENOEXEC, "No default language could be "
		    "detected for this app; set a buildpack with "
		    "'paas buildpacks:set NAME|URL'");
	return rc;
}

int
buildpack_select(struct build *b, struct perr *err)
{
	const char	*specs[BUILD_MAX_PACKS];
	char		*text = NULL, *url = NULL;
	size_t		 n = 0, len;
	int		 fd, rc;

	if (b->nspecs > 0)
		return use_specs(b, b->specs, b->nspecs, err);
	if ((rc = read_dot_buildpacks(b, specs, &text, &n, err)) != 0)
		goto out;
	if (n == 0 && (fd = open(b->envcopy.p, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) >= 0) {
		rc = fsutil_read_at(fd, "BUILDPACK_URL", BUILD_ENV_MAX_BYTES,
		    &url, &len, err);
		close(fd);
		if (rc == 0) {
			url[strcspn(url, "\r\n")] = '\0';
			specs[n++] = url;
		} else if (rc != -ENOENT) {
			goto out;
		}
	}
	rc = n > 0 ? use_specs(b, specs, n, err) : auto_detect(b, err);
out:
	free(text);
	free(url);
	return rc;
}

static int
compile_one(struct build *b, size_t i, struct perr *err)
{
	struct sandbox_result	 res;
	struct buf		 prog = BUF_INIT, count = BUF_INIT;
	struct buf		 exports[BUILD_MAX_PACKS];
	char			*argv[BUILD_MAX_PACKS + 10], desc[96];
	size_t			 n = 0, j;
	int			 rc;

	say_step("%s app detected", b->packs[i].name);
	buf_addf(&prog, "%s/bin/compile", b->packs[i].dir);
	buf_addf(&count, "%zu", i);
	argv[n++] = "/bin/bash";
	argv[n++] = "-c";
	argv[n++] = (char *)compile_script;
	argv[n++] = "paas-compile";
	argv[n++] = count.p;
	for (j = 0; j < i; j++) {
		buf_init(&exports[j]);
		buf_addf(&exports[j], "%s/export", b->packs[j].dir);
		argv[n++] = exports[j].p;
	}
	argv[n++] = prog.p;
	argv[n++] = b->app_dir.p;
	argv[n++] = b->cache_dir.p;
	argv[n++] = b->envcopy.p;
	argv[n] = NULL;
	rc = run_step(b, argv, b->packs[i].dir, NULL, 0, &res, err);
	if (rc == 0 && !(WIFEXITED(res.status) &&
	    WEXITSTATUS(res.status) == 0)) {
		sandbox_describe(b->sandbox, &res, desc, sizeof(desc));
		rc = perr_set(err, -EPROTO, "Push rejected, failed to compile "
		    "%.100s app (bin/compile: %s)", b->packs[i].name, desc);
	}
	for (j = 0; j < i; j++)
		buf_release(&exports[j]);
	buf_release(&prog);
	buf_release(&count);
	return rc;
}

int
buildpack_compile_all(struct build *b, struct perr *err)
{
	size_t	i;
	int	rc = 0;

	for (i = 0; i < b->npacks && rc == 0; i++)
		rc = compile_one(b, i, err);
	return rc;
}

int
buildpack_release(struct build *b, struct perr *err)
{
	struct sandbox_result	 res;
	struct buf		 out = BUF_INIT, prog = BUF_INIT;
	struct pack		*pk = &b->packs[b->npacks - 1];
	char			*argv[6], desc[96];
	int			 rc;

	if (!is_file(pk->dir, "bin/release"))
		return 0;
	buf_addf(&prog, "%s/bin/release", pk->dir);
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = "exec \"$0\" \"$@\" 2>/dev/null";
	argv[3] = prog.p;
	argv[4] = b->app_dir.p;
	argv[5] = NULL;
	rc = run_step(b, argv, NULL, &out, RELEASE_MAX_BYTES, &res, err);
	if (rc == 0 && res.output_bytes > RELEASE_MAX_BYTES)
		rc = perr_set(err, -E2BIG, "bin/release: output larger than "
		    "%d bytes", RELEASE_MAX_BYTES);
	if (rc == 0 && !(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0)) {
		sandbox_describe(b->sandbox, &res, desc, sizeof(desc));
		rc = perr_set(err, -EPROTO, "bin/release of %.100s failed: %s",
		    pk->name, desc);
	}
	if (rc == 0)
		rc = release_parse(out.p, out.len, &b->rel, err);
	buf_release(&out);
	buf_release(&prog);
	return rc;
}

void
buildpack_release_all(struct build *b)
{
	size_t	i;

	for (i = 0; i < b->npacks; i++) {
		free(b->packs[i].spec);
		free(b->packs[i].src);
		free(b->packs[i].dir);
		free(b->packs[i].name);
	}
	b->npacks = 0;
}
