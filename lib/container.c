#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "container.h"
#include "seccomp.h"

#define FLAGS_ALL	(CONTAINER_HOST_STACK | CONTAINER_NEWNET | \
			 CONTAINER_NO_SYS | CONTAINER_CTTY)
#define RO_BIND		(MS_RDONLY | MS_NOSUID | MS_NODEV)
#define NOFILE_LIMIT	65536

/* What the child was doing when it failed; index = plan step. */
enum step {
	STEP_SYNC, STEP_CGROUPNS, STEP_SIGNALS, STEP_MOUNT, STEP_PIVOT,
	STEP_NET, STEP_HOSTNAME, STEP_RLIMIT, STEP_CAPS, STEP_CREDS,
	STEP_PDEATHSIG, STEP_NNP, STEP_SECCOMP, STEP_SETSID, STEP_STDIO,
	STEP_CLOSE, STEP_CHDIR, STEP_EXEC,
};

static const char *const step_names[] = {
	[STEP_SYNC] = "wait for parent", [STEP_CGROUPNS] = "cgroup namespace",
	[STEP_SIGNALS] = "reset signals", [STEP_MOUNT] = "mount",
	[STEP_PIVOT] = "pivot_root", [STEP_NET] = "loopback up",
	[STEP_HOSTNAME] = "sethostname", [STEP_RLIMIT] = "setrlimit",
	[STEP_CAPS] = "drop capabilities", [STEP_CREDS] = "set uid/gid",
	[STEP_PDEATHSIG] = "pdeathsig", [STEP_NNP] = "no_new_privs",
	[STEP_SECCOMP] = "seccomp", [STEP_SETSID] = "setsid",
	[STEP_STDIO] = "stdio", [STEP_CLOSE] = "close fds",
	[STEP_CHDIR] = "chdir", [STEP_EXEC] = "execve",
};

struct child_err {
	int	step;
	int	index;
	int	err;
};

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

/* ---------------------------------------------------------- the child */

/*
 * Everything below runs between clone and execve: only syscalls, no
 * allocation, no stdio, no locks. Credentials go through raw syscalls:
 * glibc's wrappers would try to broadcast to threads the child does
 * not have.
 */
struct child {
	const struct container_req	*req;
	struct container_plan		*pl;
	struct sock_filter		*bpf;	/* BPF_MAXINSNS, filled late */
	char *const			*argv;
	const char			*exe;
	int				 last_cap;
	int				 errfd;
	int				 syncfd;
};

static void __attribute__((noreturn))
child_fail(const struct child *c, int step, int index, int err)
{
	struct child_err ce;

	ce.step = step;
	ce.index = index;
	ce.err = err;
	(void)!write(c->errfd, &ce, sizeof(ce));
	_exit(127);
}

/* every component of path below the root must not be a symlink */
static int
path_safe(char *path, size_t rootlen)
{
	struct stat st;
	char *p, save;
	int r;

	for (p = path + rootlen + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		save = *p;
		*p = '\0';
		r = lstat(path, &st);
		*p = save;
		if (r == 0 && S_ISLNK(st.st_mode))
			return -ELOOP;
		if (r == -1 && errno != ENOENT)
			return -errno;
		if (save == '\0')
			return 0;
	}
}

static int
op_bind(const struct container_mount *m)
{
	if (mount(m->src, m->path, NULL, MS_BIND | MS_REC, NULL) == -1)
		return -errno;
	if (m->flags != 0 && mount(NULL, m->path, NULL,
	    MS_BIND | MS_REMOUNT | m->flags, NULL) == -1)
		return -errno;
	return 0;
}

static int
op_mask(const struct container_mount *m)
{
	struct stat st;

	if (lstat(m->path, &st) == -1)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode))
		return mount("tmpfs", m->path, "tmpfs", MS_RDONLY, "size=0") ?
		    -errno : 0;
	return mount("/dev/null", m->path, NULL, MS_BIND, NULL) ? -errno : 0;
}

