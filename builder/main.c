#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "build.h"
#include "buildpack.h"
#include "checkout.h"
#include "fsutil.h"
#include "parse.h"
#include "sandbox.h"
#include "slug.h"
#include "valid.h"

/* ------------------------------------------------------ command line */

enum opt {
	OPT_REPO = 256, OPT_COMMIT, OPT_APP, OPT_IMAGES, OPT_CACHE, OPT_WORK,
	OPT_ENV_DIR, OPT_BUILDPACK, OPT_BUILDPACKS_DIR, OPT_UID, OPT_GID,
	OPT_TIMEOUT, OPT_RELEASE_VERSION, OPT_REF, OPT_STACK,
	OPT_COMPRESSION, OPT_LEVEL, OPT_EPOCH, OPT_KEEP_WORK, OPT_USERNS,
	OPT_HELP,
	OPT_OBJECTS, OPT_BUILD_MEMORY, OPT_BUILD_PIDS, OPT_INIT,
};

static const struct option options[] = {
	{ "repo",		required_argument, NULL, OPT_REPO },
	{ "objects",		required_argument, NULL, OPT_OBJECTS },
	{ "commit",		required_argument, NULL, OPT_COMMIT },
	{ "app",		required_argument, NULL, OPT_APP },
	{ "images",		required_argument, NULL, OPT_IMAGES },
	{ "cache",		required_argument, NULL, OPT_CACHE },
	{ "work",		required_argument, NULL, OPT_WORK },
	{ "env-dir",		required_argument, NULL, OPT_ENV_DIR },
	{ "buildpack",		required_argument, NULL, OPT_BUILDPACK },
	{ "buildpacks-dir",	required_argument, NULL, OPT_BUILDPACKS_DIR },
	{ "uid",		required_argument, NULL, OPT_UID },
	{ "gid",		required_argument, NULL, OPT_GID },
	{ "timeout",		required_argument, NULL, OPT_TIMEOUT },
	{ "release-version",	required_argument, NULL, OPT_RELEASE_VERSION },
	{ "ref",		required_argument, NULL, OPT_REF },
	{ "stack",		required_argument, NULL, OPT_STACK },
	{ "compression",	required_argument, NULL, OPT_COMPRESSION },
	{ "compression-level",	required_argument, NULL, OPT_LEVEL },
	{ "source-date-epoch",	required_argument, NULL, OPT_EPOCH },
	{ "keep-work",		no_argument,	   NULL, OPT_KEEP_WORK },
	{ "userns",		no_argument,	   NULL, OPT_USERNS },
	{ "build-memory",	required_argument, NULL, OPT_BUILD_MEMORY },
	{ "build-pids",		required_argument, NULL, OPT_BUILD_PIDS },
	{ "init",		required_argument, NULL, OPT_INIT },
	{ "help",		no_argument,	   NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char usage_text[] =
	"usage: paas-build --repo DIR [--objects DIR] --commit SHA --app APP\n"
	"         --images DIR\n"
	"         --cache DIR --work DIR [--env-dir DIR]\n"
	"         [--buildpack NAME|PATH|URL[#REF]]... [--buildpacks-dir DIR]\n"
	"         [--uid N --gid N] [--timeout SEC] [--release-version N]\n"
	"         [--ref NAME] [--stack NAME] [--compression zstd|gzip|none]\n"
	"         [--compression-level N] [--source-date-epoch SEC]\n"
	"         [--keep-work] [--build-memory MB] [--build-pids N]\n"
	"         [--init PATH] [--userns]\n";

static int
usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "paas-build: %s\n", why);
	fputs(usage_text, stderr);
	return 2;
}

static int
num(const char *s, uint64_t max, uint64_t *out)
{
	return parse_u64(s, strlen(s), 0, max, out);
}

