#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uv.h>

#include "applog.h"
#include "dyno.h"
#include "build.h"
#include "cgroup.h"
#include "log.h"
#include "proc.h"
#include "store.h"
#include "valid.h"

#define BUILD_SYSTEM_PACKS	"/usr/local/lib/paas/buildpacks"
#define RESULT_PREFIX		"paas-build: result "

struct job {
	struct paasd		*pd;
	struct http_stream	*stream;	/* NULL once the client left */
	struct proc		*proc;
	char			 app[32];
	char			 id[STORE_ID_LEN + 1];
	char			 commit[41];
	char			 dir[400];	/* DATA/builds/ID */
	int			 out_fd;	/* DIR/output */
	long long		 out_bytes;
	struct buf		 line;		/* partial output line */
	struct buf		 result;	/* JSON of the result line */
	int			 awaiting;	/* the release is booting */
	long long		 version;	/* of the release */
	int			 queued;	/* waits for a build slot */
	unsigned long long	 seq;		/* queue order */
	struct app		 a;		/* what spawn_build needs */
	char			 objects[400];
	json_t			*packs;
	struct job		*next;
};

static struct job		*jobs;
static unsigned long long	 job_seq;

static void	start_queued(void);

/* ---------------------------------------------------------------- pure */

static int
is_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

json_t *
build_parse_result(const char *text, size_t len, const char *commit,
    struct perr *err)
{
	json_error_t	 je;
	json_t		*o, *pt = NULL, *cv = NULL, *v;
	const char	*image = NULL, *c = NULL, *k;

	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL || json_unpack_ex(o, &je, 0, "{s:s, s:s, s:o, s:o}",
	    "image", &image, "commit", &c, "process_types", &pt,
	    "config_vars", &cv) != 0) {
		perr_set(err, -EPROTO, "build result: %s", je.text);
		goto bad;
	}
	if (strncmp(image, "sha256:", 7) != 0 || strlen(image) != 71 ||
	    !is_hex(image + 7, 64)) {
		perr_set(err, -EPROTO, "build result: bad image digest");
		goto bad;
	}
	if (strcmp(c, commit) != 0) {
		perr_set(err, -EPROTO, "build result: built another commit");
		goto bad;
	}
	if (!json_is_object(pt) || !json_is_object(cv)) {
		perr_set(err, -EPROTO, "build result: bad process types");
		goto bad;
	}
	json_object_foreach(pt, k, v)
		if (valid_process_type(k, strlen(k), NULL) != 0 ||
		    !json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > 4096) {
			perr_set(err, -EPROTO, "build result: bad process type");
			goto bad;
		}
	json_object_foreach(cv, k, v)
		if (valid_config_key(k, strlen(k), NULL) != 0 ||
		    !json_is_string(v) || valid_config_value(
		    json_string_value(v), json_string_length(v), NULL) != 0) {
			perr_set(err, -EPROTO, "build result: bad config var");
			goto bad;
		}
	return o;
bad:
	json_decref(o);
	return NULL;
}

/* In a source tree the packs sit beside bin/ (or build-san/bin/). */
void
build_buildpacks_dir(const char *bin_dir, char *out, size_t outlen)
{
	static const char *const up[] = { "/../buildpacks",
	    "/../../buildpacks" };
	struct stat	sb;
	size_t		i;

	char		probe[600];

	for (i = 0; i < sizeof(up) / sizeof(up[0]); i++) {
		snprintf(out, outlen, "%s%s", bin_dir, up[i]);
		snprintf(probe, sizeof(probe), "%s/procfile/bin/detect", out);
		if (stat(probe, &sb) == 0 && S_ISREG(sb.st_mode))
			return;
	}
	snprintf(out, outlen, "%s", BUILD_SYSTEM_PACKS);
}

/* ---------------------------------------------------------------- jobs */

static struct job *
job_find(const char *app)
{
	struct job *j;

	for (j = jobs; j; j = j->next)
		if (strcmp(j->app, app) == 0)
			return j;
	return NULL;
}

static void
job_unlink(struct job *j)
{
	struct job **pp;

	for (pp = &jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			return;
		}
}

static void
say(struct job *j, const char *text)
{
	size_t len = strlen(text);

	if (j->out_fd >= 0 && j->out_bytes + (long long)len <=
	    BUILD_OUTPUT_MAX_BYTES) {
		if (write(j->out_fd, text, len) == (ssize_t)len)
			j->out_bytes += (long long)len;
	}
	if (j->stream)
		http_stream_write(j->stream, text, len);
}

