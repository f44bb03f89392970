#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "paas_static.h"
#include "parse.h"
#include "req.h"

static int
is_tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != 0 && strchr("!#$%&'*+-.^_`|~", c));
}

/* The next CRLF-terminated line at *pos, without its CRLF. */
static int
next_line(const char *buf, size_t len, size_t *pos, struct slice *line)
{
	const char	*p = buf + *pos, *cr;
	size_t		 left = len - *pos;

	cr = memchr(p, '\r', left);
	if (cr == NULL || (size_t)(cr - p) + 1 >= left)
		return 0;
	if (cr[1] != '\n')
		return -EINVAL;
	*line = slice_from(p, (size_t)(cr - p));
	*pos += line->len + 2;
	return 1;
}

static int
parse_request_line(struct slice l, struct req *r)
{
	const char	*sp1, *sp2;
	struct slice	 m, v;
	size_t		 i;

	if ((sp1 = memchr(l.p, ' ', l.len)) == NULL)
		return -EINVAL;
	m = slice_from(l.p, (size_t)(sp1 - l.p));
	sp2 = memchr(sp1 + 1, ' ', l.len - m.len - 1);
	if (sp2 == NULL || m.len == 0)
		return -EINVAL;
	r->target = slice_from(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	v = slice_from(sp2 + 1, l.len - (size_t)(sp2 + 1 - l.p));
	if (r->target.len == 0 || memchr(r->target.p, ' ', r->target.len))
		return -EINVAL;
	for (i = 0; i < m.len; i++)
		if (!is_tchar((unsigned char)m.p[i]))
			return -EINVAL;
	r->method = slice_eq_cstr(m, "GET") ? REQ_GET :
	    slice_eq_cstr(m, "HEAD") ? REQ_HEAD : REQ_OTHER;
	if (v.len != 8 || memcmp(v.p, "HTTP/", 5) != 0 || v.p[6] != '.' ||
	    v.p[5] < '0' || v.p[5] > '9' || v.p[7] < '0' || v.p[7] > '9')
		return -EINVAL;
	if (v.p[5] != '1')
		return -EPROTONOSUPPORT;
	r->minor = v.p[7] == '0' ? 0 : 1;
	r->keepalive = r->minor >= 1;
	return 0;
}

/* Connection: a comma list; "close" wins over "keep-alive". */
static void
parse_connection(struct slice v, struct req *r)
{
	size_t		 i = 0, start;
	struct slice	 tok;
	int		 close = 0, keep = 0;

	while (i <= v.len) {
		start = i;
		while (i < v.len && v.p[i] != ',')
			i++;
		tok = slice_trim(slice_from(v.p + start, i - start));
		if (slice_caseeq_cstr(tok, "close"))
			close = 1;
		else if (slice_caseeq_cstr(tok, "keep-alive"))
			keep = 1;
		i++;
	}
	if (close)
		r->keepalive = 0;
	else if (keep)
		r->keepalive = 1;
}

struct seen {
	int	host;
	int	length;
};

static int
parse_header(struct slice l, struct req *r, struct seen *seen)
{
	const char	*colon;
	struct slice	 name, val;
	uint64_t	 n;
	size_t		 i;

	if (l.len == 0 || l.p[0] == ' ' || l.p[0] == '\t')
		return -EINVAL;
	if ((colon = memchr(l.p, ':', l.len)) == NULL)
		return -EINVAL;
	name = slice_from(l.p, (size_t)(colon - l.p));
	for (i = 0; i < name.len; i++)
		if (!is_tchar((unsigned char)name.p[i]))
			return -EINVAL;
	if (name.len == 0)
		return -EINVAL;
	val = slice_trim(slice_from(colon + 1, l.len - name.len - 1));
	for (i = 0; i < val.len; i++)
		if (((unsigned char)val.p[i] < 0x20 && val.p[i] != '\t') ||
		    val.p[i] == 0x7f)
			return -EINVAL;
	if (slice_caseeq_cstr(name, "host")) {
		if (seen->host++)
			return -EINVAL;
	} else if (slice_caseeq_cstr(name, "connection")) {
		parse_connection(val, r);
	} else if (slice_caseeq_cstr(name, "content-length")) {
		if (seen->length++ ||
		    parse_u64(val.p, val.len, 0, UINT64_MAX, &n) < 0)
			return -EINVAL;
		r->has_body |= n > 0;
	} else if (slice_caseeq_cstr(name, "transfer-encoding")) {
		r->has_body = 1;
	} else if (slice_caseeq_cstr(name, "if-none-match")) {
		r->if_none_match = val;
	} else if (slice_caseeq_cstr(name, "if-modified-since")) {
		r->if_modified_since = val;
	} else if (slice_caseeq_cstr(name, "accept-encoding")) {
		r->accept_encoding = val;
	}
	return 0;
}

int
req_parse(const char *buf, size_t len, struct req *r)
{
	struct seen	 seen = { 0, 0 };
	struct slice	 line;
	size_t		 pos = 0;
	int		 rc, nhdr = 0;

	memset(r, 0, sizeof(*r));
	if ((rc = next_line(buf, len, &pos, &line)) <= 0)
		return rc;
	if ((rc = parse_request_line(line, r)) < 0)
		return rc;
	for (;;) {
		if ((rc = next_line(buf, len, &pos, &line)) <= 0)
			return rc;
		if (line.len == 0)
			break;
		if (++nhdr > STATIC_HEADERS_MAX)
			return -E2BIG;
		if ((rc = parse_header(line, r, &seen)) < 0)
			return rc;
	}
	if (r->minor >= 1 && seen.host == 0)
		return -EINVAL;
	return (int)pos;
}

/* The q-value of one Accept-Encoding member's parameters: 0 means refused. */
static int
q_nonzero(struct slice params)
{
	const char	*q;
	size_t		 i;

	q = NULL;
	for (i = 0; i + 1 < params.len; i++)
		if ((params.p[i] == 'q' || params.p[i] == 'Q') &&
		    params.p[i + 1] == '=') {
			q = params.p + i + 2;
			break;
		}
	if (q == NULL)
		return 1;
	for (; q < params.p + params.len && *q != ','; q++)
		if (*q >= '1' && *q <= '9')
			return 1;
	return 0;
}

int
req_accepts_gzip(struct slice ae)
{
	size_t		 i = 0, start;
	struct slice	 member, coding;
	const char	*semi;
	int		 gzip = -1, star = -1;

	if (ae.p == NULL)
		return 0;
	while (i < ae.len) {
		start = i;
		while (i < ae.len && ae.p[i] != ',')
			i++;
		member = slice_trim(slice_from(ae.p + start, i - start));
		semi = memchr(member.p, ';', member.len);
		coding = slice_trim(slice_from(member.p, semi ?
		    (size_t)(semi - member.p) : member.len));
		if (slice_caseeq_cstr(coding, "gzip") ||
		    slice_caseeq_cstr(coding, "x-gzip"))
			gzip = q_nonzero(slice_from(semi ? semi : member.p,
			    semi ? member.len - (size_t)(semi - member.p) : 0));
		else if (slice_eq_cstr(coding, "*"))
			star = q_nonzero(slice_from(semi ? semi : member.p,
			    semi ? member.len - (size_t)(semi - member.p) : 0));
		i++;
	}
	if (gzip >= 0)
		return gzip;
	return star > 0;
}