static int
parse_opt(struct build *b, int c, const char *arg)
{
	uint64_t	v = 0;

	switch (c) {
	case OPT_REPO: b->repo = arg; return 0;
	case OPT_OBJECTS: b->objects = arg; return 0;
	case OPT_COMMIT: b->commit = arg; return 0;
	case OPT_APP: b->app = arg; return 0;
	case OPT_IMAGES: b->images = arg; return 0;
	case OPT_CACHE: b->cache = arg; return 0;
	case OPT_WORK: b->work = arg; return 0;
	case OPT_ENV_DIR: b->env_dir = arg; return 0;
	case OPT_BUILDPACKS_DIR: b->buildpacks_dir = arg; return 0;
	case OPT_REF: b->ref = arg; return oci_ref_valid(arg) ? 0 : -1;
	case OPT_STACK: b->stack = arg; return 0;
	case OPT_KEEP_WORK: b->keep_work = 1; return 0;
	case OPT_USERNS: b->userns = 1; return 0;
	case OPT_INIT: b->init = arg; return arg[0] == '/' ? 0 : -1;
	case OPT_BUILDPACK:
		if (b->nspecs >= BUILD_MAX_PACKS)
			return -1;
		b->specs[b->nspecs++] = arg;
		return 0;
	case OPT_COMPRESSION:
		if (strcmp(arg, "zstd") == 0)
			b->compress = OCI_COMPRESS_ZSTD;
		else if (strcmp(arg, "gzip") == 0)
			b->compress = OCI_COMPRESS_GZIP;
		else if (strcmp(arg, "none") == 0)
			b->compress = OCI_COMPRESS_NONE;
		else
			return -1;
		return 0;
	}
	if (c == OPT_UID || c == OPT_GID) {
		if (num(arg, 0xfffffffeU, &v) != 0 || v == 0)
			return -1;
		if (c == OPT_UID)
			b->uid = (uid_t)v;
		else
			b->gid = (gid_t)v;
		b->drop |= c == OPT_UID ? 1 : 2;
		return 0;
	}
	if (c == OPT_TIMEOUT && num(arg, 24 * 3600, &v) == 0 && v > 0) {
		b->timeout_sec = (unsigned)v;
		return 0;
	}
	if (c == OPT_BUILD_MEMORY && num(arg, 1024 * 1024, &v) == 0 &&
	    v >= SANDBOX_MIN_MEMORY >> 20) {
		b->memory_bytes = v << 20;
		return 0;
	}
	if (c == OPT_BUILD_PIDS && num(arg, 1 << 22, &v) == 0 &&
	    v >= SANDBOX_MIN_PIDS) {
		b->pids = v;
		return 0;
	}
	if (c == OPT_RELEASE_VERSION && num(arg, 1000000000, &v) == 0) {
		b->release_version = (unsigned)v;
		return 0;
	}
	if (c == OPT_LEVEL && num(arg, 22, &v) == 0) {
		b->level = (int)v;
		return 0;
	}
	if (c == OPT_EPOCH && num(arg, INT64_MAX, &v) == 0) {
		b->epoch = (int64_t)v;
		return 0;
	}
	return -1;
}

/*
 * path made absolute and canonical (no "..", no symlink): the steps see
 * the dirs at these paths. A path that does not exist yet (WORK) is its
 * canonical parent plus its last component. NULL on failure.
 */
static char *
abs_path(const char *path)
{
	struct buf	 b = BUF_INIT;
	char		*dir, *base, *parent, *real;

	if ((real = realpath(path, NULL)) != NULL || errno != ENOENT)
		return real;
	buf_adds(&b, path);
	while (b.len > 1 && b.p[b.len - 1] == '/')
		buf_truncate(&b, b.len - 1);
	base = strrchr(b.p, '/');
	dir = base == NULL ? "." : base == b.p ? "/" : b.p;
	if (base != NULL)
		*base++ = '\0';
	else
		base = b.p;
	parent = NULL;
	if (strcmp(base, ".") != 0 && strcmp(base, "..") != 0 &&
	    base[0] != '\0')
		parent = realpath(dir, NULL);
	if (parent != NULL && asprintf(&real, "%s/%s", strcmp(parent,
	    "/") == 0 ? "" : parent, base) < 0)
		real = NULL;
	free(parent);
	buf_release(&b);
	return real;
}