static void
job_line(struct job *j, const char *p, size_t n)
{
	struct buf l = BUF_INIT;

	if (n >= strlen(RESULT_PREFIX) &&
	    memcmp(p, RESULT_PREFIX, strlen(RESULT_PREFIX)) == 0) {
		if (j->result.len + n <= BUILD_RESULT_MAX_BYTES) {
			buf_reset(&j->result);
			buf_add(&j->result, p + strlen(RESULT_PREFIX),
			    n - strlen(RESULT_PREFIX));
		}
		return;
	}
	buf_add(&l, p, n);
	buf_addch(&l, '\n');
	say(j, l.p);
	buf_release(&l);
}

static void
on_build_out(struct proc *p, const char *data, size_t len)
{
	struct job	*j = proc_arg(p);
	char		*nl;

	buf_add(&j->line, data, len);
	while ((nl = memchr(j->line.p, '\n', j->line.len)) != NULL) {
		size_t n = (size_t)(nl - j->line.p);

		job_line(j, j->line.p, n);
		memmove(j->line.p, nl + 1, j->line.len - n - 1);
		buf_truncate(&j->line, j->line.len - n - 1);
	}
	if (j->line.len > BUILD_LINE_MAX_BYTES) {
		job_line(j, j->line.p, j->line.len);
		buf_reset(&j->line);
	}
}

/* The env dir holds the app's secrets: gone as soon as the build ends. */
static void
rm_env(struct job *j)
{
	struct dirent	*de;
	char		 path[500];
	DIR		*d;

	snprintf(path, sizeof(path), "%s/env", j->dir);
	d = opendir(path);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			(void)unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	(void)rmdir(path);
}

static void
job_free(struct job *j)
{
	job_unlink(j);
	if (j->out_fd >= 0)
		close(j->out_fd);
	buf_release(&j->line);
	buf_release(&j->result);
	json_decref(j->packs);
	free(j);
}

static int
jobs_running(void)
{
	struct job	*j;
	int		 n = 0;

	for (j = jobs; j; j = j->next)
		n += j->proc != NULL;
	return n;
}

static void
job_end(struct job *j)
{
	struct http_stream *s = j->stream;

	j->stream = NULL;
	if (s)
		http_stream_end(s);
	if (j->proc == NULL && !j->awaiting)
		job_free(j);
}

static int
job_deploy(struct job *j, struct release *rel, struct perr *err)
{
	struct store_deploy	 d;
	json_t			*res;
	int			 rc;

	res = build_parse_result(j->result.p, j->result.len, j->commit, err);
	if (res == NULL)
		return err->code;
	d.image = json_string_value(json_object_get(res, "image"));
	d.commit = j->commit;
	d.process_types = json_object_get(res, "process_types");
	d.config_defaults = json_object_get(res, "config_vars");
	d.pending = 1;
	rc = store_release_deploy(j->pd->store, j->app, &d, rel, err);
	json_decref(res);
	return rc;
}

/* The supervisor's word on the new release: live, or not. */
static void
on_release(void *arg, int ok, const char *why)
{
	struct job	*j = arg;
	char		 msg[768], port[16] = "";

	j->awaiting = 0;
	if (ok) {
		if (j->pd->http_port != 80)
			snprintf(port, sizeof(port), ":%d", j->pd->http_port);
		snprintf(msg, sizeof(msg), "       Released v%lld\n"
		    "       http://%s.%s%s/ deployed to paas\n"
		    "paas-build-status: succeeded v%lld\n", j->version,
		    j->app, j->pd->domain, port, j->version);
		applog_event(j->pd->applog, j->app, "api", "Release v%lld "
		    "created", j->version);
	} else {
		snprintf(msg, sizeof(msg), " !     Release v%lld failed: %s\n"
		    " !     The previous release keeps running.\n"
		    "paas-build-status: failed\n", j->version, why);
		applog_event(j->pd->applog, j->app, "api", "Release v%lld "
		    "failed: %s", j->version, why);
	}
	say(j, msg);
	job_end(j);
}

/*
 * paas-build names each step's cgroup paas/APP/build-PID-N and removes
 * it itself; if it was killed (SIGKILL, OOM) its steps died with it
 * (pdeathsig) but their cgroups stay: remove them here.
 */
