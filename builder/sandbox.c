#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sched.h>

#include <linux/close_range.h>

#include "sandbox.h"

#define SANDBOX_REAP_ROUNDS	1000
#define SANDBOX_DRAIN_BYTES	(1024 * 1024)

volatile sig_atomic_t sandbox_cancel;

enum sandbox_step {
	STEP_SETSID = 1,
	STEP_PDEATHSIG,
	STEP_STDIO,
	STEP_CHDIR,
	STEP_RLIMIT,
	STEP_MOUNT,
	STEP_SETGROUPS,
	STEP_SETGID,
	STEP_SETUID,
	STEP_NNP,
	STEP_CLOSE,
	STEP_EXEC,
};

static const char *const step_names[] = {
	[STEP_SETSID] = "setsid",
	[STEP_PDEATHSIG] = "prctl(PDEATHSIG)",
	[STEP_STDIO] = "set up stdio",
	[STEP_CHDIR] = "chdir",
	[STEP_RLIMIT] = "setrlimit",
	[STEP_MOUNT] = "private /tmp",
	[STEP_SETGROUPS] = "setgroups",
	[STEP_SETGID] = "setresgid",
	[STEP_SETUID] = "setresuid",
	[STEP_NNP] = "prctl(NO_NEW_PRIVS)",
	[STEP_CLOSE] = "close_range",
	[STEP_EXEC] = "exec",
};

struct child_fail {
	int	step;
	int	err;
};

int64_t
sandbox_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
sandbox_init(struct perr *err)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
		return perr_set(err, -errno, "prctl(PR_SET_CHILD_SUBREAPER): "
		    "%s", strerror(errno));
	return 0;
}

static void __attribute__((noreturn))
child_die(int fd, int step)
{
	struct child_fail	f = { step, errno };

	(void)!write(fd, &f, sizeof(f));
	_exit(127);
}

static const struct {
	const char	*path;
	size_t		 len;
	unsigned long	 flags;
	const char	*data;
} tmp_mounts[] = {
	{ "/tmp", 4, MS_NOSUID | MS_NODEV, "mode=1777,size=1g" },
	{ "/var/tmp", 8, MS_NOSUID | MS_NODEV, "mode=1777,size=256m" },
	{ "/dev/shm", 8, MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    "mode=1777,size=64m" },
};

/*
 * A mount namespace with fresh tmpfs over the shared scratch dirs. A dir
 * that holds cwd (the build dir) is left alone, or the build could not
 * see its own files. Async-signal-safe.
 */
static int
private_tmp(const char *cwd)
{
	struct stat	st;
	size_t		i;

	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return -1;
	for (i = 0; i < sizeof(tmp_mounts) / sizeof(tmp_mounts[0]); i++) {
		if (cwd != NULL && strncmp(cwd, tmp_mounts[i].path,
		    tmp_mounts[i].len) == 0 && (cwd[tmp_mounts[i].len] == '/' ||
		    cwd[tmp_mounts[i].len] == '\0'))
			continue;
		if (stat(tmp_mounts[i].path, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		if (mount("tmpfs", tmp_mounts[i].path, "tmpfs",
		    tmp_mounts[i].flags, tmp_mounts[i].data) != 0)
			return -1;
	}
	return 0;
}

/* between fork and exec: async-signal-safe calls only */
static void __attribute__((noreturn))
child_run(char *const argv[], const struct sandbox_opts *o,
    const struct rlimit *lim, pid_t parent, int out, int errfd, int devnull)
{
	(void)signal(SIGPIPE, SIG_DFL);
	if (setsid() < 0)
		child_die(errfd, STEP_SETSID);
	if (dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		child_die(errfd, STEP_STDIO);
	if (setrlimit(RLIMIT_CORE, &lim[0]) != 0 ||
	    setrlimit(RLIMIT_NOFILE, &lim[1]) != 0 ||
	    setrlimit(RLIMIT_FSIZE, &lim[2]) != 0 ||
	    (o->drop && o->uid != 0 && setrlimit(RLIMIT_NPROC, &lim[3]) != 0))
		child_die(errfd, STEP_RLIMIT);
	if (o->private_tmp && private_tmp(o->cwd) != 0)
		child_die(errfd, STEP_MOUNT);
	if (o->cwd != NULL && chdir(o->cwd) != 0)
		child_die(errfd, STEP_CHDIR);
	if (o->drop) {
		if (setgroups(0, NULL) != 0)
			child_die(errfd, STEP_SETGROUPS);
		if (setresgid(o->gid, o->gid, o->gid) != 0)
			child_die(errfd, STEP_SETGID);
		if (setresuid(o->uid, o->uid, o->uid) != 0)
			child_die(errfd, STEP_SETUID);
	}
	/* after the uid change, which clears it; then check we're not late */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 ||
	    getppid() != parent)
		child_die(errfd, STEP_PDEATHSIG);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		child_die(errfd, STEP_NNP);
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
		child_die(errfd, STEP_CLOSE);
	execve(argv[0], argv, o->envp);
	child_die(errfd, STEP_EXEC);
}

/* kill(2) every process whose parent is us; returns how many */
static unsigned
kill_children(void)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[300], buf[512], *p;
	pid_t		 me = getpid(), pid;
	long		 ppid;
	unsigned	 n = 0;
	ssize_t		 len;
	int		 fd;

	d = opendir("/proc");
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		(void)snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		p = strrchr(buf, ')');
		if (p == NULL || sscanf(p + 1, " %*c %ld", &ppid) != 1 ||
		    ppid != me)
			continue;
		pid = (pid_t)atol(de->d_name);
		if (pid > 0 && kill(pid, SIGKILL) == 0)
			n++;
	}
	if (d != NULL)
		closedir(d);
	return n;
}

