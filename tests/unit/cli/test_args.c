#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "args.h"

static void
scale_ok(const char *arg, const char *type, enum args_scale_op op,
    unsigned qty, const char *size)
{
	struct args_scale	s;
	struct perr		err = PERR_INIT;

	assert_int_equal(args_scale(arg, &s, &err), 0);
	assert_string_equal(s.type, type);
	assert_int_equal(s.op, op);
	assert_int_equal(s.qty, qty);
	assert_string_equal(s.size, size);
}

static void
scale_bad(const char *arg, const char *why)
{
	struct args_scale	s;
	struct perr		err = PERR_INIT;

	assert_int_equal(args_scale(arg, &s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, why));
}

static void
test_scale(void **state)
{
	(void)state;
	scale_ok("web=3", "web", ARGS_SCALE_SET, 3, "");
	scale_ok("web=0", "web", ARGS_SCALE_SET, 0, "");
	scale_ok("worker=2:standard", "worker", ARGS_SCALE_SET, 2, "standard");
	scale_ok("web+1", "web", ARGS_SCALE_ADD, 1, "");
	scale_ok("web-1", "web", ARGS_SCALE_SUB, 1, "");
	scale_ok("web+2:performance", "web", ARGS_SCALE_ADD, 2, "performance");
	scale_ok("my-worker-10", "my-worker", ARGS_SCALE_SUB, 10, "");
	scale_ok("my-worker=100", "my-worker", ARGS_SCALE_SET, 100, "");
	scale_ok("a_b+3", "a_b", ARGS_SCALE_ADD, 3, "");
}

static void
test_scale_bad(void **state)
{
	(void)state;
	scale_bad("web", "expected TYPE=N");
	scale_bad("=3", "expected TYPE=N");
	scale_bad("web=", "quantity must be a number from 0 to 100");
	scale_bad("web=101", "from 0 to 100");
	scale_bad("web=-1", "from 0 to 100");
	scale_bad("web=+1", "from 0 to 100");
	scale_bad("web=abc", "quantity");
	scale_bad("web+0", "from 1 to 100");
	scale_bad("web+x", "expected TYPE=N");
	scale_bad("web=2:huge", "(got 'huge')");
	scale_bad("web=2:", "(got '')");
	scale_bad("Web=2", "(got 'Web')");
	scale_bad("1web=2", "(got '1web')");
	scale_bad("we b=2", "(got 'we b')");
	scale_bad("web=2 ", "quantity");
}

static void
test_scale_apply(void **state)
{
	struct args_scale	s;
	struct perr		err = PERR_INIT;
	unsigned		q = 99;

	(void)state;
	assert_int_equal(args_scale("web+2", &s, &err), 0);
	assert_int_equal(args_scale_apply(&s, 1, &q, &err), 0);
	assert_int_equal(q, 3);
	assert_int_equal(args_scale("web-1", &s, &err), 0);
	assert_int_equal(args_scale_apply(&s, 1, &q, &err), 0);
	assert_int_equal(q, 0);
	assert_int_equal(args_scale_apply(&s, 0, &q, &err), -ERANGE);
	assert_string_equal(err.msg, "cannot scale web to -1: quantity must "
	    "be 0 to 100");
	assert_int_equal(args_scale("web+1", &s, &err), 0);
	assert_int_equal(args_scale_apply(&s, 100, &q, &err), -ERANGE);
	assert_int_equal(args_scale("web=7", &s, &err), 0);
	assert_int_equal(args_scale_apply(&s, 50, &q, &err), 0);
	assert_int_equal(q, 7);
}

static void
test_resize(void **state)
{
	struct args_scale	s;
	struct perr		err = PERR_INIT;

	(void)state;
	assert_int_equal(args_resize("web=standard", &s, &err), 0);
	assert_string_equal(s.type, "web");
	assert_string_equal(s.size, "standard");
	assert_int_equal(s.op, ARGS_SCALE_KEEP);
	assert_int_equal(args_resize("web=3", &s, &err), -EINVAL);
	assert_int_equal(args_resize("web", &s, &err), -EINVAL);
	assert_string_equal(err.msg, "'web': expected TYPE=SIZE");
	assert_int_equal(args_resize("=basic", &s, &err), -EINVAL);
}

static void
app_ok(const char *url, const char *app)
{
	char		out[VALID_APP_MAX + 1];
	struct perr	err = PERR_INIT;

	assert_int_equal(args_app_from_url(url, out, sizeof(out), &err), 0);
	assert_string_equal(out, app);
}

static void
app_bad(const char *url)
{
	char		out[VALID_APP_MAX + 1];
	struct perr	err = PERR_INIT;

	assert_int_equal(args_app_from_url(url, out, sizeof(out), &err),
	    -EINVAL);
	assert_non_null(strstr(err.msg, "does not name an app"));
}

static void
test_app_from_url(void **state)
{
	(void)state;
	app_ok("http://127.0.0.1:7070/hello.git", "hello");
	app_ok("http://127.0.0.1:7070/hello", "hello");
	app_ok("https://git.example.com/a/b/my-app.git/", "my-app");
	app_ok("git@example.com:shop.git", "shop");
	app_ok("ssh://git@example.com:2222/shop", "shop");
	app_ok("/srv/repos/blog.git", "blog");
	app_ok("blog", "blog");
	app_bad("http://127.0.0.1:7070/");
	app_bad("http://127.0.0.1:7070/Hello.git");
	app_bad("http://127.0.0.1:7070/.git");
	app_bad("");
	app_bad("http://h/a-very-long-name-that-is-not-an-app-name-at-all");
}

static void
test_version(void **state)
{
	struct perr	err = PERR_INIT;
	unsigned	v = 0;

	(void)state;
	assert_int_equal(args_version("v3", &v, &err), 0);
	assert_int_equal(v, 3);
	assert_int_equal(args_version("12", &v, &err), 0);
	assert_int_equal(v, 12);
	assert_int_equal(args_version("v0", &v, &err), -EINVAL);
	assert_int_equal(args_version("v", &v, &err), -EINVAL);
	assert_int_equal(args_version("v-1", &v, &err), -EINVAL);
	assert_int_equal(args_version("3x", &v, &err), -EINVAL);
	assert_string_equal(err.msg, "invalid release '3x': expected vN, "
	    "like v3");
	assert_int_equal(v, 12);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scale),
		cmocka_unit_test(test_scale_bad),
		cmocka_unit_test(test_scale_apply),
		cmocka_unit_test(test_resize),
		cmocka_unit_test(test_app_from_url),
		cmocka_unit_test(test_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
