/*
 * The supervisor through the real paasd: formation, crash restarts with
 * backoff, env and identity of a process, rolling restarts, instances
 * that survive a paasd kill -9 and are re-adopted, and no failed request
 * through the router while an app is redeployed and rolled back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
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
	char			 paas[512];
	char			 work[300];
	struct buf		 out, err;
};

/* extra: a paasd option (or NULL) */
static int
setup_with(void **state, int router, const char *extra)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (geteuid() != 0) {
		free(f);
		return -1;
	}
	harness_tmpdir(f->d.data, sizeof(f->d.data), "dynos");
	f->d.router = router;
	f->d.extra[0] = extra;
	f->d.netpolicy = 1;
	buf_init(&f->out);
	buf_init(&f->err);
	*state = f;
	if (harness_paasd_start(&f->d) != 0)
		goto fail;
	harness_bin("paas", f->paas, sizeof(f->paas));
	snprintf(f->work, sizeof(f->work), "%s/work", f->d.data);
	if (mkdir(f->work, 0700) != 0)
		goto fail;
	return 0;
fail:
	/* cmocka runs no teardown after a failed setup */
	harness_paasd_cleanup(&f->d);
	free(f);
	*state = NULL;
	return -1;
}

static int
setup(void **state)
{
	return setup_with(state, 0, NULL);
}

static int
setup_router(void **state)
{
	return setup_with(state, 1, NULL);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	if (f->d.pid > 0)
		assert_int_equal(harness_paasd_stop(&f->d), 0);
	harness_paasd_cleanup(&f->d);
	buf_release(&f->out);
	buf_release(&f->err);
	free(f);
	return 0;
}

static int
sh(struct fixture *f, const char *fmt, ...)
{
	struct buf	 script = BUF_INIT;
	va_list		 ap;
	int		 rc;

	char		 bindir[512];

	snprintf(bindir, sizeof(bindir), "%s", f->paas);
	*strrchr(bindir, '/') = '\0';
	/* paas on PATH, so that `sh -c "paas ..."` finds it too */
	buf_addf(&script, "cd %s\nexport PAAS_API=http://127.0.0.1:%d "
	    "PAAS_TOKEN=%s GIT_TERMINAL_PROMPT=0 PATH=%s:$PATH\n"
	    "commit() { git add -A && git -c user.email=t@t -c user.name=t "
	    "commit -qm \"$1\"; }\n"
	    "push() { git push -q http://paas:$PAAS_TOKEN@127.0.0.1:%d/$1.git "
	    "main; }\n"
	    /* wait_for SECONDS CMD...: poll until CMD succeeds */
	    "wait_for() { n=$(($1 * 10)); shift; while ! \"$@\" >/dev/null "
	    "2>&1; do n=$((n - 1)); [ $n -gt 0 ] || return 1; sleep 0.1; "
	    "done; }\n"
	    "logs_have() { paas logs -n 1500 -a $1 | grep -q \"$2\"; }\n"
	    "set -x\n",
	    f->work, f->d.api_port, f->d.token, bindir, f->d.api_port);
	va_start(ap, fmt);
	buf_vaddf(&script, fmt, ap);
	va_end(ap);
	rc = harness_script(script.p, &f->out, &f->err);
	buf_release(&script);
	return rc;
}

#define WEB	"web: python3 -m http.server $PORT"
/* a worker that reports who and where it is, then ticks */
#define WORKER	"worker: echo \"id=$(id -u) home=$HOME pwd=$(pwd) " \
	"dyno=$DYNO greeting=$GREETING\"; while :; do echo tick; " \
	"sleep 0.2; done"
/* an app tries paasd's API and reports whether it got through */
#define SPY	"spy: python3 -c \"import socket,os,time; s=socket.socket(); " \
	"r=s.connect_ex(('127.0.0.1',int(os.environ['API']))); " \
	"print('api=blocked' if r else 'api=reached', r, flush=True); " \
	"time.sleep(60)\""