/* kill the step's group, then every descendant until none is left */
static unsigned
reap_all(pid_t pgid)
{
	unsigned	killed = 0, i;
	pid_t		p;

	for (i = 0; i < SANDBOX_REAP_ROUNDS; i++) {
		if (pgid > 0)
			(void)kill(-pgid, SIGKILL);
		killed += kill_children();
		while ((p = waitpid(-1, NULL, WNOHANG)) > 0)
			;
		if (p < 0 && errno == ECHILD)
			break;
		usleep(2000);
	}
	return killed;
}

struct lines {
	char			 buf[SANDBOX_LINE_MAX];
	size_t			 len;
	sandbox_line_cb		*cb;
	void			*arg;
	const struct sandbox_opts *o;
	struct sandbox_result	*res;
	uint64_t		 given;
};

static void
lines_emit(struct lines *l)
{
	if (l->o->max_output == 0 || l->given + l->len <= l->o->max_output) {
		l->given += l->len;
		if (l->cb != NULL)
			l->cb(l->arg, l->buf, l->len);
	}
	l->len = 0;
}

static void
lines_feed(struct lines *l, const char *p, size_t n)
{
	size_t	i;

	l->res->output_bytes += n;
	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			lines_emit(l);
			continue;
		}
		if (l->len == sizeof(l->buf))
			lines_emit(l);
		l->buf[l->len++] = p[i];
	}
}

/*
 * drain() reads what is there: 1 at EOF, -1 when nothing more is there
 * now, 0 after SANDBOX_DRAIN_BYTES, so that a step writing without pause
 * cannot keep the caller from checking its deadline.
 */
static int
drain(int fd, struct lines *l)
{
	char	buf[8192];
	size_t	got = 0;
	ssize_t	n;

	while (got < SANDBOX_DRAIN_BYTES) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			lines_feed(l, buf, (size_t)n);
			got += (size_t)n;
			continue;
		}
		if (n == 0)
			return 1;
		if (errno == EINTR)
			continue;
		return -1;
	}
	return 0;
}

static int
wait_exec(int errfd, struct perr *err)
{
	struct child_fail	f;
	ssize_t			n;

	do
		n = read(errfd, &f, sizeof(f));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(f) && f.step > 0 && f.step <= STEP_EXEC)
		return perr_set(err, -f.err, "sandbox: %s: %s",
		    step_names[f.step], strerror(f.err));
	return 0;
}