static void
rm_build_cgroups(const char *app, pid_t pid)
{
	enum cgroup_version	 v;
	struct cgroup		 cg;
	struct dirent		*de;
	struct perr		 err = PERR_INIT;
	char			 dir[128], prefix[40];
	DIR			*d;
	int			 rootfd, fd;

	rootfd = open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return;
	if (cgroup_detect(rootfd, &v) != 0) {
		close(rootfd);
		return;
	}
	snprintf(dir, sizeof(dir), "%spaas/%s", v == CGROUP_V2 ? "" : "pids/",
	    app);
	snprintf(prefix, sizeof(prefix), "build-%ld-", (long)pid);
	fd = openat(rootfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		close(rootfd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 ||
		    cgroup_init(&cg, rootfd, app, de->d_name, &err) != 0)
			continue;
		(void)cgroup_kill(&cg, NULL);
		if (cgroup_remove(&cg, &err) != 0)
			log_warnx("app=%s: %s", app, err.msg);
		else
			log_info("app=%s removed the cgroup %s of a killed "
			    "build", app, de->d_name);
	}
	closedir(d);
	close(rootfd);
}

static void
on_build_exit(struct proc *p, int status)
{
	struct job	*j = proc_arg(p);
	struct perr	 err = PERR_INIT;
	struct release	 rel;
	char		 msg[512], port[16] = "";
	int		 ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;

	j->proc = NULL;
	if (WIFSIGNALED(status))
		rm_build_cgroups(j->app, proc_pid(p));
	start_queued();		/* a build slot is free */
	memset(&rel, 0, sizeof(rel));
	if (j->line.len)
		job_line(j, j->line.p, j->line.len);
	rm_env(j);
	if (ok && job_deploy(j, &rel, &err) != 0) {
		snprintf(msg, sizeof(msg), " !     %s\n", err.msg);
		say(j, msg);
		ok = 0;
	}
	if (store_build_finish(j->pd->store, j->id, ok, rel.version,
	    &err) != 0)
		log_warnx("app=%s build=%s: %s", j->app, j->id, err.msg);
	(void)port;
	if (ok) {
		/* the release goes live once its web processes are up */
		applog_event(j->pd->applog, j->app, "api", "Deploy %.7s",
		    j->commit);
		log_info("app=%s build=%s release=v%lld commit=%.12s", j->app,
		    j->id, rel.version, j->commit);
		say(j, "-----> Launching...\n");
		j->awaiting = 1;
		j->version = rel.version;
		release_release(&rel);
		dyno_await(j->app, j->version, on_release, j);
		return;
	} else {
		snprintf(msg, sizeof(msg), "paas-build-status: failed\n");
		applog_event(j->pd->applog, j->app, "api", "Build %.8s "
		    "failed", j->id);
		log_info("app=%s build=%s failed", j->app, j->id);
	}
	say(j, msg);
	release_release(&rel);
	job_end(j);
}

static void
on_client_gone(void *arg)
{
	struct job *j = arg;

	/* paas-build cancels cleanly on SIGTERM (cache back, work removed) */
	j->stream = NULL;
	if (j->queued) {
		rm_env(j);
		(void)store_build_finish(j->pd->store, j->id, 0, 0, NULL);
		log_info("app=%s build=%s: the pusher left while it waited",
		    j->app, j->id);
		job_free(j);
	} else if (j->proc)
		proc_kill(j->proc, SIGTERM);
	else if (!j->awaiting)
		job_free(j);
}

void
build_cancel_all(void)
{
	struct job *j, *next;

	for (j = jobs; j; j = next) {
		next = j->next;
		if (j->proc)
			proc_kill(j->proc, SIGTERM);
		else if (j->queued) {
			j->queued = 0;
			say(j, " !     paasd is stopping: push again later\n"
			    "paas-build-status: failed\n");
			rm_env(j);
			(void)store_build_finish(j->pd->store, j->id, 0, 0,
			    NULL);
			job_end(j);
		}
	}
}

/* ---------------------------------------------------------------- start */

static int
mkdir_p1(const char *path, mode_t mode, struct perr *err)
{
	if (mkdir(path, mode) != 0 && errno != EEXIST)
		return perr_set(err, -errno, "mkdir %s: %s", path,
		    strerror(errno));
	return 0;
}

