#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "sandbox.h"

#define SANDBOX_DRAIN_BYTES	(1024 * 1024)
#define SANDBOX_TICK_MS		200	/* how often the pids limit is checked */
#define SANDBOX_EMPTY_ROUNDS	500	/* x 10 ms: wait for a killed cgroup */

volatile sig_atomic_t sandbox_cancel;

int64_t
sandbox_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------ scratch dir */

static char *
sub(const char *dir, const char *name)
{
	struct buf	b = BUF_INIT;

	buf_addf(&b, "%s/%s", dir, name);
	return buf_detach(&b, NULL);
}

static int
limits(struct sandbox *sb, const struct sandbox_conf *c, struct perr *err)
{
	if (cgroup_size_limits("performance", &sb->lim) != 0)
		return perr_set(err, -EINVAL, "no performance size");
	sb->lim.memory_bytes = SANDBOX_MEMORY_DEFAULT;
	sb->lim.pids = SANDBOX_PIDS_DEFAULT;
	if (c->memory_bytes != 0)
		sb->lim.memory_bytes = c->memory_bytes;
	if (c->pids != 0)
		sb->lim.pids = c->pids;
	if (sb->lim.memory_bytes < SANDBOX_MIN_MEMORY ||
	    sb->lim.pids < SANDBOX_MIN_PIDS)
		return perr_set(err, -EINVAL, "build limits too small: at "
		    "least %llu MB and %d processes",
		    SANDBOX_MIN_MEMORY >> 20, SANDBOX_MIN_PIDS);
	return 0;
}

int
sandbox_open(struct sandbox *sb, const struct sandbox_conf *c,
    struct perr *err)
{
	enum cgroup_version	v;
	const char		*cgroot;
	int			 rc;

	memset(sb, 0, sizeof(*sb));
	sb->cgroot = -1;
	sb->uid = c->uid;
	sb->userns = c->userns;
	sb->gid = c->gid;
	if (c->uid == 0 || c->gid == 0)
		return perr_set(err, -EINVAL, "the build runs as the app's "
		    "user (--uid, --gid), never as root");
	if (geteuid() != 0)
		return perr_set(err, -EPERM, "paas-build must run as root to "
		    "start its build containers");
	if ((rc = limits(sb, c, err)) != 0)
		return rc;
	sb->app = strdup(c->app);
	sb->init = c->init ? strdup(c->init) : NULL;
	if (mkdir(c->dir, 0700) != 0)
		return perr_set(err, -errno, "create '%s': %s", c->dir,
		    strerror(errno));
	sb->dir = strdup(c->dir);
	sb->lower = sub(c->dir, "lower");
	sb->etc = sub(c->dir, "etc");
	sb->root = sub(c->dir, "root");
	sb->upper = sub(c->dir, "upper");
	sb->work = sub(c->dir, "work");
	if (sb->app == NULL || sb->dir == NULL || (c->init && !sb->init))
		return perr_set(err, -ENOMEM, "out of memory");
	if (mkdir(sb->lower, 0755) != 0 || mkdir(sb->root, 0755) != 0)
		return perr_set(err, -errno, "create sandbox dirs: %s",
		    strerror(errno));
	if ((rc = container_etc_write(sb->etc, c->uid, c->gid,
	    SANDBOX_HOSTNAME, err)) != 0)
		return rc;
	cgroot = c->cgroup_root ? c->cgroup_root : SANDBOX_CGROUP_ROOT;
	sb->cgroot = open(cgroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sb->cgroot < 0)
		return perr_set(err, -errno, "open '%s': %s", cgroot,
		    strerror(errno));
	if (cgroup_detect(sb->cgroot, &v) != 0)
		return perr_set(err, -ENOENT, "no usable cgroup hierarchy at "
		    "'%s' for the build's limits", cgroot);
	return 0;
}

void
sandbox_close(struct sandbox *sb)
{
	struct perr	err = PERR_INIT;

	if (sb->dir != NULL)
		(void)fsutil_rm_rf(sb->dir, &err);
	if (sb->cgroot >= 0)
		close(sb->cgroot);
	free(sb->dir);
	free(sb->lower);
	free(sb->etc);
	free(sb->root);
	free(sb->upper);
	free(sb->work);
	free(sb->app);
	free(sb->init);
	memset(sb, 0, sizeof(*sb));
	sb->cgroot = -1;
}

