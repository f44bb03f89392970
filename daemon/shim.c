/*
 * paas-shim: the parent of one container instance. paasd starts it as
 *
 *	paas-shim REQUEST.json
 *
 * and it exits 0 once the container runs (1 with a message on stderr
 * if it could not be started). The shim itself carries on in the
 * background, in its own session, so paasd can die or restart without
 * touching the app: it holds the container (it is its parent), its
 * cgroup, its stdout/stderr pipes (formatted into the app's log file)
 * and, at the end, its exit status, recorded in DIR/state.json. It
 * answers "status", "stop [GRACE]" and "wait" on DIR/shim.sock. See
 * docs/RUNTIME.md.
 */
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cgroup.h"
#include "container.h"
#include "log.h"
#include "parse.h"
#include "shim.h"
#include "shim_log.h"
#include "shim_req.h"


static void
now_stamp(char *out, size_t outlen)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (shim_log_stamp(out, outlen, &ts) == 0)
		out[0] = '\0';
}

static void
event(struct shim *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* a platform line in the app's log: "paas[web.1]: ..." */
static void
event(struct shim *s, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		shim_logw_line(&s->logw, "paas", line,
		    (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_DP)
		(void)rmdir(p);
	else
		(void)unlink(p);
	return 0;
}

/* FTW_MOUNT: never walk into something still mounted */
static void
rmrf(const char *path)
{
	if (path[0] == '/')
		(void)nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static int
sub_path(const struct shim *s, const char *name, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%s", s->req.dir, name);

	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

/* upper, work, root and etc, fresh; /app owned by the app user */
static int
make_dirs(struct shim *s, struct perr *err)
{
	char app[CONTAINER_PATH_MAX + 8];
	char *const dirs[] = { s->root, s->upper, s->work, s->etc };
	size_t i;

	if (sub_path(s, "root", s->root, sizeof(s->root)) < 0 ||
	    sub_path(s, "upper", s->upper, sizeof(s->upper)) < 0 ||
	    sub_path(s, "work", s->work, sizeof(s->work)) < 0 ||
	    sub_path(s, "etc", s->etc, sizeof(s->etc)) < 0)
		return perr_set(err, -ENAMETOOLONG, "instance dir too long");
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		rmrf(dirs[i]);
		if (mkdir(dirs[i], 0755) == -1)
			return perr_set(err, -errno, "mkdir '%s': %s", dirs[i],
			    strerror(errno));
	}
	snprintf(app, sizeof(app), "%s/app", s->upper);
	if (mkdir(app, 0755) == -1 || chown(app, s->req.uid, s->req.gid) == -1)
		return perr_set(err, -errno, "make '%s': %s", app,
		    strerror(errno));
	return container_etc_write(s->etc, s->req.uid, s->req.gid,
	    s->req.dyno, err);
}

static int
make_cgroup(struct shim *s, struct perr *err)
{
	struct cgroup_limits lim;
	int rc;

	s->cgroot = open(s->req.cgroup_root, O_DIRECTORY | O_CLOEXEC);
	if (s->cgroot == -1)
		return perr_set(err, -errno, "open '%s': %s",
		    s->req.cgroup_root, strerror(errno));
	if ((rc = cgroup_init(&s->cg, s->cgroot, s->req.app, s->req.id,
	    err)) < 0)
		return rc;
	if ((rc = cgroup_size_limits(s->req.size, &lim)) < 0)
		return perr_set(err, rc, "invalid size");
	if ((rc = cgroup_create(&s->cg, &lim, err)) < 0)
		return rc;
	s->cg_made = 1;
	return 0;
}

static int
make_signals(struct shim *s, struct perr *err)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	s->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	s->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC |
	    TFD_NONBLOCK);
	if (s->sigfd == -1 || s->timerfd == -1)
		return perr_set(err, -errno, "signalfd/timerfd: %s",
		    strerror(errno));
	return 0;
}

/* is pid a live paas-shim (not a stranger that got a recycled pid)? */
static int
is_shim(pid_t pid)
{
	char path[64], comm[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, comm, sizeof(comm) - 1);
	close(fd);
	return n == 10 && memcmp(comm, "paas-shim\n", 10) == 0;
}

/* a shim.pid naming a live shim means the instance is taken */
static int
claim(struct shim *s, struct perr *err)
{
	char text[32];
	uint64_t pid;
	ssize_t n;
	int fd;

	fd = openat(s->dirfd, "shim.pid", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd != -1) {
		n = read(fd, text, sizeof(text) - 1);
		close(fd);
		while (n > 0 && text[n - 1] == '\n')
			n--;
		if (n > 0 && parse_u64(text, (size_t)n, 2, 0x7fffffff,
		    &pid) == 0 && (pid_t)pid != getpid() &&
		    is_shim((pid_t)pid))
			return perr_set(err, -EEXIST, "a shim (pid %llu) "
			    "already runs instance '%s'",
			    (unsigned long long)pid, s->req.id);
	}
	fd = openat(s->dirfd, "shim.pid", O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd == -1)
		return perr_set(err, -errno, "write shim.pid: %s",
		    strerror(errno));
	s->claimed = 1;
	n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	if (write(fd, text, (size_t)n) != n) {
		close(fd);
		return perr_set(err, -EIO, "write shim.pid");
	}
	close(fd);
	return 0;
}

static int
start_container(struct shim *s, struct perr *err)
{
	struct container_req cr;
	int out[2] = { -1, -1 }, er[2] = { -1, -1 }, rc;
	size_t i;

	/* "inherit": the container gets the shim's own 0-2 (paas run) */
	if (!s->req.inherit && !s->req.pty && (pipe2(out, O_CLOEXEC) == -1 ||
	    pipe2(er, O_CLOEXEC) == -1)) {
		rc = perr_set(err, -errno, "pipe: %s", strerror(errno));
		goto out;
	}
	container_req_init(&cr);
	cr.rootdir = s->root;
	for (i = 0; i < s->req.nlayers; i++)
		cr.layers[i] = s->req.layers[i];
	cr.nlayers = s->req.nlayers;
	cr.upper = s->upper;
	cr.work = s->work;
	cr.etc = s->etc;
	cr.init = s->req.init;
	memcpy(cr.binds, s->req.binds, s->req.nbinds * sizeof(cr.binds[0]));
	cr.nbinds = s->req.nbinds;
	cr.tmp_mb = s->req.tmp_mb;
	cr.hostname = s->req.dyno;
	cr.uid = s->req.uid;
	cr.gid = s->req.gid;
	cr.argv = s->req.argv;
	cr.envp = s->req.envp;
	cr.cwd = s->req.cwd;
	cr.stdio[0] = s->req.inherit ? 0 : -1;
	cr.stdio[1] = s->req.inherit ? 1 : out[1];
	cr.stdio[2] = s->req.inherit ? 2 : er[1];
	if (s->req.pty)
		cr.stdio[0] = cr.stdio[1] = cr.stdio[2] = -1;
	cr.rows = (unsigned short)s->req.rows;
	cr.cols = (unsigned short)s->req.cols;
	cr.cgroup = &s->cg;
	cr.pdeathsig = SIGKILL;
	cr.flags = (s->req.host_stack ? CONTAINER_HOST_STACK : 0) |
	    (s->req.newnet ? CONTAINER_NEWNET : 0) |
	    (s->req.tty ? CONTAINER_CTTY : 0) |
	    (s->req.pty ? CONTAINER_PTY : 0) |
	    (s->req.userns ? CONTAINER_USERNS : 0);
	if (s->req.pty)
		rc = container_start_pty(&cr, &s->pid, &s->tty.master, err);
	else
		rc = container_start(&cr, &s->pid, err);
	if (rc < 0)
		goto out;
	if (s->req.pty)
		(void)fcntl(s->tty.master, F_SETFL, O_NONBLOCK);
	s->in[0].fd = out[0];
	s->in[1].fd = er[0];
	out[0] = er[0] = -1;
	for (i = 0; i < 2; i++)
		if (s->in[i].fd != -1)
			(void)fcntl(s->in[i].fd, F_SETFL, O_NONBLOCK);
out:
	for (i = 0; i < 2; i++) {
		if (out[i] != -1)
			close(out[i]);
		if (er[i] != -1)
			close(er[i]);
	}
	return rc;
}

static void
command_line(const struct shim *s, char *out, size_t outlen)
{
	size_t i, n = 0;
	int m;

	out[0] = '\0';
	for (i = 0; s->req.argv[i] != NULL && n < outlen; i++) {
		m = snprintf(out + n, outlen - n, "%s%s", i ? " " : "",
		    s->req.argv[i]);
		if (m < 0)
			break;
		n += (size_t)m;
	}
}

static int
shim_setup(struct shim *s, struct perr *err)
{
	char cmd[256];
	int rc, i;

	s->dirfd = open(s->req.dir, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->dirfd == -1)
		return perr_set(err, -errno, "open instance dir '%s': %s",
		    s->req.dir, strerror(errno));
	if ((rc = claim(s, err)) < 0 || (rc = make_dirs(s, err)) < 0 ||
	    (rc = make_cgroup(s, err)) < 0 || (rc = make_signals(s, err)) < 0 ||
	    (rc = shim_ctl_listen(s, err)) < 0)
		return rc;
	shim_logw_init(&s->logw, s->req.log, s->req.dyno);
	command_line(s, cmd, sizeof(cmd));
	event(s, "Starting process with command `%s`", cmd);
	if ((rc = start_container(s, err)) < 0)
		return rc;
	now_stamp(s->started_at, sizeof(s->started_at));
	s->state = SHIM_RUNNING;
	/*
	 * paasd reads app_pid from the first state.json: give paas-init
	 * (which forks the app first thing) a moment, 50 ms at most.
	 */
	for (i = 0; i < 50 && shim_ctl_app_pid(s) == 0; i++)
		(void)usleep(1000);
	return shim_ctl_state_write(s);
}

/* ---------------------------------------------------------- running */

static void
on_line(void *arg, const char *line, size_t len)
{
	shim_logw_line(arg, "app", line, len);
}

static void
pipe_read(struct shim *s, struct shim_pipe *in)
{
	char chunk[16384];
	ssize_t n;
	int i;

	/* bounded per wakeup so one chatty stream cannot starve the rest */
	for (i = 0; i < 16; i++) {
		n = read(in->fd, chunk, sizeof(chunk));
		if (n > 0) {
			shim_linebuf_feed(&in->lb, chunk, (size_t)n, on_line,
			    &s->logw);
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		shim_linebuf_flush(&in->lb, on_line, &s->logw);
		close(in->fd);
		in->fd = -1;
		return;
	}
}

/* ---------------------------------------------------------- the pty */

static void
tty_on_data(void *arg, const char *p, size_t n)
{
	struct shim_ttyio *t = arg;
	size_t room = sizeof(t->ibuf) - t->ilen;

	/* one read's worth at most: tty_in() reads only into an empty ibuf */
	if (n > room)
		n = room;
	memcpy(t->ibuf + t->ilen, p, n);
	t->ilen += n;
}

static void
tty_on_size(void *arg, unsigned rows, unsigned cols)
{
	struct shim_ttyio *t = arg;
	struct winsize ws;

	if (rows == 0 || cols == 0 || rows > CONTAINER_WINSIZE_MAX ||
	    cols > CONTAINER_WINSIZE_MAX || t->master < 0)
		return;
	memset(&ws, 0, sizeof(ws));
	ws.ws_row = (unsigned short)rows;
	ws.ws_col = (unsigned short)cols;
	(void)ioctl(t->master, TIOCSWINSZ, &ws);	/* SIGWINCH inside */
}

/* frames from paasd: keystrokes into ibuf, sizes applied at once */
static void
tty_in(struct shim_ttyio *t)
{
	char chunk[sizeof(t->ibuf) / 2];
	ssize_t n;

	n = read(t->in, chunk, sizeof(chunk));
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* no more input; the terminal stays (closing would hang up) */
		close(t->in);
		t->in = -1;
		return;
	}
	t->ilen = t->ioff = 0;
	if (!t->bad && shim_tty_feed(&t->dec, chunk, (size_t)n) < 0) {
		log_warnx("run input: broken frame, input ignored");
		t->bad = 1;
	}
}

static void
tty_to_master(struct shim_ttyio *t)
{
	ssize_t n;

	n = write(t->master, t->ibuf + t->ioff, t->ilen - t->ioff);
	if (n > 0)
		t->ioff += (size_t)n;
	else if (n == -1 && errno != EAGAIN && errno != EINTR)
		t->ioff = t->ilen;	/* hung up: nobody to type to */
	if (t->ioff == t->ilen)
		t->ilen = t->ioff = 0;
}

static void
tty_from_master(struct shim_ttyio *t)
{
	ssize_t n;

	n = read(t->master, t->obuf, sizeof(t->obuf));
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* EIO: every slave fd is closed, the container is gone */
		close(t->master);
		t->master = -1;
		t->ilen = t->ioff = 0;
		return;
	}
	t->olen = (size_t)n;
	t->ooff = 0;
}

