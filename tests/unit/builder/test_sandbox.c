#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "sandbox.h"

static char *env[] = { "PATH=/usr/bin:/bin", "MARK=sandbox-test", NULL };

static void
collect(void *arg, const char *line, size_t len)
{
	struct buf	*b = arg;

	buf_add(b, line, len);
	buf_addch(b, '|');
}

static int
run(const char *script, int drop, int64_t timeout_ms, struct buf *out,
    struct sandbox_result *res)
{
	char			*argv[] = { "/bin/sh", "-c", (char *)script, NULL };
	struct sandbox_opts	 o = { drop, 61234, 61235, "/", env, 0, 0, 0 };
	struct perr		 err = PERR_INIT;

	if (timeout_ms > 0)
		o.deadline_ms = sandbox_now_ms() + timeout_ms;
	return sandbox_run(argv, &o, collect, out, res, &err);
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
	struct buf		out = BUF_INIT;
	struct sandbox_result	res;

	(void)state;
	assert_int_equal(run("echo one; echo two >&2; printf three; "
	    "echo \"$MARK:$HOME:$(pwd)\" >&2; exit 3", 0, 0, &out, &res), 0);
	assert_true(WIFEXITED(res.status));
	assert_int_equal(WEXITSTATUS(res.status), 3);
	assert_string_equal(out.p, "one|two|threesandbox-test::/|");
	buf_release(&out);
}

static void
test_timeout_kills(void **state)
{
	struct buf		out = BUF_INIT;
	struct sandbox_result	res;
	int64_t			t0 = sandbox_now_ms();

	(void)state;
	assert_int_equal(run("echo start; exec sleep 30", 0, 300, &out, &res),
	    0);
	assert_true(res.timed_out);
	assert_true(sandbox_now_ms() - t0 < 5000);
	assert_string_equal(out.p, "start|");
	assert_true(WIFSIGNALED(res.status));
	buf_release(&out);
}

static void
test_escaped_daemons_are_killed(void **state)
{
	struct buf		out = BUF_INIT;
	struct sandbox_result	res;

	(void)state;
	assert_int_equal(run("setsid sh -c 'sleep 987651 & sleep 987652' "
	    ">/dev/null 2>&1 & (sleep 987653 &) ; nohup sleep 987654 & "
	    "sleep 0.2; echo done", 0, 10000, &out, &res), 0);
	assert_string_equal(out.p, "done|");
	assert_true(res.killed >= 3);
	assert_false(running("sleep 98765"));
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	buf_release(&out);
}

static void
test_flooding_step_still_times_out(void **state)
{
	char			*argv[] = { "/usr/bin/yes", NULL };
	struct sandbox_opts	 o = { 0, 0, 0, "/", env, 0, 4096, 0 };
	struct sandbox_result	 res;
	struct perr		 err = PERR_INIT;
	int64_t			 t0 = sandbox_now_ms();

	(void)state;
	o.deadline_ms = t0 + 300;
	assert_int_equal(sandbox_run(argv, &o, NULL, NULL, &res, &err), 0);
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
	assert_int_equal(run("(setsid sleep 987655 &); echo bye", 0, 20000,
	    &out, &res), 0);
	assert_true(sandbox_now_ms() - t0 < 3000);
	assert_false(res.timed_out);
	assert_false(running("sleep 987655"));
	buf_release(&out);
}

static void
test_drops_privileges(void **state)
{
	struct buf		out = BUF_INIT;
	struct sandbox_result	res;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(run("id -u; id -g; id -G; grep NoNewPrivs "
	    "/proc/self/status | tr -d '\\t'; ulimit -c", 1, 0, &out, &res),
	    0);
	assert_string_equal(out.p, "61234|61235|61235|NoNewPrivs:1|0|");
	buf_release(&out);
}

static void
test_private_tmp_does_not_last(void **state)
{
	char			*argv[] = { "/bin/sh", "-c", "echo x > "
				    "/tmp/paas-sbx-marker && echo y > "
				    "/dev/shm/paas-sbx-marker && "
				    "cat /tmp/paas-sbx-marker", NULL };
	struct sandbox_opts	 o = { 1, 61234, 61235, "/", env, 0, 0, 1 };
	struct sandbox_result	 res;
	struct perr		 err = PERR_INIT;
	struct buf		 out = BUF_INIT;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(sandbox_run(argv, &o, collect, &out, &res, &err), 0);
	assert_string_equal(out.p, "x|");
	assert_int_equal(access("/tmp/paas-sbx-marker", F_OK), -1);
	assert_int_equal(access("/dev/shm/paas-sbx-marker", F_OK), -1);
	buf_release(&out);
}

static void
test_exec_failure_is_reported(void **state)
{
	char			*argv[] = { "/nonexistent/prog", NULL };
	struct sandbox_opts	 o = { 0, 0, 0, "/", env, 0, 0, 0 };
	struct sandbox_result	 res;
	struct perr		 err = PERR_INIT;

	(void)state;
	assert_int_equal(sandbox_run(argv, &o, NULL, NULL, &res, &err),
	    -ENOENT);
	assert_non_null(strstr(err.msg, "exec"));
	o.cwd = "/nonexistent-dir";
	argv[0] = "/bin/true";
	assert_int_equal(sandbox_run(argv, &o, NULL, NULL, &res, &err),
	    -ENOENT);
	assert_non_null(strstr(err.msg, "chdir"));
}

static void
test_output_cap(void **state)
{
	char			*argv[] = { "/bin/sh", "-c",
				    "for i in 1 2 3 4 5; do echo line$i; done",
				    NULL };
	struct sandbox_opts	 o = { 0, 0, 0, "/", env, 0, 12, 0 };
	struct sandbox_result	 res;
	struct perr		 err = PERR_INIT;
	struct buf		 out = BUF_INIT;

	(void)state;
	assert_int_equal(sandbox_run(argv, &o, collect, &out, &res, &err), 0);
	assert_string_equal(out.p, "line1|line2|");
	assert_int_equal(res.output_bytes, 30);
	buf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_status_and_env),
		cmocka_unit_test(test_timeout_kills),
		cmocka_unit_test(test_escaped_daemons_are_killed),
		cmocka_unit_test(test_flooding_step_still_times_out),
		cmocka_unit_test(test_daemon_holding_stdout_does_not_hang),
		cmocka_unit_test(test_drops_privileges),
		cmocka_unit_test(test_private_tmp_does_not_last),
		cmocka_unit_test(test_exec_failure_is_reported),
		cmocka_unit_test(test_output_cap),
	};
	struct perr	err = PERR_INIT;

	alarm(60);
	if (sandbox_init(&err) != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
