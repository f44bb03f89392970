#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "buildpack.h"

static void
test_spec_kinds(void **state)
{
	(void)state;
	assert_int_equal(buildpack_spec_kind("nodejs"), 'n');
	assert_int_equal(buildpack_spec_kind("heroku/nodejs"), 'n');
	assert_int_equal(buildpack_spec_kind("my-pack_2.x"), 'n');
	assert_int_equal(buildpack_spec_kind("/opt/packs/mine"), 'p');
	assert_int_equal(buildpack_spec_kind("https://github.com/h/b.git"),
	    'u');
	assert_int_equal(buildpack_spec_kind("https://example.com/b.git#v1.2"),
	    'u');
	assert_int_equal(buildpack_spec_kind("file:///srv/b.git#main"), 'u');
	assert_int_equal(buildpack_spec_kind("https://example.com/b.git#"), 0);
	assert_int_equal(buildpack_spec_kind(""), 0);
	assert_int_equal(buildpack_spec_kind("Nodejs"), 0);
	assert_int_equal(buildpack_spec_kind("../x"), 0);
	assert_int_equal(buildpack_spec_kind("a/b"), 0);
	assert_int_equal(buildpack_spec_kind("/opt/../etc"), 0);
	assert_int_equal(buildpack_spec_kind("/opt/.."), 0);
	assert_int_equal(buildpack_spec_kind("https://x/y z"), 0);
	assert_int_equal(buildpack_spec_kind("ftp://x/y"), 0);
	assert_int_equal(buildpack_spec_kind("--upload-pack=evil"), 0);
}

static void
test_step_environment(void **state)
{
	struct build	  b;
	char		**env;
	size_t		  i;
	int		  seen = 0;

	(void)state;
	memset(&b, 0, sizeof(b));
	buf_init(&b.app_dir);
	buf_init(&b.cache_dir);
	buf_init(&b.envcopy);
	buf_init(&b.tmp_dir);
	buf_adds(&b.app_dir, "/w/app");
	buf_adds(&b.cache_dir, "/w/cache");
	buf_adds(&b.envcopy, "/w/env");
	buf_adds(&b.tmp_dir, "/w/tmp");
	b.stack = "heroku-22";
	strcpy(b.co.commit, "0123456789abcdef0123456789abcdef01234567");
	env = buildpack_env(&b);
	for (i = 0; env[i] != NULL; i++) {
		if (strcmp(env[i], "HOME=/w/app") == 0 ||
		    strcmp(env[i], "STACK=heroku-22") == 0 ||
		    strcmp(env[i], "REQUEST_ID=build-0123456789ab") == 0 ||
		    strcmp(env[i], "SOURCE_VERSION=0123456789abcdef0123456789"
		    "abcdef01234567") == 0 ||
		    strcmp(env[i], "ENV_DIR=/w/env") == 0)
			seen++;
		assert_null(strstr(env[i], "PAAS_TOKEN"));
	}
	assert_int_equal(seen, 5);
	assert_int_equal(i, 13);
	buildpack_env_free(env);
	buf_release(&b.app_dir);
	buf_release(&b.cache_dir);
	buf_release(&b.envcopy);
	buf_release(&b.tmp_dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_kinds),
		cmocka_unit_test(test_step_environment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