static void
test_formation_env_and_crash_backoff(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sh(f,
	    "paas apps:create shop >/dev/null 2>&1\n"
	    "git init -q -b main shop && cd shop\n"
	    "cat > Procfile <<'PROCFILE'\n" WEB "\n" WORKER "\n"
	    "crasher: exit 3\n" SPY "\nPROCFILE\n"
	    "echo hi > hello.txt\n"
	    "commit one && push shop\n"
	    "paas config:set GREETING=hello -a shop >/dev/null 2>&1\n"
	    "paas ps:scale web=2 worker=1 -a shop >/dev/null 2>&1\n"
	    "wait_for 30 sh -c \"paas ps -a shop | grep -c ': up' | "
	    "grep -qx 3\"\n"
	    /* the process environment and identity */
	    "wait_for 30 logs_have shop 'app\\[worker.1\\]: id=1000[0-9]* "
	    "home=/app pwd=/app dyno=worker.1 greeting=hello'\n"
	    "wait_for 30 logs_have shop 'app\\[worker.1\\]: tick'\n"
	    /* both web dynos serve, each on its own port */
	    "for a in $(paas ps -a shop --json | sed -n "
	    "'s/.*\"address\": \"\\(127[0-9.:]*\\)\".*/\\1/p'); do\n"
	    "  curl -sf http://$a/hello.txt | grep -q hi; done\n"
	    "two_web() { test \"$(paas ps -a shop --json | grep -c "
	    "'\"address\": \"127')\" = 2; }\n"
	    "wait_for 30 two_web\n"
	    /* a crashing type: restarted at once, then with backoff */
	    "paas ps:scale crasher=1 -a shop >/dev/null 2>&1\n"
	    "wait_for 30 logs_have shop 'paas\\[crasher.1\\]: Process exited "
	    "with status 3'\n"
	    "wait_for 30 sh -c \"paas logs -n 1500 -a shop | grep -c "
	    "'crasher.1\\]: Starting process' | grep -q '[3-9]'\" || "
	    "{ paas logs -n 60 -a shop >&2; paas ps -a shop >&2; false; }\n"
	    "wait_for 30 sh -c \"paas ps -a shop | grep -q 'crasher.1: crashed'\"\n"
	    /* one app's crash loop leaves the others serving */
	    "wait_for 30 sh -c \"paas ps -a shop | grep -v crasher | "
	    "grep -c ': up' | grep -qx 3\"\n"
	    /* scale down */
	    "paas ps:scale web=1 crasher=0 -a shop >/dev/null 2>&1\n"
	    /* an app cannot reach paasd's API (nor other apps) */
	    "paas config:set API=%d -a shop >/dev/null 2>&1\n"
	    "paas ps:scale spy=1 -a shop >/dev/null 2>&1\n"
	    "wait_for 30 logs_have shop 'app\\[spy.1\\]: api=blocked'\n"
	    "! paas logs -n 1500 -a shop | grep -q 'api=reached'\n"
	    "paas ps:scale spy=0 -a shop >/dev/null 2>&1\n"
	    "wait_for 30 sh -c \"paas ps -a shop --json | grep -c "
	    "'\\\"name\\\"' | grep -qx 2\"\n", f->d.api_port), 0);
}

static void
test_restart_and_config_roll(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sh(f,
	    "paas apps:create roll >/dev/null 2>&1\n"
	    "git init -q -b main roll && cd roll\n"
	    "printf '%%s\\n%%s\\n' '" WEB "' '" WORKER "' > Procfile\n"
	    "echo hi > hello.txt && commit one && push roll\n"
	    "paas ps:scale worker=1 -a roll >/dev/null 2>&1\n"
	    "wait_for 30 sh -c \"paas ps -a roll | grep -c ': up' | "
	    "grep -qx 2\"\n"
	    "old=$(paas ps -a roll --json | grep '\"id\"')\n"
	    "paas ps:restart web -a roll 2>/dev/null\n"
	    "wait_for 30 sh -c \"paas ps -a roll --json | grep '\\\"id\\\": "
	    "\\\"web' | grep -qv \\\"$(echo \"$old\" | grep web | tr -d ' ,')\\\"\"\n"
	    /* a config change rolls every dyno onto the new release */
	    "paas config:set GREETING=again -a roll >/dev/null 2>&1\n"
	    "wait_for 30 logs_have roll 'greeting=again'\n"
	    "wait_for 30 sh -c \"paas ps -a roll --json | grep -c "
	    "'\\\"release\\\": 3' | grep -qx 2\"\n"
	    /* ps:stop: that dyno goes, the formation brings one back */
	    "paas ps:stop worker.1 -a roll 2>/dev/null\n"
	    "wait_for 30 logs_have roll 'worker.1\\]: State changed from up "
	    "to down'\n"
	    "wait_for 30 sh -c \"paas ps -a roll | grep -q 'worker.1: up'\"\n"
	    "! paas ps:stop nope.1 -a roll 2>/dev/null\n"
	    "! paas ps:restart 'Bad!' -a roll 2>/dev/null\n"), 0);
}