static int
op_rdonly(const struct container_mount *m)
{
	struct stat st;

	if (lstat(m->path, &st) == -1)
		return errno == ENOENT ? 0 : -errno;
	if (mount(m->path, m->path, NULL, MS_BIND | MS_REC, NULL) == -1 ||
	    mount(NULL, m->path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY |
	    MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == -1)
		return -errno;
	return 0;
}

static int
op_mkfile(const struct container_mount *m, size_t rootlen)
{
	int fd, rc;

	if ((rc = path_safe(m->path, rootlen)) < 0)
		return rc;
	fd = open(m->path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd == -1)
		return -errno;
	close(fd);
	return 0;
}

static int
op_mkdir(const struct container_mount *m, size_t rootlen)
{
	struct stat st;
	int rc;

	if (mkdir(m->path, 0755) == -1 && errno != EEXIST)
		return -errno;
	if ((rc = path_safe(m->path, rootlen)) < 0)
		return rc;
	if (lstat(m->path, &st) == -1)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

static int
op_run(const struct container_mount *m, size_t rootlen)
{
	struct stat st;
	int rc;

	switch (m->op) {
	case CONTAINER_OP_PRIVATE:
		return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ?
		    -errno : 0;
	case CONTAINER_OP_MOUNT:
		if (m->path[rootlen] != '\0' &&
		    (rc = path_safe(m->path, rootlen)) < 0)
			return rc;
		return mount(m->src, m->path, m->fstype, m->flags, m->data) ?
		    -errno : 0;
	case CONTAINER_OP_BIND:
		if ((rc = path_safe(m->path, rootlen)) < 0)
			return rc;
		return op_bind(m);
	case CONTAINER_OP_MKDIR:
		return op_mkdir(m, rootlen);
	case CONTAINER_OP_MKFILE:
		return op_mkfile(m, rootlen);
	case CONTAINER_OP_SYMLINK:
		if (lstat(m->path, &st) == 0)
			return 0;
		return symlink(m->src, m->path) ? -errno : 0;
	case CONTAINER_OP_NOLINK:
		return path_safe(m->path, rootlen);
	case CONTAINER_OP_MASK:
		return op_mask(m);
	case CONTAINER_OP_RDONLY:
		return op_rdonly(m);
	}
	return -EINVAL;
}

static int
pivot(const char *root)
{
	int oldfd, newfd, rc = 0;

	oldfd = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	newfd = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (oldfd == -1 || newfd == -1)
		return -errno;
	if (fchdir(newfd) == -1 || syscall(SYS_pivot_root, ".", ".") == -1 ||
	    fchdir(oldfd) == -1 ||
	    mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) == -1 ||
	    umount2(".", MNT_DETACH) == -1 || chdir("/") == -1)
		rc = -errno;
	close(oldfd);
	close(newfd);
	return rc;
}

static int
loopback_up(void)
{
	struct ifreq ifr;
	int fd, rc = 0;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == -1)
		rc = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (rc == 0 && ioctl(fd, SIOCSIFFLAGS, &ifr) == -1)
		rc = -errno;
	close(fd);
	return rc;
}

static int
drop_caps(int last_cap)
{
	int i;

	for (i = 0; i <= last_cap; i++)
		if (prctl(PR_CAPBSET_DROP, i, 0, 0, 0) == -1 && errno != EINVAL)
			return -errno;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 &&
	    errno != EINVAL)
		return -errno;
	return 0;
}

static int
clear_caps(void)
{
	struct __user_cap_header_struct h;
	struct __user_cap_data_struct d[2];

	memset(&h, 0, sizeof(h));
	memset(d, 0, sizeof(d));
	h.version = _LINUX_CAPABILITY_VERSION_3;
	return syscall(SYS_capset, &h, d) == -1 ? -errno : 0;
}

static int
set_creds(uid_t uid, gid_t gid)
{
	gid_t groups[1] = { gid };

	if (syscall(SYS_setgroups, 1, groups) == -1 ||
	    syscall(SYS_setresgid, gid, gid, gid) == -1 ||
	    syscall(SYS_setresuid, uid, uid, uid) == -1)
		return -errno;
	return 0;
}

