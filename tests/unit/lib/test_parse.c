#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "parse.h"

static int
u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	return parse_u64(s, strlen(s), min, max, out);
}

static void
test_parse_u64_accepts_digits_in_range(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(u64("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(u64("100", 0, 100, &v), 0);
	assert_int_equal(v, 100);
	assert_int_equal(u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
}

static void
test_parse_u64_rejects_junk_and_overflow(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(u64("", 0, 10, &v), -EINVAL);
	assert_int_equal(u64("+1", 0, 10, &v), -EINVAL);
	assert_int_equal(u64("-1", 0, 10, &v), -EINVAL);
	assert_int_equal(u64(" 1", 0, 10, &v), -EINVAL);
	assert_int_equal(u64("1x", 0, 10, &v), -EINVAL);
	assert_int_equal(u64("0x10", 0, 100, &v), -EINVAL);
	assert_int_equal(u64("101", 0, 100, &v), -ERANGE);
	assert_int_equal(u64("18446744073709551616", 0, UINT64_MAX, &v),
	    -ERANGE);
	assert_int_equal(u64("5", 6, 10, &v), -ERANGE);
	assert_int_equal(v, 7);
}

static void
test_parse_int_signs(void **state)
{
	int v = 0;

	(void)state;
	assert_int_equal(parse_int("-3", -5, 5, &v), 0);
	assert_int_equal(v, -3);
	assert_int_equal(parse_int("-6", -5, 5, &v), -ERANGE);
	assert_int_equal(parse_int("6", -5, 5, &v), -ERANGE);
	assert_int_equal(parse_int("--1", -5, 5, &v), -EINVAL);
	assert_int_equal(parse_int("", -5, 5, &v), -EINVAL);
}

static void
test_parse_size_units(void **state)
{
	static const char *const bad[] = { "", "G", "1g", "1KB", "1 K", "-1K",
	    "1.5G", "1GG", "K1" };
	uint64_t	v = 7;
	size_t		i;

	(void)state;
	assert_int_equal(parse_size("100000", 1, UINT64_MAX, &v), 0);
	assert_int_equal(v, 100000);
	assert_int_equal(parse_size("1G", 1, UINT64_MAX, &v), 0);
	assert_int_equal(v, 1024ULL * 1024 * 1024);
	assert_int_equal(parse_size("512M", 1, UINT64_MAX, &v), 0);
	assert_int_equal(v, 512ULL * 1024 * 1024);
	assert_int_equal(parse_size("64K", 1, UINT64_MAX, &v), 0);
	assert_int_equal(v, 65536);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 7;
		assert_int_equal(parse_size(bad[i], 0, UINT64_MAX, &v),
		    -EINVAL);
		assert_int_equal(v, 7);
	}
	/* bounds apply to the scaled value; overflow is caught */
	assert_int_equal(parse_size("2G", 0, 1ULL << 30, &v), -ERANGE);
	assert_int_equal(parse_size("1K", 2048, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(parse_size("17179869184G", 0, UINT64_MAX, &v),
	    -ERANGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64_accepts_digits_in_range),
		cmocka_unit_test(test_parse_u64_rejects_junk_and_overflow),
		cmocka_unit_test(test_parse_int_signs),
		cmocka_unit_test(test_parse_size_units),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
