/*
 * Real containers through lib/container + lib/cgroup, as root: each
 * test runs a /bin/sh script in a fresh container on the host stack and
 * checks what the script saw from inside. Every container, cgroup and
 * scratch directory is removed whether the test passes or fails.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgroup.h"
#include "container.h"
#include "rt.h"

#define APP_UID		10123
#define APP_GID		10124
#define OUT_MAX		65536

struct run {
	char		 dir[64];
	char		 out[OUT_MAX];
	int		 status;	/* init's exit code */
	int		 oom;
	int		 start_rc;
	struct perr	 err;
	struct cgroup_limits lim;
	int		 symlink_proc;	/* put a /proc -> /etc link in the image */
	uid_t		 uid;		/* 0: APP_UID */
	unsigned	 flags;		/* more container flags (PTY, USERNS) */
	const char	*input;		/* PTY: typed into the master */
	char		 shared[128];	/* a writable bind at /shared, if set */
};

static int cgroot = -1;

/* a run killed by a signal could not clean up: sweep its cgroups */
static void
sweep_stale(void)
{
	static const char *const ctrls[] = { "freezer", "memory", "pids",
	    "cpu" };
	char path[256];
	struct dirent *de;
	size_t i;
	DIR *d;

	for (i = 0; i < sizeof(ctrls) / sizeof(ctrls[0]); i++) {
		snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/paas/itest",
		    ctrls[i]);
		if ((d = opendir(path)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] == 't' && de->d_type == DT_DIR)
				(void)unlinkat(dirfd(d), de->d_name,
				    AT_REMOVEDIR);
		closedir(d);
	}
}

static int
group_setup(void **state)
{
	(void)state;
	if (geteuid() != 0)
		return 0;
	sweep_stale();
	cgroot = open("/sys/fs/cgroup", O_DIRECTORY | O_CLOEXEC);
	return cgroot < 0 ? -1 : 0;
}

static int
group_teardown(void **state)
{
	static const char *const left[] = { "paas", "freezer/paas",
	    "memory/paas", "pids/paas", "cpu/paas" };
	size_t i;

	(void)state;
	if (cgroot < 0)
		return 0;
	/* the shared parent too, unless something else lives in it */
	for (i = 0; i < sizeof(left) / sizeof(left[0]); i++)
		(void)unlinkat(cgroot, left[i], AT_REMOVEDIR);
	close(cgroot);
	return 0;
}

static void
need_root(void)
{
	if (geteuid() != 0 || cgroot < 0)
		skip();
}

static int
mk(struct run *r, const char *sub, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/%s", r->dir, sub);
	return rt_mkdirs(out);
}

struct paths {
	char	root[128], upper[128], work[128], layer[128], etc[128];
	char	init[512];
};

/* the scratch tree; returns what failed, or NULL */
static const char *
prepare(struct run *r, struct paths *pa)
{
	char app[128], link[160];

	if (mk(r, "root", pa->root, sizeof(pa->root)) < 0 ||
	    mk(r, "upper", pa->upper, sizeof(pa->upper)) < 0 ||
	    mk(r, "work", pa->work, sizeof(pa->work)) < 0 ||
	    mk(r, "layer/app", app, sizeof(app)) < 0)
		return "mkdir";
	/* the upper's /app gives the merged /app its owner: the app user */
	if (mk(r, "upper/app", app, sizeof(app)) < 0 ||
	    chown(app, APP_UID, APP_GID) == -1)
		return "upper/app";
	snprintf(pa->layer, sizeof(pa->layer), "%s/layer", r->dir);
	snprintf(pa->etc, sizeof(pa->etc), "%s/etc", r->dir);
	snprintf(pa->init, sizeof(pa->init), "%s/paas-init", rt_bin());
	if (r->shared[0] != '\0' && (rt_mkdirs(r->shared) < 0 ||
	    chown(r->shared, APP_UID, APP_GID) == -1))
		return "shared";
	if (r->symlink_proc) {
		snprintf(link, sizeof(link), "%s/proc", pa->layer);
		if (symlink("/etc", link) == -1)
			return "symlink";
	}
	if (container_etc_write(pa->etc, APP_UID, APP_GID, "web.1",
	    &r->err) < 0)
		return r->err.msg;
	if (r->lim.memory_bytes == 0 &&
	    cgroup_size_limits("basic", &r->lim) < 0)
		return "limits";
	return NULL;
}

