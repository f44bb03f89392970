/*
 * The real paas CLI against the real paasd: the commands a user runs,
 * their output and exit codes, bad input changing nothing, racing CLIs,
 * and a real `git push` through `paas git:remote`.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"

struct fixture {
	struct daemon_proc	 d;
	pid_t			 sshd;		/* started by the ssh test */
	int			 made_run_sshd;	/* we created /run/sshd */
	char			 api[400];	/* PAAS_API=... */
	char			 paas[512];
	struct buf		 out, err;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	harness_tmpdir(f->d.data, sizeof(f->d.data), "cli");
	if (harness_paasd_start(&f->d) != 0) {
		/* cmocka runs no teardown after a failed setup */
		harness_paasd_cleanup(&f->d);
		free(f);
		return -1;
	}
	snprintf(f->api, sizeof(f->api), "PAAS_API=unix:%s", f->d.sock);
	harness_bin("paas", f->paas, sizeof(f->paas));
	buf_init(&f->out);
	buf_init(&f->err);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	if (f->sshd > 0) {
		int st;

		kill(f->sshd, SIGTERM);
		waitpid(f->sshd, &st, 0);
		harness_untrack(f->sshd);
	}
	if (f->made_run_sshd)
		rmdir("/run/sshd");

	if (f->d.pid > 0)
		assert_int_equal(harness_paasd_stop(&f->d), 0);
	harness_paasd_cleanup(&f->d);
	buf_release(&f->out);
	buf_release(&f->err);
	free(f);
	return 0;
}

