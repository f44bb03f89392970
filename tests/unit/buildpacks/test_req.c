#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "paas_static.h"
#include "req.h"

static struct req	r;

static int
parse(const char *head)
{
	return req_parse(head, strlen(head), &r);
}

static void
test_req_parses_a_get(void **state)
{
	const char	*h = "GET /a/b?x=1 HTTP/1.1\r\nHost: x\r\n"
	    "If-None-Match: \"abc\"\r\nAccept-Encoding: gzip, br\r\n\r\nNEXT";

	(void)state;
	assert_int_equal(parse(h), (int)strlen(h) - 4);
	assert_int_equal(r.method, REQ_GET);
	assert_true(slice_eq_cstr(r.target, "/a/b?x=1"));
	assert_int_equal(r.minor, 1);
	assert_int_equal(r.keepalive, 1);
	assert_int_equal(r.has_body, 0);
	assert_true(slice_eq_cstr(r.if_none_match, "\"abc\""));
	assert_null(r.if_modified_since.p);
	assert_true(slice_eq_cstr(r.accept_encoding, "gzip, br"));
}

static void
test_req_keepalive_rules(void **state)
{
	(void)state;
	assert_true(parse("HEAD / HTTP/1.0\r\n\r\n") > 0);
	assert_int_equal(r.method, REQ_HEAD);
	assert_int_equal(r.keepalive, 0);
	assert_true(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n") > 0);
	assert_int_equal(r.keepalive, 1);
	assert_true(parse("GET / HTTP/1.1\r\nHost: a\r\n"
	    "Connection: upgrade, close\r\n\r\n") > 0);
	assert_int_equal(r.keepalive, 0);
}

static void
test_req_needs_more(void **state)
{
	(void)state;
	assert_int_equal(parse(""), 0);
	assert_int_equal(parse("GET / HTTP/1.1"), 0);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\n"), 0);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\n\r"), 0);
}

static void
test_req_rejects_bad_heads(void **state)
{
	(void)state;
	assert_int_equal(parse("GET / HTTP/1.1\r\n\r\n"), -EINVAL);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
	    -EINVAL);
	assert_int_equal(parse("GET /  HTTP/1.1\r\nHost: a\r\n\r\n"), -EINVAL);
	assert_int_equal(parse("GET / HTTP/1.1\nHost: a\n\n"), 0);
	assert_int_equal(parse("GET / HTTP/1.1\rX\r\n\r\n"), -EINVAL);
	assert_int_equal(parse("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), -EINVAL);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), -EINVAL);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n"),
	    -EINVAL);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01\r\n\r\n"),
	    -EINVAL);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 1\r\nContent-Length: 1\r\n\r\n"), -EINVAL);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: -1\r\n\r\n"), -EINVAL);
	assert_int_equal(parse("GET / HTTP/2.0\r\nHost: a\r\n\r\n"),
	    -EPROTONOSUPPORT);
	assert_int_equal(parse("GET / HTTX/1.1\r\nHost: a\r\n\r\n"), -EINVAL);
}

static void
test_req_bodies_and_methods(void **state)
{
	(void)state;
	assert_true(parse("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 5\r\n\r\n") > 0);
	assert_int_equal(r.method, REQ_OTHER);
	assert_int_equal(r.has_body, 1);
	assert_true(parse("GET / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n") > 0);
	assert_int_equal(r.has_body, 1);
	assert_true(parse("GET / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 0\r\n\r\n") > 0);
	assert_int_equal(r.has_body, 0);
	/* methods are case-sensitive */
	assert_true(parse("get / HTTP/1.1\r\nHost: a\r\n\r\n") > 0);
	assert_int_equal(r.method, REQ_OTHER);
}

static void
test_req_header_count_limit(void **state)
{
	char	buf[STATIC_HEAD_MAX_BYTES * 2];
	size_t	len;
	int	i;

	(void)state;
	len = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\n");
	for (i = 0; i < STATIC_HEADERS_MAX; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
		    "X-%d: y\r\n", i);
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "\r\n");
	assert_int_equal(req_parse(buf, len, &r), -E2BIG);
}

static void
test_req_accepts_gzip(void **state)
{
	(void)state;
	assert_int_equal(req_accepts_gzip(SLICE("gzip")), 1);
	assert_int_equal(req_accepts_gzip(SLICE("br, GZIP;q=0.5")), 1);
	assert_int_equal(req_accepts_gzip(SLICE("x-gzip")), 1);
	assert_int_equal(req_accepts_gzip(SLICE("*")), 1);
	assert_int_equal(req_accepts_gzip(SLICE("gzip;q=0")), 0);
	assert_int_equal(req_accepts_gzip(SLICE("gzip; q=0.000, *")), 0);
	assert_int_equal(req_accepts_gzip(SLICE("*;q=0")), 0);
	assert_int_equal(req_accepts_gzip(SLICE("br, deflate")), 0);
	assert_int_equal(req_accepts_gzip(SLICE("gzipx")), 0);
	assert_int_equal(req_accepts_gzip(SLICE("")), 0);
	assert_int_equal(req_accepts_gzip(SLICE_NULL), 0);
}

/*
 * Random byte flips in a valid head: req_parse() never reads past len
 * (ASan builds check that), never claims more than it was given, and
 * every slice it returns lies inside the buffer.
 */
static void
test_req_survives_mutations(void **state)
{
	static const char	valid[] = "GET /a/b?c HTTP/1.1\r\nHost: x\r\n"
	    "If-None-Match: \"e\"\r\nAccept-Encoding: gzip\r\n"
	    "Connection: keep-alive\r\nContent-Length: 0\r\n\r\n";
	static const char	bytes[] = "\r\n :/\"\t\x01\x7f" "Az09,;=";
	char			*buf;
	size_t			 len = sizeof(valid) - 1, cut;
	unsigned		 seed = 777, i, k;
	int			 rc;

	(void)state;
	for (i = 0; i < 100000; i++) {
		seed = seed * 1103515245 + 12345;
		cut = 1 + (seed >> 8) % len;
		buf = malloc(cut);	/* exact size: ASan sees overreads */
		assert_non_null(buf);
		memcpy(buf, valid, cut);
		for (k = 0; k < 1 + i % 4; k++) {
			seed = seed * 1103515245 + 12345;
			buf[(seed >> 8) % cut] =
			    bytes[(seed >> 20) % (sizeof(bytes) - 1)];
		}
		rc = req_parse(buf, cut, &r);
		assert_true(rc <= (int)cut);
		if (rc > 0) {
			assert_true(r.target.p >= buf &&
			    r.target.p + r.target.len <= buf + cut);
			assert_true(r.if_none_match.p == NULL ||
			    (r.if_none_match.p >= buf && r.if_none_match.p +
			    r.if_none_match.len <= buf + cut));
		}
		free(buf);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_req_parses_a_get),
		cmocka_unit_test(test_req_keepalive_rules),
		cmocka_unit_test(test_req_needs_more),
		cmocka_unit_test(test_req_rejects_bad_heads),
		cmocka_unit_test(test_req_bodies_and_methods),
		cmocka_unit_test(test_req_header_count_limit),
		cmocka_unit_test(test_req_accepts_gzip),
		cmocka_unit_test(test_req_survives_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