static void
fill_req(struct container_req *req, const struct paths *pa,
    const struct run *r, char **argv, char **envp)
{
	container_req_init(req);
	req->rootdir = pa->root;
	req->layers[0] = pa->layer;
	req->nlayers = 1;
	req->upper = pa->upper;
	req->work = pa->work;
	req->etc = pa->etc;
	req->init = pa->init;
	req->hostname = "web.1";
	req->uid = r->uid ? r->uid : APP_UID;
	req->gid = APP_GID;
	req->argv = argv;
	req->envp = envp;
	req->cwd = "/app";
	req->tmp_mb = 16;
	req->pdeathsig = SIGKILL;
	req->flags = CONTAINER_HOST_STACK | r->flags;
	req->rows = 33;
	req->cols = 101;
	if (r->shared[0] != '\0') {
		req->binds[0].src = r->shared;
		req->binds[0].dst = "/shared";
		req->binds[0].ro = 0;
		req->nbinds = 1;
	}
}

/*
 * PTY: once the app printed READY (its terminal is set up by then),
 * type the input; run_sh() reads the rest until the slave is gone.
 */
static int
start_pty(struct run *r, const struct container_req *req, pid_t *pid,
    int *fd)
{
	size_t len = 0;
	ssize_t n;
	int rc = container_start_pty(req, pid, fd, &r->err);

	if (rc < 0 || r->input == NULL)
		return rc;
	while (strstr(r->out, "READY") == NULL && len < sizeof(r->out) - 1) {
		n = read(*fd, r->out + len, sizeof(r->out) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		r->out[len] = '\0';
	}
	/*
	 * sh forks the next command after READY; a ^C that lands while
	 * the child still has sh's SIGINT catcher (before its exec) is
	 * lost, and sh waits on: let the command start first.
	 */
	(void)usleep(300000);
	(void)!write(*fd, r->input, strlen(r->input));
	return rc;
}

/*
 * Run script in a container; fills r->out, r->status, r->oom. The
 * container, its cgroup and the scratch tree are gone when it returns,
 * whatever happened; only then does it assert.
 */
static void
run_sh(struct run *r, const char *script)
{
	char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };
	char *envp[] = { "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/app",
	    "FOO=bar baz", "DYNO=web.1", NULL };
	struct container_req req;
	struct paths pa;
	struct cgroup cg;
	const char *why = NULL;
	char id[64];
	int p[2] = { -1, -1 }, st, made = 0, rm_cg = 0, rm_dir;
	size_t n;
	pid_t pid = -1;

	assert_int_equal(rt_scratch(r->dir, sizeof(r->dir)), 0);
	if ((why = prepare(r, &pa)) != NULL)
		goto out;
	snprintf(id, sizeof(id), "t%ld", (long)getpid());
	if (cgroup_init(&cg, cgroot, "itest", id, &r->err) < 0 ||
	    cgroup_create(&cg, &r->lim, &r->err) < 0) {
		why = r->err.msg;
		goto out;
	}
	made = 1;
	fill_req(&req, &pa, r, argv, envp);
	req.cgroup = &cg;
	if (pipe2(p, O_CLOEXEC) == -1) {
		why = "pipe";
		goto out;
	}
	alarm(60);
	if (r->flags & CONTAINER_PTY) {
		close(p[0]);
		p[0] = -1;
		r->start_rc = start_pty(r, &req, &pid, &p[0]);
	} else {
		req.stdio[1] = p[1];
		req.stdio[2] = p[1];
		r->start_rc = container_start(&req, &pid, &r->err);
	}
	close(p[1]);
	p[1] = -1;
	if (r->start_rc < 0)
		goto out;
	n = strlen(r->out);
	rt_drain(p[0], r->out + n, sizeof(r->out) - n);
	if (waitpid(pid, &st, 0) == pid) {
		pid = -1;
		r->status = WIFEXITED(st) ? WEXITSTATUS(st) :
		    128 + WTERMSIG(st);
	}
	(void)cgroup_oom(&cg, &r->oom);
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	if (made) {
		(void)cgroup_kill(&cg, NULL);
		rm_cg = cgroup_remove(&cg, NULL);
	}
	alarm(0);
	rm_dir = rt_rmrf(r->dir);
	if (why != NULL)
		fail_msg("set-up: %s", why);
	assert_int_equal(rm_cg, 0);
	assert_int_equal(rm_dir, 0);
}

