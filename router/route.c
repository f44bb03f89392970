#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "parse.h"
#include "route.h"
#include "valid.h"

/* A host name's bytes, lowercased; 0 for any other byte. */
static const unsigned char hostc[256] = {
	['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
	['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
	['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd', ['e'] = 'e',
	['f'] = 'f', ['g'] = 'g', ['h'] = 'h', ['i'] = 'i', ['j'] = 'j',
	['k'] = 'k', ['l'] = 'l', ['m'] = 'm', ['n'] = 'n', ['o'] = 'o',
	['p'] = 'p', ['q'] = 'q', ['r'] = 'r', ['s'] = 's', ['t'] = 't',
	['u'] = 'u', ['v'] = 'v', ['w'] = 'w', ['x'] = 'x', ['y'] = 'y',
	['z'] = 'z', ['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd',
	['E'] = 'e', ['F'] = 'f', ['G'] = 'g', ['H'] = 'h', ['I'] = 'i',
	['J'] = 'j', ['K'] = 'k', ['L'] = 'l', ['M'] = 'm', ['N'] = 'n',
	['O'] = 'o', ['P'] = 'p', ['Q'] = 'q', ['R'] = 'r', ['S'] = 's',
	['T'] = 't', ['U'] = 'u', ['V'] = 'v', ['W'] = 'w', ['X'] = 'x',
	['Y'] = 'y', ['Z'] = 'z', ['-'] = '-', ['.'] = '.', ['_'] = '_',
};

int
route_host_normalize(struct slice host, char *out)
{
	size_t	 n = host.len, i;
	uint64_t port;
	int	 c;

	/* one pass: copy lowercased up to a ':' or the first bad byte */
	for (i = 0; i < n && i <= ROUTE_HOST_MAX; i++) {
		if ((c = hostc[(unsigned char)host.p[i]]) == 0)
			break;
		out[i] = (char)c;
	}
	if (i < n) {
		if (i > ROUTE_HOST_MAX || host.p[i] != ':' ||
		    parse_u64(host.p + i + 1, n - i - 1, 0, 65535, &port) != 0)
			return -EINVAL;	/* also "[v6]": no app's name */
		n = i;
	}
	if (n > 0 && out[n - 1] == '.')
		n--;
	if (n == 0 || n > ROUTE_HOST_MAX)
		return -EINVAL;
	out[n] = '\0';
	return (int)n;
}

static int
dom_cmp(const void *a, const void *b)
{
	const struct route_dom *x = a, *y = b;
	size_t n = x->namelen < y->namelen ? x->namelen : y->namelen;
	int c = memcmp(x->name, y->name, n);

	if (c != 0)
		return c;
	return x->namelen < y->namelen ? -1 : x->namelen > y->namelen;
}

static struct route_app *
find(const struct route_table *t, const char *name, size_t len)
{
	struct route_dom key, *d;

	if (t->ndoms == 0)
		return NULL;
	key.name = (char *)(uintptr_t)name;
	key.namelen = len;
	d = bsearch(&key, t->doms, t->ndoms, sizeof(*d), dom_cmp);
	return d ? d->app : NULL;
}

struct route_app *
route_lookup(const struct route_table *t, struct slice host)
{
	char	 k[ROUTE_HOST_MAX + 1];
	int	 n;

	n = route_host_normalize(host, k);
	if (n < 0)
		return NULL;
	return route_lookup_key(t, k, (size_t)n);
}

struct route_app *
route_lookup_key(const struct route_table *t, const char *key, size_t n)
{
	char			 k[ROUTE_HOST_MAX + 3];
	struct route_app	*a;
	size_t			 i;

	if (n == 0 || n > ROUTE_HOST_MAX)
		return NULL;
	if ((a = find(t, key, n)) != NULL)
		return a;
	/* longest wildcard first: "*.b.c" before "*.c" */
	memcpy(k + 2, key, n);
	for (i = 2; i < n + 2; i++) {
		if (k[i] != '.')
			continue;
		k[i - 1] = '*';
		if ((a = find(t, k + i - 1, n + 3 - i)) != NULL)
			return a;
	}
	return NULL;
}

int
route_choose(const struct route_load *l, size_t n, uint64_t now_ms,
    unsigned *rr, int exclude)
{
	int	 pass, best;
	size_t	 i, j, start;

	if (n == 0)
		return -1;
	start = *rr % n;
	for (pass = 0; pass < 3; pass++) {
		best = -1;
		for (j = 0; j < n; j++) {
			i = (start + j) % n;
			if (pass < 2 && (int)i == exclude && n > 1)
				continue;
			if (pass == 0 && l[i].skip_until_ms > now_ms)
				continue;
			if (best < 0 || l[i].outstanding < l[best].outstanding)
				best = (int)i;
		}
		if (best >= 0) {
			*rr = (unsigned)best + 1;
			return best;
		}
	}
	return -1;
}

int
route_parse_addr(const char *s, struct sockaddr_storage *sa)
{
	char		 host[64];
	const char	*colon;
	size_t		 hl;
	uint64_t	 port;

	memset(sa, 0, sizeof(*sa));
	colon = strrchr(s, ':');
	if (colon == NULL || parse_u64(colon + 1, strlen(colon + 1), 1, 65535,
	    &port) != 0)
		return -EINVAL;
	hl = (size_t)(colon - s);
	if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)sa;

		if (hl - 2 >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hl - 2);
		host[hl - 2] = '\0';
		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			return -EINVAL;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		return 0;
	}
	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	{
		struct sockaddr_in *a4 = (struct sockaddr_in *)sa;

		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return -EINVAL;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
	}
	return 0;
}

struct route_table *
route_table_empty(void)
{
	struct route_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		abort();
	t->refs = 1;
	return t;
}

void
route_table_free(struct route_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->napps; i++) {
		free(t->apps[i].name);
		free(t->apps[i].maintenance_page);
		free(t->apps[i].inst);
	}
	for (i = 0; i < t->ndoms; i++)
		free(t->doms[i].name);
	free(t->apps);
	free(t->doms);
	free(t);
}

static int
parse_inst(json_t *ji, struct route_inst *in, const char *app,
    struct perr *err)
{
	json_error_t	 je;
	const char	*dyno, *addr;

	if (json_unpack_ex(ji, &je, JSON_STRICT, "{s:s, s:s}", "dyno", &dyno,
	    "address", &addr) != 0)
		return perr_set(err, -EINVAL, "app '%s' instance: %s", app,
		    je.text);
	if (strlen(dyno) == 0 || strlen(dyno) >= sizeof(in->dyno) ||
	    strlen(addr) >= sizeof(in->addr) ||
	    route_parse_addr(addr, &in->sa) != 0)
		return perr_set(err, -EINVAL, "app '%s': bad instance '%.64s'",
		    app, addr);
	memcpy(in->dyno, dyno, strlen(dyno) + 1);
	memcpy(in->addr, addr, strlen(addr) + 1);
	return 0;
}

static int
parse_app(struct route_table *t, const char *name, json_t *ja,
    struct route_app *a, size_t *ndoms, struct perr *err)
{
	json_error_t	 je;
	json_t		*doms = NULL, *insts = NULL, *page = NULL;
	int		 maint = 0, crashed = 0;
	json_int_t	 body_max = (json_int_t)(1024LL * 1024 * 1024);
	size_t		 i;
	int		 rc;

	if (valid_app_name(name, strlen(name), err) != 0)
		return -EINVAL;
	if (json_unpack_ex(ja, &je, JSON_STRICT,
	    "{s:o, s?b, s?o, s?I, s:o, s?b}", "domains", &doms,
	    "maintenance", &maint, "maintenance_page", &page,
	    "body_max", &body_max, "instances", &insts,
	    "crashed", &crashed) != 0)
		return perr_set(err, -EINVAL, "app '%s': %s", name, je.text);
	if (!json_is_array(doms) || !json_is_array(insts) || body_max < 0 ||
	    (page != NULL && !json_is_null(page) && !json_is_string(page)))
		return perr_set(err, -EINVAL, "app '%s': bad field type", name);
	a->name = strdup(name);
	a->maintenance = maint;
	a->crashed = crashed;
	a->body_max = (uint64_t)body_max;
	if (page != NULL && json_is_string(page))
		a->maintenance_page = strdup(json_string_value(page));
	a->ninst = json_array_size(insts);
	a->inst = calloc(a->ninst ? a->ninst : 1, sizeof(*a->inst));
	if (a->name == NULL || a->inst == NULL)
		abort();
	for (i = 0; i < a->ninst; i++)
		if ((rc = parse_inst(json_array_get(insts, i), &a->inst[i],
		    name, err)) != 0)
			return rc;
	for (i = 0; i < json_array_size(doms); i++) {
		const char	*d = json_string_value(json_array_get(doms, i));
		char		 k[ROUTE_HOST_MAX + 1];
		int		 wild, n;

		if (d == NULL)
			return perr_set(err, -EINVAL, "app '%s': domain is not "
			    "a string", name);
		wild = d[0] == '*';
		if (valid_hostname(d, strlen(d), 1, err) != 0)
			return -EINVAL;
		n = route_host_normalize(slice_cstr(wild ? d + 2 : d), k);
		if (n < 0 || (size_t)n != strlen(wild ? d + 2 : d))
			return perr_set(err, -EINVAL, "app '%s': bad domain "
			    "'%.253s'", name, d);
		t->doms[*ndoms].name = malloc((size_t)n + 3);
		if (t->doms[*ndoms].name == NULL)
			abort();
		snprintf(t->doms[*ndoms].name, (size_t)n + 3, "%s%s",
		    wild ? "*." : "", k);
		t->doms[*ndoms].namelen = (size_t)n + (wild ? 2 : 0);
		t->doms[*ndoms].app = a;
		(*ndoms)++;
	}
	return 0;
}

int
route_table_parse(const char *text, size_t len, struct route_table **out,
    struct perr *err)
{
	json_error_t		 je;
	json_t			*root = NULL, *apps = NULL, *ja;
	struct route_table	*t = NULL;
	const char		*name;
	json_int_t		 version = 0;
	size_t			 i, ndom = 0;
	int			 rc = -EINVAL;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		perr_set(err, -EINVAL, "routes line %d column %d: %s", je.line,
		    je.column, je.text);
		goto out;
	}
	if (json_unpack_ex(root, &je, JSON_STRICT, "{s:I, s:o}", "version",
	    &version, "apps", &apps) != 0 || !json_is_object(apps)) {
		perr_set(err, -EINVAL, "routes: %s", je.text);
		goto out;
	}
	if (version != 1) {
		perr_set(err, -EINVAL, "routes: version %lld unsupported",
		    (long long)version);
		goto out;
	}
	t = route_table_empty();
	t->apps = calloc(json_object_size(apps) + 1, sizeof(*t->apps));
	json_object_foreach(apps, name, ja) {
		json_t *d = json_object_get(ja, "domains");

		ndom += json_is_array(d) ? json_array_size(d) : 0;
	}
	t->doms = calloc(ndom + 1, sizeof(*t->doms));
	if (t->apps == NULL || t->doms == NULL)
		abort();
	json_object_foreach(apps, name, ja) {
		if (!json_is_object(ja)) {
			perr_set(err, -EINVAL, "app '%.64s' is not an object",
			    name);
			goto out;
		}
		t->napps++;
		if (parse_app(t, name, ja, &t->apps[t->napps - 1], &t->ndoms,
		    err) != 0)
			goto out;
	}
	qsort(t->doms, t->ndoms, sizeof(*t->doms), dom_cmp);
	for (i = 1; i < t->ndoms; i++)
		if (dom_cmp(&t->doms[i - 1], &t->doms[i]) == 0) {
			perr_set(err, -EINVAL, "domain '%s' listed twice",
			    t->doms[i].name);
			goto out;
		}
	rc = 0;
out:
	json_decref(root);
	if (rc != 0) {
		route_table_free(t);
		t = NULL;
	}
	*out = t;
	return rc;
}
