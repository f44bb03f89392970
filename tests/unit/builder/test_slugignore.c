#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "slugignore.h"

static void
test_patterns(void **state)
{
	struct slugignore	si = SLUGIGNORE_INIT;
	struct perr		err = PERR_INIT;
	const char		*t = "# c\n\n*.psd\r\n/docs/\nspec/fixtures\n"
				    "tmp/\n  *.log  \n/";

	(void)state;
	assert_int_equal(slugignore_parse(t, strlen(t), &si, &err), 0);
	assert_int_equal(si.n, 5);
	assert_true(slugignore_match(&si, "a.psd", 0));
	assert_true(slugignore_match(&si, "x/y/a.psd", 0));
	assert_true(slugignore_match(&si, "docs", 1));
	assert_false(slugignore_match(&si, "docs", 0));
	assert_false(slugignore_match(&si, "src/docs", 1));
	assert_true(slugignore_match(&si, "spec/fixtures", 1));
	assert_false(slugignore_match(&si, "a/spec/fixtures", 1));
	assert_true(slugignore_match(&si, "a/tmp", 1));
	assert_false(slugignore_match(&si, "a/tmp", 0));
	assert_true(slugignore_match(&si, "deep/x.log", 0));
	assert_false(slugignore_match(&si, "server.js", 0));
	assert_false(slugignore_match(&si, "a.psd.txt", 0));
	slugignore_release(&si);
	assert_int_equal(si.n, 0);
}

static void
test_limits(void **state)
{
	struct slugignore	si = SLUGIGNORE_INIT;
	struct perr		err = PERR_INIT;
	char			buf[8000];
	size_t			i;

	(void)state;
	assert_int_equal(slugignore_parse("a\0b", 3, &si, &err), -EINVAL);
	for (i = 0; i < 2002; i += 2) {
		buf[i] = 'x';
		buf[i + 1] = '\n';
	}
	assert_int_equal(slugignore_parse(buf, 2002, &si, &err), -E2BIG);
	assert_int_equal(si.n, 0);
	assert_int_equal(slugignore_parse(buf, 2000, &si, &err), 0);
	assert_int_equal(si.n, 1000);
	slugignore_release(&si);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
