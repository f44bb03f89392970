#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "shim_log.h"

struct lines {
	size_t	n;
	size_t	len[16];
	char	first[16][32];
};

static void
collect(void *arg, const char *line, size_t len)
{
	struct lines *l = arg;

	assert_true(l->n < 16);
	assert_true(len <= SHIM_LINE_MAX);
	l->len[l->n] = len;
	snprintf(l->first[l->n], sizeof(l->first[0]), "%.*s",
	    (int)(len < 31 ? len : 31), line);
	l->n++;
}

static void
test_lines_across_reads(void **state)
{
	static struct shim_linebuf lb;
	struct lines l;

	(void)state;
	memset(&l, 0, sizeof(l));
	shim_linebuf_feed(&lb, "hel", 3, collect, &l);
	assert_int_equal(l.n, 0);
	shim_linebuf_feed(&lb, "lo\nwor", 6, collect, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.first[0], "hello");
	shim_linebuf_feed(&lb, "ld\n\nlast", 8, collect, &l);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.first[1], "world");
	assert_int_equal(l.len[2], 0);
	shim_linebuf_flush(&lb, collect, &l);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.first[3], "last");
	shim_linebuf_flush(&lb, collect, &l);
	assert_int_equal(l.n, 4);
}

/* 25000 bytes then '\n': 10000 + 10000 + 5000; exactly 10000: one line */
static void
test_long_lines_split(void **state)
{
	static struct shim_linebuf lb;
	static char big[25001];
	struct lines l;

	(void)state;
	memset(&l, 0, sizeof(l));
	memset(big, 'x', 25000);
	big[25000] = '\n';
	shim_linebuf_feed(&lb, big, 25001, collect, &l);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.len[0], 10000);
	assert_int_equal(l.len[1], 10000);
	assert_int_equal(l.len[2], 5000);
	memset(&l, 0, sizeof(l));
	big[10000] = '\n';
	shim_linebuf_feed(&lb, big, 10001, collect, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.len[0], 10000);
	/* split across reads: 6000 + 6000 without newline, then '\n' */
	memset(&l, 0, sizeof(l));
	shim_linebuf_feed(&lb, big, 6000, collect, &l);
	shim_linebuf_feed(&lb, big, 6000, collect, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.len[0], 10000);
	shim_linebuf_feed(&lb, "\n", 1, collect, &l);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.len[1], 2000);
}

static void
test_format(void **state)
{
	struct timespec ts = { 1795626000, 123456789 };	/* 2026-11-25 17:00 */
	char out[128];
	size_t n;

	(void)state;
	n = shim_log_format(out, sizeof(out), &ts, "app", "web.1", "hi there",
	    8);
	assert_int_equal(n, strlen(out));
	assert_string_equal(out,
	    "2026-11-25T17:00:00.123456+00:00 app[web.1]: hi there\n");
	assert_int_equal(shim_log_format(out, 40, &ts, "app", "web.1",
	    "hi there", 8), 0);
}

static void
test_writer_appends_and_follows_rotation(void **state)
{
	char dir[] = "/tmp/paas-shimlog.XXXXXX", path[64], old[80];
	char text[1024];
	struct shim_logw w;
	ssize_t n;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/app.log", dir);
	snprintf(old, sizeof(old), "%s/app.log.1", dir);
	shim_logw_init(&w, path, "worker.2");
	shim_logw_line(&w, "app", "one", 3);
	assert_int_equal(rename(path, old), 0);
	w.checked = 0;	/* as if a second went by: check the path again */
	shim_logw_line(&w, "app", "two", 3);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	assert_true(n > 0);
	text[n] = '\0';
	assert_non_null(strstr(text, " app[worker.2]: two\n"));
	assert_null(strstr(text, "one"));
	fd = open(old, O_RDONLY);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	assert_non_null(strstr(text, " app[worker.2]: one\n"));
	assert_int_equal(w.dropped_total, 0);
	shim_logw_release(&w);
	unlink(path);
	unlink(old);
	rmdir(dir);
}

/* a log that cannot be written drops lines, counts them, then says so */
static void
test_writer_drops_and_notices(void **state)
{
	char dir[] = "/tmp/paas-shimlog.XXXXXX", path[64], text[1024];
	struct shim_logw w;
	ssize_t n;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub/app.log", dir);
	shim_logw_init(&w, path, "web.1");
	shim_logw_line(&w, "app", "lost1", 5);
	shim_logw_line(&w, "app", "lost2", 5);
	assert_int_equal(w.dropped, 2);
	assert_int_equal(w.dropped_total, 2);
	snprintf(text, sizeof(text), "%s/sub", dir);
	assert_int_equal(mkdir(text, 0755), 0);
	shim_logw_line(&w, "app", "kept", 4);
	assert_int_equal(w.dropped, 0);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	assert_non_null(strstr(text, " paas[web.1]: Error L10 (output buffer "
	    "overflow): 2 messages dropped\n"));
	assert_non_null(strstr(text, " app[web.1]: kept\n"));
	assert_true(strstr(text, "Error L10") < strstr(text, "kept"));
	shim_logw_release(&w);
	unlink(path);
	snprintf(text, sizeof(text), "%s/sub", dir);
	rmdir(text);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_across_reads),
		cmocka_unit_test(test_long_lines_split),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_writer_appends_and_follows_rotation),
		cmocka_unit_test(test_writer_drops_and_notices),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
