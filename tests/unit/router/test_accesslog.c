#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "accesslog.h"
#include "metrics.h"

static void
test_accesslog_info_line(void **state)
{
	struct accesslog_entry	e;
	char			out[1024];
	size_t			n;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.app = "hello";
	e.method = "GET";
	e.path = SLICE("/a\"b");
	e.host = SLICE("hello.localhost");
	e.request_id = SLICE("0123456789abcdefghij");
	e.fwd = SLICE("127.0.0.1");
	e.dyno = "web.1";
	e.connect_ms = 1;
	e.service_ms = 3;
	e.status = 200;
	e.bytes = 12;
	e.when.tv_sec = 1795626000;
	e.when.tv_nsec = 123456000;
	n = accesslog_format(&e, out, sizeof(out));
	assert_int_equal(n, strlen(out));
	assert_string_equal(out, "hello 2026-11-25T17:00:00.123456+00:00 "
	    "paas[router]: at=info method=GET path=\"/a\\\"b\" "
	    "host=hello.localhost request_id=0123456789abcdefghij "
	    "fwd=\"127.0.0.1\" dyno=web.1 connect=1ms service=3ms status=200 "
	    "bytes=12 protocol=http");
}

static void
test_accesslog_error_line(void **state)
{
	struct accesslog_entry	e;
	char			out[1024];

	(void)state;
	memset(&e, 0, sizeof(e));
	e.app = "hello";
	e.code = "H12";
	e.desc = "Request timeout";
	e.method = "POST";
	e.path = SLICE("/\n");
	e.status = 503;
	accesslog_format(&e, out, sizeof(out));
	assert_non_null(strstr(out, "paas[router]: at=error code=H12 "
	    "desc=\"Request timeout\" method=POST path=\"/\\x0a\" "));
	assert_non_null(strstr(out, " status=503 bytes=0 protocol=http"));
}

static void
test_accesslog_truncates(void **state)
{
	struct accesslog_entry	e;
	char			out[64];

	(void)state;
	memset(&e, 0, sizeof(e));
	e.app = "hello";
	e.path = SLICE("/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_int_equal(accesslog_format(&e, out, sizeof(out)), 63);
	assert_int_equal(strlen(out), 63);
}

static void
test_accesslog_drops_without_reader(void **state)
{
	struct accesslog	l;
	struct accesslog_entry	e;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.app = "a";
	assert_int_equal(accesslog_open(&l, "/nonexistent/log.sock"), 0);
	accesslog_send(&l, &e);
	accesslog_send(&l, &e);
	assert_int_equal(l.dropped, 2);
	assert_int_equal(l.sent, 0);
	accesslog_close(&l);
}

static void
test_metrics_render(void **state)
{
	static struct metrics	a, b;
	struct metrics		*w[2] = { &a, &b };
	struct buf		out = BUF_INIT;

	(void)state;
	metrics_request(&a, "shop", 200, 3);
	metrics_request(&b, "shop", 204, 3000);
	metrics_request(&b, "shop", 503, 1);
	metrics_request(&b, "blog", 404, 1);
	metrics_render(w, 2, &out);
	assert_non_null(strstr(out.p, "paas_router_requests_total{app=\"shop\","
	    "class=\"2xx\"} 2\n"));
	assert_non_null(strstr(out.p, "{app=\"shop\",class=\"5xx\"} 1\n"));
	assert_non_null(strstr(out.p, "{app=\"blog\",class=\"4xx\"} 1\n"));
	assert_null(strstr(out.p, "{app=\"shop\",class=\"2xx\"} 1\n"));
	assert_non_null(strstr(out.p, "duration_ms_bucket{le=\"1\"} 2\n"));
	assert_non_null(strstr(out.p, "duration_ms_bucket{le=\"+Inf\"} 4\n"));
	assert_non_null(strstr(out.p, "duration_ms_count 4\n"));
	buf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accesslog_info_line),
		cmocka_unit_test(test_accesslog_error_line),
		cmocka_unit_test(test_accesslog_truncates),
		cmocka_unit_test(test_accesslog_drops_without_reader),
		cmocka_unit_test(test_metrics_render),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
