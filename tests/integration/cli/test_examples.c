/*
 * Every sample app in examples/, pushed with the real git client to the
 * real paasd: built by its built-in buildpack, booted in a container and
 * answering HTTP through paas-router.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"

struct fixture {
	struct daemon_proc	 d;
	char			 work[300];
	struct buf		 out, err;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	harness_tmpdir(f->d.data, sizeof(f->d.data), "examples");
	f->d.router = 1;
	if (harness_paasd_start(&f->d) != 0) {
		/* cmocka runs no teardown after a failed setup */
		harness_paasd_cleanup(&f->d);
		free(f);
		return -1;
	}
	snprintf(f->work, sizeof(f->work), "%s/work", f->d.data);
	if (mkdir(f->work, 0755) != 0) {
		harness_paasd_cleanup(&f->d);
		free(f);
		return -1;
	}
	buf_init(&f->out);
	buf_init(&f->err);
	*state = f;
	return 0;
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

/* push examples/NAME as app APP, then expect WANT in the page */
static void
push_example(struct fixture *f, const char *name, const char *app,
    const char *want)
{
	char		 bin[512], *argv[] = { "/bin/sh", "-ec", NULL, NULL };
	struct buf	 script = BUF_INIT;
	const char	*src = getenv("PAAS_SRC") ? getenv("PAAS_SRC") : ".";
	int		 rc;

	harness_bin("paas", bin, sizeof(bin));
	buf_addf(&script, "cd %s\nexport PAAS_API=unix:%s GIT_TERMINAL_PROMPT=0\n"
	    "%s apps:create %s >/dev/null 2>&1\n"
	    "cp -r %s/examples/%s %s && cd %s\n"
	    "git init -q -b main && git add -A && git -c user.email=t@t "
	    "-c user.name=t commit -qm %s\n"
	    "git push http://paas:%s@127.0.0.1:%d/%s.git main > ../%s.push 2>&1 "
	    "|| { cat ../%s.push >&2; exit 1; }\n"
	    "curl -sf -H 'Host: %s.localhost' http://127.0.0.1:%d/ > ../%s.page "
	    "|| { cat ../%s.push >&2; exit 1; }\n"
	    "grep -q '%s' ../%s.page || { cat ../%s.page >&2; exit 1; }\n",
	    f->work, f->d.sock, bin, app, src, name, app, app, name,
	    f->d.token, f->d.api_port, app, app, app, app, f->d.http_port,
	    app, app, want, app, app);
	argv[2] = script.p;
	rc = harness_run(argv, NULL, NULL, &f->out, &f->err);
	if (rc != 0) {
		fprintf(stderr, "example %s failed:\n%s%s", name, f->out.p,
		    f->err.p);
		fail();
	}
	buf_release(&script);
}

static void
test_static(void **state)
{
	push_example(*state, "static", "ex-static", "<html");
}

static void
test_python(void **state)
{
	push_example(*state, "python", "ex-python", "hello from python");
}

static void
test_python_vendored(void **state)
{
	push_example(*state, "python-vendored", "ex-vendored",
	    "vendored paas-greeting wheel");
}

static void
test_c(void **state)
{
	push_example(*state, "c", "ex-c", "hello from c");
}

static void
test_multi(void **state)
{
	push_example(*state, "multi", "ex-multi", "hello from multi");
}

static void
test_node(void **state)
{
	/* express comes from the npm registry */
	if (system("npm view express version >/dev/null 2>&1") != 0)
		skip();
	push_example(*state, "node", "ex-node", "hello from node");
}

static void
test_go(void **state)
{
	if (access("/usr/bin/go", X_OK) != 0)
		skip();
	push_example(*state, "go", "ex-go", "hello from go");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_static),
		T(test_python),
		T(test_python_vendored),
		T(test_c),
		T(test_multi),
		T(test_node),
		T(test_go),
	};

	harness_alarm(600);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