static int
reset_signals(void)
{
	struct sigaction sa;
	sigset_t none;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	return sigprocmask(SIG_SETMASK, &none, NULL) == -1 ? -errno : 0;
}

static int
setup_stdio(const int stdio[3])
{
	int fds[3], i;

	for (i = 0; i < 3; i++) {
		if (stdio[i] >= 0)
			fds[i] = fcntl(stdio[i], F_DUPFD_CLOEXEC, 3);
		else
			fds[i] = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (fds[i] == -1)
			return -errno;
	}
	for (i = 0; i < 3; i++)
		if (dup2(fds[i], i) == -1)
			return -errno;
	return 0;
}

static int
check_cwd(const char *cwd)
{
	char buf[CONTAINER_PATH_MAX + 1];
	long n;

	if (chdir(cwd) == -1)
		return -errno;
	n = syscall(SYS_getcwd, buf, sizeof(buf));
	if (n <= 0)
		return n == 0 ? -ENOENT : -errno;
	return buf[0] == '/' ? 0 : -EXDEV;
}

static int
child_close_fds(int keep)
{
	if (keep > 3 && syscall(SYS_close_range, 3, keep - 1, 0) == -1)
		return -errno;
	if (syscall(SYS_close_range, keep + 1, ~0U, 0) == -1)
		return -errno;
	return 0;
}

static int
child_rlimits(void)
{
	struct rlimit nofile = { NOFILE_LIMIT, NOFILE_LIMIT }, core = { 0, 0 };
	struct rlimit cur;

	/*
	 * Raising the hard limit needs CAP_SYS_RESOURCE, which a nested
	 * supervisor may lack: then settle for its own hard limit.
	 */
	if (setrlimit(RLIMIT_NOFILE, &nofile) == -1) {
		if (errno != EPERM || getrlimit(RLIMIT_NOFILE, &cur) == -1 ||
		    cur.rlim_max >= NOFILE_LIMIT)
			return -errno;
		nofile.rlim_cur = nofile.rlim_max = cur.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &nofile) == -1)
			return -errno;
	}
	if (setrlimit(RLIMIT_CORE, &core) == -1)
		return -errno;
	return 0;
}

static int
read_full(int fd, void *p, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, (char *)p + got, len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		got += (size_t)n;
	}
	return 0;
}

/* the parent compiles the filter while we mount; it comes on syncfd */
static int
recv_filter(const struct child *c, struct seccomp_prog *prog)
{
	unsigned short len;

	if (read_full(c->syncfd, &len, sizeof(len)) < 0 || len == 0 ||
	    len > BPF_MAXINSNS ||
	    read_full(c->syncfd, c->bpf, len * sizeof(struct sock_filter)) < 0)
		return -EPIPE;
	prog->insns = c->bpf;
	prog->len = len;
	return 0;
}

static int
child_privs(const struct child *c, int *step)
{
	const struct container_req *req = c->req;
	struct seccomp_prog prog;
	int rc;

	*step = STEP_RLIMIT;
	if ((rc = child_rlimits()) < 0)
		return rc;
	*step = STEP_CAPS;
	if ((rc = drop_caps(c->last_cap)) < 0)
		return rc;
	*step = STEP_CREDS;
	if ((rc = set_creds(req->uid, req->gid)) < 0)
		return rc;
	*step = STEP_CAPS;
	if ((rc = clear_caps()) < 0)
		return rc;
	*step = STEP_PDEATHSIG;
	if (req->pdeathsig && prctl(PR_SET_PDEATHSIG, req->pdeathsig) == -1)
		return -errno;
	*step = STEP_NNP;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return -errno;
	*step = STEP_SECCOMP;
	if ((rc = recv_filter(c, &prog)) < 0)
		return rc;
	return seccomp_filter_apply(&prog);
}