static int
parse_args(struct build *b, int argc, char **argv)
{
	struct perr	err = PERR_INIT;
	const char	*sde;
	uint64_t	 v;
	int		 c;

	b->timeout_sec = BUILD_TIMEOUT_SEC;
	b->stack = BUILD_DEFAULT_STACK;
	b->compress = OCI_COMPRESS_ZSTD;
	b->level = 3;
	b->epoch = -1;
	sde = getenv("SOURCE_DATE_EPOCH");
	if (sde != NULL && num(sde, INT64_MAX, &v) == 0)
		b->epoch = (int64_t)v;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (c == OPT_HELP) {
			fputs(usage_text, stdout);
			exit(0);
		}
		if (c == '?' || parse_opt(b, c, optarg) != 0)
			return usage(c == '?' ? NULL : "bad option value");
	}
	if (optind != argc)
		return usage("unexpected argument");
	if (!b->repo || !b->commit || !b->app || !b->images || !b->cache ||
	    !b->work)
		return usage("--repo, --commit, --app, --images, --cache and "
		    "--work are required");
	if (b->drop != 0 && b->drop != 3)
		return usage("--uid and --gid go together");
	b->drop = b->drop == 3;
	if (valid_app_name(b->app, strlen(b->app), &err) != 0)
		return usage(err.msg);
	if (b->nspecs == 0 && b->buildpacks_dir == NULL)
		b->buildpacks_dir = "/usr/local/lib/paas/buildpacks";
	/* the steps see these dirs at the same paths: absolute ones */
	if ((b->abs_work = abs_path(b->work)) == NULL ||
	    (b->buildpacks_dir != NULL &&
	    (b->abs_packs = abs_path(b->buildpacks_dir)) == NULL))
		return usage("--work and --buildpacks-dir must be valid paths");
	b->work = b->abs_work;
	if (b->abs_packs != NULL)
		b->buildpacks_dir = b->abs_packs;
	return 0;
}

/* ------------------------------------------------------ work dirs */

/* the build user must be able to reach WORK: every parent searchable */
static int
check_reachable(struct build *b, const char *path, struct perr *err)
{
	struct buf	 p = BUF_INIT;
	struct stat	 st;
	char		*slash;
	int		 rc = 0;

	if (!b->drop || path[0] != '/')
		return 0;
	buf_adds(&p, path);
	while ((slash = strrchr(p.p, '/')) != NULL && rc == 0) {
		buf_truncate(&p, slash == p.p ? 1 : (size_t)(slash - p.p));
		if (stat(p.p, &st) != 0)
			rc = perr_set(err, -errno, "stat '%s': %s", p.p,
			    strerror(errno));
		else if (!(st.st_mode & S_IXOTH) && st.st_uid != b->uid &&
		    !(st.st_gid == b->gid && (st.st_mode & S_IXGRP)))
			rc = perr_set(err, -EACCES, "'%s' is not searchable by "
			    "uid %u: the build could not reach its work dir",
			    p.p, (unsigned)b->uid);
		if (p.len == 1)
			break;
	}
	buf_release(&p);
	return rc;
}

static int
make_dir(struct build *b, struct buf *p, const char *name, mode_t mode,
    struct perr *err)
{
	buf_addf(p, "%s/%s", b->work, name);
	if (mkdir(p->p, mode) != 0 || chmod(p->p, mode) != 0 ||
	    (b->drop && chown(p->p, b->uid, b->gid) != 0))
		return perr_set(err, -errno, "create '%s': %s", p->p,
		    strerror(errno));
	return 0;
}

static int
prepare_work(struct build *b, struct perr *err)
{
	int	rc;

	if (mkdir(b->work, 0755) != 0)
		return perr_set(err, -errno, "create work dir '%s': %s",
		    b->work, errno == EEXIST ? "it already exists" :
		    strerror(errno));
	buf_addf(&b->app_dir, "%s/app", b->work);
	if (chmod(b->work, 0755) != 0)
		return perr_set(err, -errno, "chmod '%s': %s", b->work,
		    strerror(errno));
	if ((rc = check_reachable(b, b->work, err)) != 0)
		return rc;
	buf_addf(&b->cache_dir, "%s/cache", b->work);
	if ((rc = make_dir(b, &b->envcopy, "env", 0700, err)) != 0 ||
	    (rc = make_dir(b, &b->packs_dir, "buildpacks", 0755, err)) != 0 ||
	    (rc = make_dir(b, &b->tmp_dir, "tmp", 0700, err)) != 0)
		return rc;
	return 0;
}

/* ENV_DIR: a copy of --env-dir that the build user can read */
static int
copy_env(struct build *b, struct perr *err)
{
	struct perr	 verr = PERR_INIT;
	struct dirent	*de;
	DIR		*d;
	char		*val = NULL;
	size_t		 len;
	int		 sfd = -1, dfd = -1, fd, rc = 0;

	if (b->env_dir == NULL)
		return 0;
	d = opendir(b->env_dir);
	dfd = open(b->envcopy.p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d == NULL || dfd < 0) {
		rc = perr_set(err, -errno, "open env dir '%s': %s",
		    b->env_dir, strerror(errno));
		goto out;
	}
	sfd = dirfd(d);
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (valid_config_key(de->d_name, strlen(de->d_name), &verr)) {
			rc = perr_set(err, -EINVAL, "env dir: %s", verr.msg);
			break;
		}
		if ((rc = fsutil_read_at(sfd, de->d_name, BUILD_ENV_MAX_BYTES,
		    &val, &len, err)) != 0)
			break;
		fd = openat(dfd, de->d_name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, val, len) != (ssize_t)len ||
		    (b->drop && fchown(fd, b->uid, b->gid) != 0))
			rc = perr_set(err, -errno, "copy env '%s': %s",
			    de->d_name, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(val);
		val = NULL;
	}