/* kill -9 paasd: the apps keep running, and are re-adopted. */
static void
test_instances_survive_paasd_kill9(void **state)
{
	struct fixture	*f = *state;
	char		 addr[64];

	assert_int_equal(sh(f,
	    "paas apps:create sturdy >/dev/null 2>&1\n"
	    "git init -q -b main sturdy && cd sturdy\n"
	    "printf '%%s\\n%%s\\n' '" WEB "' '" WORKER "' > Procfile\n"
	    "echo hi > hello.txt && commit one && push sturdy\n"
	    "paas ps:scale worker=1 -a sturdy >/dev/null 2>&1\n"
	    "wait_for 30 sh -c \"paas ps -a sturdy | grep -c ': up' | "
	    "grep -qx 2\"\n"
	    "paas ps -a sturdy --json | sed -n "
	    "'s/.*\"address\": \"\\(127[0-9.:]*\\)\".*/\\1/p' > ../addr\n"), 0);
	{
		FILE *in;
		char path[400];

		snprintf(path, sizeof(path), "%s/addr", f->work);
		in = fopen(path, "r");
		assert_non_null(in);
		assert_non_null(fgets(addr, sizeof(addr), in));
		fclose(in);
		addr[strcspn(addr, "\n")] = '\0';
	}
	harness_paasd_kill9(&f->d);
	/* nothing noticed: the web dyno still answers */
	assert_int_equal(sh(f, "curl -sf http://%s/hello.txt | grep -q hi\n"
	    "sleep 0.5\n", addr), 0);
	assert_int_equal(harness_paasd_start(&f->d), 0);
	assert_int_equal(sh(f,
	    "paas ps -a sturdy | grep -c ': up' | grep -qx 2\n"
	    "paas ps -a sturdy --json | grep -q '\"address\": \"%s\"'\n"
	    "curl -sf http://%s/hello.txt | grep -q hi\n"
	    /* its log lines kept coming while paasd was away, and after */
	    "n1=$(paas logs -n 1500 -a sturdy | grep -c 'worker.1\\]: tick')\n"
	    "sleep 1\n"
	    "n2=$(paas logs -n 1500 -a sturdy | grep -c 'worker.1\\]: tick')\n"
	    "test $n2 -gt $n1\n", addr, addr), 0);
}

/*
 * Requests through the router during three deploys and a rollback all
 * succeed.
 */