static int
write_env(const char *dir, json_t *config, struct perr *err)
{
	const char	*k;
	json_t		*v;
	char		 path[700];
	int		 fd, rc = 0;

	if ((rc = mkdir_p1(dir, 0700, err)) != 0)
		return rc;
	json_object_foreach(config, k, v) {
		snprintf(path, sizeof(path), "%s/%s", dir, k);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
		if (fd < 0 || write(fd, json_string_value(v),
		    json_string_length(v)) != (ssize_t)json_string_length(v))
			rc = perr_set(err, -EIO, "write %s: %s", path,
			    strerror(errno));
		if (fd >= 0)
			close(fd);
		if (rc)
			break;
	}
	return rc;
}

static int
parse_request(struct paasd *pd, const struct http_req *req, const char *app,
    char *commit, char *objects, size_t objlen, char *ref, size_t reflen,
    struct perr *err)
{
	json_error_t	 je;
	json_t		*o;
	const char	*c = NULL, *obj = NULL, *r = NULL;
	char		 prefix[400];
	struct stat	 sb;
	int		 rc = 0;

	o = json_loadb(req->body, req->bodylen, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL || json_unpack_ex(o, &je, JSON_STRICT, "{s:s, s?s, s?s}",
	    "commit", &c, "objects", &obj, "ref", &r) != 0) {
		json_decref(o);
		return perr_set(err, -EBADMSG, "invalid request: %s", je.text);
	}
	if (strlen(c) != 40 || !is_hex(c, 40))
		rc = perr_set(err, -EINVAL, "commit must be a full SHA-1 in "
		    "lowercase hex");
	else
		memcpy(commit, c, 41);
	ref[0] = '\0';
	if (rc == 0 && r && (strncmp(r, "refs/heads/", 11) != 0 ||
	    valid_branch(r + 11, strlen(r + 11), NULL) != 0 ||
	    strlen(r) >= reflen))
		rc = perr_set(err, -EINVAL, "ref must be refs/heads/BRANCH");
	else if (r)
		snprintf(ref, reflen, "%s", r);
	objects[0] = '\0';
	if (rc == 0 && obj && obj[0]) {
		char	 want[PATH_MAX], *real = NULL;
		size_t	 wlen;

		/* only git's own quarantine, directly in this app's objects */
		snprintf(prefix, sizeof(prefix), "%s/repos/%s.git/objects",
		    pd->data_dir, app);
		if (realpath(prefix, want) == NULL)
			want[0] = '\0';
		wlen = strlen(want);
		real = realpath(obj, NULL);
		if (real == NULL || wlen == 0 || strlen(real) >= objlen ||
		    strncmp(real, want, wlen) != 0 || real[wlen] != '/' ||
		    strchr(real + wlen + 1, '/') != NULL ||
		    strncmp(real + wlen + 1, "tmp_objdir-", 11) != 0 ||
		    lstat(real, &sb) != 0 || !S_ISDIR(sb.st_mode))
			rc = perr_set(err, -EINVAL, "objects must be the "
			    "push's quarantine directory");
		else
			snprintf(objects, objlen, "%s", real);
		free(real);
	}
	json_decref(o);
	return rc;
}