static void __attribute__((noreturn))
child_run(struct child *c)
{
	const struct container_req *req = c->req;
	char go;
	size_t i;
	int rc, step;

	if (c->errfd < 3)
		c->errfd = fcntl(c->errfd, F_DUPFD_CLOEXEC, 3);
	if (read(c->syncfd, &go, 1) != 1)
		child_fail(c, STEP_SYNC, 0, EPIPE);
	if ((rc = reset_signals()) < 0)
		child_fail(c, STEP_SIGNALS, 0, -rc);
	if (req->cgroup != NULL && unshare(CLONE_NEWCGROUP) == -1)
		child_fail(c, STEP_CGROUPNS, 0, errno);
	for (i = 0; i < c->pl->n; i++)
		if ((rc = op_run(&c->pl->m[i], c->pl->rootlen)) < 0)
			child_fail(c, STEP_MOUNT, (int)i, -rc);
	if ((rc = pivot(req->rootdir)) < 0)
		child_fail(c, STEP_PIVOT, 0, -rc);
	if ((req->flags & CONTAINER_NEWNET) && (rc = loopback_up()) < 0)
		child_fail(c, STEP_NET, 0, -rc);
	if (sethostname(req->hostname, strlen(req->hostname)) == -1)
		child_fail(c, STEP_HOSTNAME, 0, errno);
	if ((rc = child_privs(c, &step)) < 0)
		child_fail(c, step, 0, -rc);
	if (setsid() == -1)
		child_fail(c, STEP_SETSID, 0, errno);
	if ((rc = setup_stdio(req->stdio)) < 0)
		child_fail(c, STEP_STDIO, 0, -rc);
	if ((req->flags & CONTAINER_CTTY) && ioctl(0, TIOCSCTTY, 0) == -1)
		child_fail(c, STEP_STDIO, 0, errno);
	if ((rc = child_close_fds(c->errfd)) < 0)
		child_fail(c, STEP_CLOSE, 0, -rc);
	if ((rc = check_cwd(req->cwd)) < 0)
		child_fail(c, STEP_CHDIR, 0, -rc);
	execve(c->exe, c->argv, req->envp);
	child_fail(c, STEP_EXEC, 0, errno);
}

/* ---------------------------------------------------------- the parent */

static int
last_cap(void)
{
	char text[16];
	ssize_t n;
	int fd, v = 63;

	fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return v;
	n = read(fd, text, sizeof(text) - 1);
	if (n > 0) {
		text[n] = '\0';
		v = atoi(text);
	}
	close(fd);
	return v > 0 && v < 64 ? v : 63;
}

/* with init: "paas-init -- argv..." run from CONTAINER_INIT_PATH */
static char **
init_argv(char *const *argv)
{
	size_t n;
	char **v;

	for (n = 0; argv[n] != NULL; n++)
		;
	if ((v = calloc(n + 3, sizeof(*v))) == NULL)
		return NULL;
	v[0] = (char *)"paas-init";
	v[1] = (char *)"--";
	memcpy(v + 2, argv, n * sizeof(*v));
	return v;
}

static int
report(const struct child_err *ce, const struct container_plan *pl,
    struct perr *err)
{
	const struct container_mount *m;
	const char *step = "?";

	if (ce->step >= 0 && (size_t)ce->step < NELEM(step_names))
		step = step_names[ce->step];
	if (ce->step == STEP_MOUNT && ce->index >= 0 &&
	    (size_t)ce->index < pl->n) {
		m = &pl->m[ce->index];
		return perr_set(err, -ce->err, "container %s '%s': %s",
		    container_op_name(m->op), m->path, strerror(ce->err));
	}
	return perr_set(err, -ce->err, "container %s: %s", step,
	    strerror(ce->err));
}

static int
wait_exec(pid_t pid, int errfd, const struct container_plan *pl,
    struct perr *err)
{
	struct child_err ce;
	ssize_t n;

	do
		n = read(errfd, &ce, sizeof(ce));
	while (n == -1 && errno == EINTR);
	if (n == 0)
		return 0;
	(void)waitpid(pid, NULL, 0);
	if (n != (ssize_t)sizeof(ce))
		return perr_set(err, -EIO, "container died before exec");
	return report(&ce, pl, err);
}