static void
test_zero_downtime_through_the_router(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sh(f,
	    "paas apps:create live >/dev/null 2>&1\n"
	    "git init -q -b main live && cd live\n"
	    "printf '%%s\\n' '" WEB "' > Procfile\n"
	    "echo v1 > hello.txt && commit one && push live\n"
	    "paas ps:scale web=2 -a live >/dev/null 2>&1\n"
	    "wait_for 30 sh -c \"paas ps -a live | grep -c ': up' | "
	    "grep -qx 2\"\n"
	    "wait_for 30 curl -sf -H 'Host: live.localhost' "
	    "http://127.0.0.1:%d/hello.txt\n"
	    /* a bounded request loop in the background, counting failures */
	    "(i=0; bad=0; while [ $i -lt 400 ] && [ ! -e ../stop ]; do\n"
	    "  code=$(curl -s -o /dev/null -w '%%{http_code}' -H "
	    "'Host: live.localhost' http://127.0.0.1:%d/hello.txt)\n"
	    "  [ \"$code\" = 200 ] || bad=$((bad + 1)); i=$((i + 1))\n"
	    "done; echo \"$i $bad\" > ../loop) &\n"
	    /* three consecutive deploys (v3, v4, v5) and a rollback (v6) */
	    "for v in v2 v3 v4; do echo $v > hello.txt && commit $v && "
	    "push live; done\n"
	    "paas rollback v3 -a live >/dev/null 2>&1\n"
	    "wait_for 30 sh -c \"paas ps -a live --json | grep -c "
	    "'\\\"release\\\": 6' | grep -qx 2\"\n"
	    "sleep 1; touch ../stop; wait\n"
	    "read n bad < ../loop; echo \"requests=$n failed=$bad\"\n"
	    "test $n -gt 20 && test $bad = 0\n"
	    /* the router's access lines are in the app's log stream */
	    "paas logs -n 50 --source router -a live | grep -q "
	    "'paas\\[router\\]: at=info method=GET path=\"/hello.txt\" "
	    "host=live.localhost .* status=200'\n"
	    "curl -sf -H 'Host: live.localhost' http://127.0.0.1:%d/hello.txt "
	    "| grep -q v2\n"
	    /* keep-alive from the client to an HTTP/1.0 app: all 200 */
	    "set --; for k in 1 2 3 4 5 6; do set -- \"$@\" -o /dev/null "
	    "http://127.0.0.1:%d/hello.txt; done\n"
	    "curl -s -w '%%{http_code}\\n' -H 'Host: live.localhost' \"$@\" "
	    "> ../ka\n"
	    "test $(grep -c . ../ka) = 6 && test \"$(sort -u ../ka)\" = 200\n",
	    f->d.http_port, f->d.http_port, f->d.http_port, f->d.http_port),
	    0);
	print_message("%s", f->out.p);
}

/* Per-app boot timeout (R10) and stop grace (SIGTERM, then SIGKILL) */
static void
test_boot_timeout_and_grace(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sh(f,
	    "paas apps:create slowboot >/dev/null 2>&1\n"
	    "git init -q -b main slowboot && cd slowboot\n"
	    "cat > Procfile <<'PROCFILE'\n" WEB "\n"
	    "stubborn: trap '' TERM; while :; do sleep 0.2; done\nPROCFILE\n"
	    "commit one && push slowboot\n"
	    "paas apps:settings boot_timeout=2 grace=1 -a slowboot | "
	    "grep -q 'boot_timeout: *2s'\n"
	    "! paas apps:settings boot_timeout=0 -a slowboot 2>/dev/null\n"
	    /* a web process that never binds: R10, push rejected */
	    "printf 'web: sleep 300\\n' > Procfile && commit two\n"
	    "! git push -q http://paas:$PAAS_TOKEN@127.0.0.1:%d/slowboot.git "
	    "main > ../b1 2>&1\n"
	    "grep -q 'boot timeout (R10)' ../b1 || { cat ../b1 >&2; false; }\n"
	    "logs_have slowboot 'Error R10 (Boot timeout) -> Web process "
	    "failed to bind to \\$PORT within 2 seconds'\n"
	    "wait_for 30 sh -c \"paas ps -a slowboot | grep -q 'web.1: up .* "
	    "(v2)'\"\n"
	    /* a process that ignores SIGTERM is killed after the grace */
	    "paas ps:scale stubborn=1 -a slowboot >/dev/null 2>&1\n"
	    "wait_for 30 sh -c \"paas ps -a slowboot | grep -q 'stubborn.1: "
	    "up'\"\n"
	    "paas ps:scale stubborn=0 -a slowboot >/dev/null 2>&1\n"
	    "wait_for 30 logs_have slowboot 'stubborn.1\\]: Error R12 (Exit "
	    "timeout)'\n"
	    "wait_for 30 logs_have slowboot 'stubborn.1\\]: Process exited "
	    "with status 137'\n", f->d.api_port), 0);
}

