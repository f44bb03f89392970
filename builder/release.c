#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "release.h"
#include "valid.h"

struct rdoc {
	yaml_document_t		*doc;
	struct release_info	*ri;
	struct perr		*err;
};

typedef int release_key_fn(struct rdoc *, yaml_node_t *);

void
release_init(struct release_info *ri)
{
	memset(ri, 0, sizeof(*ri));
}

void
release_release(struct release_info *ri)
{
	size_t	i;

	procfile_release(&ri->defaults);
	for (i = 0; i < ri->nvars; i++) {
		free(ri->vars[i].key);
		free(ri->vars[i].value);
	}
	free(ri->vars);
	for (i = 0; i < ri->naddons; i++)
		free(ri->addons[i]);
	free(ri->addons);
	release_init(ri);
}

const char *
release_var(const struct release_info *ri, const char *key)
{
	size_t	i;

	for (i = 0; i < ri->nvars; i++)
		if (strcmp(ri->vars[i].key, key) == 0)
			return ri->vars[i].value;
	return NULL;
}

static const char *
scalar(yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

/* an empty or null scalar stands for an empty mapping or sequence */
static int
is_null(yaml_node_t *n)
{
	const char	*s = scalar(n);

	return s != NULL && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0);
}

static int
scalar_ok(yaml_node_t *n)
{
	return scalar(n) != NULL &&
	    strlen(scalar(n)) == n->data.scalar.length;
}

static int
do_addons(struct rdoc *d, yaml_node_t *v)
{
	yaml_node_item_t	*it;
	yaml_node_t		*n;
	char			**a;

	if (is_null(v))
		return 0;
	if (v->type != YAML_SEQUENCE_NODE)
		return perr_set(d->err, -EINVAL, "bin/release: addons must be "
		    "a list");
	for (it = v->data.sequence.items.start;
	    it < v->data.sequence.items.top; it++) {
		n = yaml_document_get_node(d->doc, *it);
		if (!scalar_ok(n))
			return perr_set(d->err, -EINVAL, "bin/release: addons "
			    "must be strings");
		if (d->ri->naddons >= RELEASE_MAX_ITEMS)
			return perr_set(d->err, -E2BIG, "bin/release: too many "
			    "addons");
		a = realloc(d->ri->addons, (d->ri->naddons + 1) * sizeof(*a));
		if (a == NULL || (a[d->ri->naddons] = strdup(scalar(n))) ==
		    NULL) {
			d->ri->addons = a ? a : d->ri->addons;
			return perr_set(d->err, -ENOMEM, "out of memory");
		}
		d->ri->addons = a;
		d->ri->naddons++;
	}
	return 0;
}

typedef int release_pair_fn(struct rdoc *, const char *k, const char *v);

static int
each_pair(struct rdoc *d, yaml_node_t *m, const char *what,
    release_pair_fn *fn)
{
	yaml_node_pair_t	*p;
	yaml_node_t		*k, *v;
	size_t			 n = 0;
	int			 rc;

	if (is_null(m))
		return 0;
	if (m->type != YAML_MAPPING_NODE)
		return perr_set(d->err, -EINVAL, "bin/release: %s must be a "
		    "mapping", what);
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	    p++) {
		k = yaml_document_get_node(d->doc, p->key);
		v = yaml_document_get_node(d->doc, p->value);
		if (!scalar_ok(k) || !scalar_ok(v))
			return perr_set(d->err, -EINVAL, "bin/release: %s must "
			    "map strings to strings", what);
		if (++n > RELEASE_MAX_ITEMS)
			return perr_set(d->err, -E2BIG, "bin/release: too many "
			    "%s", what);
		if ((rc = fn(d, scalar(k), scalar(v))) != 0)
			return rc;
	}
	return 0;
}

static int
add_var(struct rdoc *d, const char *k, const char *v)
{
	struct release_info	*ri = d->ri;
	struct release_kv	*nv;
	struct perr		 verr = PERR_INIT;

	if (valid_config_key(k, strlen(k), &verr) != 0 ||
	    valid_config_value(v, strlen(v), &verr) != 0)
		return perr_set(d->err, -EINVAL, "bin/release: config_vars: "
		    "%s", verr.msg);
	if (release_var(ri, k) != NULL)
		return perr_set(d->err, -EINVAL, "bin/release: config var "
		    "'%s' given twice", k);
	nv = realloc(ri->vars, (ri->nvars + 1) * sizeof(*nv));
	if (nv == NULL)
		return perr_set(d->err, -ENOMEM, "out of memory");
	ri->vars = nv;
	nv[ri->nvars].key = strdup(k);
	nv[ri->nvars].value = strdup(v);
	if (nv[ri->nvars].key == NULL || nv[ri->nvars].value == NULL) {
		free(nv[ri->nvars].key);
		free(nv[ri->nvars].value);
		return perr_set(d->err, -ENOMEM, "out of memory");
	}
	ri->nvars++;
	return 0;
}