static struct run *
new_run(void)
{
	/* static, not malloc: a failed check longjmps past any free() */
	static struct run runs[2];
	static size_t next;
	struct run *r = &runs[next++ % 2];

	memset(r, 0, sizeof(*r));
	return r;
}

#define HAS(r, s)	do {						\
	if (strstr((r)->out, (s)) == NULL)				\
		fail_msg("missing \"%s\" in output:\n%s", (s), (r)->out); \
} while (0)

static void
test_identity_env_cwd(void **state)
{
	struct run *r = new_run();

	(void)state;
	need_root();
	run_sh(r, "echo uid=$(id -u) gid=$(id -g) groups=$(id -G);"
	    "echo cwd=$(pwd); echo host=$(hostname); echo foo=\"$FOO\";"
	    "echo home=$HOME dyno=$DYNO;"
	    "grep -E '^(Cap|NoNewPrivs|Seccomp:)' /proc/self/status;"
	    "for n in 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do"
	    " [ -e /proc/$$/fd/$n ] && echo app-fd=$n; [ -e /proc/1/fd/$n ] &&"
	    " echo init-fd=$n; done; [ -e /proc/$$/fd/2 ] && echo fd2;"
	    "echo pid1=$(head -c 9 /proc/1/cmdline);"
	    "echo user=$(id -un); exit 3");
	if (r->start_rc != 0)
		fail_msg("start: %s", r->err.msg);
	HAS(r, "uid=10123 gid=10124 groups=10124\n");
	HAS(r, "cwd=/app\n");
	HAS(r, "host=web.1\n");
	HAS(r, "foo=bar baz\n");
	HAS(r, "home=/app dyno=web.1\n");
	HAS(r, "CapInh:\t0000000000000000\n");
	HAS(r, "CapPrm:\t0000000000000000\n");
	HAS(r, "CapEff:\t0000000000000000\n");
	HAS(r, "CapBnd:\t0000000000000000\n");
	HAS(r, "CapAmb:\t0000000000000000\n");
	HAS(r, "NoNewPrivs:\t1\n");
	HAS(r, "Seccomp:\t2\n");
	HAS(r, "fd2\n");
	if (strstr(r->out, "\napp-fd=") != NULL ||
	    strstr(r->out, "\ninit-fd=") != NULL)
		fail_msg("stray fds:\n%s", r->out);
	HAS(r, "pid1=paas-init\n");
	HAS(r, "user=app\n");
	assert_int_equal(r->status, 3);
}

