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

#include "container.h"
#include "seccomp.h"

#define NOFILE_LIMIT	65536
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* What the child was doing when it failed; index = plan step. */
enum step {
	STEP_SYNC, STEP_CGROUPNS, STEP_SIGNALS, STEP_MOUNT, STEP_PIVOT,
	STEP_NET, STEP_HOSTNAME, STEP_RLIMIT, STEP_CAPS, STEP_CREDS,
	STEP_PDEATHSIG, STEP_NNP, STEP_SECCOMP, STEP_SETSID, STEP_STDIO,
	STEP_CLOSE, STEP_CHDIR, STEP_EXEC, STEP_PTY, STEP_USERNS,
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
	[STEP_PTY] = "pty", [STEP_USERNS] = "user namespace",
};

struct child_err {
	int	step;
	int	index;
	int	err;
};


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
	int				 ptyfd;	/* PTY: the slave */
	unsigned short			 bpflen;	/* received, or 0 */
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
recv_filter(struct child *c)
{
	unsigned short len;

	if (c->bpflen != 0)
		return 0;
	if (read_full(c->syncfd, &len, sizeof(len)) < 0 || len == 0 ||
	    len > BPF_MAXINSNS ||
	    read_full(c->syncfd, c->bpf, len * sizeof(struct sock_filter)) < 0)
		return -EPIPE;
	c->bpflen = len;
	return 0;
}

/*
 * A pty of the container's own devpts, so that its name inside is
 * /dev/pts/N; the slave is the app's (owner, and 0-2 later), the
 * master goes to the parent over the sync socket.
 */
static int
child_pty(struct child *c)
{
	const struct container_req *req = c->req;
	struct winsize ws;
	struct msghdr mh;
	struct iovec iov;
	union {
		char		buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	align;
	} cm;
	struct cmsghdr *h;
	int m, unlock = 0, rc = 0;

	m = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m == -1)
		return -errno;
	memset(&ws, 0, sizeof(ws));
	ws.ws_row = req->rows ? req->rows : 24;
	ws.ws_col = req->cols ? req->cols : 80;
	if (ioctl(m, TIOCSPTLCK, &unlock) == -1 ||
	    (c->ptyfd = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY |
	    O_CLOEXEC)) == -1 ||
	    fchown(c->ptyfd, req->uid, req->gid) == -1 ||
	    ioctl(c->ptyfd, TIOCSWINSZ, &ws) == -1) {
		rc = -errno;
		goto out;
	}
	memset(&mh, 0, sizeof(mh));
	memset(&cm, 0, sizeof(cm));
	iov.iov_base = (void *)"p";
	iov.iov_len = 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	h = CMSG_FIRSTHDR(&mh);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &m, sizeof(int));
	if (sendmsg(c->syncfd, &mh, MSG_NOSIGNAL) != 1)
		rc = -errno;
out:
	close(m);
	return rc;
}

/*
 * Mounts are done (as real root); now a user namespace of our own. Its
 * maps are written by the parent, which waits for 'u' and answers 'm'
 * after the seccomp program it has already queued: take that first.
 */
static int
child_userns(struct child *c)
{
	char ack;
	int rc;

	if ((rc = recv_filter(c)) < 0)
		return rc;
	if (unshare(CLONE_NEWUSER) == -1)
		return -errno;
	if (send(c->syncfd, "u", 1, MSG_NOSIGNAL) != 1 ||
	    read_full(c->syncfd, &ack, 1) < 0 || ack != 'm')
		return -EPIPE;
	return 0;
}

static int
child_privs(struct child *c, int *step)
{
	const struct container_req *req = c->req;
	struct seccomp_prog prog;
	int rc;

	*step = STEP_RLIMIT;
	if ((rc = child_rlimits()) < 0)
		return rc;
	/* after the rlimits: raising NOFILE needs the host's root */
	*step = STEP_USERNS;
	if ((req->flags & CONTAINER_USERNS) && (rc = child_userns(c)) < 0)
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
	if ((rc = recv_filter(c)) < 0)
		return rc;
	prog.insns = c->bpf;
	prog.len = c->bpflen;
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
	if ((req->flags & CONTAINER_PTY) && (rc = child_pty(c)) < 0)
		child_fail(c, STEP_PTY, 0, -rc);
	if ((req->flags & CONTAINER_NEWNET) && (rc = loopback_up()) < 0)
		child_fail(c, STEP_NET, 0, -rc);
	if (sethostname(req->hostname, strlen(req->hostname)) == -1)
		child_fail(c, STEP_HOSTNAME, 0, errno);
	if ((rc = child_privs(c, &step)) < 0)
		child_fail(c, step, 0, -rc);
	if (setsid() == -1)
		child_fail(c, STEP_SETSID, 0, errno);
	if (req->flags & CONTAINER_PTY)
		rc = setup_stdio((const int[3]){ c->ptyfd, c->ptyfd,
		    c->ptyfd });
	else
		rc = setup_stdio(req->stdio);
	if (rc < 0)
		child_fail(c, STEP_STDIO, 0, -rc);
	if ((req->flags & (CONTAINER_CTTY | CONTAINER_PTY)) &&
	    ioctl(0, TIOCSCTTY, 0) == -1)
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
	if (ce->step == STEP_USERNS && (ce->err == ENOSPC ||
	    ce->err == EPERM || ce->err == EUSERS))
		return perr_set(err, -ce->err, "container user namespace: the "
		    "kernel refuses it (%s; see sysctl user.max_user_namespaces)",
		    strerror(ce->err));
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
	c->ptyfd = -1;
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

/* the pty master the child sent; 0 without one (it failed: see errfd) */
static int
recv_master(int syncfd, int *masterp)
{
	struct msghdr mh;
	struct iovec iov;
	union {
		char		buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	align;
	} cm;
	struct cmsghdr *h;
	char tag;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = &tag;
	iov.iov_len = 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	do
		n = recvmsg(syncfd, &mh, MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n != 1 || tag != 'p')
		return 0;
	h = CMSG_FIRSTHDR(&mh);
	if (h == NULL || h->cmsg_level != SOL_SOCKET ||
	    h->cmsg_type != SCM_RIGHTS || h->cmsg_len != CMSG_LEN(sizeof(int)))
		return 0;
	memcpy(masterp, CMSG_DATA(h), sizeof(int));
	return 1;
}

int
container_idmap_line(unsigned id, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%u %u 1\n", id, id);

	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : n;
}

static int
write_map(pid_t pid, const char *file, unsigned id)
{
	char path[64], line[48];
	int fd, n, rc = 0;

	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, file);
	if ((n = container_idmap_line(id, line, sizeof(line))) < 0)
		return n;
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -errno;
	if (write(fd, line, (size_t)n) != n)
		rc = -errno;
	close(fd);
	return rc;
}

