#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "sandbox.h"

#define TEST_UID	61234
#define TEST_GID	61235
#define TEST_APP	"sbx-unit-test"

static char *env[] = { "PATH=/usr/bin:/bin", "MARK=sandbox-test", NULL };

/* as root: a base dir with work/ (bound rw, the cwd) and the sandbox */
static struct {
	char		base[64];
	char		work[96];
	char		dir[96];
	struct sandbox	sb;
	int		open;
} fx;

#define NEED_SANDBOX()	do { if (!fx.open) skip(); } while (0)

static void
collect(void *arg, const char *line, size_t len)
{
	struct buf	*b = arg;

	buf_add(b, line, len);
	buf_addch(b, '|');
}

static void
opts_init(struct sandbox_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->cwd = fx.work;
	o->envp = env;
	assert_int_equal(sandbox_bind(o, fx.work, 0), 0);
}

static int
run(const char *script, int64_t timeout_ms, struct buf *out,
    struct sandbox_result *res)
{
	char			*argv[] = { "/bin/sh", "-c", (char *)script, NULL };
	struct sandbox_opts	 o;
	struct perr		 err = PERR_INIT;

	opts_init(&o);
	if (timeout_ms > 0)
		o.deadline_ms = sandbox_now_ms() + timeout_ms;
	return sandbox_run(&fx.sb, argv, &o, collect, out, res, &err);
}

static void
expect_no_cgroup(void)
{
	const char	*pats[] = { "/sys/fs/cgroup/*/paas/" TEST_APP,
			    "/sys/fs/cgroup/paas/" TEST_APP };
	glob_t		 g;
	size_t		 i;

	for (i = 0; i < 2; i++) {
		memset(&g, 0, sizeof(g));
		if (glob(pats[i], 0, NULL, &g) == 0)
			fail_msg("cgroup left: %s", g.gl_pathv[0]);
		globfree(&g);
	}
}

