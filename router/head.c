#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "head.h"
#include "parse.h"
#include "route.h"

enum hf_kind {
	HF_OTHER, HF_HOST, HF_CL, HF_TE, HF_CONNECTION, HF_HOP, HF_UPGRADE,
	HF_EXPECT, HF_XRID, HF_XFF, HF_UNTRUSTED, HF_VIA,
};

/*
 * The names the router acts on, by length: a name is compared with at
 * most two candidates of its own length.
 */
#define HF_LEN_MAX	19

static const struct {
	const char	*name;		/* lowercase */
	enum hf_kind	 kind;
} hf_by_len[HF_LEN_MAX + 1][2] = {
	[2] = { { "te", HF_HOP } },
	[3] = { { "via", HF_VIA } },
	[4] = { { "host", HF_HOST } },
	[6] = { { "expect", HF_EXPECT } },
	[7] = { { "trailer", HF_HOP }, { "upgrade", HF_UPGRADE } },
	[8] = { { "trailers", HF_HOP } },
	[9] = { { "forwarded", HF_UNTRUSTED } },
	[10] = { { "connection", HF_CONNECTION }, { "keep-alive", HF_HOP } },
	[12] = { { "x-request-id", HF_XRID } },
	[14] = { { "content-length", HF_CL } },
	[15] = { { "x-forwarded-for", HF_XFF },
		 { "x-request-start", HF_UNTRUSTED } },
	[16] = { { "proxy-connection", HF_HOP } },
	[17] = { { "transfer-encoding", HF_TE } },
	[18] = { { "proxy-authenticate", HF_HOP } },
	[19] = { { "proxy-authorization", HF_HOP } },
};

/* ASCII case-insensitive: lit is lowercase, both n bytes long */
static int
name_is(const char *p, const char *lit, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]) != lit[i])
			return 0;
	return 1;
}

static unsigned
hf_kind_of(struct slice n)
{
	size_t i;

	if (n.len <= HF_LEN_MAX)
		for (i = 0; i < 2 && hf_by_len[n.len][i].name != NULL; i++)
			if (name_is(n.p, hf_by_len[n.len][i].name, n.len))
				return hf_by_len[n.len][i].kind;
	if (n.len > 12 && name_is(n.p, "x-forwarded-", 12))
		return HF_UNTRUSTED;
	return HF_OTHER;
}