static void
test_isolation(void **state)
{
	struct run *r = new_run();

	(void)state;
	need_root();
	run_sh(r, "set -- /proc/[0-9]*; echo procs=$#;"
	    "ps -e -o pid=,comm= | sed 's/^ */ps: /';"
	    "touch /usr/x 2>/dev/null && echo usr-writable || echo usr-ro;"
	    "touch /etc/x 2>/dev/null && echo etc-writable || echo etc-ro;"
	    "echo hi > /app/f && echo app-rw;"
	    "echo hi > /tmp/f && echo tmp-rw;"
	    "unshare -r true 2>&1 && echo unshare-ok;"
	    "mount -t proc proc /tmp 2>&1 && echo mount-ok;"
	    "echo 1 > /proc/sysrq-trigger 2>/dev/null && echo sysrq-ok;"
	    "echo x > /proc/sys/kernel/hostname 2>/dev/null && echo sys-ok;"
	    "echo keys=$(wc -c < /proc/keys);"
	    "ls /sys/firmware | wc -l | sed 's/^/fw=/';"
	    "ls -l /dev/ptmx /dev/null | cut -c1 | tr -d '\\n';echo;"
	    "cat /etc/ssl/certs/ca-certificates.crt > /dev/null && echo certs;"
	    "python3 -c 'import ctypes\n"
	    "c=ctypes.CDLL(None,use_errno=True)\n"
	    "for n,a in ((\"unshare\",272),(\"ptrace\",101),"
	    "(\"clone3\",435),(\"getppid\",110)):\n"
	    " r=c.syscall(a,0,0,0,0);"
	    " print(n,r if r<0 else \"ok\",ctypes.get_errno())';"
	    "echo done");
	if (r->start_rc != 0)
		fail_msg("start: %s", r->err.msg);
	HAS(r, "procs=2\n");	/* init and sh, nothing of the host */
	HAS(r, "ps: 1 init\n");
	HAS(r, "usr-ro\n");
	HAS(r, "etc-ro\n");
	HAS(r, "app-rw\n");
	HAS(r, "tmp-rw\n");
	HAS(r, "Operation not permitted");
	assert_null(strstr(r->out, "unshare-ok"));
	assert_null(strstr(r->out, "mount-ok"));
	assert_null(strstr(r->out, "sysrq-ok"));
	assert_null(strstr(r->out, "sys-ok"));
	/* unshare(0) and PTRACE_TRACEME need no privilege: only seccomp */
	HAS(r, "unshare -1 1\n");
	HAS(r, "ptrace -1 1\n");
	HAS(r, "clone3 -1 38\n");
	HAS(r, "getppid ok ");
	HAS(r, "keys=0\n");
	HAS(r, "fw=0\n");
	HAS(r, "cl\n");
	HAS(r, "done\n");
}

static void
test_pids_limit(void **state)
{
	struct run *r = new_run();

	(void)state;
	need_root();
	r->lim.memory_bytes = 256ULL << 20;
	r->lim.pids = 24;
	r->lim.cpu_weight = 1;
	run_sh(r, "(i=0; while [ $i -lt 200 ]; do (sleep 20 &);"
	    " i=$((i+1)); done) 2>/dev/null; set -- /proc/[0-9]*;"
	    " echo procs=$#");
	if (r->start_rc != 0)
		fail_msg("start: %s", r->err.msg);
	if (strstr(r->out, "procs=") == NULL ||
	    atoi(strstr(r->out, "procs=") + 6) > 24 ||
	    atoi(strstr(r->out, "procs=") + 6) < 10)
		fail_msg("pids not capped: %s", r->out);
}

static void
test_oom_killed(void **state)
{
	struct run *r = new_run();

	(void)state;
	need_root();
	r->lim.memory_bytes = 32ULL << 20;
	r->lim.pids = 64;
	r->lim.cpu_weight = 1;
	run_sh(r, "head -c 300000000 /dev/zero | tail > /dev/null; exit $?");
	if (r->start_rc != 0)
		fail_msg("start: %s", r->err.msg);
	assert_int_equal(r->status, 137);
	assert_int_equal(r->oom, 1);
}

static void
test_symlinked_proc_refused(void **state)
{
	struct run *r = new_run();

	(void)state;
	need_root();
	r->symlink_proc = 1;
	run_sh(r, "echo should-not-run");
	assert_int_equal(r->start_rc, -ELOOP);
	assert_non_null(strstr(r->err.msg, "/proc"));
	assert_null(strstr(r->out, "should-not-run"));
}

#define NFT_TABLE	"paas_itest"

