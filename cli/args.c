#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "args.h"
#include "parse.h"

static int
args_size(const char *p, size_t len, struct args_scale *s, struct perr *err)
{
	struct perr why = PERR_INIT;

	if (valid_size(p, len, &why))
		return perr_set(err, -EINVAL, "%s (got '%.*s')", why.msg,
		    (int)len, p);
	memcpy(s->size, p, len);
	s->size[len] = '\0';
	return 0;
}

static int
args_type(const char *p, size_t len, struct args_scale *s, struct perr *err)
{
	struct perr why = PERR_INIT;

	if (valid_process_type(p, len, &why))
		return perr_set(err, -EINVAL, "%s (got '%.*s')", why.msg,
		    (int)len, p);
	memcpy(s->type, p, len);
	s->type[len] = '\0';
	return 0;
}

static size_t
digits(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len && p[i] >= '0' && p[i] <= '9'; i++)
		;
	return i;
}

/* The operator of a TYPE+N / TYPE-N argument with no '=': the last '+'
 * or '-' followed only by digits (then maybe ":SIZE"). */
static const char *
find_op(const char *arg, size_t len)
{
	const char	*p;
	size_t		 n;

	for (p = arg + len; p > arg; p--) {
		if (p[-1] != '+' && p[-1] != '-')
			continue;
		n = digits(p, (size_t)(arg + len - p));
		if (n > 0 && (p + n == arg + len || p[n] == ':'))
			return p - 1;
	}
	return NULL;
}

int
args_scale(const char *arg, struct args_scale *s, struct perr *err)
{
	const char	*op, *num, *colon, *end = arg + strlen(arg);
	uint64_t	 v;
	uint64_t	 min;

	memset(s, 0, sizeof(*s));
	op = strchr(arg, '=');
	if (op == NULL)
		op = find_op(arg, (size_t)(end - arg));
	if (op == NULL || op == arg)
		return perr_set(err, -EINVAL, "'%s': expected TYPE=N, TYPE+N "
		    "or TYPE-N, optionally with :SIZE", arg);
	if (args_type(arg, (size_t)(op - arg), s, err))
		return -EINVAL;
	s->op = *op == '=' ? ARGS_SCALE_SET : *op == '+' ? ARGS_SCALE_ADD :
	    ARGS_SCALE_SUB;
	num = op + 1;
	colon = strchr(num, ':');
	if (colon == NULL)
		colon = end;
	min = s->op == ARGS_SCALE_SET ? 0 : 1;
	if (parse_u64(num, (size_t)(colon - num), min, VALID_QUANTITY_MAX,
	    &v))
		return perr_set(err, -EINVAL, "'%s': quantity must be a number "
		    "from %u to %d", arg, (unsigned)min, VALID_QUANTITY_MAX);
	s->qty = (unsigned)v;
	if (colon != end && args_size(colon + 1, (size_t)(end - colon - 1), s,
	    err))
		return -EINVAL;
	return 0;
}

int
args_scale_apply(const struct args_scale *s, unsigned current,
    unsigned *qty, struct perr *err)
{
	long long q = current;

	if (s->op == ARGS_SCALE_SET)
		q = s->qty;
	else if (s->op == ARGS_SCALE_ADD)
		q += s->qty;
	else if (s->op == ARGS_SCALE_SUB)
		q -= s->qty;
	if (q < 0 || q > VALID_QUANTITY_MAX)
		return perr_set(err, -ERANGE, "cannot scale %s to %lld: "
		    "quantity must be 0 to %d", s->type, q, VALID_QUANTITY_MAX);
	*qty = (unsigned)q;
	return 0;
}

int
args_resize(const char *arg, struct args_scale *s, struct perr *err)
{
	const char *eq = strchr(arg, '=');

	memset(s, 0, sizeof(*s));
	s->op = ARGS_SCALE_KEEP;
	if (eq == NULL || eq == arg)
		return perr_set(err, -EINVAL, "'%s': expected TYPE=SIZE", arg);
	if (args_type(arg, (size_t)(eq - arg), s, err) ||
	    args_size(eq + 1, strlen(eq + 1), s, err))
		return -EINVAL;
	return 0;
}

int
args_app_from_url(const char *url, char *app, size_t applen,
    struct perr *err)
{
	const char	*end = url + strlen(url), *start;
	struct perr	 why = PERR_INIT;
	size_t		 len;

	while (end > url && end[-1] == '/')
		end--;
	if (end - url >= 4 && memcmp(end - 4, ".git", 4) == 0)
		end -= 4;
	for (start = end; start > url && start[-1] != '/' && start[-1] != ':';
	    start--)
		;
	len = (size_t)(end - start);
	if (valid_app_name(start, len, &why) || len >= applen)
		return perr_set(err, -EINVAL, "git remote '%s' (%s) does not "
		    "name an app: %s", "paas", url, why.msg);
	memcpy(app, start, len);
	app[len] = '\0';
	return 0;
}

int
args_version(const char *arg, unsigned *version, struct perr *err)
{
	const char	*num = arg;
	uint64_t	 v;

	if (*num == 'v' || *num == 'V')
		num++;
	if (parse_u64(num, strlen(num), 1, UINT32_MAX, &v))
		return perr_set(err, -EINVAL, "invalid release '%s': expected "
		    "vN, like v3", arg);
	*version = (unsigned)v;
	return 0;
}