/* paas run: attached stdio, exit status, stdin; detached to the logs */
static void
test_one_off_runs(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sh(f,
	    "paas apps:create oneoff >/dev/null 2>&1\n"
	    "! paas run -a oneoff -- true 2> ../e0\n"
	    "grep -q 'git push first' ../e0\n"
	    "git init -q -b main oneoff && cd oneoff\n"
	    "printf '%%s\\n' '" WEB "' > Procfile && commit one && push oneoff\n"
	    "paas config:set GREETING=hi -a oneoff >/dev/null 2>&1\n"
	    "rc=0; paas run -a oneoff -- 'echo out; echo err >&2; echo "
	    "$GREETING $DYNO $(id -u) $(pwd); exit 7' > ../o1 2> ../e1 || rc=$?\n"
	    "test $rc = 7\n"
	    "grep -qx out ../o1 && grep -qx err ../e1\n"
	    "grep -q '^hi run\\.[0-9]* 100[0-9][0-9] /app$' ../o1\n"
	    "echo 'round trip' | paas run -a oneoff -- cat > ../o2\n"
	    "grep -qx 'round trip' ../o2\n"
	    /* detached: the output is in the app's log stream */
	    "name=$(paas run:detached -a oneoff -- 'echo detached $DYNO' | "
	    "sed -n 's/.*up, \\(run\\.[0-9]*\\)$/\\1/p')\n"
	    "test -n \"$name\"\n"
	    "wait_for 30 logs_have oneoff \"app\\[$name\\]: detached $name\"\n"
	    /* a client that goes away takes its run with it */
	    "(paas run -a oneoff -- sleep 300 >/dev/null 2>&1 &\n"
	    " echo $! > ../runpid; wait) &\n"
	    "wait_for 30 sh -c \"paas ps -a oneoff | grep -q 'run\\.'\"\n"
	    "kill $(cat ../runpid)\n"
	    "wait_for 30 sh -c \"! paas ps -a oneoff | grep -q 'run\\.'\"\n"
	    "wait\n"
	    /* ...even one that leaves before its container is up */
	    "paas run -a oneoff -- sleep 300 >/dev/null 2>&1 & p=$!\n"
	    "sleep 0.05; kill $p; wait $p || true\n"
	    "sleep 0.5\n"
	    "wait_for 30 sh -c \"! paas ps -a oneoff | grep -q 'run\\.'\"\n"),
	    0);
}

/*
 * A web process that dies on its own: while none is up the router answers
 * 503 with H10 (App crashed); scaled to zero it is H14 (No web processes).
 */
static void
test_router_h10_and_h14(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sh(f,
	    "paas apps:create flaky >/dev/null 2>&1\n"
	    "git init -q -b main flaky && cd flaky\n"
	    "printf '%%s\\n' 'web: python3 -m http.server $PORT & sleep 2; "
	    "kill $!; exit 1' > Procfile\n"
	    "echo ok > hello.txt && commit one && push flaky\n"
	    "get() { curl -s -o /dev/null -w '%%{http_code}' -H "
	    "'Host: flaky.localhost' http://127.0.0.1:%d/hello.txt; }\n"
	    "h10() { test \"$(get)\" = 503 && paas logs -n 200 --source router "
	    "-a flaky | grep -q 'at=error code=H10 desc=\"App crashed\"'; }\n"
	    "wait_for 30 h10 || { paas logs -n 60 -a flaky >&2; false; }\n"
	    "paas ps:scale web=0 -a flaky >/dev/null 2>&1\n"
	    "h14() { test \"$(get)\" = 503 && paas logs -n 200 --source router "
	    "-a flaky | grep -q 'at=error code=H14'; }\n"
	    "wait_for 30 h14\n", f->d.http_port), 0);
}

/* ------------------------------------------------------ paas run on a pty */

#include <sys/ioctl.h>

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <time.h>

/* a shell on a terminal of the test's own (forkpty), driven like expect */
struct term {
	int		fd;		/* the master */
	pid_t		pid;		/* sh, the session leader */
	struct buf	out;		/* everything it printed */
};