/*
 * Let the child go (it is in its cgroup now), then compile the seccomp
 * filter while it mounts, and send it: the 1-2 ms libseccomp takes are
 * off the start path. The socket buffer holds the whole program, so
 * the sends never wait for the child. A child that already failed has
 * closed its end: MSG_NOSIGNAL, and its own report (on the error pipe)
 * is what the caller gets.
 */
static int
release_child(pid_t pid, int syncfd, const struct container_req *req,
    struct perr *err)
{
	struct seccomp_prog prog = SECCOMP_PROG_INIT;
	size_t len;
	int rc;

	if (req->cgroup != NULL && (rc = cgroup_attach(req->cgroup, pid,
	    err)) < 0)
		return rc;
	if (send(syncfd, "g", 1, MSG_NOSIGNAL) != 1)
		return 0;
	if ((rc = seccomp_filter_build(&prog, err)) < 0)
		return rc;
	len = prog.len * sizeof(struct sock_filter);
	if (send(syncfd, &prog.len, sizeof(prog.len), MSG_NOSIGNAL) ==
	    (ssize_t)sizeof(prog.len))
		(void)send(syncfd, prog.insns, len, MSG_NOSIGNAL);
	seccomp_filter_release(&prog);
	return 0;
}

static int
child_prepare(struct child *c, const struct container_req *req,
    struct container_plan *pl, char ***iargv, struct perr *err)
{
	memset(c, 0, sizeof(*c));
	c->req = req;
	c->pl = pl;
	c->last_cap = last_cap();
	c->argv = req->argv;
	c->exe = req->argv[0];
	c->bpf = calloc(BPF_MAXINSNS, sizeof(struct sock_filter));
	if (c->bpf == NULL)
		return perr_set(err, -ENOMEM, "out of memory");
	if (req->init != NULL) {
		if ((*iargv = init_argv(req->argv)) == NULL)
			return perr_set(err, -ENOMEM, "out of memory");
		c->argv = *iargv;
		c->exe = CONTAINER_INIT_PATH;
	}
	return 0;
}

static void
close_pair(int p[2])
{
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	p[0] = p[1] = -1;
}

int
container_start(const struct container_req *req, pid_t *pidp,
    struct perr *err)
{
	struct container_plan pl;
	struct child c;
	char **iargv = NULL;
	int errp[2] = { -1, -1 }, syncp[2] = { -1, -1 }, rc;
	long flags;
	pid_t pid;