static int
spawn_build(struct job *j, const struct app *a, const char *objects,
    json_t *packs, struct perr *err)
{
	struct paasd	*pd = j->pd;
	struct proc_opts o;
	char		 bin[300], repo[400], images[300], cache[400];
	char		 work[450], env[450], bpdir[400], uid[16], ref[64];
	size_t		 k;
	char		*argv[40 + 2 * 16], *envp[] = {
	    "PATH=/usr/local/bin:/usr/bin:/bin",
	    "LANG=C.UTF-8", NULL };
	int		 i = 0, rc;

	snprintf(bin, sizeof(bin), "%s/paas-build", pd->bin_dir);
	snprintf(repo, sizeof(repo), "%s/repos/%s.git", pd->data_dir, j->app);
	snprintf(images, sizeof(images), "%s/images", pd->data_dir);
	snprintf(cache, sizeof(cache), "%s/cache/%s", pd->data_dir, j->app);
	snprintf(work, sizeof(work), "%s/work", j->dir);
	snprintf(env, sizeof(env), "%s/env", j->dir);
	snprintf(uid, sizeof(uid), "%d", a->uid);
	snprintf(ref, sizeof(ref), "%s-b%.8s", j->app, j->id);
	build_buildpacks_dir(pd->bin_dir, bpdir, sizeof(bpdir));
	if ((rc = mkdir_p1(cache, 0700, err)) != 0)
		return rc;
	argv[i++] = bin;
	argv[i++] = "--repo";
	argv[i++] = repo;
	if (objects[0]) {
		argv[i++] = "--objects";
		argv[i++] = (char *)objects;
	}
	argv[i++] = "--commit";
	argv[i++] = j->commit;
	argv[i++] = "--app";
	argv[i++] = j->app;
	argv[i++] = "--images";
	argv[i++] = images;
	argv[i++] = "--cache";
	argv[i++] = cache;
	argv[i++] = "--work";
	argv[i++] = work;
	argv[i++] = "--env-dir";
	argv[i++] = env;
	argv[i++] = "--buildpacks-dir";
	argv[i++] = bpdir;
	argv[i++] = "--uid";
	argv[i++] = uid;
	argv[i++] = "--gid";
	argv[i++] = uid;
	argv[i++] = "--ref";
	argv[i++] = ref;
	if (pd->userns)
		argv[i++] = "--userns";
	for (k = 0; k < json_array_size(packs) && k < 16; k++) {
		argv[i++] = "--buildpack";
		argv[i++] = (char *)json_string_value(json_array_get(packs, k));
	}
	argv[i] = NULL;
	memset(&o, 0, sizeof(o));
	o.argv = argv;
	o.envp = envp;
	o.on_stdout = on_build_out;
	o.on_stderr = on_build_out;
	o.on_exit = on_build_exit;
	o.arg = j;
	rc = proc_spawn(uv_default_loop(), &o, &j->proc);
	if (rc != 0)
		return perr_set(err, rc, "start paas-build: %s", strerror(-rc));
	return 0;
}

/* The oldest build waiting for a slot starts, if there is a slot. */
static void
start_queued(void)
{
	struct perr	 err = PERR_INIT;
	struct job	*j, *first = NULL;
	char		 msg[400];

	for (j = jobs; j; j = j->next)
		if (j->queued && (first == NULL || j->seq < first->seq))
			first = j;
	if (first == NULL || jobs_running() >= first->pd->builds_max)
		return;
	j = first;
	j->queued = 0;
	log_info("app=%s build=%s: out of the queue", j->app, j->id);
	if (spawn_build(j, &j->a, j->objects, j->packs, &err) == 0)
		return;
	snprintf(msg, sizeof(msg), " !     %s\npaas-build-status: failed\n",
	    err.msg);
	say(j, msg);
	rm_env(j);
	(void)store_build_finish(j->pd->store, j->id, 0, 0, NULL);
	job_end(j);
}

int
build_start(struct paasd *pd, const struct http_req *req, const char *app,
    struct perr *err)
{
	struct store_build	 b;
	struct app		 a;
	struct job		*j = NULL;
	json_t			*config = NULL, *packs = NULL;
	char			 commit[41], objects[400], path[500];
	char			 ref[100];
	int			 rc;