static void
term_start(struct fixture *f, struct term *t, const char *cmd)
{
	struct winsize	 ws = { .ws_row = 31, .ws_col = 97 };
	struct buf	 script = BUF_INIT;
	char		 bindir[512];

	snprintf(bindir, sizeof(bindir), "%s", f->paas);
	*strrchr(bindir, '/') = '\0';
	buf_addf(&script, "cd %s && export PAAS_API=http://127.0.0.1:%d "
	    "PAAS_TOKEN=%s TERM=xterm-256color PATH=%s:$PATH\n"
	    "stty -g > before; %s; echo \"rc=$?\"; stty -g > after\n",
	    f->work, f->d.api_port, f->d.token, bindir, cmd);
	buf_init(&t->out);
	t->pid = forkpty(&t->fd, NULL, NULL, &ws);
	assert_true(t->pid >= 0);
	if (t->pid == 0) {
		execl("/bin/sh", "sh", "-c", script.p, (char *)NULL);
		_exit(127);
	}
	harness_track(t->pid);
	buf_release(&script);
}

/* read until needle shows up (1) or 30 s pass / the terminal hangs up */
static int
term_expect(struct term *t, const char *needle)
{
	struct pollfd	pf = { t->fd, POLLIN, 0 };
	char		chunk[4096];
	ssize_t		n;
	time_t		end = time(NULL) + 30;

	while (strstr(t->out.p, needle) == NULL) {
		if (time(NULL) > end || poll(&pf, 1, 1000) < 0)
			return 0;
		if (!pf.revents)
			continue;
		if ((n = read(t->fd, chunk, sizeof(chunk))) <= 0)
			return 0;
		buf_add(&t->out, chunk, (size_t)n);
	}
	return 1;
}

