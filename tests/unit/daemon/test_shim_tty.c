/* The pty input frames of `paas run`, decoded in any pieces. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "shim_tty.h"

struct seen {
	struct buf	data;
	unsigned	rows[4], cols[4];
	int		nsizes;
};

static void
on_data(void *arg, const char *p, size_t n)
{
	struct seen *s = arg;

	assert_true(n > 0);
	buf_add(&s->data, p, n);
}

static void
on_size(void *arg, unsigned rows, unsigned cols)
{
	struct seen *s = arg;

	assert_true(s->nsizes < 4);
	s->rows[s->nsizes] = rows;
	s->cols[s->nsizes++] = cols;
}

/* "ab", a size 300x1025, an empty frame, an unknown 'z' one, "\x03" */
static const char stream[] =
    "0\0\0\0\2ab" "w\0\0\0\4\1\x2c\4\1" "0\0\0\0\0" "z\0\0\0\3xyz"
    "0\0\0\0\1\3";

static void
check(const struct seen *s)
{
	assert_int_equal(s->data.len, 3);
	assert_memory_equal(s->data.p, "ab\3", 3);
	assert_int_equal(s->nsizes, 1);
	assert_int_equal(s->rows[0], 300);
	assert_int_equal(s->cols[0], 1025);
}

static void
test_whole_and_bytewise(void **state)
{
	struct shim_tty_dec d;
	struct seen s;
	size_t i, step;

	(void)state;
	for (step = 1; step <= sizeof(stream); step++) {
		memset(&s, 0, sizeof(s));
		buf_init(&s.data);
		shim_tty_dec_init(&d, on_data, on_size, &s);
		for (i = 0; i < sizeof(stream) - 1; i += step)
			assert_int_equal(shim_tty_feed(&d, stream + i,
			    sizeof(stream) - 1 - i < step ?
			    sizeof(stream) - 1 - i : step), 0);
		check(&s);
		buf_release(&s.data);
	}
}

static void
test_broken_frames(void **state)
{
	static const char *const bad[] = {
		"w\0\0\0\3abc",		/* a size is 4 bytes */
		"w\0\0\0\5abcde",
		"0\0\x10\0\1",		/* over SHIM_TTY_FRAME_MAX */
		"z\xff\xff\xff\xff",
	};
	struct shim_tty_dec d;
	struct seen s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&s, 0, sizeof(s));
		buf_init(&s.data);
		shim_tty_dec_init(&d, on_data, on_size, &s);
		assert_int_equal(shim_tty_feed(&d, bad[i], 5), -EPROTO);
		assert_int_equal(s.nsizes, 0);
		buf_release(&s.data);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_and_bytewise),
		cmocka_unit_test(test_broken_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
