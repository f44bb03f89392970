/*
 * The real paas-shim, as root: started the way paasd starts it, then
 * driven over its socket and signals. Checks the log file, state.json,
 * the stop sequence, OOM reporting, surviving its parent, and that
 * nothing (cgroup, upper dir, socket) is left behind.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

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
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "rt.h"

struct inst {
	char	dir[64];
	char	path[128];	/* instance dir */
	char	log[128];
	char	req[128];
	char	id[32];
	pid_t	shim;
};

static void
need_root(void)
{
	if (geteuid() != 0)
		skip();
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void
nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * run bin/paas-shim REQ and return its exit status; err gets stderr;
 * fd0/fd1 (if not -1) become its stdin/stdout
 */
static int
spawn_shim_io(const struct inst *in, int fd0, int fd1, char *err,
    size_t errlen)
{
	char shim[512];
	int p[2], st;
	pid_t pid;

	snprintf(shim, sizeof(shim), "%s/paas-shim", rt_bin());
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (fd0 != -1)
			dup2(fd0, 0);
		if (fd1 != -1)
			dup2(fd1, 1);
		dup2(p[1], 2);
		execl(shim, "paas-shim", in->req, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	rt_drain(p[0], err, errlen);
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int
spawn_shim(const struct inst *in, char *err, size_t errlen)
{
	return spawn_shim_io(in, -1, -1, err, errlen);
}

/* the current test's instance, for the teardown after a failed check */
static struct inst last;

static void
setup_inst(struct inst *in, const char *script, int grace, const char *extra)
{
	char layer[128], text[4096], *q;
	const char *s;
	size_t n = 0;

	memset(in, 0, sizeof(*in));
	assert_int_equal(rt_scratch(in->dir, sizeof(in->dir)), 0);
	last = *in;
	snprintf(in->path, sizeof(in->path), "%s/inst", in->dir);
	snprintf(in->log, sizeof(in->log), "%s/logs/app.log", in->dir);
	snprintf(in->req, sizeof(in->req), "%s/req.json", in->dir);
	snprintf(layer, sizeof(layer), "%s/layer/app", in->dir);
	snprintf(in->id, sizeof(in->id), "web.1-%ld", (long)getpid());
	last = *in;
	assert_int_equal(rt_mkdirs(in->path), 0);
	assert_int_equal(rt_mkdirs(layer), 0);
	snprintf(text, sizeof(text), "%s/logs", in->dir);
	assert_int_equal(rt_mkdirs(text), 0);
	layer[strlen(layer) - 4] = '\0';
	q = text;
	n = (size_t)snprintf(q, sizeof(text), "{\"id\":\"%s\",\"app\":\"itest\","
	    "\"dyno\":\"web.1\",\"dir\":\"%s\",\"log\":\"%s\",\"init\":"
	    "\"%s/paas-init\",\"size\":\"basic\",\"uid\":10131,\"gid\":10131,"
	    "\"layers\":[\"%s\"],\"env\":[\"PATH=/usr/bin:/bin\",\"PORT=5000\"],"
	    "\"grace_s\":%d%s,\"argv\":[\"/bin/sh\",\"-c\",\"", in->id,
	    in->path, in->log, rt_bin(), layer, grace, extra ? extra : "");
	for (s = script; *s && n < sizeof(text) - 8; s++) {
		if (*s == '"' || *s == '\\')
			text[n++] = '\\';
		text[n++] = *s;
	}
	snprintf(text + n, sizeof(text) - n, "\"]}");
	assert_int_equal(rt_write(in->req, text), 0);
}

static pid_t
shim_pid(const struct inst *in)
{
	char path[160], text[32];

	snprintf(path, sizeof(path), "%s/shim.pid", in->path);
	if (rt_read(path, text, sizeof(text)) <= 0)
		return -1;
	return (pid_t)atol(text);
}

static void
read_state(const struct inst *in, char *out, size_t outlen)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/state.json", in->path);
	(void)rt_read(path, out, outlen);
}

/* one command on the shim's socket; the reply line into out */
static int
shim_cmd(const struct inst *in, const char *cmd, char *out, size_t outlen)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%.90s/shim.sock",
	    in->path) >= (int)sizeof(sa.sun_path))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd)) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	rt_drain(fd, out, outlen);
	close(fd);
	return 0;
}

static int
wait_gone(pid_t pid, long ms)
{
	long end = now_ms() + ms;

	while (now_ms() < end) {
		if (kill(pid, 0) == -1 && errno == ESRCH)
			return 0;
		nap(20);
	}
	return -1;
}