/*
 * The child has unshared its user namespace ('u'): map the app's uid
 * and gid to themselves, nothing else, and let it go on ('m').
 */
static int
map_userns(pid_t pid, int syncfd, const struct container_req *req,
    struct perr *err)
{
	char tag;
	ssize_t n;
	int rc;

	do
		n = read(syncfd, &tag, 1);
	while (n == -1 && errno == EINTR);
	if (n != 1 || tag != 'u')
		return 1;	/* it failed: its report is on errfd */
	if ((rc = write_map(pid, "uid_map", req->uid)) < 0 ||
	    (rc = write_map(pid, "gid_map", req->gid)) < 0)
		return perr_set(err, rc, "container user namespace: write "
		    "id map: %s", strerror(-rc));
	(void)send(syncfd, "m", 1, MSG_NOSIGNAL);
	return 0;
}

static int
read_sysctl(const char *path, long *v)
{
	char text[32];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -errno;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	text[n] = '\0';
	*v = strtol(text, NULL, 10);
	return 0;
}

int
container_userns_probe(struct perr *err)
{
	long max = 1;
	pid_t pid;
	int st;

	if (read_sysctl("/proc/sys/user/max_user_namespaces", &max) == 0 &&
	    max <= 0)
		return perr_set(err, -ENOSPC, "user namespaces are disabled "
		    "on this host (sysctl user.max_user_namespaces = 0)");
	pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL,
	    NULL, NULL);
	if (pid == 0)
		_exit(0);
	if (pid == -1)
		return perr_set(err, -errno, "the kernel refuses to make a user "
		    "namespace: %s", strerror(errno));
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return perr_set(err, -EIO, "user namespace probe failed");
	return 0;
}

/*
 * The steps after the child is in its cgroup: the filter, then (each
 * when asked for) the pty master and the user namespace's maps. Any
 * of them missing means the child failed: wait_exec() says why.
 */
static int
parent_steps(pid_t pid, int syncfd, const struct container_req *req,
    int *masterp, struct perr *err)
{
	int rc;

	if ((rc = release_child(pid, syncfd, req, err)) < 0)
		return rc;
	if ((req->flags & CONTAINER_PTY) && !recv_master(syncfd, masterp))
		return 0;
	if (req->flags & CONTAINER_USERNS)
		return map_userns(pid, syncfd, req, err) < 0 ? err->code : 0;
	return 0;
}

static int
start(const struct container_req *req, pid_t *pidp, int *masterp,
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
	if ((req->flags & CONTAINER_PTY) && masterp == NULL)
		return perr_set(err, -EINVAL, "a pty request needs "
		    "container_start_pty()");
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
	rc = parent_steps(pid, syncp[1], req, masterp, err);
	close(syncp[1]);	/* a child still waiting for the filter fails */
	syncp[1] = -1;
	if (rc < 0) {
		kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
		goto out;
	}
	if ((rc = wait_exec(pid, errp[0], &pl, err)) == 0) {
		if ((req->flags & CONTAINER_PTY) && *masterp < 0) {
			kill(pid, SIGKILL);
			(void)waitpid(pid, NULL, 0);
			rc = perr_set(err, -EPROTO, "container sent no pty");
			goto out;
		}
		*pidp = pid;
	}
out:
	if (rc < 0 && masterp != NULL && *masterp >= 0) {
		close(*masterp);
		*masterp = -1;
	}
	close_pair(errp);
	close_pair(syncp);
	free(iargv);
	free(c.bpf);
	container_plan_release(&pl);
	return rc;
}

int
container_start(const struct container_req *req, pid_t *pidp,
    struct perr *err)
{
	return start(req, pidp, NULL, err);
}

int
container_start_pty(const struct container_req *req, pid_t *pidp,
    int *masterp, struct perr *err)
{
	*masterp = -1;
	return start(req, pidp, masterp, err);
}