static int
net_setup(void **state)
{
	struct perr err = PERR_INIT;

	(void)state;
	if (geteuid() != 0)
		return 0;
	if (container_netpolicy_apply(NFT_TABLE, APP_UID - 23, APP_UID + 76,
	    &err) < 0) {
		fprintf(stderr, "netpolicy: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int
net_teardown(void **state)
{
	struct perr err = PERR_INIT;

	(void)state;
	if (geteuid() != 0)
		return 0;
	return container_netpolicy_remove(NFT_TABLE, &err);
}

static int
listen_local(int *port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

#define PY_CONNECT "python3 -c 'import socket\n" \
	"try:\n socket.create_connection((\"127.0.0.1\",%d),2);" \
	" print(\"connected\")\n" \
	"except OSError as e:\n print(\"blocked\", e.errno)'"

/* an app uid cannot connect to anything on this host (API, other apps) */
static void
test_net_blocks_app_to_host(void **state)
{
	struct run *r = new_run(), *ctl = new_run();
	char script[512];
	int lfd, port;

	(void)state;
	need_root();
	lfd = listen_local(&port);
	snprintf(script, sizeof(script), PY_CONNECT, port);
	run_sh(r, script);
	if (r->start_rc != 0)
		fail_msg("start: %s", r->err.msg);
	HAS(r, "blocked 111\n");
	/*
	 * The control: a uid outside the range gets through. Outside the
	 * platform's own range too, in case a paasd on this host has its
	 * "paas" table in place.
	 */
	ctl->uid = CONTAINER_APP_UID_MAX + 500;
	run_sh(ctl, script);
	HAS(ctl, "connected\n");
	close(lfd);
}

/* ...but what connects to the app (the router) is answered */
static void
test_net_inbound_to_app_works(void **state)
{
	struct run *r = new_run();
	struct sockaddr_in sa;
	char script[512], buf[8];
	int fd, port, st, i;
	pid_t helper;

	(void)state;
	need_root();
	fd = listen_local(&port);
	close(fd);
	helper = fork();
	assert_true(helper >= 0);
	if (helper == 0) {
		alarm(20);
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.sin_port = htons((uint16_t)port);
		for (i = 0; i < 200; i++) {
			fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
			    read(fd, buf, 2) == 2 && memcmp(buf, "hi", 2) == 0)
				_exit(0);
			close(fd);
			usleep(50000);
		}
		_exit(1);
	}
	snprintf(script, sizeof(script), "python3 -c 'import socket\n"
	    "s=socket.socket(); s.bind((\"127.0.0.1\",%d)); s.listen()\n"
	    "c,_=s.accept(); c.sendall(b\"hi\"); c.close()\n"
	    "print(\"served\")'", port);
	run_sh(r, script);
	assert_int_equal(waitpid(helper, &st, 0), helper);
	if (r->start_rc != 0)
		fail_msg("start: %s", r->err.msg);
	HAS(r, "served\n");
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/*
 * CONTAINER_PTY: the container's own pty is its stdio and controlling
 * terminal, with the requested size; a typed line is echoed and read,
 * and ^C reaches the app's process group through the line discipline.
 */
static void
test_pty(void **state)
{
	struct run *r = new_run();

	(void)state;
	need_root();
	r->flags = CONTAINER_PTY;
	r->input = "typed line\r";
	run_sh(r, "tty; stty size; echo READY; read l; echo \"got=$l\";"
	    "ls -l $(tty) | cut -d' ' -f3; test -t 1 && echo out-tty;"
	    "ps -o pid=,tpgid= -p $$ | awk '{print ($1==$2) ? \"fg\" : \"bg\"}';"
	    "exit 5");
	if (r->start_rc != 0)
		fail_msg("start: %s", r->err.msg);
	HAS(r, "/dev/pts/0\r\n");
	HAS(r, "33 101\r\n");
	HAS(r, "typed line\r\n");	/* the echo */
	HAS(r, "got=typed line\r\n");
	HAS(r, "app\r\n");
	HAS(r, "out-tty\r\n");
	HAS(r, "fg\r\n");
	assert_int_equal(r->status, 5);

	r = new_run();
	r->flags = CONTAINER_PTY;
	r->input = "\003";
	run_sh(r, "echo READY; sleep 100");
	if (r->start_rc != 0)
		fail_msg("start: %s", r->err.msg);
	assert_int_equal(r->status, 130);
}

/*
 * CONTAINER_USERNS: the app's own user namespace, only its ids mapped;
 * every other protection as without it, and what it writes to a bound
 * dir belongs on the host to its uid.
 */
static void
test_userns(void **state)
{
	struct run *r = new_run();
	struct perr err = PERR_INIT;
	char path[200], text[64];
	struct stat st;

	(void)state;
	need_root();
	if (container_userns_probe(&err) < 0)
		skip();
	r->flags = CONTAINER_USERNS;
	snprintf(r->shared, sizeof(r->shared), "/tmp/paas-rt-shared.%ld",
	    (long)getpid());
	run_sh(r, "echo uid=$(id -u) gid=$(id -g) user=$(id -un);"
	    "sed 's/  */ /g;s/^ //' /proc/self/uid_map | sed 's/^/umap=/';"
	    "sed 's/  */ /g;s/^ //' /proc/self/gid_map | sed 's/^/gmap=/';"
	    "readlink /proc/self/ns/user | grep -q . && echo ns-ok;"
	    "grep -E '^(CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):'"
	    " /proc/self/status;"
	    "mount -t tmpfs x /tmp 2>/dev/null && echo mount-ok;"
	    "unshare -r true 2>/dev/null && echo unshare-ok;"
	    "touch /usr/x 2>/dev/null && echo usr-writable || echo usr-ro;"
	    "echo hi > /shared/made && echo wrote;"
	    "stat -c owner=%u /usr/bin;"
	    "set -- /proc/[0-9]*; echo procs=$#;"
	    "echo tty-$(ls /dev/pts | wc -l)");
	snprintf(path, sizeof(path), "%s/made", r->shared);
	memset(&st, 0, sizeof(st));
	(void)stat(path, &st);
	(void)rt_rmrf(r->shared);
	if (r->start_rc != 0)
		fail_msg("start: %s", r->err.msg);
	snprintf(text, sizeof(text), "uid=%d gid=%d user=app\n", APP_UID,
	    APP_GID);
	HAS(r, text);
	snprintf(text, sizeof(text), "umap=%d %d 1\n", APP_UID, APP_UID);
	HAS(r, text);
	snprintf(text, sizeof(text), "gmap=%d %d 1\n", APP_GID, APP_GID);
	HAS(r, text);
	HAS(r, "CapPrm:\t0000000000000000\n");
	HAS(r, "CapEff:\t0000000000000000\n");
	HAS(r, "CapBnd:\t0000000000000000\n");
	HAS(r, "CapAmb:\t0000000000000000\n");
	HAS(r, "NoNewPrivs:\t1\n");
	HAS(r, "Seccomp:\t2\n");
	assert_null(strstr(r->out, "mount-ok"));
	assert_null(strstr(r->out, "unshare-ok"));
	HAS(r, "usr-ro\n");
	HAS(r, "wrote\n");
	HAS(r, "owner=65534\n");	/* host root does not exist inside */
	HAS(r, "procs=2\n");
	assert_int_equal(st.st_uid, APP_UID);
	assert_int_equal(st.st_gid, APP_GID);
	assert_int_equal(r->status, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_env_cwd),
		cmocka_unit_test(test_isolation),
		cmocka_unit_test(test_pids_limit),
		cmocka_unit_test(test_oom_killed),
		cmocka_unit_test(test_symlinked_proc_refused),
		cmocka_unit_test(test_pty),
		cmocka_unit_test(test_userns),
		cmocka_unit_test_setup_teardown(test_net_blocks_app_to_host,
		    net_setup, net_teardown),
		cmocka_unit_test_setup_teardown(test_net_inbound_to_app_works,
		    net_setup, net_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