static void
term_type(struct term *t, const char *s)
{
	assert_int_equal(write(t->fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* the shell's end; the local terminal must be as it was before paas */
static void
term_finish(struct fixture *f, struct term *t)
{
	char		cmd[700];
	int		st, ok;

	ok = term_expect(t, "rc=") && term_expect(t, "\n");
	if (!ok)
		(void)kill(-t->pid, SIGKILL);	/* its session, paas too */
	else
		(void)term_expect(t, "\xff");	/* drain to the hang-up */
	if (waitpid(t->pid, &st, 0) == t->pid)
		harness_untrack(t->pid);
	close(t->fd);
	if (!ok)
		fail_msg("no exit status; terminal:\n%s", t->out.p);
	snprintf(cmd, sizeof(cmd), "cmp -s %s/before %s/after", f->work,
	    f->work);
	if (system(cmd) != 0)
		fail_msg("terminal settings not restored:\n%s", t->out.p);
}

#define HAS_T(t, s)	do {						\
	if (strstr((t)->out.p, (s)) == NULL)				\
		fail_msg("missing \"%s\" on the terminal:\n%s", (s),	\
		    (t)->out.p);					\
} while (0)

/* the paas process under the terminal's shell */
static pid_t
term_child(const struct term *t)
{
	char	path[64], text[64];
	FILE	*fp;
	long	pid = 0;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children",
	    (long)t->pid, (long)t->pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(text, sizeof(text), fp) != NULL)
		pid = strtol(text, NULL, 10);
	fclose(fp);
	return pid > 0 ? (pid_t)pid : -1;
}

/*
 * paas run from a terminal: the command gets a pty of its own with the
 * client's size and TERM, a typed line is echoed and read, window size
 * changes follow, ^C interrupts it (130), its exit status comes back,
 * and the local terminal is restored however the client ends.
 */
static void
test_run_on_a_terminal(void **state)
{
	struct fixture	*f = *state;
	struct winsize	 ws = { .ws_row = 40, .ws_col = 120 };
	struct term	 t;
	pid_t		 cli;

	assert_int_equal(sh(f,
	    "paas apps:create ttyapp >/dev/null 2>&1\n"
	    "git init -q -b main ttyapp && cd ttyapp\n"
	    "printf '%%s\\n' '" WEB "' > Procfile && commit one && "
	    "push ttyapp\n"), 0);

	term_start(f, &t, "paas run -a ttyapp -- 'tty; stty size; "
	    "echo term=$TERM; echo READY; read l; echo \"got=$l\"; exit 7'");
	/* the remote shell reads only once the line is typed after READY */
	assert_true(term_expect(&t, "READY\r\n"));
	usleep(200000);
	term_type(&t, "hello there\r");
	term_finish(f, &t);
	HAS_T(&t, "/dev/pts/0\r\n");
	HAS_T(&t, "31 97\r\n");
	HAS_T(&t, "term=xterm-256color\r\n");
	HAS_T(&t, "hello there\r\n");		/* the remote echo */
	HAS_T(&t, "got=hello there\r\n");
	HAS_T(&t, "rc=7");
	buf_release(&t.out);

	term_start(f, &t, "paas run -a ttyapp -- 'echo READY; sleep 100'");
	assert_true(term_expect(&t, "READY\r\n"));
	usleep(300000);		/* sleep exec'd: see test_container's pty */
	term_type(&t, "\003");
	term_finish(f, &t);
	HAS_T(&t, "rc=130");
	buf_release(&t.out);

	term_start(f, &t, "paas run -a ttyapp -- 'trap \"stty size; exit 3\" "
	    "WINCH; echo READY; while :; do sleep 0.1; done'");
	assert_true(term_expect(&t, "READY\r\n"));
	assert_int_equal(ioctl(t.fd, TIOCSWINSZ, &ws), 0);
	term_finish(f, &t);
	HAS_T(&t, "40 120\r\n");
	HAS_T(&t, "rc=3");
	buf_release(&t.out);

	/* a client killed mid-run: terminal back, the run gone */
	term_start(f, &t, "paas run -a ttyapp -- 'echo READY; sleep 100'");
	assert_true(term_expect(&t, "READY\r\n"));
	assert_true((cli = term_child(&t)) > 0);
	assert_int_equal(kill(cli, SIGTERM), 0);
	term_finish(f, &t);
	HAS_T(&t, "rc=143");
	buf_release(&t.out);

	term_start(f, &t, "paas run --no-tty -a ttyapp -- 'tty; exit 0'");
	term_finish(f, &t);
	HAS_T(&t, "not a tty");
	buf_release(&t.out);
	assert_int_equal(sh(f, "wait_for 30 sh -c \"! paas ps -a ttyapp | "
	    "grep -q 'run\\.'\"\n"), 0);
}

/* paasd --userns: each container in a user namespace of its own */
static int
setup_userns(void **state)
{
	return setup_with(state, 0, "--userns");
}

/*
 * Under paasd --userns a one-off and a web process each see only the
 * app's uid mapped (host root does not exist inside), as that uid,
 * with no capabilities; the web process still serves.
 */
static void
test_userns_dynos(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sh(f,
	    "paas apps:create nsapp >/dev/null 2>&1\n"
	    "git init -q -b main nsapp && cd nsapp\n"
	    "printf '%%s\\n' '" WEB "' > Procfile && commit one && push nsapp\n"
	    "paas run -a nsapp -- 'id -u; cat /proc/self/uid_map; "
	    "grep -E \"^(CapEff|NoNewPrivs|Seccomp):\" /proc/self/status; "
	    "stat -c %%u /usr/bin' > ../o1\n"
	    "u=$(head -1 ../o1)\n"
	    "test \"$(sed -n 2p ../o1 | tr -s ' ' | sed 's/^ //')\" = "
	    "\"$u $u 1\"\n"
	    "grep -q '^CapEff:.0000000000000000$' ../o1\n"
	    "grep -q '^NoNewPrivs:.1$' ../o1 && grep -q '^Seccomp:.2$' ../o1\n"
	    "test \"$(tail -1 ../o1)\" = 65534\n"
	    "webpid() { paas ps --json -a nsapp | python3 -c 'import json,sys; "
	    "print([d[\"pid\"] for d in json.load(sys.stdin) "
	    "if d[\"name\"]==\"web.1\"][0] or \"\")'; }\n"
	    "n=0; until pid=$(webpid) && [ -n \"$pid\" ]; do n=$((n + 1)); "
	    "[ $n -lt 100 ]; sleep 0.2; done\n"
	    "test \"$(tr -s ' \\t' ' ' < /proc/$pid/uid_map | sed 's/^ //')\" "
	    "= \"$u $u 1\"\n"
	    "test \"$(stat -c %%u /proc/$pid)\" = \"$u\"\n"
	    /* the build steps too run in the app's user namespace */
	    "mkdir -p ../nspack/bin\n"
	    "printf '#!/bin/sh\\necho NS\\n' > ../nspack/bin/detect\n"
	    "printf '#!/bin/sh\\necho \"map: $(tr -s \" \" < "
	    "/proc/self/uid_map)\"\\n' > ../nspack/bin/compile\n"
	    "printf '#!/bin/sh\\necho \"--- {}\"\\n' > ../nspack/bin/release\n"
	    "chmod -R a+rX ../nspack && chmod +x ../nspack/bin/*\n"
	    "paas config:set BUILDPACK_URL=$(cd ../nspack && pwd) -a nsapp "
	    ">/dev/null 2>&1\n"
	    "echo 2 > two.txt && commit two\n"
	    "git push http://paas:$PAAS_TOKEN@127.0.0.1:%d/nsapp.git main "
	    "> ../b2 2>&1 || { cat ../b2 >&2; false; }\n"
	    "grep -q \"map: *$u $u 1\" ../b2\n", f->d.api_port), 0);
}