static int
wait_log(const struct inst *in, const char *needle, long ms)
{
	static char text[65536];
	long end = now_ms() + ms;

	while (now_ms() < end) {
		if (rt_read(in->log, text, sizeof(text)) > 0 &&
		    strstr(text, needle) != NULL)
			return 0;
		nap(20);
	}
	return -1;
}

static void
rm_cgroups(const char *fmt)
{
	static const char *const ctrls[] = { "freezer", "memory", "pids",
	    "cpu" };
	char path[256];
	size_t i;

	for (i = 0; i < sizeof(ctrls) / sizeof(ctrls[0]); i++) {
		snprintf(path, sizeof(path), fmt, ctrls[i]);
		(void)rmdir(path);
	}
}

/* whatever happened, no shim, cgroup or scratch file stays behind */
static void
cleanup(struct inst *in)
{
	char path[256];
	struct stat st;
	pid_t pid = shim_pid(in);
	int cg_left, upper_left, rm_rc;

	if (pid > 0 && kill(pid, 0) == 0) {
		kill(pid, SIGTERM);
		if (wait_gone(pid, 5000) < 0) {
			kill(pid, SIGKILL);
			wait_gone(pid, 2000);
		}
	}
	snprintf(path, sizeof(path), "/sys/fs/cgroup/memory/paas/itest/%s",
	    in->id);
	cg_left = stat(path, &st) == 0;
	snprintf(path, sizeof(path), "%s/upper", in->path);
	upper_left = stat(path, &st) == 0;
	/* remove first, then judge: a failed check must not leak */
	rm_rc = rt_rmrf(in->dir);
	if (cg_left) {
		snprintf(path, sizeof(path), "/sys/fs/cgroup/%%s/paas/itest/%s",
		    in->id);
		rm_cgroups(path);
	}
	assert_false(cg_left);
	assert_false(upper_left);
	assert_int_equal(rm_rc, 0);
}

/* does process pid hold an fd on the same object as our fd? */
static int
holds_fd(pid_t pid, int fd)
{
	char path[320], mine[64], theirs[64];
	struct dirent *de;
	ssize_t n;
	DIR *d;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, mine, sizeof(mine) - 1);
	assert_true(n > 0);
	mine[n] = '\0';
	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "/proc/%ld/fd/%s", (long)pid,
		    de->d_name);
		n = readlink(path, theirs, sizeof(theirs) - 1);
		if (n > 0) {
			theirs[n] = '\0';
			found |= strcmp(mine, theirs) == 0;
		}
	}
	closedir(d);
	return found;
}

/* app_pid is a host process whose parent is the container's init */
static void
check_app_pid(const char *st)
{
	char path[64], text[512], *p;
	long app, init;

	p = strstr(st, "\"app_pid\":");
	assert_non_null(p);
	app = atol(p + 10);
	p = strstr(st, "\"pid\":");
	assert_non_null(p);
	init = atol(p + 6);
	assert_true(app > 1 && init > 1 && app != init);
	snprintf(path, sizeof(path), "/proc/%ld/stat", app);
	assert_true(rt_read(path, text, sizeof(text)) > 0);
	p = strrchr(text, ')');
	assert_non_null(p);
	assert_int_equal(atol(p + 4), init);	/* ") S PPID" */
}