	if ((rc = store_app_get(pd->store, app, &a, err)) != 0 ||
	    (rc = parse_request(pd, req, app, commit, objects,
	    sizeof(objects), ref, sizeof(ref), err)) != 0)
		return rc;
	if (ref[0] && strcmp(ref + 11, a.deploy_branch) != 0) {
		struct http_stream *s = http_stream_begin(req, 200,
		    "text/plain; charset=utf-8", NULL, NULL);
		char msg[400];
		int n;

		n = snprintf(msg, sizeof(msg), " !     push to %s refused: "
		    "%s deploys from refs/heads/%s\n !     (paas apps:settings "
		    "deploy_branch=%s -a %s to deploy from it)\n"
		    "paas-build-status: failed\n", ref, app, a.deploy_branch,
		    ref + 11, app);
		http_stream_write(s, msg, n > 0 && (size_t)n < sizeof(msg) ?
		    (size_t)n : strlen(msg));
		http_stream_end(s);
		return 0;
	}
	if (job_find(app) != NULL) {
		struct http_stream *s = http_stream_begin(req, 200,
		    "text/plain; charset=utf-8", NULL, NULL);
		static const char busy[] = " !     Another build of this app "
		    "is running; push again when it has finished.\n"
		    "paas-build-status: failed\n";

		http_stream_write(s, busy, sizeof(busy) - 1);
		http_stream_end(s);
		return 0;
	}
	if ((rc = store_config_get(pd->store, app, &config, err)) != 0 ||
	    (rc = store_buildpacks_get(pd->store, app, &packs, err)) != 0 ||
	    (rc = store_build_add(pd->store, app, commit, &b, err)) != 0)
		goto out;
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		abort();
	j->pd = pd;
	j->out_fd = -1;
	buf_init(&j->line);
	buf_init(&j->result);
	snprintf(j->app, sizeof(j->app), "%s", app);
	snprintf(j->id, sizeof(j->id), "%s", b.id);
	memcpy(j->commit, commit, sizeof(j->commit));
	snprintf(path, sizeof(path), "%s/builds", pd->data_dir);
	snprintf(j->dir, sizeof(j->dir), "%s/builds/%s", pd->data_dir, b.id);
	/* 0711 past the umask: paas-build's user must reach WORK under it */
	if ((rc = mkdir_p1(path, 0711, err)) != 0 ||
	    (rc = mkdir_p1(j->dir, 0711, err)) != 0)
		goto fail;
	if (chmod(path, 0711) != 0 || chmod(j->dir, 0711) != 0) {
		rc = perr_set(err, -errno, "chmod %s: %s", j->dir,
		    strerror(errno));
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/output", j->dir);
	j->out_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	snprintf(path, sizeof(path), "%s/env", j->dir);
	j->a = a;
	snprintf(j->objects, sizeof(j->objects), "%s", objects);
	j->seq = ++job_seq;
	j->queued = jobs_running() >= pd->builds_max;
	if ((rc = write_env(path, config, err)) != 0 ||
	    (!j->queued && (rc = spawn_build(j, &a, objects, packs,
	    err)) != 0))
		goto fail;
	j->packs = json_incref(packs);
	j->next = jobs;
	jobs = j;
	j->stream = http_stream_begin(req, 200, "text/plain; charset=utf-8",
	    on_client_gone, j);
	if (j->queued) {
		char msg[200];

		snprintf(msg, sizeof(msg), "-----> Waiting for a build slot: "
		    "%d builds are running (at most %d at a time)\n",
		    jobs_running(), pd->builds_max);
		say(j, msg);
	}
	log_info("app=%s build=%s commit=%.12s %s", app, b.id, commit,
	    j->queued ? "queued" : "started");
	json_decref(config);
	json_decref(packs);
	return 0;
fail:
	rm_env(j);
	(void)store_build_finish(pd->store, b.id, 0, 0, NULL);
	if (j->out_fd >= 0)
		close(j->out_fd);
	buf_release(&j->line);
	buf_release(&j->result);
	free(j);
out:
	json_decref(config);
	json_decref(packs);
	return rc;
}

/* ---------------------------------------------------------------- reads */

int
build_list(struct paasd *pd, const char *app, json_t **out, struct perr *err)
{
	struct store_build	*b = NULL;
	size_t			 n = 0, i;
	json_t			*arr;
	int			 rc;

	if ((rc = store_build_list(pd->store, app, &b, &n, err)) != 0)
		return rc;
	arr = json_array();
	for (i = 0; i < n; i++) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", b[i].id,
		    "commit", b[i].commit, "status", b[i].status,
		    "created_at", b[i].created_at,
		    "updated_at", b[i].updated_at);

		json_object_set_new(o, "release", b[i].release_version > 0 ?
		    json_integer(b[i].release_version) : json_null());
		json_array_append_new(arr, o);
	}
	free(b);
	*out = arr;
	return 0;
}

int
build_output(struct paasd *pd, const char *app, const char *id,
    struct buf *out, struct perr *err)
{
	struct store_build	*b = NULL;
	size_t			 n = 0, i;
	char			 path[500], chunk[65536];
	ssize_t			 r;
	int			 rc, fd;

	if ((rc = store_build_list(pd->store, app, &b, &n, err)) != 0)
		return rc;
	for (i = 0; i < n; i++)
		if (strcmp(b[i].id, id) == 0 || (strcmp(id, "latest") == 0 &&
		    i == 0))
			break;
	if (i == n) {
		free(b);
		return perr_set(err, -ENOENT, "build '%.40s' not found", id);
	}
	snprintf(path, sizeof(path), "%s/builds/%s/output", pd->data_dir,
	    b[i].id);
	free(b);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return perr_set(err, -ENOENT, "the output of that build is "
		    "gone");
	while ((r = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(out, chunk, (size_t)r);
	close(fd);
	return 0;
}

void
build_recover(struct paasd *pd)
{
	struct perr err = PERR_INIT;

	if (store_build_fail_pending(pd->store, &err) != 0)
		log_warnx("%s", err.msg);
}
