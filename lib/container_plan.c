/*
 * The pure side of the launcher: checking a request, turning it into
 * the mount plan, and writing the curated /etc. container.c runs it.
 */
#include <sys/mount.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "container.h"

#define FLAGS_ALL	(CONTAINER_HOST_STACK | CONTAINER_NEWNET | \
			 CONTAINER_NO_SYS | CONTAINER_CTTY | CONTAINER_PTY | \
			 CONTAINER_USERNS)
#define RO_BIND		(MS_RDONLY | MS_NOSUID | MS_NODEV)

static const char *const op_names[] = {
	[CONTAINER_OP_PRIVATE] = "make-private",
	[CONTAINER_OP_MOUNT] = "mount", [CONTAINER_OP_BIND] = "bind",
	[CONTAINER_OP_MKDIR] = "mkdir", [CONTAINER_OP_MKFILE] = "mkfile",
	[CONTAINER_OP_SYMLINK] = "symlink", [CONTAINER_OP_NOLINK] = "nolink",
	[CONTAINER_OP_MASK] = "mask", [CONTAINER_OP_RDONLY] = "read-only",
};

const char *
container_op_name(enum container_op op)
{
	if ((size_t)op < sizeof(op_names) / sizeof(op_names[0]))
		return op_names[op];
	return "?";
}

/* Docker's masked and read-only paths (moby oci/defaults.go) */
static const char *const proc_masked[] = {
	"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore",
	"/proc/keys", "/proc/latency_stats", "/proc/timer_list",
	"/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
};
static const char *const sys_masked[] = {
	"/sys/firmware", "/sys/devices/virtual/powercap",
};
static const char *const proc_rdonly[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
	"/proc/sysrq-trigger",
};
static const char *const devices[] = {
	"null", "zero", "full", "random", "urandom", "tty",
};
static const char *const host_stack[] = {
	"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
};
/* host /etc entries bound read-only over the curated /etc */
static const char *const etc_from_host[] = {
	"/etc/ssl", "/etc/ca-certificates", "/etc/alternatives",
	"/etc/ld.so.cache",
};
static const struct { const char *link, *target; } dev_links[] = {
	{ "ptmx", "pts/ptmx" }, { "fd", "/proc/self/fd" },
	{ "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

void
container_req_init(struct container_req *req)
{
	memset(req, 0, sizeof(*req));
	req->stdio[0] = req->stdio[1] = req->stdio[2] = -1;
}

/* absolute, bounded, no "." or ".." component, no overlay separators */
static int
path_ok(const char *p, int overlay)
{
	const char *c;
	size_t len;

	if (p == NULL || p[0] != '/' || (len = strlen(p)) >= CONTAINER_PATH_MAX)
		return 0;
	if (overlay && strpbrk(p, ",:\\") != NULL)
		return 0;
	for (c = p; c != NULL; c = strchr(c + 1, '/')) {
		if (strncmp(c, "/..", 3) == 0 && (c[3] == '/' || c[3] == '\0'))
			return 0;
		if (strncmp(c, "/.", 2) == 0 && (c[2] == '/' || c[2] == '\0'))
			return 0;
	}
	return 1;
}

static int
hostname_ok(const char *h)
{
	size_t i, len;

	if (h == NULL || (len = strlen(h)) == 0 || len > CONTAINER_HOSTNAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' &&
		    h[i] <= 'Z') || (h[i] >= '0' && h[i] <= '9') ||
		    h[i] == '-' || h[i] == '.'))
			return 0;
	return 1;
}

static int
vec_ok(char *const *v, int env)
{
	size_t i;

	if (v == NULL)
		return 0;
	for (i = 0; v[i] != NULL; i++) {
		if (i >= CONTAINER_ARGV_MAX ||
		    strnlen(v[i], CONTAINER_ARG_MAX_BYTES) ==
		    CONTAINER_ARG_MAX_BYTES)
			return 0;
		if (env && (strchr(v[i], '=') == NULL || v[i][0] == '='))
			return 0;
	}
	return env || i > 0;
}

static int
binds_check(const struct container_req *req, struct perr *err)
{
	const struct container_bind *b;
	size_t i;

	if (req->nbinds > CONTAINER_BINDS_MAX)
		return perr_set(err, -EINVAL, "too many bind mounts");
	for (i = 0; i < req->nbinds; i++) {
		b = &req->binds[i];
		if (!path_ok(b->src, 0) || !path_ok(b->dst, 0) ||
		    strcmp(b->dst, "/") == 0 ||
		    strncmp(b->dst, "/proc", 5) == 0 ||
		    strncmp(b->dst, "/sys", 4) == 0 ||
		    strncmp(b->dst, "/dev", 4) == 0)
			return perr_set(err, -EINVAL, "invalid bind mount #%zu",
			    i);
	}
	return 0;
}