static void
test_logs_state_and_stop_after_grace(void **state)
{
	struct inst in;
	char err[512], st[1024];
	int leak[2];
	long t0;
	pid_t pid;

	(void)state;
	need_root();
	alarm(60);
	setup_inst(&in, "trap '' TERM; echo ready; echo oops >&2;"
	    " while :; do sleep 0.1; done", 1, NULL);
	/* a careless paasd fd (no O_CLOEXEC) must not stay in the shim */
	assert_int_equal(pipe(leak), 0);
	if (spawn_shim(&in, err, sizeof(err)) != 0)
		fail_msg("shim: %s", err);
	pid = shim_pid(&in);
	assert_true(pid > 0);
	assert_false(holds_fd(pid, leak[0]));
	close(leak[0]);
	close(leak[1]);
	read_state(&in, st, sizeof(st));
	assert_non_null(strstr(st, "\"state\":\"running\""));
	assert_non_null(strstr(st, "\"dyno\":\"web.1\""));
	assert_int_equal(wait_log(&in, " app[web.1]: ready\n", 5000), 0);
	assert_int_equal(wait_log(&in, " app[web.1]: oops\n", 5000), 0);
	assert_int_equal(shim_cmd(&in, "status\n", st, sizeof(st)), 0);
	assert_non_null(strstr(st, "\"state\":\"running\""));
	check_app_pid(st);
	/* a second shim for the same instance is refused, the first intact */
	assert_int_equal(spawn_shim(&in, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "already runs"));
	assert_int_equal(shim_pid(&in), pid);
	assert_int_equal(shim_cmd(&in, "bogus\n", st, sizeof(st)), 0);
	assert_non_null(strstr(st, "unknown command"));
	t0 = now_ms();
	assert_int_equal(shim_cmd(&in, "stop\n", st, sizeof(st)), 0);
	assert_non_null(strstr(st, "\"state\":\"stopping\""));
	assert_int_equal(wait_gone(pid, 10000), 0);
	assert_true(now_ms() - t0 >= 1000);	/* the grace was honoured */
	read_state(&in, st, sizeof(st));
	assert_non_null(strstr(st, "\"state\":\"exited\""));
	assert_non_null(strstr(st, "\"exit_status\":137"));
	assert_non_null(strstr(st, "\"oom\":false"));
	assert_int_equal(wait_log(&in, " paas[web.1]: Stopping all processes "
	    "with SIGTERM\n", 100), 0);
	assert_int_equal(wait_log(&in, "Error R12 (Exit timeout)", 100), 0);
	assert_int_equal(wait_log(&in, " paas[web.1]: Process exited with "
	    "status 137\n", 100), 0);
	cleanup(&in);
	alarm(0);
}

/* the app leaves on SIGTERM by itself: no SIGKILL, its status kept */
static void
test_survives_parent_and_stops_on_sigterm(void **state)
{
	struct inst in;
	char err[512], st[1024];
	int status;
	pid_t paasd, pid;

	(void)state;
	need_root();
	alarm(60);
	setup_inst(&in, "trap 'echo bye; exit 0' TERM; i=0;"
	    " while :; do i=$((i+1)); echo tick $i; sleep 0.05; done", 30,
	    NULL);
	paasd = fork();
	assert_true(paasd >= 0);
	if (paasd == 0) {
		/* a stand-in paasd: start the shim, then linger */
		if (spawn_shim(&in, err, sizeof(err)) != 0)
			_exit(1);
		for (;;)
			pause();
	}
	assert_int_equal(wait_log(&in, "tick 2\n", 5000), 0);
	kill(paasd, SIGKILL);
	assert_int_equal(waitpid(paasd, &status, 0), paasd);
	pid = shim_pid(&in);
	assert_true(pid > 0);
	assert_int_equal(kill(pid, 0), 0);
	assert_int_equal(wait_log(&in, "tick 10\n", 5000), 0);
	assert_int_equal(shim_cmd(&in, "status\n", st, sizeof(st)), 0);
	assert_non_null(strstr(st, "\"state\":\"running\""));
	kill(pid, SIGTERM);
	assert_int_equal(wait_gone(pid, 10000), 0);
	read_state(&in, st, sizeof(st));
	assert_non_null(strstr(st, "\"state\":\"exited\""));
	assert_non_null(strstr(st, "\"exit_status\":0"));
	assert_non_null(strstr(st, "\"signal\":null"));
	assert_int_equal(wait_log(&in, " app[web.1]: bye\n", 100), 0);
	assert_int_equal(wait_log(&in, "Process exited with status 0\n", 100),
	    0);
	cleanup(&in);
	alarm(0);
}

static void
test_oom_reported(void **state)
{
	struct inst in;
	char err[512], st[1024];
	pid_t pid;

	(void)state;
	need_root();
	alarm(60);
	setup_inst(&in, "head -c 800000000 /dev/zero | tail; exit $?", 30,
	    NULL);
	if (spawn_shim(&in, err, sizeof(err)) != 0)
		fail_msg("shim: %s", err);
	pid = shim_pid(&in);
	assert_int_equal(shim_cmd(&in, "wait\n", st, sizeof(st)), 0);
	assert_non_null(strstr(st, "\"state\":\"exited\""));
	assert_non_null(strstr(st, "\"exit_status\":137"));
	assert_non_null(strstr(st, "\"oom\":true"));
	assert_int_equal(wait_gone(pid, 5000), 0);
	assert_int_equal(wait_log(&in, "Error R15 (Memory quota vastly "
	    "exceeded)", 100), 0);
	assert_int_equal(wait_log(&in, "Process exited with status 137 "
	    "(memory quota exceeded)\n", 100), 0);
	cleanup(&in);
	alarm(0);
}