int
sandbox_bind(struct sandbox_opts *o, const char *path, int ro)
{
	if (o->nbinds >= SANDBOX_BINDS_MAX)
		return -E2BIG;
	o->binds[o->nbinds].src = path;
	o->binds[o->nbinds].dst = path;
	o->binds[o->nbinds].ro = ro;
	o->nbinds++;
	return 0;
}

/* ------------------------------------------------------ output */

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

/* ------------------------------------------------------ the cgroup */

/* has the cgroup refused a fork for its pids.max? (pids.events "max") */
static int
pids_max_hit(const struct sandbox *sb, const struct cgroup *cg)
{
	struct buf	p = BUF_INIT;
	char		text[256];
	uint64_t	v = 0;
	ssize_t		n;
	int		fd;

	buf_addf(&p, "%s%s/pids.events", cg->version == CGROUP_V1 ?
	    "pids/" : "", cg->path);
	fd = openat(sb->cgroot, p.p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	buf_release(&p);
	if (fd < 0)
		return 0;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	return cgroup_parse_key(text, (size_t)n, "max", &v) == 0 && v > 0;
}

/* kill what is left, wait until the cgroup is empty, note the OOM kills */
static void
cgroup_finish(const struct sandbox *sb, const struct cgroup *cg,
    struct sandbox_result *res)
{
	struct perr	err = PERR_INIT;
	pid_t		pids[64];
	size_t		n = 0;
	int		i;

	for (i = 0; i < SANDBOX_EMPTY_ROUNDS; i++) {
		if (cgroup_pids(cg, pids, sizeof(pids) / sizeof(pids[0]),
		    &n) != 0 || n == 0)
			break;
		if (i == 0)
			res->killed = (unsigned)n;
		(void)cgroup_kill(cg, &err);
		usleep(10000);
	}
	(void)cgroup_oom(cg, &res->oom);
	if (pids_max_hit(sb, cg))
		res->pids_max = 1;
}

/* ------------------------------------------------------ a step */

static void
pump(const struct sandbox *sb, const struct cgroup *cg, pid_t pid,
    int pidfd, int out, struct lines *l, const struct sandbox_opts *o,
    struct sandbox_result *res)
{
	struct pollfd	pf[2];
	int64_t		left;
	int		timeout, eof = 0;

	for (;;) {
		if (sandbox_cancel) {
			res->cancelled = 1;
			return;
		}
		if (pids_max_hit(sb, cg)) {
			res->pids_max = 1;
			return;
		}
		timeout = pidfd >= 0 ? SANDBOX_TICK_MS : 50;
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

static int
fresh_dir(const char *path, struct perr *err)
{
	int	rc;

	if ((rc = fsutil_rm_rf(path, err)) != 0)
		return rc;
	if (mkdir(path, 0755) != 0)
		return perr_set(err, -errno, "create '%s': %s", path,
		    strerror(errno));
	return 0;
}

static void
req_fill(struct sandbox *sb, struct container_req *cr, char *const argv[],
    const struct sandbox_opts *o, int out, const struct cgroup *cg)
{
	container_req_init(cr);
	cr->rootdir = sb->root;
	cr->layers[0] = sb->lower;
	cr->nlayers = 1;
	cr->upper = sb->upper;
	cr->work = sb->work;
	cr->etc = sb->etc;
	cr->init = sb->init;
	memcpy(cr->binds, o->binds, o->nbinds * sizeof(cr->binds[0]));
	cr->nbinds = o->nbinds;
	cr->mkdir_parents = 1;
	cr->tmp_mb = SANDBOX_TMP_MB;
	cr->hostname = SANDBOX_HOSTNAME;
	cr->uid = sb->uid;
	cr->gid = sb->gid;
	cr->argv = argv;
	cr->envp = o->envp;
	cr->cwd = o->cwd;
	cr->stdio[1] = out;
	cr->stdio[2] = out;
	cr->cgroup = cg;
	cr->pdeathsig = SIGKILL;
	cr->flags = CONTAINER_HOST_STACK | (sb->userns ? CONTAINER_USERNS : 0);
}

/* the container from start to reaped; the cgroup is the caller's */
static int
run_container(struct sandbox *sb, const struct cgroup *cg,
    char *const argv[], const struct sandbox_opts *o, struct lines *l,
    struct sandbox_result *res, struct perr *err)
{
	struct container_req	cr;
	struct perr		kerr = PERR_INIT;
	int			out[2] = { -1, -1 }, pidfd = -1, rc;
	pid_t			pid = -1;

	if (pipe2(out, O_CLOEXEC) != 0)
		return perr_set(err, -errno, "sandbox: pipe: %s",
		    strerror(errno));
	req_fill(sb, &cr, argv, o, out[1], cg);
	fflush(NULL);
	rc = container_start(&cr, &pid, err);
	close(out[1]);
	if (rc != 0) {
		close(out[0]);
		return rc;
	}
	(void)fcntl(out[0], F_SETFL, O_NONBLOCK);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	pump(sb, cg, pid, pidfd, out[0], l, o, res);
	if (res->status == -1) {
		(void)kill(pid, SIGKILL);
		(void)cgroup_kill(cg, &kerr);
		while (waitpid(pid, &res->status, 0) != pid)
			if (errno != EINTR) {
				res->status = -1;
				break;
			}
	}
	cgroup_finish(sb, cg, res);
	while (drain(out[0], l) == 0)
		;
	if (l->len > 0)
		lines_emit(l);
	if (pidfd >= 0)
		close(pidfd);
	close(out[0]);
	return 0;
}

int
sandbox_run(struct sandbox *sb, char *const argv[],
    const struct sandbox_opts *o, sandbox_line_cb *line_cb, void *arg,
    struct sandbox_result *res, struct perr *err)
{
	struct perr	 rmerr = PERR_INIT;
	struct cgroup	 cg;
	struct lines	*l;
	char		 id[CGROUP_ID_MAX];
	int		 made = 0, rc;

	memset(res, 0, sizeof(*res));
	res->status = -1;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return perr_set(err, -ENOMEM, "sandbox: out of memory");
	l->cb = line_cb;
	l->arg = arg;
	l->o = o;
	l->res = res;
	(void)snprintf(id, sizeof(id), "build-%ld-%u", (long)getpid(),
	    sb->steps++);
	if ((rc = fresh_dir(sb->upper, err)) != 0 ||
	    (rc = fresh_dir(sb->work, err)) != 0 ||
	    (rc = cgroup_init(&cg, sb->cgroot, sb->app, id, err)) != 0 ||
	    (rc = cgroup_create(&cg, &sb->lim, err)) != 0)
		goto out;
	made = 1;
	rc = run_container(sb, &cg, argv, o, l, res, err);
out:
	if (made) {
		(void)cgroup_kill(&cg, &rmerr);
		if (cgroup_remove(&cg, &rmerr) != 0 && rc == 0)
			rc = perr_set(err, rmerr.code, "sandbox: %s",
			    rmerr.msg);
	}
	(void)fsutil_rm_rf(sb->upper, &rmerr);
	(void)fsutil_rm_rf(sb->work, &rmerr);
	free(l);
	return rc;
}

int
sandbox_failed(const struct sandbox_result *res)
{
	return !(WIFEXITED(res->status) && WEXITSTATUS(res->status) == 0) ||
	    res->timed_out || res->cancelled || res->pids_max;
}

void
sandbox_describe(const struct sandbox *sb, const struct sandbox_result *res,
    char *out, size_t outlen)
{
	if (res->cancelled)
		(void)snprintf(out, outlen, "cancelled");
	else if (res->timed_out)
		(void)snprintf(out, outlen, "timed out");
	else if (res->pids_max)
		(void)snprintf(out, outlen, "build exceeded its process "
		    "limit (%llu)", (unsigned long long)sb->lim.pids);
	else if (res->oom && sandbox_failed(res))
		(void)snprintf(out, outlen, "build exceeded its memory limit "
		    "(%llu MB)", (unsigned long long)(sb->lim.memory_bytes >>
		    20));
	else if (WIFEXITED(res->status))
		(void)snprintf(out, outlen, "exit status %d",
		    WEXITSTATUS(res->status));
	else if (WIFSIGNALED(res->status))
		(void)snprintf(out, outlen, "killed by signal %d",
		    WTERMSIG(res->status));
	else
		(void)snprintf(out, outlen, "did not finish");
}
