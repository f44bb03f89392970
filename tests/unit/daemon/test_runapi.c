/* paas run's query: the pty options, and the frames of the answer. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "runapi.h"

static void
test_tty_defaults_and_values(void **state)
{
	struct runapi_tty t;

	(void)state;
	assert_int_equal(runapi_tty_parse("command=ls&size=basic", &t), 0);
	assert_int_equal(t.on, 0);
	assert_int_equal(runapi_tty_parse("tty=1&command=ls", &t), 0);
	assert_int_equal(t.on, 1);
	assert_int_equal(t.rows, 24);
	assert_int_equal(t.cols, 80);
	assert_string_equal(t.term, "xterm");
	assert_int_equal(runapi_tty_parse("tty=1&rows=50&cols=4096&"
	    "term=xterm-256color&command=ls", &t), 0);
	assert_int_equal(t.rows, 50);
	assert_int_equal(t.cols, 4096);
	assert_string_equal(t.term, "xterm-256color");
	assert_int_equal(runapi_tty_parse("tty=1&term=screen.xterm%2B1", &t),
	    0);
	assert_string_equal(t.term, "screen.xterm+1");
}

static void
test_tty_rejects(void **state)
{
	static const char *const bad[] = {
		"tty=yes",
		"tty=1&rows=0",
		"tty=1&rows=4097",
		"tty=1&cols=-3",
		"tty=1&cols=80x",
		"tty=1&term=",
		"tty=1&term=x%20y",
		"tty=1&term=%1b%5b2J",
		"tty=1&term=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaa",
	};
	struct runapi_tty t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (runapi_tty_parse(bad[i], &t) != -EINVAL)
			fail_msg("case %zu accepted", i);
}

static void
test_frame(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(runapi_frame('x', "\0\0\0\202", 4, out), 9);
	assert_memory_equal(out, "x\0\0\0\4\0\0\0\202", 9);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tty_defaults_and_values),
		cmocka_unit_test(test_tty_rejects),
		cmocka_unit_test(test_frame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
