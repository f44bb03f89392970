#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "gitsrv.h"

static void
test_parse_path(void **state)
{
	char		app[32];
	enum gitsrv_op	op;

	(void)state;
	assert_int_equal(gitsrv_parse_path("/hello.git/info/refs", app,
	    sizeof(app), &op), 0);
	assert_string_equal(app, "hello");
	assert_int_equal(op, GITSRV_REFS);
	assert_int_equal(gitsrv_parse_path("/my-app.git/git-receive-pack",
	    app, sizeof(app), &op), 0);
	assert_int_equal(op, GITSRV_RECEIVE);
	assert_int_equal(gitsrv_parse_path("/my-app.git/git-upload-pack",
	    app, sizeof(app), &op), 0);
	assert_int_equal(op, GITSRV_UPLOAD);
	assert_int_equal(gitsrv_parse_path("/apps", app, sizeof(app), &op),
	    -1);
	assert_int_equal(gitsrv_parse_path("/../x.git/info/refs", app,
	    sizeof(app), &op), -1);
	assert_int_equal(gitsrv_parse_path("/Hello.git/info/refs", app,
	    sizeof(app), &op), -1);
	assert_int_equal(gitsrv_parse_path("/hello.git/objects/info/packs",
	    app, sizeof(app), &op), -1);
	assert_int_equal(gitsrv_parse_path("/hello.git/git-receive-pack/x",
	    app, sizeof(app), &op), -1);
	assert_int_equal(gitsrv_parse_path("hello.git/info/refs", app,
	    sizeof(app), &op), -1);
}

static void
test_basic_token(void **state)
{
	char out[128];

	(void)state;
	/* "paas:s3cret" */
	assert_int_equal(gitsrv_basic_token("Basic cGFhczpzM2NyZXQ=", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "s3cret");
	/* ":tok" (no user) */
	assert_int_equal(gitsrv_basic_token("basic OnRvaw==", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "tok");
	assert_int_equal(gitsrv_basic_token("Bearer abc", out, sizeof(out)),
	    -EINVAL);
	assert_int_equal(gitsrv_basic_token("Basic !!!!", out, sizeof(out)),
	    -EINVAL);
	assert_int_equal(gitsrv_basic_token("Basic abc", out, sizeof(out)),
	    -EINVAL);
	/* "nocolon" */
	assert_int_equal(gitsrv_basic_token("Basic bm9jb2xvbg==", out,
	    sizeof(out)), -EINVAL);
	/* "a:b\0c" */
	assert_int_equal(gitsrv_basic_token("Basic YTpiAGM=", out,
	    sizeof(out)), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_path),
		cmocka_unit_test(test_basic_token),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