static int
add_type(struct rdoc *d, const char *k, const char *v)
{
	struct perr	verr = PERR_INIT;
	size_t		i = strspn(v, " \t");

	if (valid_process_type(k, strlen(k), &verr) != 0)
		return perr_set(d->err, -EINVAL, "bin/release: "
		    "default_process_types: %s", verr.msg);
	if (v[i] == '\0' || strchr(v, '\n') != NULL)
		return perr_set(d->err, -EINVAL, "bin/release: "
		    "default_process_types: bad command for '%s'", k);
	if (procfile_add(&d->ri->defaults, k, v + i, &verr) != 0)
		return perr_set(d->err, -EINVAL, "bin/release: "
		    "default_process_types: %s", verr.msg);
	return 0;
}

static int
do_vars(struct rdoc *d, yaml_node_t *v)
{
	return each_pair(d, v, "config_vars", add_var);
}

static int
do_types(struct rdoc *d, yaml_node_t *v)
{
	return each_pair(d, v, "default_process_types", add_type);
}

static const struct {
	const char	*key;
	release_key_fn	*fn;
} release_keys[] = {
	{ "addons",			do_addons },
	{ "config_vars",		do_vars },
	{ "default_process_types",	do_types },
};

static int
parse_root(struct rdoc *d, yaml_node_t *root)
{
	yaml_node_pair_t	*p;
	const char		*k;
	unsigned		 seen = 0;
	size_t			 i, nkeys;
	int			 rc;

	nkeys = sizeof(release_keys) / sizeof(release_keys[0]);
	if (root == NULL || is_null(root))
		return 0;
	if (root->type != YAML_MAPPING_NODE)
		return perr_set(d->err, -EINVAL, "bin/release: output is not "
		    "a YAML mapping");
	for (p = root->data.mapping.pairs.start;
	    p < root->data.mapping.pairs.top; p++) {
		k = scalar(yaml_document_get_node(d->doc, p->key));
		for (i = 0; k != NULL && i < nkeys; i++)
			if (strcmp(k, release_keys[i].key) == 0)
				break;
		if (k == NULL || i == nkeys)
			return perr_set(d->err, -EINVAL, "bin/release: unknown "
			    "key '%.60s'", k ? k : "(not a string)");
		if (seen & (1u << i))
			return perr_set(d->err, -EINVAL, "bin/release: key "
			    "'%s' given twice", k);
		seen |= 1u << i;
		rc = release_keys[i].fn(d, yaml_document_get_node(d->doc,
		    p->value));
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
release_parse(const char *text, size_t len, struct release_info *ri,
    struct perr *err)
{
	yaml_parser_t	p;
	yaml_document_t	doc, extra;
	struct rdoc	d = { &doc, ri, err };
	int		rc, more;

	if (len > RELEASE_MAX_BYTES)
		return perr_set(err, -E2BIG, "bin/release: output larger than "
		    "%d bytes", RELEASE_MAX_BYTES);
	if (!yaml_parser_initialize(&p))
		return perr_set(err, -ENOMEM, "bin/release: out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, &doc)) {
		rc = perr_set(err, -EINVAL, "bin/release: bad YAML at line "
		    "%zu: %s", p.problem_mark.line + 1,
		    p.problem ? p.problem : "parse error");
		yaml_parser_delete(&p);
		return rc;
	}
	rc = parse_root(&d, yaml_document_get_root_node(&doc));
	yaml_document_delete(&doc);
	if (rc == 0) {
		if (!yaml_parser_load(&p, &extra))
			rc = perr_set(err, -EINVAL, "bin/release: bad YAML at "
			    "line %zu: %s", p.problem_mark.line + 1,
			    p.problem ? p.problem : "parse error");
		else {
			more = yaml_document_get_root_node(&extra) != NULL;
			yaml_document_delete(&extra);
			if (more)
				rc = perr_set(err, -EINVAL, "bin/release: more "
				    "than one YAML document");
		}
	}
	yaml_parser_delete(&p);
	if (rc != 0)
		release_release(ri);
	return rc;
}