int
container_req_check(const struct container_req *req, struct perr *err)
{
	size_t i;

	if (!path_ok(req->rootdir, 0) || !path_ok(req->upper, 1) ||
	    !path_ok(req->work, 1))
		return perr_set(err, -EINVAL, "container root, upper and work "
		    "must be absolute paths without ',' ':' or '..'");
	if (req->nlayers == 0 || req->nlayers > CONTAINER_LAYERS_MAX)
		return perr_set(err, -EINVAL, "container needs 1 to %d layers",
		    CONTAINER_LAYERS_MAX);
	for (i = 0; i < req->nlayers; i++)
		if (!path_ok(req->layers[i], 1))
			return perr_set(err, -EINVAL, "invalid layer #%zu", i);
	if ((req->flags & ~(unsigned)FLAGS_ALL) != 0)
		return perr_set(err, -EINVAL, "unknown container flags");
	if ((req->flags & CONTAINER_HOST_STACK) && !path_ok(req->etc, 0))
		return perr_set(err, -EINVAL, "host stack needs an etc dir");
	if (req->init != NULL && !path_ok(req->init, 0))
		return perr_set(err, -EINVAL, "invalid init path");
	if (!hostname_ok(req->hostname))
		return perr_set(err, -EINVAL, "invalid hostname");
	if (req->uid == 0 || req->gid == 0 || req->uid == (uid_t)-1 ||
	    req->gid == (gid_t)-1)
		return perr_set(err, -EINVAL, "container uid/gid must not be "
		    "root");
	if (!vec_ok(req->argv, 0) || (req->init == NULL &&
	    req->argv[0][0] != '/'))
		return perr_set(err, -EINVAL, "invalid argv");
	if (!vec_ok(req->envp, 1))
		return perr_set(err, -EINVAL, "invalid environment");
	if (!path_ok(req->cwd, 0))
		return perr_set(err, -EINVAL, "invalid cwd");
	if (req->tmp_mb > CONTAINER_TMP_MB_MAX)
		return perr_set(err, -EINVAL, "/tmp size over %d MB",
		    CONTAINER_TMP_MB_MAX);
	for (i = 0; i < 3; i++)
		if (req->stdio[i] < -1)
			return perr_set(err, -EINVAL, "invalid stdio fd");
	if (req->pdeathsig < 0 || req->pdeathsig >= NSIG)
		return perr_set(err, -EINVAL, "invalid pdeathsig");
	if (req->rows > CONTAINER_WINSIZE_MAX ||
	    req->cols > CONTAINER_WINSIZE_MAX)
		return perr_set(err, -EINVAL, "window size over %d",
		    CONTAINER_WINSIZE_MAX);
	if ((req->flags & CONTAINER_PTY) && (req->stdio[0] != -1 ||
	    req->stdio[1] != -1 || req->stdio[2] != -1))
		return perr_set(err, -EINVAL, "a pty request takes no stdio "
		    "fds");
	return binds_check(req, err);
}

/* ---------------------------------------------------------- the plan */

static int
plan_add(struct container_plan *pl, enum container_op op, const char *src,
    const char *root, const char *rel, const char *fstype,
    unsigned long flags, const char *data)
{
	struct container_mount *m;
	struct buf b = BUF_INIT;

	if (pl->n == pl->cap) {
		pl->cap = pl->cap ? pl->cap * 2 : 64;
		m = realloc(pl->m, pl->cap * sizeof(*m));
		if (m == NULL)
			return -ENOMEM;
		pl->m = m;
	}
	m = &pl->m[pl->n++];
	buf_adds(&b, root);
	buf_adds(&b, rel);
	m->op = op;
	m->src = src;
	m->path = buf_detach(&b, NULL);
	m->fstype = fstype;
	m->flags = flags;
	m->data = data;
	m->own = NULL;
	return 0;
}

#define ADD(op, src, rel, fs, fl, d) do {				\
	if ((rc = plan_add(pl, op, src, root, rel, fs, fl, d)) < 0)	\
		goto out;						\
} while (0)