out:
	if (d != NULL)
		closedir(d);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

static int
move_tree(const char *src, const char *dst, struct perr *err)
{
	int	rc;

	if (rename(src, dst) == 0)
		return 0;
	if (errno != EXDEV)
		return perr_set(err, -errno, "move '%s' to '%s': %s", src, dst,
		    strerror(errno));
	if ((rc = fsutil_copy_tree(src, dst, err)) != 0)
		return rc;
	return fsutil_rm_rf(src, err);
}

/* the app's cache moves into WORK for the build and back afterwards */
static int
take_cache(struct build *b, struct perr *err)
{
	struct stat	st;
	int		rc;

	if (lstat(b->cache, &st) == 0 && S_ISDIR(st.st_mode)) {
		if ((rc = move_tree(b->cache, b->cache_dir.p, err)) != 0)
			return rc;
	} else if (mkdir(b->cache_dir.p, 0700) != 0) {
		return perr_set(err, -errno, "create '%s': %s",
		    b->cache_dir.p, strerror(errno));
	}
	b->cache_taken = 1;
	if (b->drop)
		return fsutil_chown_r(b->cache_dir.p, b->uid, b->gid, err);
	return 0;
}

static void
give_back_cache(struct build *b)
{
	struct perr	err = PERR_INIT;
	uint64_t	bytes = 0;

	if (!b->cache_taken)
		return;
	b->cache_taken = 0;
	if (fsutil_sanitize(b->cache_dir.p, &bytes, &err) != 0 ||
	    bytes > BUILD_CACHE_MAX_BYTES) {
		say_info("Build cache %s; it was cleared", err.msg[0] ?
		    "could not be cleaned" : "is over 1 GB");
		(void)fsutil_rm_rf(b->cache_dir.p, &err);
		return;
	}
	(void)fsutil_rm_rf(b->cache, &err);
	if (move_tree(b->cache_dir.p, b->cache, &err) != 0)
		say_info("Build cache not saved: %s", err.msg);
}

/* ----------------------------------------------------------- steps */

static int
process_types(struct build *b, struct perr *err)
{
	struct buf	 list = BUF_INIT;
	char		*text = NULL;
	size_t		 len, i;
	int		 fd, rc;

	say_step("Discovering process types");
	fd = open(b->app_dir.p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0)
		return perr_set(err, -errno, "open build dir: %s",
		    strerror(errno));
	rc = fsutil_read_at(fd, "Procfile", PROCFILE_MAX_BYTES, &text, &len,
	    err);
	close(fd);
	if (rc == 0) {
		b->from_procfile = 1;
		rc = procfile_parse(text, len, &b->procs, err);
		free(text);
	} else if (rc == -ENOENT) {
		b->procs = b->rel.defaults;
		b->rel.defaults = (struct procfile)PROCFILE_INIT;
		rc = 0;
	}
	if (rc != 0)
		return rc;
	for (i = 0; i < b->procs.n; i++)
		buf_addf(&list, "%s%s", i ? ", " : "", b->procs.v[i].type);
	if (b->procs.n > 0)
		say_info("%s -> %s", b->from_procfile ? "Procfile declares "
		    "types" : "Default types for buildpack", list.p);
	if (b->procs.n == 0)
		say_warn(b, "no process types: add a Procfile; nothing will "
		    "run");
	else if (procfile_get(&b->procs, "web") == NULL)
		say_warn(b, "no web process type: the app will get no HTTP "
		    "traffic");
	buf_release(&list);
	return 0;
}

/* paas-init next to paas-build, when --init does not say */
static const char *
default_init(void)
{
	static char	path[4096];
	ssize_t		n;
	char		*slash;

	n = readlink("/proc/self/exe", path, sizeof(path) - 16);
	if (n <= 0)
		return NULL;
	path[n] = '\0';
	if ((slash = strrchr(path, '/')) == NULL)
		return NULL;
	strcpy(slash + 1, "paas-init");
	return access(path, X_OK) == 0 ? path : NULL;
}