static void
tty_to_out(struct shim_ttyio *t)
{
	ssize_t n;

	if (t->out >= 0) {
		n = write(t->out, t->obuf + t->ooff, t->olen - t->ooff);
		if (n > 0)
			t->ooff += (size_t)n;
		else if (n == -1 && errno != EAGAIN && errno != EINTR) {
			close(t->out);	/* paasd went away: drop the output */
			t->out = -1;
		}
	}
	if (t->out < 0 || t->ooff == t->olen)
		t->olen = t->ooff = 0;
}

/* what to wait for: one direction at a time per buffer (backpressure) */
static void
tty_pollfds(const struct shim_ttyio *t, struct pollfd *pf)
{
	pf[0] = (struct pollfd){ t->ilen ? -1 : t->in, POLLIN, 0 };
	pf[1] = (struct pollfd){ t->master, (short)((t->olen ? 0 : POLLIN) |
	    (t->ilen ? POLLOUT : 0)), 0 };
	pf[2] = (struct pollfd){ t->olen ? t->out : -1, POLLOUT, 0 };
}

static void
tty_events(struct shim_ttyio *t, const struct pollfd *pf)
{
	if (pf[0].revents && t->in >= 0 && t->ilen == 0)
		tty_in(t);
	if ((pf[1].revents & POLLOUT) && t->ilen)
		tty_to_master(t);
	if ((pf[1].revents & (POLLIN | POLLHUP | POLLERR)) && t->master >= 0 &&
	    t->olen == 0)
		tty_from_master(t);
	if (t->olen && pf[2].revents)
		tty_to_out(t);
	else if (t->olen && t->out >= 0)
		tty_to_out(t);	/* try at once; POLLOUT only if it was full */
}