static void
test_wait_and_exit_status(void **state)
{
	struct inst in;
	char err[512], st[1024];

	(void)state;
	need_root();
	alarm(30);
	setup_inst(&in, "sleep 0.2; exit 4", 30, ",\"network\":\"none\"");
	if (spawn_shim(&in, err, sizeof(err)) != 0)
		fail_msg("shim: %s", err);
	assert_int_equal(shim_cmd(&in, "wait\n", st, sizeof(st)), 0);
	assert_non_null(strstr(st, "\"exit_status\":4,"));
	assert_int_equal(wait_gone(shim_pid(&in), 5000), 0);
	cleanup(&in);
	alarm(0);
}

/* paas run: stdio attached, stdin round trip, exit status back */
static void
test_attached_stdio(void **state)
{
	struct inst in;
	char err[512], st[1024], out[256];
	int ip[2], op[2];

	(void)state;
	need_root();
	alarm(30);
	setup_inst(&in, "read line; echo got:$line; exit 7", 30,
	    ",\"stdio\":\"inherit\"");
	assert_int_equal(pipe2(ip, O_CLOEXEC), 0);
	assert_int_equal(pipe2(op, O_CLOEXEC), 0);
	assert_int_equal(write(ip[1], "hello there\n", 12), 12);
	close(ip[1]);
	if (spawn_shim_io(&in, ip[0], op[1], err, sizeof(err)) != 0)
		fail_msg("shim: %s", err);
	close(ip[0]);
	close(op[1]);
	rt_drain(op[0], out, sizeof(out));
	close(op[0]);
	assert_string_equal(out, "got:hello there\n");
	/*
	 * The output ended with the command, and the shim may be done
	 * already (as paasd sees it then): its last word is state.json.
	 */
	if (shim_cmd(&in, "wait\n", st, sizeof(st)) != 0) {
		assert_int_equal(wait_gone(shim_pid(&in), 5000), 0);
		read_state(&in, st, sizeof(st));
	}
	if (strstr(st, "\"exit_status\":7,") == NULL)
		fail_msg("state: %s", st);
	assert_int_equal(wait_gone(shim_pid(&in), 5000), 0);
	/* its output went to the client, not to the app's log */
	assert_int_equal(wait_log(&in, "app[web.1]: got:", 50), -1);
	cleanup(&in);
	alarm(0);
}

