#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "slice.h"

static void
test_buf_init_is_empty_string(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_non_null(b.p);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.p, "");
	buf_release(&b);
}

static void
test_buf_addf_grows_and_terminates(void **state)
{
	struct buf	b = BUF_INIT;
	int		i;

	(void)state;
	for (i = 0; i < 1000; i++)
		buf_addf(&b, "%d,", i);
	assert_int_equal(b.len, strlen(b.p));
	assert_memory_equal(b.p, "0,1,2,", 6);
	assert_string_equal(b.p + b.len - 4, "999,");
	buf_truncate(&b, 3);
	assert_string_equal(b.p, "0,1");
	buf_release(&b);
	assert_int_equal(b.len, 0);
}

static void
test_buf_detach_hands_over_memory(void **state)
{
	struct buf	 b = BUF_INIT;
	char		*p;
	size_t		 len;

	(void)state;
	p = buf_detach(&b, &len);
	assert_int_equal(len, 0);
	assert_string_equal(p, "");
	free(p);
	buf_adds(&b, "hello");
	p = buf_detach(&b, &len);
	assert_int_equal(len, 5);
	assert_string_equal(p, "hello");
	assert_int_equal(b.len, 0);
	assert_ptr_equal(b.p, buf_empty);
	free(p);
}

static void
test_buf_json_str_escapes(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_add_json_str(&b, "a\"b\\c\n\x01", 7);
	assert_string_equal(b.p, "\"a\\\"b\\\\c\\n\\u0001\"");
	buf_release(&b);
}

static void
test_slice_helpers(void **state)
{
	(void)state;
	assert_true(slice_caseeq(SLICE("Host"), SLICE("hOST")));
	assert_false(slice_caseeq(SLICE("Host"), SLICE("Hos")));
	assert_true(slice_eq_cstr(slice_trim(SLICE(" \tx y\t ")), "x y"));
	assert_int_equal(slice_trim(SLICE("   ")).len, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_init_is_empty_string),
		cmocka_unit_test(test_buf_addf_grows_and_terminates),
		cmocka_unit_test(test_buf_detach_hands_over_memory),
		cmocka_unit_test(test_buf_json_str_escapes),
		cmocka_unit_test(test_slice_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
