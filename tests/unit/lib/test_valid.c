#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "valid.h"

#define OK(fn, s)	assert_int_equal(fn(s, strlen(s), &err), 0)
#define BAD(fn, s)	assert_int_equal(fn(s, strlen(s), &err), -EINVAL)

static void
test_app_names(void **state)
{
	struct perr err = PERR_INIT;

	(void)state;
	OK(valid_app_name, "abc");
	OK(valid_app_name, "my-app-2");
	OK(valid_app_name, "a23456789012345678901234567890");
	BAD(valid_app_name, "a234567890123456789012345678901");
	BAD(valid_app_name, "ab");
	BAD(valid_app_name, "1abc");
	BAD(valid_app_name, "abc-");
	BAD(valid_app_name, "Abc");
	BAD(valid_app_name, "ab_c");
	BAD(valid_app_name, "ab/../c");
	BAD(valid_app_name, "");
	assert_non_null(strstr(err.msg, "invalid app name"));
}

static void
test_config_keys(void **state)
{
	struct perr err = PERR_INIT;

	(void)state;
	OK(valid_config_key, "GREETING");
	OK(valid_config_key, "_x1");
	OK(valid_config_key, "database_URL");
	BAD(valid_config_key, "1X");
	BAD(valid_config_key, "A-B");
	BAD(valid_config_key, "A B");
	BAD(valid_config_key, "");
	BAD(valid_config_key, "PAAS_TOKEN");
	assert_non_null(strstr(err.msg, "reserved"));
	OK(valid_config_key, "PAASX");
}

static void
test_config_values(void **state)
{
	static char	big[VALID_VALUE_MAX + 1];
	struct perr	err = PERR_INIT;

	(void)state;
	memset(big, 'x', sizeof(big));
	assert_int_equal(valid_config_value(big, VALID_VALUE_MAX, &err), 0);
	assert_int_equal(valid_config_value(big, sizeof(big), &err), -EINVAL);
	assert_int_equal(valid_config_value("a\0b", 3, &err), -EINVAL);
	assert_int_equal(valid_config_value("", 0, &err), 0);
}

static void
test_process_types(void **state)
{
	struct perr err = PERR_INIT;

	(void)state;
	OK(valid_process_type, "web");
	OK(valid_process_type, "worker_2");
	OK(valid_process_type, "clock-x");
	BAD(valid_process_type, "Web");
	BAD(valid_process_type, "2web");
	BAD(valid_process_type, "");
	BAD(valid_process_type, "we b");
	BAD(valid_process_type,
	    "a123456789012345678901234567890123456789012345678901234567890123");
}

static void
test_hostnames(void **state)
{
	struct perr err = PERR_INIT;

	(void)state;
	assert_int_equal(valid_hostname("www.example.com", 15, 0, &err), 0);
	assert_int_equal(valid_hostname("a", 1, 0, &err), 0);
	assert_int_equal(valid_hostname("*.example.com", 13, 1, &err), 0);
	assert_int_equal(valid_hostname("*.example.com", 13, 0, &err), -EINVAL);
	assert_int_equal(valid_hostname("-a.com", 6, 0, &err), -EINVAL);
	assert_int_equal(valid_hostname("a-.com", 6, 0, &err), -EINVAL);
	assert_int_equal(valid_hostname("a..com", 6, 0, &err), -EINVAL);
	assert_int_equal(valid_hostname("a.com.", 6, 0, &err), -EINVAL);
	assert_int_equal(valid_hostname("a_b.com", 7, 0, &err), -EINVAL);
	assert_int_equal(valid_hostname("a.com:80", 8, 0, &err), -EINVAL);
	assert_int_equal(valid_hostname("", 0, 0, &err), -EINVAL);
	assert_int_equal(valid_hostname("*.", 2, 1, &err), -EINVAL);
}

static void
test_sizes(void **state)
{
	struct perr err = PERR_INIT;

	(void)state;
	OK(valid_size, "basic");
	OK(valid_size, "performance");
	BAD(valid_size, "huge");
	BAD(valid_size, "Basic");
}

static void
test_branches(void **state)
{
	static const char *const good[] = { "main", "master", "Prod",
	    "release-2.1", "v1_x", "9" };
	static const char *const bad[] = { "", "-main", ".hidden", "a..b",
	    "a/b", "main.lock", "main.", "a b", "ma\nin", "x~1", "a:b",
	    "@{u}", "a\\b", "1234567890123456789012345678901234567890"
	    "123456789012345678901234" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(valid_branch(good[i], strlen(good[i]), NULL),
		    0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (valid_branch(bad[i], strlen(bad[i]), NULL) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_app_names),
		cmocka_unit_test(test_config_keys),
		cmocka_unit_test(test_config_values),
		cmocka_unit_test(test_process_types),
		cmocka_unit_test(test_hostnames),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_branches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