static int
tty_done(const struct shim_ttyio *t)
{
	return t->master < 0 && t->olen == 0;
}

static void
tty_give_up(struct shim_ttyio *t)
{
	if (t->master >= 0)
		close(t->master);
	t->master = -1;
	t->olen = t->ooff = 0;
}

static void
arm_timer(struct shim *s, unsigned ms)
{
	struct itimerspec it;

	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = ms / 1000;
	it.it_value.tv_nsec = (long)(ms % 1000) * 1000000L + (ms ? 0 : 1);
	(void)timerfd_settime(s->timerfd, 0, &it, NULL);
}

void
shim_stop_begin(struct shim *s, unsigned grace_s)
{
	if (s->state != SHIM_RUNNING)
		return;
	s->state = SHIM_STOPPING;
	event(s, "Stopping all processes with SIGTERM");
	(void)kill(s->pid, SIGTERM);
	arm_timer(s, grace_s * 1000);
	(void)shim_ctl_state_write(s);
}

static void
stop_kill(struct shim *s)
{
	struct perr err = PERR_INIT;

	if (s->state != SHIM_STOPPING)
		return;
	event(s, "Error R12 (Exit timeout) -> At least one process failed "
	    "to exit within %u seconds of SIGTERM", s->req.grace_s);
	event(s, "Stopping all remaining processes with SIGKILL");
	if (cgroup_kill(&s->cg, &err) < 0)
		log_warnx("id=%s %s", s->req.id, err.msg);
	(void)kill(s->pid, SIGKILL);
}