/* paas run with a pty: a terminal, with the app in the foreground */
static void
test_attached_tty(void **state)
{
	struct inst in;
	char err[512], st[1024], out[1024];
	int m, s;
	ssize_t n;
	size_t len = 0;

	(void)state;
	need_root();
	alarm(30);
	setup_inst(&in, "test -t 0 && echo on-a-tty;"
	    " ps -o stat= -p $$ | grep -q + && echo foreground; exit 5", 30,
	    ",\"stdio\":\"inherit\",\"tty\":true");
	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(m >= 0);
	assert_int_equal(grantpt(m), 0);
	assert_int_equal(unlockpt(m), 0);
	s = open(ptsname(m), O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(s >= 0);
	if (spawn_shim_io(&in, s, s, err, sizeof(err)) != 0)
		fail_msg("shim: %s", err);
	close(s);
	assert_int_equal(shim_cmd(&in, "wait\n", st, sizeof(st)), 0);
	while (len < sizeof(out) - 1 && (n = read(m, out + len,
	    sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;	/* EIO once the last slave fd is gone */
	out[len] = '\0';
	close(m);
	if (strstr(out, "on-a-tty") == NULL ||
	    strstr(out, "foreground") == NULL)
		fail_msg("pty output: %s", out);
	assert_non_null(strstr(st, "\"exit_status\":5,"));
	cleanup(&in);
	alarm(0);
}

/*
 * "stdio": "pty" (and "userns"): the shim's stdin carries frames, a
 * window size and keystrokes; its stdout the terminal's output.
 */
static void
test_pty_frames(void **state)
{
	static const char frames[] =
	    "w\0\0\0\4\0\x32\0\x84"		/* 50 x 132 */
	    "0\0\0\0\6typed\r";
	struct inst in;
	char err[512], st[1024], out[4096];
	int ip[2], op[2];
	ssize_t n;
	size_t len = 0;

	(void)state;
	need_root();
	alarm(30);
	setup_inst(&in, "stty size; tr -s ' ' < /proc/self/uid_map; "
	    "echo READY; read l; echo got=$l; stty size; exit 6", 30,
	    ",\"stdio\":\"pty\",\"tty_rows\":20,\"tty_cols\":70,"
	    "\"userns\":true");
	assert_int_equal(pipe2(ip, O_CLOEXEC), 0);
	assert_int_equal(pipe2(op, O_CLOEXEC), 0);
	if (spawn_shim_io(&in, ip[0], op[1], err, sizeof(err)) != 0)
		fail_msg("shim: %s", err);
	close(ip[0]);
	close(op[1]);
	out[0] = '\0';
	while (strstr(out, "READY\r\n") == NULL && len < sizeof(out) - 1 &&
	    (n = read(op[0], out + len, sizeof(out) - 1 - len)) > 0) {
		len += (size_t)n;
		out[len] = '\0';
	}
	assert_int_equal(write(ip[1], frames, sizeof(frames) - 1),
	    (ssize_t)sizeof(frames) - 1);
	close(ip[1]);		/* the end of input is not a hang-up */
	while (len < sizeof(out) - 1 && (n = read(op[0], out + len,
	    sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;	/* EOF: the shim is done */
	out[len] = '\0';
	close(op[0]);
	if (strstr(out, "20 70\r\n") == NULL ||
	    strstr(out, " 10131 10131 1\r\n") == NULL ||
	    strstr(out, "typed\r\n") == NULL ||
	    strstr(out, "got=typed\r\n") == NULL ||
	    strstr(out, "50 132\r\n") == NULL)
		fail_msg("pty output: %s", out);
	assert_int_equal(wait_gone(shim_pid(&in), 5000), 0);
	read_state(&in, st, sizeof(st));
	assert_non_null(strstr(st, "\"exit_status\":6,"));
	cleanup(&in);
	alarm(0);
}

static void
test_bad_request_leaves_nothing(void **state)
{
	struct inst in;
	char err[512], path[160];
	struct stat st;

	(void)state;
	need_root();
	alarm(30);
	setup_inst(&in, "true", 30, ",\"size\":\"huge\"");
	assert_int_equal(spawn_shim(&in, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "paas-shim: "));
	snprintf(path, sizeof(path), "%s/shim.pid", in.path);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(rt_rmrf(in.dir), 0);
	/* a cwd that does not exist fails after setup: all undone */
	setup_inst(&in, "x", 30, ",\"cwd\":\"/nonexistent\"");
	snprintf(path, sizeof(path), "%s/shim.pid", in.path);
	assert_int_equal(spawn_shim(&in, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "chdir"));
	assert_int_equal(stat(path, &st), -1);
	cleanup(&in);
	alarm(0);
}

/*
 * After every test: whatever a failed check skipped, stop the shim and
 * remove its cgroup and scratch tree (a no-op when cleanup() ran).
 */
static int
inst_teardown(void **state)
{
	char path[256];
	pid_t pid;

	(void)state;
	if (last.dir[0] == '\0')
		return 0;
	pid = shim_pid(&last);
	if (pid > 0 && kill(pid, 0) == 0) {
		kill(pid, SIGTERM);
		if (wait_gone(pid, 5000) < 0)
			kill(pid, SIGKILL);
	}
	snprintf(path, sizeof(path), "/sys/fs/cgroup/%%s/paas/itest/%s",
	    last.id);
	rm_cgroups(path);
	(void)rt_rmrf(last.dir);
	memset(&last, 0, sizeof(last));
	return 0;
}

static int
group_teardown(void **state)
{
	static const char *const left[] = { "/sys/fs/cgroup/%s/paas/itest",
	    "/sys/fs/cgroup/%s/paas" };
	static const char *const ctrls[] = { "freezer", "memory", "pids",
	    "cpu" };
	char path[128];
	size_t i, j;

	(void)state;
	for (i = 0; i < 2; i++)
		for (j = 0; j < 4; j++) {
			snprintf(path, sizeof(path), left[i], ctrls[j]);
			(void)rmdir(path);
		}
	return 0;
}

#define T(f)	cmocka_unit_test_teardown(f, inst_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_logs_state_and_stop_after_grace),
		T(test_survives_parent_and_stops_on_sigterm),
		T(test_oom_reported),
		T(test_wait_and_exit_status),
		T(test_attached_stdio),
		T(test_attached_tty),
		T(test_pty_frames),
		T(test_bad_request_leaves_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
