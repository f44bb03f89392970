#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "head.h"

/*
 * The request path as conn.c runs it: scan, parse the head with the
 * llhttp build we ship, check, then the body. Returns 0 or the status
 * the router answers with (400, 413, 414, 431, 417).
 */
struct body_out {
	struct buf	b;
};

static int
body_cb(void *arg, const char *p, size_t len)
{
	buf_add(&((struct body_out *)arg)->b, p, len);
	return 0;
}

static struct head	H;
static struct hpar	P;
static struct body_out	BO = { BUF_INIT };

static int
run(const char *raw, size_t len, int response)
{
	struct head_scan	s;
	size_t			headlen = 0, used = 0;
	int			rc;

	buf_reset(&BO.b);
	head_scan_init(&s, response);
	rc = head_scan(&s, raw, len, &headlen);
	if (rc == HEAD_MORE)
		return -1;
	if (rc != HEAD_DONE)
		return rc;
	hpar_init(&P, response, body_cb, &BO);
	hpar_next(&P, &H);
	rc = hpar_feed(&P, raw, headlen, &used);
	if (rc < 0 || (rc == 0 && used != headlen))
		return response ? 502 : 400;
	rc = response ? (head_check_response(&H) ? 502 : 0) :
	    head_check_request(&H);
	if (rc != 0)
		return rc;
	if (P.state == HPAR_DONE)
		return 0;
	rc = hpar_feed(&P, raw + headlen, len - headlen, &used);
	if (rc < 0)
		return response ? 502 : 400;
	return 0;
}

static int
req(const char *raw)
{
	return run(raw, strlen(raw), 0);
}