	if ((rc = container_req_check(req, err)) < 0)
		return rc;
	if ((rc = container_plan_build(req, &pl, err)) < 0)
		return rc;
	if ((rc = child_prepare(&c, req, &pl, &iargv, err)) < 0)
		goto out;
	if (pipe2(errp, O_CLOEXEC) == -1 || socketpair(AF_UNIX,
	    SOCK_STREAM | SOCK_CLOEXEC, 0, syncp) == -1) {
		rc = perr_set(err, -errno, "pipe: %s", strerror(errno));
		goto out;
	}
	c.errfd = errp[1];
	c.syncfd = syncp[0];
	flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
	    SIGCHLD;
	if (req->flags & CONTAINER_NEWNET)
		flags |= CLONE_NEWNET;
	pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
	if (pid == -1) {
		rc = perr_set(err, -errno, "clone: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		child_run(&c);
	close(errp[1]);
	close(syncp[0]);
	errp[1] = syncp[0] = -1;
	rc = release_child(pid, syncp[1], req, err);
	close(syncp[1]);	/* a child still waiting for the filter fails */
	syncp[1] = -1;
	if (rc < 0) {
		kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
		goto out;
	}
	if ((rc = wait_exec(pid, errp[0], &pl, err)) == 0)
		*pidp = pid;
out:
	close_pair(errp);
	close_pair(syncp);
	free(iargv);
	free(c.bpf);
	container_plan_release(&pl);
	return rc;
}

/* ---------------------------------------------------------- network */

static int
table_ok(const char *t)
{
	size_t i, len = strlen(t);

	if (len == 0 || len > 32)
		return 0;
	for (i = 0; i < len; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') || t[i] == '_' ||
		    (i > 0 && t[i] >= '0' && t[i] <= '9')))
			return 0;
	return 1;
}

int
container_netpolicy_rules(const char *table, uid_t uid_lo, uid_t uid_hi,
    char *out, size_t outlen)
{
	int n;

	if (!table_ok(table) || uid_lo == 0 || uid_lo > uid_hi)
		return -EINVAL;
	/*
	 * The first two lines make "delete" work whether or not the table
	 * exists, so one nft transaction replaces it atomically.
	 */
	n = snprintf(out, outlen,
	    "table inet %s {}\n"
	    "delete table inet %s\n"
	    "table inet %s {\n"
	    "\tchain output {\n"
	    "\t\ttype filter hook output priority 0; policy accept;\n"
	    "\t\tmeta skuid != %u-%u accept\n"
	    "\t\tct state established,related accept\n"
	    "\t\tfib daddr type local meta l4proto { tcp, udp } "
	    "th dport 53 accept\n"
	    "\t\tfib daddr type local meta l4proto tcp "
	    "reject with tcp reset\n"
	    "\t\tfib daddr type local reject\n"
	    "\t}\n"
	    "}\n", table, table, table, (unsigned)uid_lo, (unsigned)uid_hi);
	if (n < 0 || (size_t)n >= outlen)
		return -ENAMETOOLONG;
	return n;
}

/* run nft -f - with text on its stdin; its stderr into msg */
static int
run_nft(const char *text, char *msg, size_t msglen)
{
	int in[2] = { -1, -1 }, er[2] = { -1, -1 }, st, rc = -EIO;
	size_t len = strlen(text), got = 0;
	ssize_t n;
	pid_t pid;

	msg[0] = '\0';
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(er, O_CLOEXEC) == -1) {
		rc = -errno;
		goto out;
	}
	if ((pid = fork()) == -1) {
		rc = -errno;
		goto out;
	}
	if (pid == 0) {
		if (dup2(in[0], 0) == -1 || dup2(er[1], 2) == -1 ||
		    dup2(er[1], 1) == -1)
			_exit(127);
		execl(CONTAINER_NFT_PATH, "nft", "-f", "-", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(er[1]);
	in[0] = er[1] = -1;
	n = write(in[1], text, len);
	close(in[1]);
	in[1] = -1;
	while (got < msglen - 1 &&
	    (n = read(er[0], msg + got, msglen - 1 - got)) > 0)
		got += (size_t)n;
	msg[got] = '\0';
	if (waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0)
		rc = 0;
out:
	if (in[0] != -1)
		close(in[0]);
	if (in[1] != -1)
		close(in[1]);
	if (er[0] != -1)
		close(er[0]);
	if (er[1] != -1)
		close(er[1]);
	return rc;
}

int
container_netpolicy_apply(const char *table, uid_t uid_lo, uid_t uid_hi,
    struct perr *err)
{
	char rules[2048], msg[256];
	int rc;

	if ((rc = container_netpolicy_rules(table, uid_lo, uid_hi, rules,
	    sizeof(rules))) < 0)
		return perr_set(err, rc, "invalid network policy");
	if ((rc = run_nft(rules, msg, sizeof(msg))) < 0)
		return perr_set(err, rc, "nft: %s", msg[0] ? msg : "failed");
	return 0;
}

int
container_netpolicy_remove(const char *table, struct perr *err)
{
	char text[128], msg[256];
	int rc;

	if (!table_ok(table))
		return perr_set(err, -EINVAL, "invalid nft table name");
	snprintf(text, sizeof(text), "table inet %s {}\ndelete table inet %s\n",
	    table, table);
	if ((rc = run_nft(text, msg, sizeof(msg))) < 0)
		return perr_set(err, rc, "nft: %s", msg[0] ? msg : "failed");
	return 0;
}