/* tchar of RFC 9110 */
static const unsigned char tchar[256] = {
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
	['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1,
	['`'] = 1, ['|'] = 1, ['~'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

static int
is_tchar(int c)
{
	return tchar[(unsigned char)c];
}

void
head_scan_init(struct head_scan *s, int response)
{
	memset(s, 0, sizeof(*s));
	s->response = response;
}

static int
scan_first_line(const struct head_scan *s, const char *p, size_t n)
{
	size_t	 i, spaces = 0;

	if (s->response) {
		if (n < 12 || (memcmp(p, "HTTP/1.1 ", 9) != 0 &&
		    memcmp(p, "HTTP/1.0 ", 9) != 0))
			return 502;
		return 0;
	}
	for (i = 0; i < n; i++)
		spaces += p[i] == ' ';
	if (spaces != 2 || n < 9 || (memcmp(p + n - 9, " HTTP/1.1", 9) != 0 &&
	    memcmp(p + n - 9, " HTTP/1.0", 9) != 0))
		return 400;
	return 0;
}

static int
scan_field_line(const struct head_scan *s, const char *p, size_t n)
{
	int	 bad = s->response ? 502 : 400;
	size_t	 i;

	if (p[0] == ' ' || p[0] == '\t')
		return bad;			/* obs-fold */
	for (i = 0; i < n && p[i] != ':'; i++)
		if (!is_tchar((unsigned char)p[i]))
			return bad;		/* space in a name, etc. */
	if (i == n || i == 0)
		return bad;			/* no colon, empty name */
	if (i > ROUTER_HEADER_NAME_MAX_BYTES)
		return s->response ? 502 : 431;
	if (s->nlines > ROUTER_HEADERS_MAX)
		return s->response ? 502 : 431;
	return 0;
}

static size_t
line_max(const struct head_scan *s)
{
	if (s->response)
		return ROUTER_RESP_LINE_MAX_BYTES;
	return s->nlines == 0 ? ROUTER_REQUEST_LINE_MAX_BYTES :
	    ROUTER_HEADER_LINE_MAX_BYTES;
}

static int
too_long(const struct head_scan *s)
{
	if (s->response)
		return 502;
	return s->nlines == 0 ? 414 : 431;
}

int
head_scan(struct head_scan *s, const char *p, size_t len, size_t *headlen)
{
	const char	*nl;
	size_t		 i, n;
	int		 rc;

	/*
	 * Fast path, whole lines: a CRLF-terminated, non-empty line of
	 * allowed length with no other CR is checked here at memchr speed.
	 * Anything else (a partial line, the empty line, any anomaly) goes
	 * to the byte loop below, which finds and names the error.
	 */
	for (i = s->pos; i < len; i = s->line) {
		nl = memchr(p + i, '\n', len - i);
		if (nl == NULL)
			break;
		n = (size_t)(nl - p);
		if (n < s->line + 2 || p[n - 1] != '\r' ||
		    n - 1 - s->line > line_max(s) ||
		    memchr(p + i, '\r', n - 1 - i) != NULL)
			break;
		rc = s->nlines == 0 ? scan_first_line(s, p + s->line,
		    n - 1 - s->line) : scan_field_line(s, p + s->line,
		    n - 1 - s->line);
		if (rc != 0)
			return rc;
		s->nlines++;
		s->line = n + 1;
	}
	for (; i < len; i++) {
		if (p[i] == '\r') {
			if (i + 1 == len)
				break;
			if (p[i + 1] != '\n')
				return s->response ? 502 : 400;	/* bare CR */
			continue;
		}
		if (p[i] != '\n') {
			if (i - s->line >= line_max(s))
				return too_long(s);
			continue;
		}
		if (i == s->line || p[i - 1] != '\r')
			return s->response ? 502 : 400;		/* bare LF */
		n = i - 1 - s->line;
		if (n == 0) {
			if (s->nlines == 0)
				return s->response ? 502 : 400;
			if (i + 1 > (s->response ? ROUTER_RESP_HEAD_MAX_BYTES :
			    ROUTER_HEAD_MAX_BYTES))
				return s->response ? 502 : 431;
			*headlen = i + 1;
			s->pos = i + 1;
			return HEAD_DONE;
		}
		if (n > line_max(s))
			return too_long(s);
		rc = s->nlines == 0 ? scan_first_line(s, p + s->line, n) :
		    scan_field_line(s, p + s->line, n);
		if (rc != 0)
			return rc;
		s->nlines++;
		s->line = i + 1;
	}
	s->pos = i;
	/* a partial line may end with its CR: that is no content */
	if (len - s->line > line_max(s) + 1)
		return too_long(s);
	if (len > (s->response ? ROUTER_RESP_HEAD_MAX_BYTES :
	    ROUTER_HEAD_MAX_BYTES))
		return s->response ? 502 : (s->nlines == 0 ? 414 : 431);
	return HEAD_MORE;
}

/* ---- llhttp callbacks */

enum { SPAN_NONE, SPAN_URL, SPAN_STATUS, SPAN_FIELD, SPAN_VALUE };

static int
span_join(struct slice *s, const char *at, size_t len)
{
	if (s->p == NULL) {
		*s = slice_from(at, len);
		return 0;
	}
	if (s->p + s->len != at)
		return -1;
	s->len += len;
	return 0;
}

static int
on_url(llhttp_t *l, const char *at, size_t len)
{
	struct hpar *hp = l->data;

	hp->last = SPAN_URL;
	return span_join(&hp->head->url, at, len);
}

static int
on_status(llhttp_t *l, const char *at, size_t len)
{
	struct hpar *hp = l->data;

	hp->last = SPAN_STATUS;
	return span_join(&hp->head->reason, at, len);
}

static int
trailer_budget(struct hpar *hp, size_t len)
{
	hp->extra_bytes += len;
	return hp->extra_bytes > ROUTER_HEAD_MAX_BYTES ? -1 : 0;
}

static int
on_header_field(llhttp_t *l, const char *at, size_t len)
{
	struct hpar	*hp = l->data;
	struct head	*h = hp->head;

	if (hp->state != HPAR_HEAD)
		return trailer_budget(hp, len);
	if (hp->last != SPAN_FIELD) {
		if (h->nf == ROUTER_HEADERS_MAX)
			return -1;
		h->nf++;
		memset(&h->f[h->nf - 1], 0, sizeof(h->f[0]));
	}
	hp->last = SPAN_FIELD;
	return span_join(&h->f[h->nf - 1].name, at, len);
}

static int
on_header_value(llhttp_t *l, const char *at, size_t len)
{
	struct hpar	*hp = l->data;
	struct head	*h = hp->head;

	if (hp->state != HPAR_HEAD)
		return trailer_budget(hp, len);
	if (h->nf == 0)
		return -1;
	hp->last = SPAN_VALUE;
	return span_join(&h->f[h->nf - 1].value, at, len);
}

static int
on_value_done(llhttp_t *l)
{
	struct hpar *hp = l->data;

	/* an empty value leaves value.p NULL: give it a place */
	if (hp->state == HPAR_HEAD && hp->head->nf > 0 &&
	    hp->head->f[hp->head->nf - 1].value.p == NULL)
		hp->head->f[hp->head->nf - 1].value = slice_from("", 0);
	return 0;
}

static int
on_headers_complete(llhttp_t *l)
{
	struct hpar	*hp = l->data;
	struct head	*h = hp->head;

	h->method = llhttp_get_method(l);
	h->major = llhttp_get_http_major(l);
	h->minor = llhttp_get_http_minor(l);
	h->status = llhttp_get_status_code(l);
	hp->state = HPAR_BODY;
	return hp->no_body ? 1 : 0;
}

static int
on_body(llhttp_t *l, const char *at, size_t len)
{
	struct hpar *hp = l->data;

	hp->body_bytes += len;
	return hp->body ? hp->body(hp->arg, at, len) : 0;
}

static int
on_chunk_ext(llhttp_t *l, const char *at, size_t len)
{
	(void)at;
	return trailer_budget(l->data, len) != 0 ? -1 : 0;
}

static int
on_message_complete(llhttp_t *l)
{
	struct hpar *hp = l->data;

	hp->state = HPAR_DONE;
	return HPE_PAUSED;
}

static llhttp_settings_t hpar_settings = {
	.on_url = on_url,
	.on_status = on_status,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_header_value_complete = on_value_done,
	.on_chunk_extension_name = on_chunk_ext,
	.on_chunk_extension_value = on_chunk_ext,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

void
hpar_init(struct hpar *hp, int response, hpar_body_cb *body, void *arg)
{
	memset(hp, 0, sizeof(*hp));
	llhttp_init(&hp->llh, response ? HTTP_RESPONSE : HTTP_REQUEST,
	    &hpar_settings);
	hp->llh.data = hp;
	hp->body = body;
	hp->arg = arg;
}

void
hpar_next(struct hpar *hp, struct head *h)
{
	/*
	 * After a message that ends its connection (an HTTP/1.0 response
	 * without keep-alive, Connection: close) llhttp refuses any more
	 * input; the next message comes on a new connection: start over.
	 */
	if (hp->state == HPAR_DONE && !llhttp_should_keep_alive(&hp->llh)) {
		llhttp_reset(&hp->llh);
		hp->llh.data = hp;
	} else if (llhttp_get_errno(&hp->llh) == HPE_PAUSED)
		llhttp_resume(&hp->llh);
	hp->head = h;
	hp->state = HPAR_HEAD;
	hp->no_body = 0;
	hp->last = SPAN_NONE;
	hp->extra_bytes = 0;
	hp->body_bytes = 0;
	if (h != NULL) {
		memset(h, 0, offsetof(struct head, f));
		h->nf = 0;
		h->flags = 0;
		h->content_length = 0;
		h->host = h->path = h->request_id = h->upgrade = SLICE_NULL;
		h->ntokens = 0;
	}
}

int
hpar_feed(struct hpar *hp, const char *p, size_t len, size_t *used)
{
	llhttp_errno_t e;

	if (hp->state == HPAR_DONE) {
		*used = 0;
		return HPAR_DONE_RC;
	}
	e = llhttp_execute(&hp->llh, p, len);
	if (e == HPE_OK) {
		*used = len;
		return 0;
	}
	if (e == HPE_PAUSED && hp->state == HPAR_DONE) {
		*used = (size_t)(llhttp_get_error_pos(&hp->llh) - p);
		return HPAR_DONE_RC;
	}
	return -1;
}

int
hpar_eof(struct hpar *hp)
{
	if (hp->state == HPAR_DONE)
		return HPAR_DONE_RC;
	if (hp->state == HPAR_BODY && llhttp_message_needs_eof(&hp->llh)) {
		llhttp_errno_t e = llhttp_finish(&hp->llh);

		if (e == HPE_OK || (e == HPE_PAUSED && hp->state == HPAR_DONE)) {
			hp->state = HPAR_DONE;
			return HPAR_DONE_RC;
		}
	}
	return -1;
}

int
hpar_keepalive(const struct hpar *hp)
{
	return llhttp_should_keep_alive(&hp->llh);
}

/* ---- checks */

static int
split_tokens(struct head *h, struct slice v)
{
	size_t i = 0, start;

	while (i <= v.len) {
		start = i;
		while (i < v.len && v.p[i] != ',')
			i++;
		{
			struct slice t = slice_trim(slice_from(v.p + start,
			    i - start));

			if (t.len > 0) {
				if (h->ntokens == ROUTER_CONN_TOKENS_MAX)
					return -1;
				h->tokens[h->ntokens++] = t;
				if (slice_caseeq_cstr(t, "close"))
					h->flags |= HEAD_CONN_CLOSE;
				else if (slice_caseeq_cstr(t, "keep-alive"))
					h->flags |= HEAD_CONN_KEEPALIVE;
				else if (slice_caseeq_cstr(t, "upgrade"))
					h->flags |= HEAD_CONN_UPGRADE;
			}
		}
		i++;
	}
	return 0;
}

/* Common to both directions: framing headers and Connection. */
static int
check_framing(struct head *h)
{
	unsigned	ncl = 0, nte = 0;
	size_t		i;

	for (i = 0; i < h->nf; i++) {
		struct head_field *f = &h->f[i];

		f->value = slice_trim(f->value);
		f->kind = hf_kind_of(f->name);
		switch (f->kind) {
		case HF_CL:
			if (ncl++ > 0 || parse_u64(f->value.p, f->value.len, 0,
			    UINT64_MAX / 2, &h->content_length) != 0)
				return -1;
			h->flags |= HEAD_HAS_CL;
			break;
		case HF_TE:
			if (nte++ > 0 || !slice_caseeq_cstr(f->value, "chunked"))
				return -1;
			h->flags |= HEAD_CHUNKED | HEAD_HAS_TE;
			break;
		case HF_CONNECTION:
			if (split_tokens(h, f->value) != 0)
				return -1;
			break;
		case HF_UPGRADE:
			h->upgrade = f->value;
			break;
		default:
			break;
		}
	}
	if (ncl > 0 && nte > 0)
		return -1;
	if (h->upgrade.p != NULL && (h->flags & HEAD_CONN_UPGRADE))
		h->flags |= HEAD_UPGRADE;
	return 0;
}

static int
check_target(struct head *h)
{
	struct slice	 u = h->url, auth;
	size_t		 skip, i;
	char		 a[ROUTE_HOST_MAX + 1];
	int		 na;

	if (u.len > 0 && u.p[0] == '/') {
		h->path = u;
		return 0;
	}
	if (slice_eq(u, SLICE("*")) && h->method == HTTP_OPTIONS) {
		h->path = u;
		return 0;
	}
	if (u.len > 7 && slice_caseeq(slice_from(u.p, 7), SLICE("http://")))
		skip = 7;
	else if (u.len > 8 && slice_caseeq(slice_from(u.p, 8),
	    SLICE("https://")))
		skip = 8;
	else
		return -1;
	for (i = skip; i < u.len && u.p[i] != '/' && u.p[i] != '?'; i++)
		if (u.p[i] == '@')
			return -1;
	auth = slice_from(u.p + skip, i - skip);
	h->path = i < u.len && u.p[i] == '/' ? slice_from(u.p + i, u.len - i) :
	    SLICE("/");
	if (i < u.len && u.p[i] == '?')
		return -1;	/* "http://h?q" has no path to keep */
	na = route_host_normalize(auth, a);
	if (na < 0 || (size_t)na != h->hostkeylen ||
	    memcmp(a, h->hostkey, (size_t)na) != 0)
		return -1;
	return 0;
}

int
head_check_request(struct head *h)
{
	unsigned	nhost = 0;
	int		n;
	size_t		i;

	if (h->major != 1 || h->minor > 1 || h->method == HTTP_CONNECT)
		return 400;
	if (check_framing(h) != 0)
		return 400;
	if ((h->flags & HEAD_HAS_TE) && h->minor == 0)
		return 400;
	for (i = 0; i < h->nf; i++) {
		struct head_field *f = &h->f[i];

		if (f->kind == HF_HOST) {
			nhost++;
			h->host = f->value;
		} else if (f->kind == HF_EXPECT) {
			if (!slice_caseeq_cstr(f->value, "100-continue"))
				return 417;
			h->flags |= HEAD_EXPECT_CONTINUE;
		} else if (f->kind == HF_XRID) {
			h->request_id = f->value;
		}
	}
	if (nhost != 1 || (n = route_host_normalize(h->host, h->hostkey)) < 0)
		return 400;
	h->hostkeylen = (size_t)n;
	if (check_target(h) != 0)
		return 400;
	return 0;
}

int
head_check_response(struct head *h)
{
	if (h->major != 1 || h->minor > 1 || h->status < 100 ||
	    h->status > 999)
		return -1;
	return check_framing(h);
}

int
head_request_id_valid(struct slice s)
{
	size_t i;

	if (s.len < 20 || s.len > 200)
		return 0;
	for (i = 0; i < s.len; i++) {
		int c = (unsigned char)s.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/' ||
		    c == '=' || c == '-'))
			return 0;
	}
	return 1;
}

void
head_request_id_make(char out[37], const uint8_t rnd[16])
{
	static const char	hex[] = "0123456789abcdef";
	uint8_t			b[16];
	size_t			i, o = 0;

	memcpy(b, rnd, 16);
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
}

/* ---- rewriting */

static int
is_hop(const struct head *h, unsigned k, struct slice name)
{
	size_t i;

	if (k == HF_CONNECTION || k == HF_HOP || k == HF_UPGRADE ||
	    k == HF_TE)
		return 1;
	for (i = 0; i < h->ntokens; i++)
		if (slice_caseeq(h->tokens[i], name))
			return 1;
	return 0;
}

int
head_is_hop(const struct head *h, struct slice name)
{
	return is_hop(h, hf_kind_of(name), name);
}

/* a string literal, without strlen */
#define ADDL(out, lit)	buf_add((out), (lit), sizeof(lit) - 1)

/* buf_addf("%llu") without the printf machinery: per request, twice */
static void
add_u64(struct buf *out, uint64_t v)
{
	char	d[24];
	size_t	i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	buf_add(out, d + i, sizeof(d) - i);
}

static void
add_field(struct buf *out, struct slice n, struct slice v)
{
	char *o;

	buf_grow(out, n.len + v.len + 4);
	o = out->p + out->len;
	memcpy(o, n.p, n.len);
	o += n.len;
	*o++ = ':';
	*o++ = ' ';
	memcpy(o, v.p, v.len);
	o += v.len;
	*o++ = '\r';
	*o++ = '\n';
	*o = '\0';
	out->len += n.len + v.len + 4;
}

static int
has_underscore(struct slice n)
{
	return memchr(n.p, '_', n.len) != NULL;
}

void
head_write_request(const struct head *h, const struct head_fwd *fwd,
    struct buf *out)
{
	const char	*m = llhttp_method_name((llhttp_method_t)h->method);
	size_t		 i, nxff = 0, nvia = 0;

	buf_grow(out, 512 + h->path.len);
	buf_adds(out, m);
	buf_addch(out, ' ');
	buf_add(out, h->path.p, h->path.len);
	buf_add(out, " HTTP/1.1\r\n", 11);
	for (i = 0; i < h->nf; i++) {
		const struct head_field *f = &h->f[i];

		switch (f->kind) {
		case HF_CL: case HF_TE: case HF_EXPECT: case HF_XRID:
		case HF_UNTRUSTED: case HF_CONNECTION: case HF_HOP:
		case HF_UPGRADE:
			continue;
		case HF_XFF:
			nxff++;
			continue;
		default:
			break;
		}
		if (has_underscore(f->name) || (h->ntokens > 0 &&
		    is_hop(h, f->kind, f->name)))
			continue;
		if (f->kind == HF_VIA) {
			nvia++;
			continue;
		}
		add_field(out, f->name, f->value);
	}
	ADDL(out, "X-Forwarded-For: ");
	for (i = 0; i < h->nf && nxff > 0; i++)
		if (h->f[i].kind == HF_XFF && h->f[i].value.len > 0) {
			buf_add(out, h->f[i].value.p, h->f[i].value.len);
			ADDL(out, ", ");
		}
	buf_add(out, fwd->client_ip.p, fwd->client_ip.len);
	ADDL(out, "\r\nX-Forwarded-Proto: ");
	buf_adds(out, fwd->proto);
	ADDL(out, "\r\nX-Forwarded-Port: ");
	add_u64(out, fwd->port);
	ADDL(out, "\r\nX-Request-Start: ");
	add_u64(out, fwd->start_ms);
	ADDL(out, "\r\nX-Request-Id: ");
	buf_add(out, fwd->request_id.p, fwd->request_id.len);
	ADDL(out, "\r\nVia: ");
	for (i = 0; i < h->nf && nvia > 0; i++)
		if (h->f[i].kind == HF_VIA) {
			buf_add(out, h->f[i].value.p, h->f[i].value.len);
			ADDL(out, ", ");
		}
	ADDL(out, "1.1 paas-router\r\n");
	if (h->flags & HEAD_CHUNKED)
		ADDL(out, "Transfer-Encoding: chunked\r\n");
	else if (h->flags & HEAD_HAS_CL) {
		ADDL(out, "Content-Length: ");
		add_u64(out, h->content_length);
		ADDL(out, "\r\n");
	}
	if (h->flags & HEAD_UPGRADE) {
		ADDL(out, "Connection: Upgrade\r\nUpgrade: ");
		buf_add(out, h->upgrade.p, h->upgrade.len);
		ADDL(out, "\r\n");
	}
	ADDL(out, "\r\n");
}

void
head_write_response(const struct head *h, unsigned outflags, struct buf *out)
{
	size_t i;

	ADDL(out, "HTTP/1.1 ");
	if (h->status < 100 || h->status > 999)
		ADDL(out, "500");
	else
		add_u64(out, (uint64_t)h->status);
	buf_addch(out, ' ');
	buf_add(out, h->reason.p, h->reason.len);
	buf_add(out, "\r\n", 2);
	for (i = 0; i < h->nf; i++) {
		const struct head_field *f = &h->f[i];

		if (f->kind == HF_CL || f->kind == HF_TE ||
		    is_hop(h, f->kind, f->name))
			continue;
		add_field(out, f->name, f->value);
	}
	if (outflags & HEAD_OUT_CHUNKED)
		ADDL(out, "Transfer-Encoding: chunked\r\n");
	else if (h->flags & HEAD_HAS_CL) {
		ADDL(out, "Content-Length: ");
		add_u64(out, h->content_length);
		ADDL(out, "\r\n");
	}
	if (outflags & HEAD_OUT_UPGRADE) {
		ADDL(out, "Connection: Upgrade\r\nUpgrade: ");
		buf_add(out, h->upgrade.p, h->upgrade.len);
		ADDL(out, "\r\n");
	} else if (outflags & HEAD_OUT_CLOSE) {
		ADDL(out, "Connection: close\r\n");
	} else if (outflags & HEAD_OUT_KEEPALIVE) {
		ADDL(out, "Connection: keep-alive\r\n");
	}
	ADDL(out, "\r\n");
}