static void
on_exit_status(struct shim *s, int st)
{
	if (WIFEXITED(st))
		s->exit_status = WEXITSTATUS(st);
	else if (WIFSIGNALED(st)) {
		s->signal = WTERMSIG(st);
		s->exit_status = 128 + s->signal;
	}
	s->state = SHIM_EXITED;
	now_stamp(s->finished_at, sizeof(s->finished_at));
	arm_timer(s, SHIM_DRAIN_MS);
}

static void
on_signal(struct shim *s)
{
	struct signalfd_siginfo si;
	pid_t p;
	int st;

	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			while ((p = waitpid(-1, &st, WNOHANG)) > 0)
				if (p == s->pid && s->state != SHIM_EXITED)
					on_exit_status(s, st);
			break;
		case SIGTERM:
		case SIGINT:
			shim_stop_begin(s, s->req.grace_s);
			break;
		default:
			break;
		}
	}
}

static void
on_timer(struct shim *s)
{
	uint64_t ticks;

	if (read(s->timerfd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	if (s->state == SHIM_STOPPING)
		stop_kill(s);
	else if (s->state == SHIM_EXITED) {
		/* something outside still holds the pipes: stop waiting */
		if (s->in[0].fd != -1)
			close(s->in[0].fd);
		if (s->in[1].fd != -1)
			close(s->in[1].fd);
		s->in[0].fd = s->in[1].fd = -1;
		tty_give_up(&s->tty);
	}
}

static void
shim_finish(struct shim *s)
{
	struct perr err = PERR_INIT;
	struct shim_client c;
	size_t i;
	int fd;

	(void)cgroup_oom(&s->cg, &s->oom);
	if (s->oom)
		event(s, "Error R15 (Memory quota vastly exceeded)");
	event(s, "Process exited with status %d%s", s->exit_status,
	    s->oom ? " (memory quota exceeded)" : "");
	if (s->cg_made) {
		(void)cgroup_kill(&s->cg, NULL);
		if (cgroup_remove(&s->cg, &err) < 0)
			log_warnx("id=%s %s", s->req.id, err.msg);
	}
	rmrf(s->upper);
	rmrf(s->work);
	rmrf(s->root);
	rmrf(s->etc);
	(void)shim_ctl_state_write(s);
	(void)unlinkat(s->dirfd, "shim.sock", 0);
	for (i = 0; i < SHIM_CLIENTS_MAX; i++)
		if (s->clients[i].fd != -1)
			shim_ctl_reply(s, &s->clients[i]);
	/*
	 * Whoever connected since the last turn of the loop is still in
	 * the backlog: whatever they asked, the final state is the answer.
	 */
	memset(&c, 0, sizeof(c));
	while ((fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC)) != -1) {
		c.fd = fd;
		shim_ctl_reply(s, &c);
	}
}

static void
shim_loop(struct shim *s)
{
	struct pollfd pf[8 + SHIM_CLIENTS_MAX];
	size_t i, n;

	for (;;) {
		if (s->state == SHIM_EXITED && s->in[0].fd == -1 &&
		    s->in[1].fd == -1 && tty_done(&s->tty))
			break;
		n = 0;
		pf[n++] = (struct pollfd){ s->sigfd, POLLIN, 0 };
		pf[n++] = (struct pollfd){ s->timerfd, POLLIN, 0 };
		pf[n++] = (struct pollfd){ s->lfd, POLLIN, 0 };
		pf[n++] = (struct pollfd){ s->in[0].fd, POLLIN, 0 };
		pf[n++] = (struct pollfd){ s->in[1].fd, POLLIN, 0 };
		for (i = 0; i < SHIM_CLIENTS_MAX; i++)
			pf[n++] = (struct pollfd){ s->clients[i].fd, POLLIN,
			    0 };
		tty_pollfds(&s->tty, pf + n);
		n += 3;
		if (poll(pf, n, -1) == -1)
			continue;
		tty_events(&s->tty, pf + 5 + SHIM_CLIENTS_MAX);
		if (pf[0].revents)
			on_signal(s);
		if (pf[1].revents)
			on_timer(s);
		if (pf[2].revents)
			shim_ctl_accept(s);
		if (pf[3].revents && s->in[0].fd != -1)
			pipe_read(s, &s->in[0]);
		if (pf[4].revents && s->in[1].fd != -1)
			pipe_read(s, &s->in[1]);
		for (i = 0; i < SHIM_CLIENTS_MAX; i++)
			if (pf[5 + i].revents && s->clients[i].fd != -1 &&
			    !s->clients[i].waiting)
				shim_ctl_read(s, &s->clients[i]);
	}
	shim_finish(s);
}

/* ---------------------------------------------------------- start-up */

static void
shim_init(struct shim *s)
{
	size_t i;

	/*
	 * s is static, hence zero: no memset, which would dirty its 30 KiB
	 * (line buffers) in every shim for the instance's whole life.
	 */
	s->dirfd = s->cgroot = s->sigfd = s->timerfd = s->lfd = -1;
	s->in[0].fd = s->in[1].fd = -1;
	s->tty.master = s->tty.in = s->tty.out = -1;
	for (i = 0; i < SHIM_CLIENTS_MAX; i++)
		s->clients[i].fd = -1;
}

/* undo a half-made start: nothing of it may stay behind */
static void
shim_abort(struct shim *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		(void)waitpid(s->pid, NULL, 0);
	}
	if (s->cg_made) {
		(void)cgroup_kill(&s->cg, NULL);
		(void)cgroup_remove(&s->cg, NULL);
	}
	if (s->root[0] != '\0') {
		rmrf(s->upper);
		rmrf(s->work);
		rmrf(s->root);
		rmrf(s->etc);
	}
	if (s->lfd != -1)
		(void)unlinkat(s->dirfd, "shim.sock", 0);
	if (s->claimed)
		(void)unlinkat(s->dirfd, "shim.pid", 0);
}