/* paas(f, stdin, "apps:create", "x", NULL) -> exit status */
static int
paas(struct fixture *f, const char *in, ...)
{
	char	*argv[32], *env[4];
	va_list	 ap;
	int	 n = 0;

	argv[n++] = f->paas;
	va_start(ap, in);
	while (n < 31 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	env[0] = f->api;
	env[1] = "PAAS_APP=";
	env[2] = NULL;
	return harness_run(argv, env, in, &f->out, &f->err);
}

static void
test_app_lifecycle(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(paas(f, NULL, "apps:create", "hello", NULL), 0);
	assert_non_null(strstr(f->out.p, "http://hello.localhost:"));
	assert_int_equal(paas(f, NULL, "apps", NULL), 0);
	assert_non_null(strstr(f->out.p, "=== Apps\nhello\n"));
	assert_int_equal(paas(f, NULL, "apps:create", "hello", NULL), 1);
	assert_non_null(strstr(f->err.p, "already exists"));
	assert_int_equal(paas(f, NULL, "apps:info", "-a", "hello", NULL), 0);
	assert_non_null(strstr(f->out.p, "Release:"));
	assert_int_equal(paas(f, NULL, "apps:destroy", "hello", NULL), 1);
	assert_int_equal(paas(f, NULL, "apps", "--json", NULL), 0);
	assert_non_null(strstr(f->out.p, "\"hello\""));
	assert_int_equal(paas(f, NULL, "apps:destroy", "hello", "--confirm",
	    "hello", NULL), 0);
	assert_int_equal(paas(f, NULL, "apps", "--json", NULL), 0);
	assert_null(strstr(f->out.p, "hello"));
}

static void
test_config_makes_releases(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(paas(f, NULL, "apps:create", "conf", NULL), 0);
	assert_int_equal(paas(f, NULL, "config:set", "GREETING=hi there",
	    "-a", "conf", NULL), 0);
	assert_non_null(strstr(f->err.p, "done, v2"));
	assert_int_equal(paas(f, "A=1\nexport B=\"x y\" # note\n# c\n",
	    "config:set", "-a", "conf", NULL), 0);
	assert_non_null(strstr(f->err.p, "done, v3"));
	assert_int_equal(paas(f, NULL, "config:get", "B", "-a", "conf", NULL),
	    0);
	assert_string_equal(f->out.p, "x y\n");
	assert_int_equal(paas(f, NULL, "config:unset", "A", "-a", "conf",
	    NULL), 0);
	assert_non_null(strstr(f->err.p, "v4"));
	assert_int_equal(paas(f, NULL, "releases", "-a", "conf", NULL), 0);
	assert_non_null(strstr(f->out.p, "Current: v4"));
	assert_non_null(strstr(f->out.p, "Unset A config vars"));
	assert_int_equal(paas(f, NULL, "logs", "-n", "1", "-a", "conf", NULL),
	    0);
	assert_non_null(strstr(f->out.p, "paas[api]: Release v4 created"));
	assert_null(strstr(f->out.p, "Release v3"));
	assert_int_equal(paas(f, NULL, "logs", "--source", "paas", "--dyno",
	    "api", "-a", "conf", NULL), 0);
	assert_non_null(strstr(f->out.p, "Set GREETING config vars"));
	assert_int_equal(paas(f, NULL, "logs", "--source", "nope", "-a", "conf",
	    NULL), 2);
	assert_int_equal(paas(f, NULL, "logs", "-n", "0", "-a", "conf", NULL),
	    2);
	assert_int_equal(paas(f, NULL, "config", "-t", "-a", "conf", NULL), 2);
	assert_int_equal(paas(f, NULL, "rollback", "v2", "-a", "conf", NULL),
	    0);
	assert_int_equal(paas(f, NULL, "config", "-a", "conf", "--json",
	    NULL), 0);
	assert_non_null(strstr(f->out.p, "\"GREETING\": \"hi there\""));
	assert_null(strstr(f->out.p, "\"B\""));
}

static void
test_bad_input_changes_nothing(void **state)
{
	struct fixture	*f = *state;
	struct buf	 before = BUF_INIT;
	char		 tok[200];
	char		*env[3];
	char		*argv[6];

	assert_int_equal(paas(f, NULL, "apps:create", "same", NULL), 0);
	assert_int_equal(paas(f, NULL, "releases", "-a", "same", "--json",
	    NULL), 0);
	buf_add(&before, f->out.p, f->out.len);
	assert_int_equal(paas(f, NULL, "apps:create", "Bad_Name", NULL), 1);
	assert_int_equal(paas(f, NULL, "config:set", "1BAD=x", "-a", "same",
	    NULL), 1);
	assert_int_equal(paas(f, NULL, "config:set", "PAAS_X=x", "-a", "same",
	    NULL), 1);
	assert_int_equal(paas(f, "NOEQUALS\n", "config:set", "-a", "same",
	    NULL), 1);
	assert_non_null(strstr(f->err.p, "line 1"));
	assert_int_equal(paas(f, NULL, "ps:scale", "web=101", "-a", "same",
	    NULL), 1);
	assert_int_equal(paas(f, NULL, "ps:scale", "Web=1", "-a", "same",
	    NULL), 1);
	assert_int_equal(paas(f, NULL, "ps:resize", "web=huge", "-a", "same",
	    NULL), 1);
	assert_int_equal(paas(f, NULL, "domains:add", "bad_host", "-a", "same",
	    NULL), 1);
	assert_int_equal(paas(f, NULL, "config", "-a", "nope-app", NULL), 1);
	assert_non_null(strstr(f->err.p, "not found"));
	assert_int_equal(paas(f, NULL, "releases:info", "v99", "-a", "same",
	    NULL), 1);
	assert_int_equal(paas(f, NULL, "no:such", NULL), 2);
	assert_int_equal(paas(f, NULL, "config:get", "-a", "same", NULL), 2);
	/* over TCP: no token, then a wrong one */
	snprintf(tok, sizeof(tok), "PAAS_API=http://127.0.0.1:%d",
	    f->d.api_port);
	env[0] = tok;
	env[1] = "PAAS_TOKEN=wrong";
	env[2] = NULL;
	argv[0] = f->paas;
	argv[1] = "apps";
	argv[2] = NULL;
	assert_int_equal(harness_run(argv, env, NULL, &f->out, &f->err), 1);
	assert_non_null(strstr(f->err.p, "token"));
	env[1] = "PAAS_TOKEN=";
	assert_int_equal(harness_run(argv, env, NULL, &f->out, &f->err), 1);
	assert_int_equal(paas(f, NULL, "releases", "-a", "same", "--json",
	    NULL), 0);
	assert_string_equal(before.p, f->out.p);
	buf_release(&before);
}

static void
test_two_clis_racing(void **state)
{
	struct fixture	*f = *state;
	pid_t		 kids[2];
	int		 i, k, st;
	char		 kv[32];

	assert_int_equal(paas(f, NULL, "apps:create", "race", NULL), 0);
	for (k = 0; k < 2; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			int bad = 0;

			for (i = 0; i < 15; i++) {
				snprintf(kv, sizeof(kv), "K%d_%d=v", k, i);
				bad |= paas(f, NULL, "config:set", kv, "-a",
				    "race", NULL);
			}
			_exit(bad);
		}
	}
	for (k = 0; k < 2; k++) {
		assert_int_equal(waitpid(kids[k], &st, 0), kids[k]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	assert_int_equal(paas(f, NULL, "releases", "-a", "race", NULL), 0);
	assert_non_null(strstr(f->out.p, "Current: v31"));
	assert_int_equal(paas(f, NULL, "config", "-a", "race", "--json", NULL),
	    0);
	assert_non_null(strstr(f->out.p, "\"K0_14\""));
	assert_non_null(strstr(f->out.p, "\"K1_14\""));
}

static int
sh(const char *dir, const char *script)
{
	char	*argv[] = { "/bin/sh", "-ec", (char *)script, NULL };
	char	 cd[600], *env[2];
	struct buf out = BUF_INIT, err = BUF_INIT;
	int	 rc;

	snprintf(cd, sizeof(cd), "PWD=%s", dir);
	env[0] = cd;
	env[1] = NULL;
	rc = harness_run(argv, env, NULL, &out, &err);
	if (rc != 0)
		print_error("sh: %s\n%s%s", script, out.p, err.p);
	buf_release(&out);
	buf_release(&err);
	return rc;
}

static void
test_git_remote_and_push(void **state)
{
	struct fixture	*f = *state;
	char		 work[300], script[2048];

	assert_int_equal(paas(f, NULL, "apps:create", "pushy", NULL), 0);
	/* inside the data dir, so teardown removes it, pass or fail */
	snprintf(work, sizeof(work), "%s/work", f->d.data);
	assert_int_equal(mkdir(work, 0700), 0);
	snprintf(script, sizeof(script),
	    "cd %s && git init -q -b main . && echo 'web: python3 -m http.server $PORT' > Procfile && "
	    "git add Procfile && git -c user.email=t@t -c user.name=t "
	    "commit -qm one && "
	    "PAAS_API=http://127.0.0.1:%d PAAS_TOKEN=%s %s git:remote -a pushy"
	    " && git remote get-url paas | grep -q '/pushy.git$' && "
	    "PAAS_API=http://127.0.0.1:%d PAAS_TOKEN=%s "
	    "GIT_TERMINAL_PROMPT=0 git push -q paas main 2>&1 && "
	    "test \"$(git --git-dir=%s/repos/pushy.git rev-parse main)\" = "
	    "\"$(git rev-parse HEAD)\"",
	    work, f->d.api_port, f->d.token, f->paas, f->d.api_port,
	    f->d.token, f->d.data);
	assert_int_equal(sh(work, script), 0);
	/* other branches are refused, the ref does not move */
	snprintf(script, sizeof(script), "cd %s && "
	    "PAAS_API=http://127.0.0.1:%d PAAS_TOKEN=%s GIT_TERMINAL_PROMPT=0 "
	    "git push -q paas main:other 2>/dev/null || true; "
	    "! git --git-dir=%s/repos/pushy.git rev-parse -q --verify other",
	    work, f->d.api_port, f->d.token, f->d.data);
	assert_int_equal(sh(work, script), 0);
	/* a wrong token gets nothing, not even a prompt */
	snprintf(script, sizeof(script), "cd %s && export GIT_TERMINAL_PROMPT=0 && "
	    "! git push -q http://paas:wrong@127.0.0.1:%d/pushy.git main "
	    "2>/dev/null", work, f->d.api_port);
	assert_int_equal(sh(work, script), 0);
	/* the owner can clone it back */
	snprintf(script, sizeof(script), "cd %s && GIT_TERMINAL_PROMPT=0 "
	    "git clone -q http://paas:%s@127.0.0.1:%d/pushy.git back && "
	    "test -f back/Procfile", work, f->d.token, f->d.api_port);
	assert_int_equal(sh(work, script), 0);
}

/*
 * Trees git's fsck refuses: each push is rejected and, thanks to git's
 * quarantine, leaves no object behind in the app's repository.
 */
static void
test_fsck_rejects_hostile_trees(void **state)
{
	static const char *const trees[] = {
		/* .GIT/config: a second .git dir on case-insensitive disks */
		"T1=$(printf '100644 blob %s\\tconfig\\n' $B | git mktree); "
		    "printf '040000 tree %s\\t.GIT\\n' $T1 | git mktree",
		/* a '..' entry */
		"printf '100644 blob %s\\t..\\n' $B | git mktree",
		/* a submodule whose name climbs out of .git/modules */
		"M=$(printf '[submodule \"../../x\"]\\n\\tpath = x\\n\\t"
		    "url = http://127.0.0.1:1/x\\n' | git hash-object -w --stdin);"
		    " printf '100644 blob %s\\t.gitmodules\\n' $M | git mktree",
	};
	struct fixture	*f = *state;
	char		 work[300], script[4096];
	size_t		 i;

	assert_int_equal(paas(f, NULL, "apps:create", "fscked", NULL), 0);
	snprintf(work, sizeof(work), "%s/work", f->d.data);
	assert_int_equal(mkdir(work, 0700), 0);
	for (i = 0; i < sizeof(trees) / sizeof(trees[0]); i++) {
		snprintf(script, sizeof(script), "cd %s && rm -rf r && "
		    "git init -q -b main r && cd r && "
		    "B=$(echo x | git hash-object -w --stdin) && "
		    "T=$(%s) && C=$(git -c user.email=t@t -c user.name=t "
		    "commit-tree $T -m evil) && git update-ref refs/heads/main $C"
		    " && export GIT_TERMINAL_PROMPT=0 && "
		    "! git push -q http://paas:%s@127.0.0.1:%d/fscked.git main "
		    "2>/dev/null && "
		    "test -z \"$(find %s/repos/fscked.git/objects -type f "
		    "! -path '*/info/*')\" && "
		    "! git --git-dir=%s/repos/fscked.git rev-parse -q --verify "
		    "refs/heads/main", work, trees[i], f->d.token,
		    f->d.api_port, f->d.data, f->d.data);
		if (sh(work, script) != 0)
			fail_msg("hostile tree %zu was accepted", i);
	}
	/* control: the same way of pushing works for a harmless tree */
	snprintf(script, sizeof(script), "cd %s && rm -rf r && "
	    "git init -q -b main r && cd r && "
	    "B=$(echo 'web: python3 -m http.server $PORT' | "
	    "git hash-object -w --stdin) && "
	    "T=$(printf '100644 blob %%s\\tProcfile\\n' $B | git mktree) && "
	    "C=$(git -c user.email=t@t -c user.name=t commit-tree $T -m ok) && "
	    "git update-ref refs/heads/main $C && export GIT_TERMINAL_PROMPT=0 "
	    "&& git push -q http://paas:%s@127.0.0.1:%d/fscked.git main && "
	    "test \"$(git --git-dir=%s/repos/fscked.git rev-parse main)\" = $C",
	    work, f->d.token, f->d.api_port, f->d.data);
	assert_int_equal(sh(work, script), 0);
}

/* Ten wrong passwords from one address in a minute, then 429. */
static void
test_auth_failures_are_rate_limited(void **state)
{
	struct fixture	*f = *state;
	struct buf	 b = BUF_INIT;
	char		 req[512];
	int		 i, st = 0, n;

	assert_int_equal(paas(f, NULL, "apps:create", "limited", NULL), 0);
	n = snprintf(req, sizeof(req), "GET /limited.git/info/refs?service="
	    "git-receive-pack HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "
	    "cGFhczp3cm9uZw==\r\n\r\n");
	for (i = 0; i < 10; i++)
		assert_int_equal(harness_http_raw(f->d.api_port, req, (size_t)n,
		    &b), 401);
	st = harness_http_raw(f->d.api_port, req, (size_t)n, &b);
	assert_int_equal(st, 429);
	/* even the right token waits out the minute from that address */
	assert_int_equal(harness_http(f->d.api_port, NULL, "GET",
	    "/limited.git/info/refs?service=git-receive-pack", f->d.token,
	    NULL, &b), 429);
	/* the JSON API is not affected */
	assert_int_equal(harness_http(f->d.api_port, NULL, "GET", "/apps",
	    f->d.token, NULL, &b), 200);
	buf_release(&b);
}

static void
start_sshd(struct fixture *f, const char *work, int port)
{
	char			 conf[400], log[400], pidf[400];
	char			*argv[] = { "/usr/sbin/sshd", "-D", "-e", "-f",
	    conf, NULL };
	posix_spawn_file_actions_t fa;
	FILE			*out;
	int			 i;
	extern char		**environ;

	snprintf(conf, sizeof(conf), "%s/sshd_config", work);
	snprintf(log, sizeof(log), "%s/sshd.log", work);
	snprintf(pidf, sizeof(pidf), "%s/sshd.pid", work);
	out = fopen(conf, "w");
	assert_non_null(out);
	fprintf(out, "Port %d\nListenAddress 127.0.0.1\nHostKey %s/hostkey\n"
	    "AuthorizedKeysFile %s/ssh/authorized_keys\nPidFile %s\n"
	    "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
	    "UsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\n"
	    "LogLevel VERBOSE\n", port, work, f->d.data, pidf);
	fclose(out);
	if (access("/run/sshd", F_OK) != 0) {
		assert_int_equal(mkdir("/run/sshd", 0755), 0);
		f->made_run_sshd = 1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT, 0600);
	assert_int_equal(posix_spawn(&f->sshd, argv[0], &fa, NULL, argv,
	    environ), 0);
	harness_track(f->sshd);
	posix_spawn_file_actions_destroy(&fa);
	for (i = 0; i < 500; i++) {
		if (harness_port_open(port))
			return;
		usleep(10000);
	}
	fail_msg("sshd did not start; see %s", log);
}

/* git push over SSH through a real sshd and paas-git-shell. */
static void
test_ssh_push_through_real_sshd(void **state)
{
	struct fixture	*f = *state;
	char		 work[300], script[4096], pub[400], ssh[600];
	int		 port = harness_free_port();

	if (geteuid() != 0 || access("/usr/sbin/sshd", X_OK) != 0)
		skip();
	snprintf(work, sizeof(work), "%s/work", f->d.data);
	assert_int_equal(mkdir(work, 0700), 0);
	snprintf(script, sizeof(script), "cd %s && "
	    "ssh-keygen -q -t ed25519 -N '' -f hostkey && "
	    "ssh-keygen -q -t ed25519 -N '' -C tester -f userkey && "
	    "ssh-keygen -q -t ed25519 -N '' -C stranger -f otherkey", work);
	assert_int_equal(sh(work, script), 0);
	snprintf(pub, sizeof(pub), "%s/userkey.pub", work);
	assert_int_equal(paas(f, NULL, "keys:add", pub, NULL), 0);
	assert_non_null(strstr(f->out.p, "SHA256:"));
	assert_int_equal(paas(f, NULL, "keys:add", pub, NULL), 1);
	assert_non_null(strstr(f->err.p, "already added"));
	assert_int_equal(paas(f, NULL, "keys", NULL), 0);
	assert_non_null(strstr(f->out.p, "tester"));
	assert_int_equal(paas(f, NULL, "apps:create", "sshapp", NULL), 0);
	start_sshd(f, work, port);
	snprintf(ssh, sizeof(ssh), "ssh -p %d -o StrictHostKeyChecking=no "
	    "-o UserKnownHostsFile=/dev/null -o BatchMode=yes "
	    "-o IdentitiesOnly=yes -o LogLevel=ERROR", port);
	/* push, and the ref moves */
	snprintf(script, sizeof(script), "cd %s && git init -q -b main r && "
	    "cd r && echo 'web: python3 -m http.server $PORT' > Procfile && "
	    "git add . && "
	    "git -c user.email=t@t -c user.name=t commit -qm one && "
	    "GIT_SSH_COMMAND='%s -i %s/userkey' git push -q "
	    "root@127.0.0.1:sshapp.git main && "
	    "test \"$(git --git-dir=%s/repos/sshapp.git rev-parse main)\" = "
	    "\"$(git rev-parse HEAD)\" && "
	    "GIT_SSH_COMMAND='%s -i %s/userkey' git clone -q "
	    "ssh://root@127.0.0.1/sshapp.git ../back && test -f ../back/Procfile",
	    work, ssh, work, f->d.data, ssh, work);
	assert_int_equal(sh(work, script), 0);
	/* the key runs nothing else: no shell, no other path, no other app */
	snprintf(script, sizeof(script), "cd %s && "
	    "! %s -i userkey root@127.0.0.1 id 2>err1 && "
	    "grep -q \"only 'git push'\" err1 && "
	    "! %s -i userkey root@127.0.0.1 \"git-receive-pack '../../etc.git'\" "
	    "2>/dev/null </dev/null && "
	    "! %s -i userkey root@127.0.0.1 \"git-upload-pack 'nope-app.git'\" "
	    "2>err2 </dev/null && grep -q 'no such app' err2 && "
	    "! timeout 20 %s -i userkey -W 127.0.0.1:%d root@127.0.0.1 "
	    "2>/dev/null </dev/null && "
	    "! %s -i otherkey root@127.0.0.1 \"git-upload-pack 'sshapp.git'\" "
	    "2>/dev/null </dev/null",
	    work, ssh, ssh, ssh, ssh, port, ssh);
	assert_int_equal(sh(work, script), 0);
	/* a removed key is out at once */
	assert_int_equal(paas(f, NULL, "keys:remove", "tester", NULL), 0);
	snprintf(script, sizeof(script), "cd %s/r && "
	    "! GIT_SSH_COMMAND='%s -i %s/userkey' git fetch -q "
	    "root@127.0.0.1:sshapp.git 2>/dev/null", work, ssh, work);
	assert_int_equal(sh(work, script), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_app_lifecycle),
		T(test_config_makes_releases),
		T(test_bad_input_changes_nothing),
		T(test_two_clis_racing),
		T(test_git_remote_and_push),
		T(test_fsck_rejects_hostile_trees),
		T(test_auth_failures_are_rate_limited),
		T(test_ssh_push_through_real_sshd),
	};

	harness_alarm(300);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