static char *
overlay_opts(const struct container_req *req)
{
	struct buf b = BUF_INIT;
	size_t i;

	buf_adds(&b, "lowerdir=");
	for (i = 0; i < req->nlayers; i++)
		buf_addf(&b, "%s%s", i ? ":" : "", req->layers[i]);
	buf_addf(&b, ",upperdir=%s,workdir=%s", req->upper, req->work);
	return buf_detach(&b, NULL);
}

/* The host's own system, read-only; merged-/usr links stay links. */
static int
plan_host_stack(const struct container_req *req, struct container_plan *pl)
{
	const char *root = req->rootdir;
	char target[CONTAINER_PATH_MAX];
	struct stat st;
	ssize_t n;
	size_t i;
	int rc = 0;

	for (i = 0; i < NELEM(host_stack); i++) {
		if (lstat(host_stack[i], &st) == -1)
			continue;
		if (S_ISLNK(st.st_mode)) {
			n = readlink(host_stack[i], target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			ADD(CONTAINER_OP_SYMLINK, NULL, host_stack[i], NULL, 0,
			    NULL);
			pl->m[pl->n - 1].own = strdup(target);
			if ((pl->m[pl->n - 1].src = pl->m[pl->n - 1].own) ==
			    NULL) {
				rc = -ENOMEM;
				goto out;
			}
		} else if (S_ISDIR(st.st_mode)) {
			ADD(CONTAINER_OP_MKDIR, NULL, host_stack[i], NULL, 0,
			    NULL);
			ADD(CONTAINER_OP_BIND, host_stack[i], host_stack[i],
			    NULL, RO_BIND, NULL);
		}
	}
	ADD(CONTAINER_OP_MKDIR, NULL, "/etc", NULL, 0, NULL);
	ADD(CONTAINER_OP_BIND, req->etc, "/etc", NULL, RO_BIND, NULL);
	for (i = 0; i < NELEM(etc_from_host); i++) {
		if (stat(etc_from_host[i], &st) == -1)
			continue;
		ADD(CONTAINER_OP_BIND, etc_from_host[i], etc_from_host[i],
		    NULL, RO_BIND, NULL);
	}
out:
	return rc;
}

static int
plan_proc_sys(const struct container_req *req, struct container_plan *pl)
{
	const char *root = req->rootdir;
	size_t i;
	int rc = 0;

	ADD(CONTAINER_OP_MKDIR, NULL, "/proc", NULL, 0, NULL);
	ADD(CONTAINER_OP_MOUNT, "proc", "/proc", "proc",
	    MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
	for (i = 0; i < NELEM(proc_masked); i++)
		ADD(CONTAINER_OP_MASK, NULL, proc_masked[i], NULL, 0, NULL);
	for (i = 0; i < NELEM(proc_rdonly); i++)
		ADD(CONTAINER_OP_RDONLY, NULL, proc_rdonly[i], NULL, 0, NULL);
	if (req->flags & CONTAINER_NO_SYS)
		goto out;
	ADD(CONTAINER_OP_MKDIR, NULL, "/sys", NULL, 0, NULL);
	ADD(CONTAINER_OP_MOUNT, "sysfs", "/sys", "sysfs",
	    MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
	for (i = 0; i < NELEM(sys_masked); i++)
		ADD(CONTAINER_OP_MASK, NULL, sys_masked[i], NULL, 0, NULL);
out:
	return rc;
}

static int
plan_dev(const struct container_req *req, struct container_plan *pl)
{
	const char *root = req->rootdir;
	char rel[64];
	size_t i;
	int rc = 0;

	ADD(CONTAINER_OP_MKDIR, NULL, "/dev", NULL, 0, NULL);
	ADD(CONTAINER_OP_MOUNT, "tmpfs", "/dev", "tmpfs",
	    MS_NOSUID | MS_NOEXEC, "mode=755,size=65536k");
	for (i = 0; i < NELEM(devices); i++) {
		snprintf(rel, sizeof(rel), "/dev/%s", devices[i]);
		ADD(CONTAINER_OP_MKFILE, NULL, rel, NULL, 0, NULL);
		pl->m[pl->n - 1].own = strdup(rel);
		if ((pl->m[pl->n - 1].src = pl->m[pl->n - 1].own) == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		ADD(CONTAINER_OP_BIND, pl->m[pl->n - 1].src, rel, NULL,
		    MS_NOSUID | MS_NOEXEC, NULL);
	}
	ADD(CONTAINER_OP_MKDIR, NULL, "/dev/pts", NULL, 0, NULL);
	ADD(CONTAINER_OP_MOUNT, "devpts", "/dev/pts", "devpts",
	    MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620");
	ADD(CONTAINER_OP_MKDIR, NULL, "/dev/shm", NULL, 0, NULL);
	ADD(CONTAINER_OP_MOUNT, "shm", "/dev/shm", "tmpfs",
	    MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k");
	for (i = 0; i < NELEM(dev_links); i++) {
		snprintf(rel, sizeof(rel), "/dev/%s", dev_links[i].link);
		ADD(CONTAINER_OP_SYMLINK, dev_links[i].target, rel, NULL, 0,
		    NULL);
	}
	if (req->init != NULL) {
		ADD(CONTAINER_OP_MKFILE, NULL, CONTAINER_INIT_PATH, NULL, 0,
		    NULL);
		ADD(CONTAINER_OP_BIND, req->init, CONTAINER_INIT_PATH, NULL,
		    RO_BIND, NULL);
	}
out:
	return rc;
}

/* The image must not steer our mounts: refuse links where we mount. */
static int
plan_nolinks(const struct container_req *req, struct container_plan *pl)
{
	const char *root = req->rootdir;
	char rel[64];
	size_t i;
	int rc = 0;

	ADD(CONTAINER_OP_NOLINK, NULL, "/proc", NULL, 0, NULL);
	ADD(CONTAINER_OP_NOLINK, NULL, "/sys", NULL, 0, NULL);
	ADD(CONTAINER_OP_NOLINK, NULL, "/dev", NULL, 0, NULL);
	for (i = 0; i < NELEM(devices); i++) {
		snprintf(rel, sizeof(rel), "/dev/%s", devices[i]);
		ADD(CONTAINER_OP_NOLINK, NULL, rel, NULL, 0, NULL);
	}
	ADD(CONTAINER_OP_NOLINK, NULL, "/dev/pts", NULL, 0, NULL);
	ADD(CONTAINER_OP_NOLINK, NULL, "/dev/shm", NULL, 0, NULL);
out:
	return rc;
}

/* mkdir_parents: each missing ancestor of dst, as root, 0755 */
static int
plan_parents(const struct container_req *req, struct container_plan *pl,
    const char *dst)
{
	const char *slash;
	char *rel;
	int rc = 0;

	for (slash = strchr(dst + 1, '/'); slash != NULL && rc == 0;
	    slash = strchr(slash + 1, '/')) {
		if ((rel = strndup(dst, (size_t)(slash - dst))) == NULL)
			return -ENOMEM;
		rc = plan_add(pl, CONTAINER_OP_MKDIR, NULL, req->rootdir, rel,
		    NULL, 0, NULL);
		free(rel);
	}
	return rc;
}

static int
plan_binds(const struct container_req *req, struct container_plan *pl)
{
	const struct container_bind *b;
	const char *root = req->rootdir;
	struct stat st;
	size_t i;
	int rc = 0;

	for (i = 0; i < req->nbinds; i++) {
		b = &req->binds[i];
		if (stat(b->src, &st) == -1) {
			rc = -errno;
			goto out;
		}
		if (req->mkdir_parents &&
		    (rc = plan_parents(req, pl, b->dst)) < 0)
			goto out;
		ADD(S_ISDIR(st.st_mode) ? CONTAINER_OP_MKDIR :
		    CONTAINER_OP_MKFILE, NULL, b->dst, NULL, 0, NULL);
		ADD(CONTAINER_OP_BIND, b->src, b->dst, NULL,
		    (b->ro ? MS_RDONLY : 0) | MS_NOSUID | MS_NODEV, NULL);
	}
out:
	return rc;
}

int
container_plan_build(const struct container_req *req,
    struct container_plan *pl, struct perr *err)
{
	const char *root = req->rootdir;
	struct buf b = BUF_INIT;
	int rc = 0;

	memset(pl, 0, sizeof(*pl));
	pl->rootlen = strlen(root);
	pl->overlay_opts = overlay_opts(req);
	buf_addf(&b, "mode=1777,size=%um", req->tmp_mb ? req->tmp_mb :
	    CONTAINER_TMP_MB_DEFAULT);
	pl->tmp_opts = buf_detach(&b, NULL);
	ADD(CONTAINER_OP_PRIVATE, NULL, "", NULL, 0, NULL);
	ADD(CONTAINER_OP_MOUNT, "overlay", "", "overlay", MS_NOSUID | MS_NODEV,
	    pl->overlay_opts);
	if ((req->flags & CONTAINER_HOST_STACK) &&
	    (rc = plan_host_stack(req, pl)) < 0)
		goto out;
	if ((rc = plan_nolinks(req, pl)) < 0 ||
	    (rc = plan_proc_sys(req, pl)) < 0 || (rc = plan_dev(req, pl)) < 0)
		goto out;
	ADD(CONTAINER_OP_MKDIR, NULL, "/tmp", NULL, 0, NULL);
	ADD(CONTAINER_OP_MOUNT, "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
	    pl->tmp_opts);
	rc = plan_binds(req, pl);
out:
	if (rc < 0) {
		container_plan_release(pl);
		return perr_set(err, rc, "container mount plan: %s",
		    strerror(-rc));
	}
	return 0;
}

#undef ADD

void
container_plan_release(struct container_plan *pl)
{
	size_t i;

	for (i = 0; i < pl->n; i++) {
		free(pl->m[i].path);
		free(pl->m[i].own);
	}
	free(pl->m);
	free(pl->overlay_opts);
	free(pl->tmp_opts);
	memset(pl, 0, sizeof(*pl));
}

/* ---------------------------------------------------------- /etc */

static int
write_file(const char *dir, const char *name, const char *text, size_t len)
{
	char path[CONTAINER_PATH_MAX + 64];
	ssize_t n;
	int fd, rc = 0;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0644);
	if (fd == -1)
		return -errno;
	n = write(fd, text, len);
	if (n < 0 || (size_t)n != len)
		rc = n < 0 ? -errno : -EIO;
	close(fd);
	return rc;
}

static void
read_host_file(const char *path, struct buf *b)
{
	char chunk[4096];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	while (b->len < 65536 && (n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(b, chunk, (size_t)n);
	close(fd);
}

int
container_etc_write(const char *dir, uid_t uid, gid_t gid,
    const char *hostname, struct perr *err)
{
	struct { const char *name; struct buf b; } f[6];
	char path[CONTAINER_PATH_MAX + 64];
	struct stat st;
	size_t i;
	int rc = 0;

	if (!path_ok(dir, 0) || !hostname_ok(hostname) || uid == 0 || gid == 0)
		return perr_set(err, -EINVAL, "invalid /etc request");
	for (i = 0; i < NELEM(f); i++)
		buf_init(&f[i].b);
	f[0].name = "passwd";
	buf_addf(&f[0].b, "root:x:0:0:root:/root:/usr/sbin/nologin\n"
	    "app:x:%u:%u:app:/app:/bin/sh\n"
	    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
	    (unsigned)uid, (unsigned)gid);
	f[1].name = "group";
	buf_addf(&f[1].b, "root:x:0:\napp:x:%u:\nnogroup:x:65534:\n",
	    (unsigned)gid);
	f[2].name = "hosts";
	buf_addf(&f[2].b, "127.0.0.1\tlocalhost %s\n"
	    "::1\tlocalhost ip6-localhost ip6-loopback\n", hostname);
	f[3].name = "hostname";
	buf_addf(&f[3].b, "%s\n", hostname);
	f[4].name = "resolv.conf";
	read_host_file("/etc/resolv.conf", &f[4].b);
	f[5].name = "nsswitch.conf";
	buf_adds(&f[5].b, "passwd: files\ngroup: files\nshadow: files\n"
	    "hosts: files dns\nnetworks: files\nprotocols: files\n"
	    "services: files\n");
	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		rc = perr_set(err, -errno, "mkdir '%s': %s", dir,
		    strerror(errno));
		goto out;
	}
	for (i = 0; i < NELEM(f) && rc == 0; i++)
		if ((rc = write_file(dir, f[i].name, f[i].b.p, f[i].b.len)) < 0)
			perr_set(err, rc, "write %s/%s: %s", dir, f[i].name,
			    strerror(-rc));
	for (i = 0; i < NELEM(etc_from_host) && rc == 0; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, etc_from_host[i] + 5);
		if (stat(etc_from_host[i], &st) == -1)
			continue;
		if (!S_ISDIR(st.st_mode))
			rc = write_file(dir, etc_from_host[i] + 5, "", 0);
		else if (mkdir(path, 0755) == -1 && errno != EEXIST)
			rc = -errno;
		if (rc < 0)
			perr_set(err, rc, "create '%s': %s", path,
			    strerror(-rc));
	}
out:
	for (i = 0; i < NELEM(f); i++)
		buf_release(&f[i].b);
	return rc;
}