/* does any process on the machine have needle in its command line? */
static int
running(const char *needle)
{
	DIR		*d = opendir("/proc");
	struct dirent	*de;
	char		 p[300], buf[256];
	ssize_t		 n, i;
	int		 fd, found = 0;

	while (d != NULL && (de = readdir(d)) != NULL && !found) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(p, sizeof(p), "/proc/%s/cmdline", de->d_name);
		if ((fd = open(p, O_RDONLY)) < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		for (i = 0; i < n; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		buf[n > 0 ? n : 0] = '\0';
		found = strstr(buf, needle) != NULL;
	}
	if (d != NULL)
		closedir(d);
	return found;
}

static void
test_lines_status_and_env(void **state)
{
	struct buf		out = BUF_INIT, want = BUF_INIT;
	struct sandbox_result	res;

	(void)state;
	NEED_SANDBOX();
	assert_int_equal(run("echo one; echo two >&2; printf three; "
	    "echo \"$MARK:$HOME:$(pwd)\" >&2; exit 3", 0, &out, &res), 0);
	assert_true(WIFEXITED(res.status));
	assert_int_equal(WEXITSTATUS(res.status), 3);
	buf_addf(&want, "one|two|threesandbox-test::%s|", fx.work);
	assert_string_equal(out.p, want.p);
	assert_true(sandbox_failed(&res));
	expect_no_cgroup();
	buf_release(&out);
	buf_release(&want);
}

static void
test_timeout_kills(void **state)
{
	struct buf		out = BUF_INIT;
	struct sandbox_result	res;
	int64_t			t0 = sandbox_now_ms();

	(void)state;
	NEED_SANDBOX();
	assert_int_equal(run("echo start; exec sleep 30", 300, &out, &res), 0);
	assert_true(res.timed_out);
	assert_true(sandbox_now_ms() - t0 < 5000);
	assert_string_equal(out.p, "start|");
	assert_true(WIFSIGNALED(res.status));
	expect_no_cgroup();
	buf_release(&out);
}

static void
test_escaped_daemons_are_killed(void **state)
{
	struct buf		out = BUF_INIT;
	struct sandbox_result	res;

	(void)state;
	NEED_SANDBOX();
	assert_int_equal(run("setsid sh -c 'sleep 987651 & sleep 987652' "
	    ">/dev/null 2>&1 & (sleep 987653 &) ; nohup sleep 987654 & "
	    "sleep 0.2; echo done", 10000, &out, &res), 0);
	assert_string_equal(out.p, "done|");
	assert_false(sandbox_failed(&res));
	assert_false(running("sleep 98765"));
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	expect_no_cgroup();
	buf_release(&out);
}

static void
test_flooding_step_still_times_out(void **state)
{
	char			*argv[] = { "/usr/bin/yes", NULL };
	struct sandbox_opts	 o;
	struct sandbox_result	 res;
	struct perr		 err = PERR_INIT;
	int64_t			 t0 = sandbox_now_ms();

	(void)state;
	NEED_SANDBOX();
	opts_init(&o);
	o.max_output = 4096;
	o.deadline_ms = t0 + 300;
	assert_int_equal(sandbox_run(&fx.sb, argv, &o, NULL, NULL, &res,
	    &err), 0);
	assert_true(res.timed_out);
	assert_true(res.output_bytes > 4096);
	assert_true(sandbox_now_ms() - t0 < 5000);
}

static void
test_daemon_holding_stdout_does_not_hang(void **state)
{
	struct buf		out = BUF_INIT;
	struct sandbox_result	res;
	int64_t			t0 = sandbox_now_ms();

	(void)state;
	NEED_SANDBOX();
	assert_int_equal(run("(setsid sleep 987655 &); echo bye", 20000,
	    &out, &res), 0);
	assert_true(sandbox_now_ms() - t0 < 3000);
	assert_false(res.timed_out);
	assert_false(running("sleep 987655"));
	buf_release(&out);
}

static void
test_runs_unprivileged(void **state)
{
	struct buf		out = BUF_INIT;
	struct sandbox_result	res;

	(void)state;
	NEED_SANDBOX();
	assert_int_equal(run("id -u; id -g; id -G; grep -E '^(NoNewPrivs|"
	    "Seccomp|CapEff):' /proc/self/status | tr -d '\\t'; "
	    "ulimit -c; hostname", 0, &out, &res), 0);
	assert_string_equal(out.p, "61234|61235|61235|CapEff:0000000000000000|"
	    "NoNewPrivs:1|Seccomp:2|0|build|");
	buf_release(&out);
}

static void
test_private_tmp_and_readonly_system(void **state)
{
	struct buf		out = BUF_INIT;
	struct sandbox_result	res;

	(void)state;
	NEED_SANDBOX();
	assert_int_equal(run("echo x > /tmp/paas-sbx-marker && echo y > "
	    "/dev/shm/paas-sbx-marker && cat /tmp/paas-sbx-marker; "
	    "touch /usr/paas-sbx-marker 2>/dev/null || echo ro; "
	    "touch /paas-sbx-marker 2>/dev/null || echo rootro", 0, &out,
	    &res), 0);
	assert_string_equal(out.p, "x|ro|rootro|");
	assert_int_equal(access("/tmp/paas-sbx-marker", F_OK), -1);
	assert_int_equal(access("/dev/shm/paas-sbx-marker", F_OK), -1);
	assert_int_equal(access("/usr/paas-sbx-marker", F_OK), -1);
	buf_release(&out);
}

static void
test_exec_failure_is_reported(void **state)
{
	char			*argv[] = { "/nonexistent/prog", NULL };
	struct sandbox_opts	 o;
	struct sandbox_result	 res;
	struct perr		 err = PERR_INIT;

	(void)state;
	NEED_SANDBOX();
	opts_init(&o);
	assert_int_equal(sandbox_run(&fx.sb, argv, &o, NULL, NULL, &res,
	    &err), -ENOENT);
	assert_non_null(strstr(err.msg, "exec"));
	o.cwd = "/nonexistent-dir";
	argv[0] = "/bin/true";
	assert_int_equal(sandbox_run(&fx.sb, argv, &o, NULL, NULL, &res,
	    &err), -ENOENT);
	assert_non_null(strstr(err.msg, "chdir"));
	expect_no_cgroup();
}

static void
test_output_cap(void **state)
{
	char			*argv[] = { "/bin/sh", "-c",
				    "for i in 1 2 3 4 5; do echo line$i; done",
				    NULL };
	struct sandbox_opts	 o;
	struct sandbox_result	 res;
	struct perr		 err = PERR_INIT;
	struct buf		 out = BUF_INIT;

	(void)state;
	NEED_SANDBOX();
	opts_init(&o);
	o.max_output = 12;
	assert_int_equal(sandbox_run(&fx.sb, argv, &o, collect, &out, &res,
	    &err), 0);
	assert_string_equal(out.p, "line1|line2|");
	assert_int_equal(res.output_bytes, 30);
	buf_release(&out);
}

static void
test_pids_limit_stops_the_step(void **state)
{
	struct buf		out = BUF_INIT;
	struct sandbox_result	res;
	char			desc[96];

	(void)state;
	NEED_SANDBOX();
	assert_int_equal(run("while :; do sleep 987656 & done", 20000, &out,
	    &res), 0);
	assert_true(res.pids_max);
	assert_false(res.timed_out);
	assert_true(sandbox_failed(&res));
	sandbox_describe(&fx.sb, &res, desc, sizeof(desc));
	assert_string_equal(desc, "build exceeded its process limit (32)");
	assert_false(running("sleep 987656"));
	expect_no_cgroup();
	buf_release(&out);
}

static void
test_describe(void **state)
{
	struct sandbox		sb;
	struct sandbox_result	res;
	char			d[96];

	(void)state;
	memset(&sb, 0, sizeof(sb));
	sb.lim.memory_bytes = 64ULL << 20;
	sb.lim.pids = 10;
	memset(&res, 0, sizeof(res));
	res.status = 7 << 8;
	sandbox_describe(&sb, &res, d, sizeof(d));
	assert_string_equal(d, "exit status 7");
	res.oom = 1;
	sandbox_describe(&sb, &res, d, sizeof(d));
	assert_string_equal(d, "build exceeded its memory limit (64 MB)");
	res.status = 0;
	assert_false(sandbox_failed(&res));
	sandbox_describe(&sb, &res, d, sizeof(d));
	assert_string_equal(d, "exit status 0");
	res.status = 9;
	res.oom = 0;
	sandbox_describe(&sb, &res, d, sizeof(d));
	assert_string_equal(d, "killed by signal 9");
	res.pids_max = 1;
	sandbox_describe(&sb, &res, d, sizeof(d));
	assert_string_equal(d, "build exceeded its process limit (10)");
	res.timed_out = 1;
	sandbox_describe(&sb, &res, d, sizeof(d));
	assert_string_equal(d, "timed out");
	res.cancelled = 1;
	sandbox_describe(&sb, &res, d, sizeof(d));
	assert_string_equal(d, "cancelled");
}

static void
test_open_refuses_root_and_tiny_limits(void **state)
{
	struct sandbox		sb;
	struct sandbox_conf	c;
	struct perr		err = PERR_INIT;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.dir = "/nonexistent/sbx";
	c.app = TEST_APP;
	assert_int_equal(sandbox_open(&sb, &c, &err), -EINVAL);
	sandbox_close(&sb);
	c.uid = TEST_UID;
	c.gid = TEST_GID;
	c.pids = 2;
	if (geteuid() == 0) {
		assert_int_equal(sandbox_open(&sb, &c, &err), -EINVAL);
		assert_non_null(strstr(err.msg, "too small"));
		sandbox_close(&sb);
	}
}

/* the sandbox's binds need their parents made: container_req.mkdir_parents */
static int
plan_has_mkdir(const struct container_plan *pl, const char *path)
{
	size_t	i;

	for (i = 0; i < pl->n; i++)
		if (pl->m[i].op == CONTAINER_OP_MKDIR &&
		    strcmp(pl->m[i].path, path) == 0)
			return 1;
	return 0;
}

static void
test_plan_makes_bind_parents(void **state)
{
	struct container_req	req;
	struct container_plan	pl;
	struct perr		err = PERR_INIT;
	char			*argv[] = { "/bin/true", NULL };
	size_t			 n0;

	(void)state;
	container_req_init(&req);
	req.rootdir = "/r";
	req.layers[0] = "/l";
	req.nlayers = 1;
	req.upper = "/u";
	req.work = "/w";
	req.hostname = "build";
	req.uid = req.gid = 1000;
	req.argv = argv;
	req.envp = env;
	req.cwd = "/";
	req.binds[0].src = "/tmp";
	req.binds[0].dst = "/tmp/a/b/app";
	req.nbinds = 1;
	assert_int_equal(container_plan_build(&req, &pl, &err), 0);
	assert_true(plan_has_mkdir(&pl, "/r/tmp/a/b/app"));
	assert_false(plan_has_mkdir(&pl, "/r/tmp/a"));
	n0 = pl.n;
	container_plan_release(&pl);
	req.mkdir_parents = 1;
	assert_int_equal(container_plan_build(&req, &pl, &err), 0);
	assert_true(plan_has_mkdir(&pl, "/r/tmp/a"));
	assert_true(plan_has_mkdir(&pl, "/r/tmp/a/b"));
	assert_true(plan_has_mkdir(&pl, "/r/tmp/a/b/app"));
	assert_int_equal(pl.n, n0 + 3);
	container_plan_release(&pl);
}

static int
setup(void **state)
{
	struct sandbox_conf	 c;
	struct perr		 err = PERR_INIT;

	(void)state;
	if (geteuid() != 0)
		return 0;
	strcpy(fx.base, "/tmp/paas-sbx-test-XXXXXX");
	if (mkdtemp(fx.base) == NULL || chmod(fx.base, 0755) != 0)
		return -1;
	snprintf(fx.work, sizeof(fx.work), "%s/work", fx.base);
	snprintf(fx.dir, sizeof(fx.dir), "%s/sbx", fx.base);
	if (mkdir(fx.work, 0755) != 0 || chown(fx.work, TEST_UID,
	    TEST_GID) != 0)
		return -1;
	memset(&c, 0, sizeof(c));
	c.dir = fx.dir;
	c.uid = TEST_UID;
	c.gid = TEST_GID;
	c.app = TEST_APP;
	c.pids = 32;
	if (sandbox_open(&fx.sb, &c, &err) != 0) {
		fprintf(stderr, "sandbox_open: %s\n", err.msg);
		sandbox_close(&fx.sb);
		return -1;
	}
	fx.open = 1;
	return 0;
}

static int
teardown(void **state)
{
	struct buf	cmd = BUF_INIT;

	(void)state;
	if (fx.open)
		sandbox_close(&fx.sb);
	if (fx.base[0] != '\0') {
		buf_addf(&cmd, "rm -rf %s", fx.base);
		if (system(cmd.p) != 0)
			fprintf(stderr, "could not remove %s\n", fx.base);
	}
	buf_release(&cmd);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_plan_makes_bind_parents),
		cmocka_unit_test(test_open_refuses_root_and_tiny_limits),
		cmocka_unit_test(test_lines_status_and_env),
		cmocka_unit_test(test_timeout_kills),
		cmocka_unit_test(test_escaped_daemons_are_killed),
		cmocka_unit_test(test_flooding_step_still_times_out),
		cmocka_unit_test(test_daemon_holding_stdout_does_not_hang),
		cmocka_unit_test(test_runs_unprivileged),
		cmocka_unit_test(test_private_tmp_and_readonly_system),
		cmocka_unit_test(test_exec_failure_is_reported),
		cmocka_unit_test(test_output_cap),
		cmocka_unit_test(test_pids_limit_stops_the_step),
	};

	alarm(60);
	return cmocka_run_group_tests(tests, setup, teardown);
}