static void
pump(pid_t pid, int pidfd, int out, struct lines *l,
    const struct sandbox_opts *o, struct sandbox_result *res)
{
	struct pollfd	pf[2];
	int64_t		left;
	int		timeout, eof = 0;

	for (;;) {
		if (sandbox_cancel) {
			res->cancelled = 1;
			return;
		}
		timeout = pidfd >= 0 ? 1000 : 50;
		if (o->deadline_ms > 0) {
			left = o->deadline_ms - sandbox_now_ms();
			if (left <= 0) {
				res->timed_out = 1;
				return;
			}
			if (left < timeout)
				timeout = (int)left;
		}
		pf[0] = (struct pollfd){ eof ? -1 : out, POLLIN, 0 };
		pf[1] = (struct pollfd){ pidfd, POLLIN, 0 };
		if (poll(pf, 2, timeout) < 0 && errno != EINTR)
			return;
		if (pf[0].revents)
			eof = drain(out, l) == 1;
		if (waitpid(pid, &res->status, WNOHANG) == pid) {
			(void)drain(out, l);
			return;
		}
	}
}

/* the limits, never above the hard limits we were given */
static void
limits(struct rlimit lim[4])
{
	static const int	res[4] = { RLIMIT_CORE, RLIMIT_NOFILE,
				    RLIMIT_FSIZE, RLIMIT_NPROC };
	const rlim_t		want[4] = { 0, SANDBOX_NOFILE, SANDBOX_FSIZE,
				    SANDBOX_NPROC };
	int			i;

	for (i = 0; i < 4; i++) {
		if (getrlimit(res[i], &lim[i]) != 0)
			lim[i].rlim_max = want[i];
		if (lim[i].rlim_max != RLIM_INFINITY &&
		    lim[i].rlim_max < want[i])
			lim[i].rlim_cur = lim[i].rlim_max;
		else
			lim[i].rlim_cur = lim[i].rlim_max = want[i];
	}
}

int
sandbox_run(char *const argv[], const struct sandbox_opts *o,
    sandbox_line_cb *line_cb, void *arg, struct sandbox_result *res,
    struct perr *err)
{
	struct lines	*l = NULL;
	struct rlimit	 lim[4];
	int		 out[2] = { -1, -1 }, ep[2] = { -1, -1 };
	int		 devnull = -1, pidfd = -1, rc = 0;
	pid_t		 pid, parent;

	memset(res, 0, sizeof(*res));
	res->status = -1;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return perr_set(err, -ENOMEM, "sandbox: out of memory");
	l->cb = line_cb;
	l->arg = arg;
	l->o = o;
	l->res = res;
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0 || pipe2(out, O_CLOEXEC) != 0 ||
	    pipe2(ep, O_CLOEXEC) != 0) {
		rc = perr_set(err, -errno, "sandbox: %s", strerror(errno));
		goto out;
	}
	limits(lim);
	parent = getpid();
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		rc = perr_set(err, -errno, "sandbox: fork: %s",
		    strerror(errno));
		goto out;
	}
	if (pid == 0)
		child_run(argv, o, lim, parent, out[1], ep[1], devnull);
	close(out[1]);
	close(ep[1]);
	out[1] = ep[1] = -1;
	(void)fcntl(out[0], F_SETFL, O_NONBLOCK);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	rc = wait_exec(ep[0], err);
	if (rc == 0)
		pump(pid, pidfd, out[0], l, o, res);
	if (res->status == -1 && waitpid(pid, &res->status, WNOHANG) != pid)
		(void)kill(-pid, SIGKILL);
	if (res->status == -1 && waitpid(pid, &res->status, 0) != pid)
		res->status = -1;
	res->killed = reap_all(pid);
	while (drain(out[0], l) == 0)
		;
	if (l->len > 0)
		lines_emit(l);
out:
	if (pidfd >= 0)
		close(pidfd);
	if (devnull >= 0)
		close(devnull);
	if (out[0] >= 0)
		close(out[0]);
	if (out[1] >= 0)
		close(out[1]);
	if (ep[0] >= 0)
		close(ep[0]);
	if (ep[1] >= 0)
		close(ep[1]);
	free(l);
	return rc;
}

void
sandbox_describe(const struct sandbox_result *res, char *out, size_t outlen)
{
	if (res->cancelled)
		(void)snprintf(out, outlen, "cancelled");
	else if (res->timed_out)
		(void)snprintf(out, outlen, "timed out");
	else if (WIFEXITED(res->status))
		(void)snprintf(out, outlen, "exit status %d",
		    WEXITSTATUS(res->status));
	else if (WIFSIGNALED(res->status))
		(void)snprintf(out, outlen, "killed by signal %d",
		    WTERMSIG(res->status));
	else
		(void)snprintf(out, outlen, "did not finish");
}
