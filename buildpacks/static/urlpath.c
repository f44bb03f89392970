#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "urlpath.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode one byte of the path at *ip, advancing *ip. Returns the byte, or
 * -1 for a malformed escape.
 */
static int
next_byte(struct slice t, size_t *ip)
{
	int	hi, lo;

	if (t.p[*ip] != '%')
		return (unsigned char)t.p[(*ip)++];
	if (*ip + 2 >= t.len)
		return -1;
	hi = hexval((unsigned char)t.p[*ip + 1]);
	lo = hexval((unsigned char)t.p[*ip + 2]);
	if (hi < 0 || lo < 0)
		return -1;
	*ip += 3;
	return hi << 4 | lo;
}

/* Judge the segment just written at out[start..*op) and maybe drop it. */
static int
end_segment(char *out, size_t start, size_t *op)
{
	size_t	len = *op - start;

	if (len == 0)
		return 0;
	if (len == 1 && out[start] == '.') {
		*op = start;
		return 0;
	}
	if (len == 2 && out[start] == '.' && out[start + 1] == '.')
		return -EINVAL;
	if (out[start] == '.' && !(len == 11 &&
	    memcmp(out + start, ".well-known", 11) == 0))
		return -ENOENT;
	return 0;
}

int
urlpath_normalize(struct slice t, char *out, size_t outlen, int *dirp)
{
	size_t	 i = 1, o = 0, seg = 0, end;
	int	 c, rc, last = '/';

	if (outlen == 0)
		return -ENAMETOOLONG;
	if (t.len == 0 || t.p[0] != '/')
		return -EINVAL;
	for (end = 0; end < t.len && t.p[end] != '?' && t.p[end] != '#';
	    end++)
		;
	t.len = end;
	while (i < t.len) {
		if ((c = next_byte(t, &i)) < 0 || c == 0)
			return -EINVAL;
		last = c;
		if (c == '/') {
			if ((rc = end_segment(out, seg, &o)) < 0)
				return rc;
			if (o > 0 && out[o - 1] != '/')
				out[o++] = '/';
			seg = o;
			continue;
		}
		if (o + 1 >= outlen)
			return -ENAMETOOLONG;
		out[o++] = (char)c;
	}
	if ((rc = end_segment(out, seg, &o)) < 0)
		return rc;
	if (o > 0 && out[o - 1] == '/')
		o--;
	out[o] = '\0';
	*dirp = last == '/';
	return 0;
}

static int
unreserved(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~' || c == '/';
}

int
urlpath_escape(const char *path, char *out, size_t outlen)
{
	static const char	 hex[] = "0123456789ABCDEF";
	size_t			 o = 0;
	const unsigned char	*p;

	if (outlen < 2)
		return -ENAMETOOLONG;
	out[o++] = '/';
	for (p = (const unsigned char *)path; *p; p++) {
		if (unreserved(*p)) {
			if (o + 1 >= outlen)
				return -ENAMETOOLONG;
			out[o++] = (char)*p;
			continue;
		}
		if (o + 3 >= outlen)
			return -ENAMETOOLONG;
		out[o++] = '%';
		out[o++] = hex[*p >> 4];
		out[o++] = hex[*p & 15];
	}
	out[o] = '\0';
	return (int)o;
}