/*
 * Another process binds a new web dyno's $PORT before the dyno does
 * (apps share the host's network): the dyno is not "up" and no route
 * points at the squatter; once the port is free the dyno comes up.
 */
static void
test_squatted_port_is_not_up(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sh(f,
	    "paas apps:create victim >/dev/null 2>&1\n"
	    "git init -q -b main victim && cd victim\n"
	    "echo 'web: sleep 4; exec python3 -m http.server $PORT' > Procfile\n"
	    "echo hi > hello.txt && commit one && push victim\n"
	    "paas ps:scale web=2 -a victim >/dev/null 2>&1\n"
	    "addr() { paas ps -a victim --json | python3 -c 'import json,sys; "
	    "print([d[\"address\"] for d in json.load(sys.stdin) "
	    "if d[\"name\"]==\"web.2\"][0] or \"\")' 2>/dev/null; }\n"
	    "n=0; until [ -n \"$(addr)\" ]; do n=$((n + 1)); [ $n -lt 100 ]; "
	    "sleep 0.1; done\n"
	    "p=$(addr | sed 's/.*://')\n"
	    "test -n \"$p\"\n"
	    "python3 -c 'import socket,sys,time; s=socket.socket(); "
	    "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
	    "s.bind((\"127.0.0.1\", int(sys.argv[1]))); s.listen(5); "
	    "time.sleep(8)' $p &\n"
	    "sq=$!\n"
	    "wait_for 10 logs_have victim 'web.2\\]: Error: \\$PORT ('$p') is "
	    "held by another process' || { paas logs -n 40 -a victim >&2; "
	    "paas ps -a victim >&2; false; }\n"
	    "! paas ps -a victim | grep -q 'web.2: up'\n"
	    "kill $sq; wait $sq 2>/dev/null || true\n"
	    "wait_for 40 sh -c \"paas ps -a victim | grep -q 'web.2: up'\"\n"
	    "curl -sf http://$(addr)/hello.txt | grep -q hi\n"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_formation_env_and_crash_backoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_and_config_roll,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_instances_survive_paasd_kill9, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_off_runs, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_boot_timeout_and_grace,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_zero_downtime_through_the_router, setup_router,
		    teardown),
		cmocka_unit_test_setup_teardown(test_router_h10_and_h14,
		    setup_router, teardown),
		cmocka_unit_test_setup_teardown(test_run_on_a_terminal, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_userns_dynos,
		    setup_userns, teardown),
		cmocka_unit_test_setup_teardown(test_squatted_port_is_not_up,
		    setup, teardown),
	};

	harness_alarm(600);
	if (getenv("PAAS_TEST_FILTER"))		/* one test, e.g. while debugging */
		cmocka_set_test_filter(getenv("PAAS_TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
