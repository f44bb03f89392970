#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "cond.h"

#define T1994	784111777	/* Sun, 06 Nov 1994 08:49:37 GMT */

static void
test_cond_date_round_trip(void **state)
{
	char	buf[COND_DATE_LEN + 1];
	time_t	t = 0;

	(void)state;
	cond_date_fmt(T1994, buf);
	assert_string_equal(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
	assert_int_equal(strlen(buf), COND_DATE_LEN);
	assert_int_equal(cond_date_parse(slice_cstr(buf), &t), 0);
	assert_true(t == T1994);
}

static void
test_cond_date_accepts_all_three_forms(void **state)
{
	time_t	t;

	(void)state;
	t = 0;
	assert_int_equal(cond_date_parse(
	    SLICE("Sunday, 06-Nov-94 08:49:37 GMT"), &t), 0);
	assert_true(t == T1994);
	t = 0;
	assert_int_equal(cond_date_parse(SLICE("Sun Nov  6 08:49:37 1994"), &t),
	    0);
	assert_true(t == T1994);
}

static void
test_cond_date_rejects_junk(void **state)
{
	time_t	t = 5;

	(void)state;
	assert_int_equal(cond_date_parse(SLICE("yesterday"), &t), -EINVAL);
	assert_int_equal(cond_date_parse(SLICE(""), &t), -EINVAL);
	assert_int_equal(cond_date_parse(
	    SLICE("Sun, 06 Nov 1994 08:49:37 CET"), &t), -EINVAL);
	assert_int_equal(cond_date_parse(
	    SLICE("Sun, 06 Foo 1994 08:49:37 GMT"), &t), -EINVAL);
	assert_int_equal(cond_date_parse(
	    SLICE("Sun, 06 Nov 1994 28:49:37 GMT"), &t), -EINVAL);
	assert_int_equal(cond_date_parse(
	    SLICE("Sun, 06 Nov 1994 08:49:37 GMT trailing"), &t), -EINVAL);
	assert_true(t == 5);
}

static void
test_cond_etag_differs_by_variant_and_time(void **state)
{
	char	a[COND_ETAG_MAX], b[COND_ETAG_MAX], c[COND_ETAG_MAX];

	(void)state;
	cond_etag_fmt(a, 100, T1994, 5, 0);
	cond_etag_fmt(b, 100, T1994, 5, 1);
	cond_etag_fmt(c, 100, T1994, 6, 0);
	assert_true(a[0] == '"' && a[strlen(a) - 1] == '"');
	assert_string_not_equal(a, b);
	assert_string_not_equal(a, c);
}

static void
test_cond_etag_match_lists_weak_and_star(void **state)
{
	const char	*tag = "\"64-abc.5\"";

	(void)state;
	assert_int_equal(cond_etag_match(SLICE("\"64-abc.5\""), tag), 1);
	assert_int_equal(cond_etag_match(SLICE("W/\"64-abc.5\""), tag), 1);
	assert_int_equal(cond_etag_match(SLICE("\"x\", \"64-abc.5\" ,\"y\""),
	    tag), 1);
	assert_int_equal(cond_etag_match(SLICE(" * "), tag), 1);
	assert_int_equal(cond_etag_match(SLICE("\"64-abc.6\""), tag), 0);
	assert_int_equal(cond_etag_match(SLICE("\"x\", \"y\""), tag), 0);
	assert_int_equal(cond_etag_match(SLICE_NULL, tag), 0);
}

static void
test_cond_not_modified_order(void **state)
{
	const char	*tag = "\"1-2.3\"";
	struct slice	 fresh = SLICE("Sun, 06 Nov 1994 08:49:37 GMT");

	(void)state;
	/* If-Modified-Since alone: at or after mtime is fresh */
	assert_int_equal(cond_not_modified(SLICE_NULL, fresh, tag, T1994), 1);
	assert_int_equal(cond_not_modified(SLICE_NULL, fresh, tag, T1994 - 60),
	    1);
	assert_int_equal(cond_not_modified(SLICE_NULL, fresh, tag, T1994 + 1),
	    0);
	/* an invalid date is ignored */
	assert_int_equal(cond_not_modified(SLICE_NULL, SLICE("soon"), tag, 0),
	    0);
	/* If-None-Match decides alone, even against a fresh date */
	assert_int_equal(cond_not_modified(SLICE("\"other\""), fresh, tag,
	    T1994), 0);
	assert_int_equal(cond_not_modified(SLICE("\"1-2.3\""), SLICE_NULL, tag,
	    T1994 + 99), 1);
	assert_int_equal(cond_not_modified(SLICE_NULL, SLICE_NULL, tag, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cond_date_round_trip),
		cmocka_unit_test(test_cond_date_accepts_all_three_forms),
		cmocka_unit_test(test_cond_date_rejects_junk),
		cmocka_unit_test(test_cond_etag_differs_by_variant_and_time),
		cmocka_unit_test(test_cond_etag_match_lists_weak_and_star),
		cmocka_unit_test(test_cond_not_modified_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
