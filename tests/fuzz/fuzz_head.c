/*
 * libFuzzer over the request-head path of paas-router, as conn.c runs
 * it: head_scan, the llhttp build we ship, head_check_request,
 * head_write_request, then the body (re-chunked); and the same bytes as
 * an app's response. Nothing may crash, and what is written upstream
 * must scan and parse again as a clean head (or be over our size
 * budget, because of the headers the router adds).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "head.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
body_cb(void *arg, const char *p, size_t len)
{
	struct buf *b = arg;

	buf_addf(b, "%zx\r\n", len);
	buf_add(b, p, len);
	buf_add(b, "\r\n", 2);
	return b->len > (1 << 20) ? -1 : 0;
}

static void
reparse(const struct buf *out)
{
	static struct head	h2;
	struct head_scan	s;
	struct hpar		p;
	size_t			headlen = 0, used;
	int			rc;

	head_scan_init(&s, 0);
	rc = head_scan(&s, out->p, out->len, &headlen);
	/* the headers we add may take a head over our own size budget */
	if (rc == 431)
		return;
	if (rc != HEAD_DONE)
		abort();
	hpar_init(&p, 0, NULL, NULL);
	hpar_next(&p, &h2);
	if (hpar_feed(&p, out->p, headlen, &used) < 0)
		abort();
}

static void
one(const char *p, size_t len, int response)
{
	static struct head	h;
	struct head_scan	s;
	struct hpar		hp;
	struct buf		out = BUF_INIT, body = BUF_INIT;
	struct head_fwd		fwd = { SLICE("127.0.0.1"), "http", 80, 1,
	    SLICE("0123456789abcdefghij") };
	size_t			headlen = 0, used = 0;

	head_scan_init(&s, response);
	if (head_scan(&s, p, len, &headlen) != HEAD_DONE)
		return;
	hpar_init(&hp, response, body_cb, &body);
	hpar_next(&hp, &h);
	if (hpar_feed(&hp, p, headlen, &used) < 0 || used != headlen)
		goto out;
	if (response) {
		if (head_check_response(&h) == 0)
			head_write_response(&h, HEAD_OUT_CHUNKED, &out);
	} else if (head_check_request(&h) == 0) {
		head_write_request(&h, &fwd, &out);
		reparse(&out);
	}
	if (hp.state == HPAR_BODY)
		(void)hpar_feed(&hp, p + headlen, len - headlen, &used);
out:
	buf_release(&out);
	buf_release(&body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one((const char *)data, size, 0);
	one((const char *)data, size, 1);
	return 0;
}
