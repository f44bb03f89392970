#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "env.h"
#include "slice.h"
#include "valid.h"

void
env_list_release(struct env_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].value);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static char *
memdup0(const char *p, size_t len)
{
	char *d = malloc(len + 1);

	if (d == NULL)
		abort();
	memcpy(d, p, len);
	d[len] = '\0';
	return d;
}

void
env_list_add(struct env_list *l, const char *key, size_t keylen,
    const char *value, size_t valuelen)
{
	struct env_var	*v = NULL;
	size_t		 i;

	for (i = 0; i < l->n; i++)
		if (strlen(l->v[i].key) == keylen &&
		    memcmp(l->v[i].key, key, keylen) == 0) {
			v = &l->v[i];
			free(v->value);
			break;
		}
	if (v == NULL) {
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 8;
			l->v = reallocarray(l->v, l->cap, sizeof(*l->v));
			if (l->v == NULL)
				abort();
		}
		v = &l->v[l->n++];
		v->key = memdup0(key, keylen);
	}
	v->value = memdup0(value, valuelen);
	v->valuelen = valuelen;
}

int
env_parse_arg(const char *arg, struct env_list *l, struct perr *err)
{
	struct perr	 why = PERR_INIT;
	const char	*eq = strchr(arg, '=');
	size_t		 vlen;

	if (eq == NULL || eq == arg)
		return perr_set(err, -EINVAL, "'%s': expected KEY=VALUE", arg);
	if (valid_config_key(arg, (size_t)(eq - arg), &why))
		return perr_set(err, -EINVAL, "%s (got '%.*s')", why.msg,
		    (int)(eq - arg), arg);
	vlen = strlen(eq + 1);
	if (valid_config_value(eq + 1, vlen, err))
		return -EINVAL;
	env_list_add(l, arg, (size_t)(eq - arg), eq + 1, vlen);
	return 0;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The rest of a line after a value: only blanks, then maybe a comment. */
static int
rest_ok(struct slice s)
{
	s = slice_trim(s);
	return s.len == 0 || s.p[0] == '#';
}

static int
value_single(struct slice s, struct buf *v, unsigned line, struct perr *err)
{
	const char *end = memchr(s.p + 1, '\'', s.len - 1);

	if (end == NULL)
		return perr_set(err, -EINVAL, "line %u: unterminated single "
		    "quote", line);
	buf_add(v, s.p + 1, (size_t)(end - s.p - 1));
	if (!rest_ok(slice_from(end + 1, (size_t)(s.p + s.len - end - 1))))
		return perr_set(err, -EINVAL, "line %u: unexpected text after "
		    "the closing quote", line);
	return 0;
}

static int
value_double(struct slice s, struct buf *v, unsigned line, struct perr *err)
{
	size_t i;

	for (i = 1; i < s.len; i++) {
		if (s.p[i] == '"')
			break;
		if (s.p[i] != '\\' || i + 1 == s.len) {
			buf_addch(v, s.p[i]);
			continue;
		}
		switch (s.p[++i]) {
		case 'n':
			buf_addch(v, '\n');
			break;
		case '"':
		case '\\':
			buf_addch(v, s.p[i]);
			break;
		default:
			buf_addch(v, '\\');
			buf_addch(v, s.p[i]);
			break;
		}
	}
	if (i >= s.len)
		return perr_set(err, -EINVAL, "line %u: unterminated double "
		    "quote", line);
	if (!rest_ok(slice_from(s.p + i + 1, s.len - i - 1)))
		return perr_set(err, -EINVAL, "line %u: unexpected text after "
		    "the closing quote", line);
	return 0;
}

static void
value_plain(struct slice s, struct buf *v)
{
	size_t i;

	for (i = 0; i < s.len; i++)
		if (s.p[i] == '#' && i > 0 && is_blank(s.p[i - 1]))
			break;
	s = slice_trim(slice_from(s.p, i));
	buf_add(v, s.p, s.len);
}

static int
env_line(struct slice s, unsigned line, struct env_list *l, struct perr *err)
{
	struct perr	 why = PERR_INIT;
	struct buf	 v = BUF_INIT;
	struct slice	 key;
	const char	*eq;
	int		 rc = 0;

	s = slice_trim(s);
	if (s.len == 0 || s.p[0] == '#')
		return 0;
	if (s.len > 7 && memcmp(s.p, "export", 6) == 0 && is_blank(s.p[6]))
		s = slice_trim(slice_from(s.p + 7, s.len - 7));
	eq = memchr(s.p, '=', s.len);
	if (eq == NULL)
		return perr_set(err, -EINVAL, "line %u: expected KEY=VALUE",
		    line);
	key = slice_trim(slice_from(s.p, (size_t)(eq - s.p)));
	if (valid_config_key(key.p, key.len, &why))
		return perr_set(err, -EINVAL, "line %u: %s", line, why.msg);
	s = slice_trim(slice_from(eq + 1, (size_t)(s.p + s.len - eq - 1)));
	if (s.len > 0 && s.p[0] == '\'')
		rc = value_single(s, &v, line, err);
	else if (s.len > 0 && s.p[0] == '"')
		rc = value_double(s, &v, line, err);
	else
		value_plain(s, &v);
	if (rc == 0 && valid_config_value(v.p, v.len, &why))
		rc = perr_set(err, -EINVAL, "line %u: %s", line, why.msg);
	if (rc == 0)
		env_list_add(l, key.p, key.len, v.p, v.len);
	buf_release(&v);
	return rc;
}

int
env_parse(const char *text, size_t len, struct env_list *l, struct perr *err)
{
	const char	*p = text, *end = text + len, *nl;
	size_t		 n;
	unsigned	 line = 0;
	int		 rc;

	while (p < end) {
		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (memchr(p, '\0', n) != NULL)
			return perr_set(err, -EINVAL, "line %u: NUL byte", line);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		rc = env_line(slice_from(p, n), line, l, err);
		if (rc)
			return rc;
		p = nl ? nl + 1 : end;
	}
	return 0;
}