static int
open_sandbox(struct build *b, struct perr *err)
{
	struct sandbox_conf	 c;
	int			 rc;

	if (!b->drop)
		return perr_set(err, -EINVAL, "the buildpacks run as the app's "
		    "user: --uid and --gid are required");
	memset(&c, 0, sizeof(c));
	buf_addf(&b->sandbox_dir, "%s/sandbox", b->work);
	c.dir = b->sandbox_dir.p;
	c.uid = b->uid;
	c.gid = b->gid;
	c.app = b->app;
	c.init = b->init ? b->init : default_init();
	c.memory_bytes = b->memory_bytes;
	c.pids = b->pids;
	c.userns = b->userns;
	b->sandbox = calloc(1, sizeof(*b->sandbox));
	if (b->sandbox == NULL)
		return perr_set(err, -ENOMEM, "out of memory");
	rc = sandbox_open(b->sandbox, &c, err);
	if (rc != 0)
		return rc;
	say_info("Build container: uid %u, %llu MB, %llu processes",
	    (unsigned)b->uid, (unsigned long long)(b->sandbox->lim.memory_bytes
	    >> 20), (unsigned long long)b->sandbox->lim.pids);
	return 0;
}

static int
run_build(struct build *b, struct perr *err)
{
	struct checkout_opts	co;
	int			rc;

	if ((rc = prepare_work(b, err)) != 0)
		return rc;
	say_step("Building on the %s stack", b->stack);
	checkout_opts_default(&co);
	co.objects = b->objects;
	co.chown = b->drop;
	co.uid = b->uid;
	co.gid = b->gid;
	if ((rc = checkout_commit(b->repo, b->commit, b->app_dir.p, &co,
	    &b->co, err)) != 0)
		return rc;
	if ((rc = copy_env(b, err)) != 0 || (rc = take_cache(b, err)) != 0 ||
	    (rc = open_sandbox(b, err)) != 0)
		return rc;
	if ((rc = buildpack_select(b, err)) != 0 ||
	    (rc = buildpack_compile_all(b, err)) != 0 ||
	    (rc = buildpack_release(b, err)) != 0)
		return rc;
	if ((rc = process_types(b, err)) != 0)
		return rc;
	give_back_cache(b);
	return slug_image(b, err);
}

static void
print_result(struct build *b)
{
	json_t	*r, *vars, *addons, *warn;
	char	*s;
	size_t	 i;

	vars = json_object();
	for (i = 0; i < b->rel.nvars; i++)
		json_object_set_new(vars, b->rel.vars[i].key,
		    json_string(b->rel.vars[i].value));
	addons = json_array();
	for (i = 0; i < b->rel.naddons; i++)
		json_array_append_new(addons, json_string(b->rel.addons[i]));
	warn = json_array();
	for (i = 0; i < b->nwarnings; i++)
		json_array_append_new(warn, json_string(b->warnings[i]));
	r = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:I, s:s}, s:o, "
	    "s:o, s:o, s:o, s:o, s:b}",
	    "image", b->manifest.digest, "ref", b->refname,
	    "commit", b->co.commit, "stack", b->stack,
	    "layer", "digest", b->layer.desc.digest, "diff_id",
	    b->layer.diff_id, "size", (json_int_t)b->layer.desc.size,
	    "media_type", b->layer.desc.media_type,
	    "process_types", slug_process_types(&b->procs),
	    "config_vars", vars, "addons", addons,
	    "buildpacks", slug_buildpacks(b), "warnings", warn,
	    "procfile", b->from_procfile);
	s = r ? json_dumps(r, JSON_COMPACT) : NULL;
	if (s != NULL) {
		say_result(s);
	}
	free(s);
	json_decref(r);
}

static void
on_signal(int sig)
{
	(void)sig;
	sandbox_cancel = 1;
}

static void
build_release(struct build *b)
{
	struct perr	err = PERR_INIT;
	size_t		i;

	if (b->sandbox != NULL) {
		sandbox_close(b->sandbox);
		free(b->sandbox);
		b->sandbox = NULL;
	}
	give_back_cache(b);
	if (b->work != NULL && !b->keep_work && b->app_dir.len > 0)
		(void)fsutil_rm_rf(b->work, &err);
	buildpack_release_all(b);
	release_release(&b->rel);
	procfile_release(&b->procs);
	for (i = 0; i < b->nwarnings; i++)
		free(b->warnings[i]);
	buf_release(&b->app_dir);
	buf_release(&b->cache_dir);
	buf_release(&b->envcopy);
	buf_release(&b->packs_dir);
	buf_release(&b->tmp_dir);
	buf_release(&b->sandbox_dir);
	free(b->abs_work);
	free(b->abs_packs);
}