static void
test_head_accepts_plain_requests(void **state)
{
	(void)state;
	assert_int_equal(req("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n"), 0);
	assert_int_equal(H.nf, 1);
	assert_true(slice_eq(H.host, SLICE("a.test")));
	assert_true(slice_eq(H.path, SLICE("/")));
	assert_int_equal(req("GET /x?y HTTP/1.0\r\nHost: a.test:81\r\n"
	    "Connection: keep-alive\r\n\r\n"), 0);
	assert_true(H.flags & HEAD_CONN_KEEPALIVE);
	assert_int_equal(req("POST /u HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 5\r\n\r\nhello"), 0);
	assert_int_equal(H.content_length, 5);
	assert_string_equal(BO.b.p, "hello");
	assert_int_equal(req("POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"), 0);
	assert_true(H.flags & HEAD_CHUNKED);
	assert_string_equal(BO.b.p, "hello world");
	assert_int_equal(P.state, HPAR_DONE);
	assert_int_equal(req("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), 0);
	assert_int_equal(req("GET http://A.test:80/p HTTP/1.1\r\n"
	    "Host: a.test\r\n\r\n"), 0);
	assert_true(slice_eq(H.path, SLICE("/p")));
}

/* Each request smuggling vector, fed to the parser build we ship. */
static const struct {
	const char	*name;
	const char	*raw;
	int		 status;
} vectors[] = {
	{ "CL and TE", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400 },
	{ "TE and CL", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
	    "chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n", 400 },
	{ "two CL", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
	    "Content-Length: 4\r\n\r\nabcd", 400 },
	{ "two different CL", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcd", 400 },
	{ "CL list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4, 4\r\n"
	    "\r\nabcd", 400 },
	{ "CL sign", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +4\r\n"
	    "\r\nabcd", 400 },
	{ "TE not chunked", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: gzip\r\n\r\n", 400 },
	{ "TE chunked not last", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: chunked, gzip\r\n\r\n", 400 },
	{ "TE twice", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
	    "chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400 },
	{ "TE xchunked", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: xchunked\r\n\r\n", 400 },
	{ "TE in HTTP/1.0", "POST / HTTP/1.0\r\nHost: a\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400 },
	{ "bad chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
	    "chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400 },
	{ "chunk size overflow", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"
	    "fffffffffffffffff1\r\nx\r\n", 400 },
	{ "chunk size LF only", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", 400 },
	{ "obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n 2\r\n\r\n",
	    400 },
	{ "obs-fold tab on TE", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding:\r\n\tchunked\r\n\r\n0\r\n\r\n", 400 },
	{ "empty name", "GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n", 400 },
	{ "space in name", "GET / HTTP/1.1\r\nHost: a\r\nX A: v\r\n\r\n", 400 },
	{ "space before colon", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400 },
	{ "bare LF", "GET / HTTP/1.1\nHost: a\n\n", 400 },
	{ "bare LF in field", "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", 400 },
	{ "bare CR", "GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", 400 },
	{ "HTTP/0.9", "GET /\r\n\r\n", 400 },
	{ "HTTP/2.0 line", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 400 },
	{ "HTTP/1.2", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 400 },
	{ "two spaces", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "no Host", "GET / HTTP/1.1\r\nX: y\r\n\r\n", 400 },
	{ "two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
	{ "empty Host", "GET / HTTP/1.1\r\nHost: \r\n\r\n", 400 },
	{ "absolute-form other host", "GET http://evil.test/ HTTP/1.1\r\n"
	    "Host: a.test\r\n\r\n", 400 },
	{ "absolute-form userinfo", "GET http://a.test@evil.test/ HTTP/1.1\r\n"
	    "Host: a.test\r\n\r\n", 400 },
	{ "CONNECT", "CONNECT a.test:443 HTTP/1.1\r\nHost: a.test\r\n\r\n",
	    400 },
	{ "relative target", "GET x HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "NUL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", 400 },
	{ "Expect other", "GET / HTTP/1.1\r\nHost: a\r\nExpect: x\r\n\r\n",
	    417 },
	{ "leading empty line", "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
};

static void
test_head_smuggling_vectors(void **state)
{
	size_t	 i;
	int	 rc;

	(void)state;
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const char	*raw = vectors[i].raw;
		size_t		 len = strlen(raw);

		if (strcmp(vectors[i].name, "NUL in value") == 0)
			len = 40;
		rc = run(raw, len, 0);
		if (rc != vectors[i].status)
			fail_msg("vector '%s': got %d, want %d",
			    vectors[i].name, rc, vectors[i].status);
	}
}

/* head_scan() over raw, fed whole or growing by step bytes a call */
static int
scan_steps(const char *raw, size_t len, size_t step, size_t *headlen)
{
	struct head_scan	s;
	size_t			n = 0;
	int			rc = HEAD_MORE;

	head_scan_init(&s, 0);
	while (rc == HEAD_MORE && n < len) {
		n = n + step < len ? n + step : len;
		rc = head_scan(&s, raw, n, headlen);
	}
	return rc;
}

/*
 * Lines are checked whole at memchr speed when they can be, else byte
 * by byte: however the bytes arrive (every split, a byte at a time),
 * the answer and the head's length are those of the whole.
 */
static void
test_head_scan_splits(void **state)
{
	static const char *const heads[] = {
		"GET / HTTP/1.1\r\nHost: a\r\nX-Y: z\r\n\r\nbody",
		"GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\n x: folded\r\n\r\n",
		"GET / HTTP/1.1\r\nBad Name: a\r\n\r\n",
		"GET / HTTP/1.1\r\n: empty\r\n\r\n",
		"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
		"\r\nGET / HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\r\nHost: a\r\n\r\n",
	};
	struct buf	 b = BUF_INIT;
	size_t		 i, step, whole_len, len;
	int		 whole, rc;

	(void)state;
	for (i = 0; i <= sizeof(heads) / sizeof(heads[0]); i++) {
		buf_reset(&b);
		if (i < sizeof(heads) / sizeof(heads[0])) {
			buf_adds(&b, heads[i]);
		} else {
			/* a request line exactly at the limit, then one over */
			buf_adds(&b, "GET /");
			while (b.len < ROUTER_REQUEST_LINE_MAX_BYTES - 9)
				buf_addch(&b, 'a');
			buf_adds(&b, " HTTP/1.1\r\nHost: a\r\n\r\n");
		}
		whole_len = 0;
		whole = scan_steps(b.p, b.len, b.len, &whole_len);
		for (step = 1; step < 64 && step < b.len; step++) {
			len = 0;
			rc = scan_steps(b.p, b.len, step, &len);
			if (rc != whole || len != whole_len)
				fail_msg("head %zu step %zu: got %d/%zu, whole "
				    "%d/%zu", i, step, rc, len, whole, whole_len);
		}
		if (i == 0)
			assert_int_equal(whole, HEAD_DONE);
		else if (i == sizeof(heads) / sizeof(heads[0]))
			assert_int_equal(whole, HEAD_DONE);
		else
			assert_int_equal(whole, 400);
	}
	/* one byte more on that request line: 414 */
	buf_reset(&b);
	buf_adds(&b, "GET /");
	while (b.len < ROUTER_REQUEST_LINE_MAX_BYTES - 8)
		buf_addch(&b, 'a');
	buf_adds(&b, " HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(scan_steps(b.p, b.len, b.len, &len), 414);
	assert_int_equal(scan_steps(b.p, b.len, 7, &len), 414);
	buf_release(&b);
}

static void
test_head_limits(void **state)
{
	struct buf	b = BUF_INIT;
	int		i;

	(void)state;
	buf_adds(&b, "GET /");
	for (i = 0; i < 8200; i++)
		buf_addch(&b, 'a');
	buf_adds(&b, " HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(run(b.p, b.len, 0), 414);
	/* an endless request line is refused before it ends */
	assert_int_equal(run(b.p, 8300, 0), 414);
	buf_reset(&b);
	buf_adds(&b, "GET / HTTP/1.1\r\nHost: a\r\nX: ");
	for (i = 0; i < 8200; i++)
		buf_addch(&b, 'v');
	buf_adds(&b, "\r\n\r\n");
	assert_int_equal(run(b.p, b.len, 0), 431);
	buf_reset(&b);
	buf_adds(&b, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (i = 0; i < 1001; i++)
		buf_addch(&b, 'n');
	buf_adds(&b, ": v\r\n\r\n");
	assert_int_equal(run(b.p, b.len, 0), 431);
	buf_reset(&b);
	buf_adds(&b, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (i = 0; i < 100; i++)
		buf_addf(&b, "X-%d: v\r\n", i);
	buf_adds(&b, "\r\n");
	assert_int_equal(run(b.p, b.len, 0), 431);
	buf_reset(&b);
	buf_adds(&b, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (i = 0; i < 98; i++)
		buf_addf(&b, "X-%d: v\r\n", i);
	buf_adds(&b, "\r\n");
	assert_int_equal(run(b.p, b.len, 0), 0);
	buf_reset(&b);
	buf_adds(&b, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (i = 0; i < 3; i++) {
		int j;

		buf_addf(&b, "X-%d: ", i);
		for (j = 0; j < 6000; j++)
			buf_addch(&b, 'v');
		buf_adds(&b, "\r\n");
	}
	buf_adds(&b, "\r\n");
	assert_int_equal(run(b.p, b.len, 0), 431);	/* over 16 KiB */
	/* chunk extensions over 4 KiB */
	buf_reset(&b);
	buf_adds(&b, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n1;a=");
	for (i = 0; i < 20000; i++)
		buf_addch(&b, 'e');
	buf_adds(&b, "\r\nx\r\n0\r\n\r\n");
	assert_int_equal(run(b.p, b.len, 0), 400);
	buf_release(&b);
}

static void
test_head_scan_incremental(void **state)
{
	const char		*raw = "GET / HTTP/1.1\r\nHost: a\r\n\r\nNEXT";
	struct head_scan	 s;
	size_t			 i, headlen = 0;
	int			 rc = HEAD_MORE;

	(void)state;
	head_scan_init(&s, 0);
	for (i = 1; i <= strlen(raw) && rc == HEAD_MORE; i++)
		rc = head_scan(&s, raw, i, &headlen);
	assert_int_equal(rc, HEAD_DONE);
	assert_int_equal(headlen, strlen(raw) - 4);
}

static void
test_head_request_id(void **state)
{
	char	id[37];
	uint8_t	rnd[16];

	(void)state;
	assert_true(head_request_id_valid(SLICE("abcdefghij0123456789")));
	assert_true(head_request_id_valid(SLICE("a+b/c=d-e0123456789ABC")));
	assert_false(head_request_id_valid(SLICE("abcdefghij012345678")));
	assert_false(head_request_id_valid(SLICE("abcdefghij0123456789_")));
	assert_false(head_request_id_valid(SLICE("abcdefghij 0123456789")));
	memset(rnd, 0xab, sizeof(rnd));
	head_request_id_make(id, rnd);
	assert_int_equal(strlen(id), 36);
	assert_int_equal(id[14], '4');
	assert_true(head_request_id_valid(slice_cstr(id)));
}

static void
test_head_rewrite_request(void **state)
{
	struct head_fwd	 fwd = { SLICE("10.0.0.9"), "http", 80, 1234,
	    SLICE("rid-0123456789abcdefghij") };
	struct buf	 out = BUF_INIT;

	(void)state;
	assert_int_equal(req("POST /p?q HTTP/1.1\r\nHost: a.test\r\n"
	    "Connection: keep-alive, X-Secret\r\nX-Secret: s\r\n"
	    "Keep-Alive: 5\r\nTE: trailers\r\nProxy-Connection: x\r\n"
	    "X_Under: u\r\nX-Forwarded-For: 1.1.1.1\r\n"
	    "X-Forwarded-Proto: https\r\nX-Forwarded-Host: evil\r\n"
	    "Forwarded: for=1\r\nX-Request-Start: 1\r\nVia: 1.0 a\r\n"
	    "X-Request-Id: short\r\nUpgrade: h2c\r\nAccept: */*\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 0);
	head_write_request(&H, &fwd, &out);
	assert_string_equal(out.p, "POST /p?q HTTP/1.1\r\nHost: a.test\r\n"
	    "Accept: */*\r\nX-Forwarded-For: 1.1.1.1, 10.0.0.9\r\n"
	    "X-Forwarded-Proto: http\r\nX-Forwarded-Port: 80\r\n"
	    "X-Request-Start: 1234\r\n"
	    "X-Request-Id: rid-0123456789abcdefghij\r\n"
	    "Via: 1.0 a, 1.1 paas-router\r\nTransfer-Encoding: chunked\r\n\r\n");
	buf_release(&out);
}

static void
test_head_rewrite_upgrade_and_absolute(void **state)
{
	struct head_fwd	 fwd = { SLICE("::1"), "http", 8080, 1,
	    SLICE("0123456789abcdefghij") };
	struct buf	 out = BUF_INIT;

	(void)state;
	assert_int_equal(req("GET http://a.test/ws HTTP/1.1\r\nHost: a.test\r\n"
	    "Connection: Upgrade\r\nUpgrade: websocket\r\n"
	    "Content-Length: 0\r\n\r\n"), 0);
	assert_true(H.flags & HEAD_UPGRADE);
	head_write_request(&H, &fwd, &out);
	assert_string_equal(out.p, "GET /ws HTTP/1.1\r\nHost: a.test\r\n"
	    "X-Forwarded-For: ::1\r\nX-Forwarded-Proto: http\r\n"
	    "X-Forwarded-Port: 8080\r\nX-Request-Start: 1\r\n"
	    "X-Request-Id: 0123456789abcdefghij\r\nVia: 1.1 paas-router\r\n"
	    "Content-Length: 0\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
	    "\r\n");
	buf_release(&out);
}

static void
test_head_hop_by_hop(void **state)
{
	(void)state;
	assert_int_equal(req("GET / HTTP/1.1\r\nHost: a\r\n"
	    "Connection: close, X-Hop\r\n\r\n"), 0);
	assert_true(head_is_hop(&H, SLICE("x-hop")));
	assert_true(head_is_hop(&H, SLICE("Keep-Alive")));
	assert_true(head_is_hop(&H, SLICE("Transfer-Encoding")));
	assert_true(head_is_hop(&H, SLICE("proxy-authorization")));
	assert_false(head_is_hop(&H, SLICE("X-Other")));
	assert_false(head_is_hop(&H, SLICE("Host")));
	assert_true(H.flags & HEAD_CONN_CLOSE);
}

static void
test_head_response(void **state)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nConnection: keep-alive, "
	    "X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nSet-Cookie: a=b\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
	struct buf out = BUF_INIT;

	(void)state;
	assert_int_equal(run(ok, strlen(ok), 1), 0);
	assert_string_equal(BO.b.p, "abc");
	head_write_response(&H, HEAD_OUT_CHUNKED, &out);
	assert_string_equal(out.p, "HTTP/1.1 200 OK\r\nSet-Cookie: a=b\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n");
	buf_reset(&out);
	assert_int_equal(run("HTTP/1.0 404 Nope\r\nContent-Length: 2\r\n\r\nab",
	    41, 1), 0);
	head_write_response(&H, HEAD_OUT_CLOSE, &out);
	assert_string_equal(out.p, "HTTP/1.1 404 Nope\r\nContent-Length: 2\r\n"
	    "Connection: close\r\n\r\n");
	buf_release(&out);
}

/*
 * One response parser serves a client connection across upstream
 * connections: after a response that closes its connection (HTTP/1.0
 * without keep-alive, python's http.server) the next one, from a new
 * connection, must parse.
 */
static void
test_hpar_next_after_closing_response(void **state)
{
	static const char *const closing[] = {
		"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nv0\n",
		"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3"
		    "\r\n\r\nv0\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nv0\n",
	};
	size_t	i, k, used;

	(void)state;
	for (i = 0; i < sizeof(closing) / sizeof(closing[0]); i++) {
		hpar_init(&P, 1, body_cb, &BO);
		for (k = 0; k < 3; k++) {
			buf_reset(&BO.b);
			hpar_next(&P, &H);
			assert_int_equal(hpar_feed(&P, closing[i],
			    strlen(closing[i]), &used), HPAR_DONE_RC);
			assert_int_equal(used, strlen(closing[i]));
			assert_int_equal(H.status, 200);
			assert_string_equal(BO.b.p, "v0\n");
			assert_int_equal(hpar_keepalive(&P), i == 2);
		}
	}
}

static void
test_head_bad_responses(void **state)
{
	static const char *bad[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n"),
		"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
		"HTTP/1.1 200 OK\nContent-Length: 0\n\n",
		"HTTP/2.0 200 OK\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"garbage\r\n\r\n",
		"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (run(bad[i], strlen(bad[i]), 1) == 0)
			fail_msg("response %zu accepted", i);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head_accepts_plain_requests),
		cmocka_unit_test(test_head_smuggling_vectors),
		cmocka_unit_test(test_head_scan_splits),
		cmocka_unit_test(test_head_limits),
		cmocka_unit_test(test_head_scan_incremental),
		cmocka_unit_test(test_head_request_id),
		cmocka_unit_test(test_head_rewrite_request),
		cmocka_unit_test(test_head_rewrite_upgrade_and_absolute),
		cmocka_unit_test(test_head_hop_by_hop),
		cmocka_unit_test(test_head_response),
		cmocka_unit_test(test_head_bad_responses),
		cmocka_unit_test(test_hpar_next_after_closing_response),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	buf_release(&BO.b);
	return rc;
}
