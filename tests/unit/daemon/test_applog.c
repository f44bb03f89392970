#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "api.h"
#include "applog.h"

static const struct timespec ts = { 1795626000, 123456789 };

static void
test_format_heroku_line(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	applog_format(&b, &ts, "app", "web.1", "hello\n", 6);
	assert_string_equal(b.p,
	    "2026-11-25T17:00:00.123456+00:00 app[web.1]: hello\n");
	buf_reset(&b);
	applog_format(&b, &ts, "paas", "api", "a\x01" "b\tc", 5);
	assert_non_null(strstr(b.p, "paas[api]: a?b\tc\n"));
	buf_reset(&b);
	applog_format(&b, &ts, "app", "web.1", "", 0);
	assert_non_null(strstr(b.p, "app[web.1]: \n"));
	buf_release(&b);
}

static void
test_format_splits_long_lines(void **state)
{
	struct buf	 b = BUF_INIT;
	size_t		 len = 25000, lines = 0, i;
	char		*msg = malloc(len);

	(void)state;
	memset(msg, 'x', len);
	applog_format(&b, &ts, "app", "web.1", msg, len);
	for (i = 0; i < b.len; i++)
		lines += b.p[i] == '\n';
	assert_int_equal(lines, 3);
	/* the first chunk carries exactly the limit */
	assert_non_null(strstr(b.p, "app[web.1]: "));
	assert_int_equal(strchr(b.p, '\n') - (strstr(b.p, ": ") + 2),
	    APPLOG_LINE_MAX_BYTES);
	free(msg);
	buf_release(&b);
}

static void
test_match_sources_and_dynos(void **state)
{
	static const char app[] = "T app[web.1]: x";
	static const char rt[] = "T paas[router]: at=info";
	static const char pf[] = "T paas[web.2]: State changed";
	struct applog_filter f = { NULL, NULL };

	(void)state;
	assert_true(applog_match(app, strlen(app), &f));
	assert_true(applog_match(app, strlen(app), NULL));
	f.source = "app";
	assert_true(applog_match(app, strlen(app), &f));
	assert_false(applog_match(rt, strlen(rt), &f));
	f.source = "router";
	assert_true(applog_match(rt, strlen(rt), &f));
	assert_false(applog_match(pf, strlen(pf), &f));
	f.source = "paas";
	assert_true(applog_match(pf, strlen(pf), &f));
	assert_false(applog_match(rt, strlen(rt), &f));
	f.source = NULL;
	f.dyno = "web.1";
	assert_true(applog_match(app, strlen(app), &f));
	assert_false(applog_match(pf, strlen(pf), &f));
	f.dyno = "web";
	assert_false(applog_match(app, strlen(app), &f));
	assert_false(applog_match("garbage", 7, &f));
}

static void
test_keep_last(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_adds(&b, "1\n2\n3\n4\n");
	applog_keep_last(&b, 2);
	assert_string_equal(b.p, "3\n4\n");
	applog_keep_last(&b, 5);
	assert_string_equal(b.p, "3\n4\n");
	buf_release(&b);
}

static void
test_query_get(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(api_query_get("lines=5&tail=1", "tail", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "1");
	assert_int_equal(api_query_get("dyno=web%2E1", "dyno", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "web.1");
	assert_int_equal(api_query_get("taillines=1", "lines", out,
	    sizeof(out)), -ENOENT);
	assert_int_equal(api_query_get("", "lines", out, sizeof(out)),
	    -ENOENT);
	assert_int_equal(api_query_get("x=%00", "x", out, sizeof(out)),
	    -EINVAL);
	assert_int_equal(api_query_get("x=%4", "x", out, sizeof(out)),
	    -EINVAL);
	assert_int_equal(api_query_get("x=0123456789abcdefXYZ", "x", out,
	    sizeof(out)), -EINVAL);
}

static void
test_append_rotate_read(void **state)
{
	char		 dir[64], path[128];
	struct applog	*al;
	struct buf	 out = BUF_INIT, line = BUF_INIT;
	struct stat	 sb;
	struct applog_filter f = { "app", NULL };
	int		 i;
	uv_loop_t	 loop;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/paas-test-applog-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/logs", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	uv_loop_init(&loop);
	assert_int_equal(applog_new(dir, &loop, &al), 0);
	assert_int_equal(applog_app_init(al, "hello"), 0);
	applog_event(al, "hello", "api", "Release v%d created", 2);
	/* enough app lines to rotate once */
	for (i = 0; i < 2000; i++) {
		char msg[10000];

		memset(msg, 'a' + i % 26, sizeof(msg));
		buf_reset(&line);
		applog_format(&line, &ts, "app", "web.1", msg, sizeof(msg));
		applog_append(al, "hello", line.p, line.len);
	}
	snprintf(path, sizeof(path), "%s/logs/hello/log.1", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(sb.st_size >= APPLOG_ROTATE_BYTES);
	assert_int_equal(applog_read(al, "hello", 1500, &f, &out, NULL), 0);
	{
		size_t n = 0, k;

		for (k = 0; k < out.len; k++)
			n += out.p[k] == '\n';
		assert_int_equal(n, 1500);
	}
	/* the newest line is last */
	assert_int_equal(out.p[out.len - 2], 'a' + 1999 % 26);
	applog_app_remove(al, "hello");
	snprintf(path, sizeof(path), "%s/logs/hello", dir);
	assert_int_equal(stat(path, &sb), -1);
	applog_free(al);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	snprintf(path, sizeof(path), "%s/logs", dir);
	rmdir(path);
	rmdir(dir);
	buf_release(&out);
	buf_release(&line);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_heroku_line),
		cmocka_unit_test(test_format_splits_long_lines),
		cmocka_unit_test(test_match_sources_and_dynos),
		cmocka_unit_test(test_keep_last),
		cmocka_unit_test(test_query_get),
		cmocka_unit_test(test_append_rotate_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