/*
 * paas-build unpack IMAGES LAYER_DIGEST DEST UID GID: the runtime's
 * one-time extraction of a release's slug layer into the read-only dir
 * its instances share, owned by the app's user (a buildpack's 0600 file
 * stays readable by the app). paasd spawns this rather than forking
 * itself.
 */
static uid_t	unpack_uid;
static gid_t	unpack_gid;

static int
chown_entry(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return lchown(path, unpack_uid, unpack_gid) == 0 ? 0 : -1;
}

static int
unpack_main(int argc, char **argv)
{
	struct perr	err = PERR_INIT;
	char		tmp[4096];
	int		uid, gid;

	if (argc != 7 || parse_int(argv[5], 1, 65534 * 1000, &uid) != 0 ||
	    parse_int(argv[6], 1, 65534 * 1000, &gid) != 0) {
		fprintf(stderr, "usage: paas-build unpack IMAGES DIGEST DEST "
		    "UID GID\n");
		return 2;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.unpack-%d", argv[4],
	    (int)getpid()) >= sizeof(tmp))
		return 2;
	unpack_uid = (uid_t)uid;
	unpack_gid = (gid_t)gid;
	if (oci_layer_unpack(argv[2], argv[3], tmp, NULL, &err) != 0) {
		fprintf(stderr, "paas-build: %s\n", err.msg);
		return 1;
	}
	if (nftw(tmp, chown_entry, 32, FTW_PHYS | FTW_MOUNT) != 0 ||
	    rename(tmp, argv[4]) != 0) {
		fprintf(stderr, "paas-build: unpack into %s: %s\n", argv[4],
		    strerror(errno));
		return 1;
	}
	return 0;
}

/*
 * paas-build gc IMAGES MIN_AGE_S DIGEST...: keep these manifests (and
 * their configs and layers), drop every other ref and blob at least
 * MIN_AGE_S old. paasd runs it after a deploy; the work is disk I/O that
 * must not stall its event loop.
 */
static int
gc_main(int argc, char **argv)
{
	struct oci_gc_stats	st;
	struct perr		err = PERR_INIT;
	int			age;

	if (argc < 4 || parse_int(argv[3], 0, 86400 * 365, &age) != 0) {
		fprintf(stderr, "usage: paas-build gc IMAGES MIN_AGE_S "
		    "DIGEST...\n");
		return 2;
	}
	memset(&st, 0, sizeof(st));
	if (oci_gc(argv[2], (const char *const *)argv + 4, (size_t)argc - 4,
	    age, &st, &err) != 0) {
		fprintf(stderr, "paas-build: %s\n", err.msg);
		return 1;
	}
	printf("paas-build: gc kept=%llu removed=%llu freed=%llu refs=%llu\n",
	    (unsigned long long)st.kept, (unsigned long long)st.removed,
	    (unsigned long long)st.bytes_freed,
	    (unsigned long long)st.refs_dropped);
	return 0;
}

int
main(int argc, char **argv)
{
	struct build		 b;
	struct perr		 err = PERR_INIT;
	struct sigaction	 sa;
	int			 rc;

	if (argc > 1 && strcmp(argv[1], "unpack") == 0)
		return unpack_main(argc, argv);
	if (argc > 1 && strcmp(argv[1], "gc") == 0)
		return gc_main(argc, argv);
	memset(&b, 0, sizeof(b));
	buf_init(&b.app_dir);
	buf_init(&b.cache_dir);
	buf_init(&b.envcopy);
	buf_init(&b.packs_dir);
	buf_init(&b.tmp_dir);
	buf_init(&b.sandbox_dir);
	release_init(&b.rel);
	if ((rc = parse_args(&b, argc, argv)) != 0)
		return rc;
	umask(022);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* a vanished reader must not stop the cleanup; steps get SIG_DFL */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	b.deadline_ms = sandbox_now_ms() + (int64_t)b.timeout_sec * 1000;
	rc = run_build(&b, &err);
	if (rc == 0)
		print_result(&b);
	else
		say_error("%s", err.msg);
	build_release(&b);
	return rc == 0 ? 0 : 1;
}