static int
read_request(const char *path, struct shim_req *req, struct perr *err)
{
	struct buf b = BUF_INIT;
	char chunk[8192];
	ssize_t n;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return perr_set(err, -errno, "open '%s': %s", path,
		    strerror(errno));
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 &&
	    b.len <= SHIM_REQ_MAX_BYTES)
		buf_add(&b, chunk, (size_t)n);
	close(fd);
	rc = shim_req_parse(b.p, b.len, req, err);
	buf_release(&b);
	return rc;
}

/* the background half: report "ok" or the error on fd, then serve */
static int
shim_daemon(struct shim *s, int report)
{
	struct perr err = PERR_INIT;
	char path[CONTAINER_PATH_MAX + 16];
	int fd;

	(void)setsid();
	if (shim_setup(s, &err) < 0) {
		dprintf(report, "%s\n", err.msg);
		shim_abort(s);
		return 1;
	}
	if (s->req.pty) {
		/* paasd's pipes: frames in, the terminal's output out */
		s->tty.in = fcntl(0, F_DUPFD_CLOEXEC, 3);
		s->tty.out = fcntl(1, F_DUPFD_CLOEXEC, 3);
		(void)fcntl(s->tty.in, F_SETFL, O_NONBLOCK);
		(void)fcntl(s->tty.out, F_SETFL, O_NONBLOCK);
		shim_tty_dec_init(&s->tty.dec, tty_on_data, tty_on_size,
		    &s->tty);
	}
	(void)!write(report, "ok\n", 3);
	close(report);
	snprintf(path, sizeof(path), "%s/shim.log", s->req.dir);
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) != -1) {
		dup2(fd, 0);
		dup2(fd, 1);
		close(fd);
	}
	(void)log_reopen(path);
	if (chdir("/") == -1)
		log_warn("chdir /");
	/*
	 * Building the request, the mount plan and the seccomp program
	 * left a few hundred KiB of freed heap: give it back, it would
	 * otherwise stay resident in every shim for the instance's life.
	 */
	(void)malloc_trim(0);
	shim_loop(s);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct shim s;
	struct perr err = PERR_INIT;
	char msg[512];
	int rep[2];
	ssize_t n;
	size_t len = 0;
	pid_t pid;

	/*
	 * The shim outlives paasd: any fd paasd leaked into it (a listening
	 * socket without O_CLOEXEC...) would stay open with it. Only 0-2.
	 */
	(void)syscall(SYS_close_range, 3, ~0U, 0);
	log_init("paas-shim", 0);
	if (argc != 2) {
		fprintf(stderr, "usage: paas-shim REQUEST.json\n");
		return 2;
	}
	shim_init(&s);
	if (geteuid() != 0) {
		fprintf(stderr, "paas-shim: must run as root\n");
		return 1;
	}
	if (read_request(argv[1], &s.req, &err) < 0) {
		fprintf(stderr, "paas-shim: %s\n", err.msg);
		return 1;
	}
	if (pipe2(rep, O_CLOEXEC) == -1 || (pid = fork()) == -1) {
		fprintf(stderr, "paas-shim: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		close(rep[0]);
		return shim_daemon(&s, rep[1]);
	}
	close(rep[1]);
	while (len < sizeof(msg) - 1 &&
	    (n = read(rep[0], msg + len, sizeof(msg) - 1 - len)) > 0)
		len += (size_t)n;
	msg[len] = '\0';
	if (strcmp(msg, "ok\n") == 0)
		return 0;
	fprintf(stderr, "paas-shim: %s", len ? msg : "shim died\n");
	(void)waitpid(pid, NULL, 0);
	return 1;
}
