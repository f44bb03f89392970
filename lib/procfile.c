#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "procfile.h"
#include "slice.h"
#include "valid.h"

void
procfile_release(struct procfile *pf)
{
	size_t	i;

	for (i = 0; i < pf->n; i++) {
		free(pf->v[i].type);
		free(pf->v[i].command);
	}
	free(pf->v);
	pf->v = NULL;
	pf->n = 0;
}

const char *
procfile_get(const struct procfile *pf, const char *type)
{
	size_t	i;

	for (i = 0; i < pf->n; i++)
		if (strcmp(pf->v[i].type, type) == 0)
			return pf->v[i].command;
	return NULL;
}

static char *
dup_slice(struct slice s)
{
	char	*p;

	p = malloc(s.len + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s.p, s.len);
	p[s.len] = '\0';
	return p;
}

static int
add_entry(struct procfile *pf, struct slice type, struct slice cmd,
    unsigned line, struct perr *err)
{
	struct procfile_entry	*v, *e;

	if (pf->n >= PROCFILE_MAX_ENTRIES)
		return perr_set(err, -E2BIG, "Procfile line %u: more than %d "
		    "process types", line, PROCFILE_MAX_ENTRIES);
	v = realloc(pf->v, (pf->n + 1) * sizeof(*v));
	if (v == NULL)
		return perr_set(err, -ENOMEM, "Procfile: out of memory");
	pf->v = v;
	e = &pf->v[pf->n];
	e->type = dup_slice(type);
	e->command = dup_slice(cmd);
	e->line = line;
	if (e->type == NULL || e->command == NULL) {
		free(e->type);
		free(e->command);
		return perr_set(err, -ENOMEM, "Procfile: out of memory");
	}
	pf->n++;
	return 0;
}

int
procfile_add(struct procfile *pf, const char *type, const char *cmd,
    struct perr *err)
{
	if (procfile_get(pf, type) != NULL)
		return perr_set(err, -EEXIST, "process type '%s' defined "
		    "twice", type);
	return add_entry(pf, slice_cstr(type), slice_cstr(cmd), 0, err);
}

static int
parse_line(struct procfile *pf, struct slice l, unsigned line,
    struct perr *err)
{
	const char	*colon;
	struct slice	 type, cmd;
	struct perr	 verr = PERR_INIT;
	size_t		 i;

	l = slice_trim(l);
	if (l.len == 0 || l.p[0] == '#')
		return 0;
	colon = memchr(l.p, ':', l.len);
	if (colon == NULL)
		return perr_set(err, -EINVAL, "Procfile line %u: expected "
		    "'type: command'", line);
	type = slice_from(l.p, (size_t)(colon - l.p));
	cmd = slice_trim(slice_from(colon + 1, l.len - type.len - 1));
	if (valid_process_type(type.p, type.len, &verr) != 0)
		return perr_set(err, -EINVAL, "Procfile line %u: %s", line,
		    verr.msg);
	if (cmd.len == 0)
		return perr_set(err, -EINVAL, "Procfile line %u: empty "
		    "command for '%.*s'", line, (int)type.len, type.p);
	for (i = 0; i < pf->n; i++)
		if (slice_eq_cstr(type, pf->v[i].type))
			return perr_set(err, -EINVAL, "Procfile line %u: "
			    "process type '%.*s' already defined on line %u",
			    line, (int)type.len, type.p, pf->v[i].line);
	return add_entry(pf, type, cmd, line, err);
}

int
procfile_parse(const char *text, size_t len, struct procfile *pf,
    struct perr *err)
{
	const char	*p = text, *end = text + len, *nl;
	struct slice	 l;
	unsigned	 line = 0;
	int		 rc = 0;

	if (len > PROCFILE_MAX_BYTES)
		return perr_set(err, -E2BIG, "Procfile is larger than %d "
		    "bytes", PROCFILE_MAX_BYTES);
	if (len > 0 && memchr(text, '\0', len) != NULL)
		return perr_set(err, -EINVAL, "Procfile contains a NUL byte");
	while (p < end) {
		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		l = slice_from(p, nl ? (size_t)(nl - p) : (size_t)(end - p));
		p = nl ? nl + 1 : end;
		if (l.len > 0 && l.p[l.len - 1] == '\r')
			l.len--;
		if (memchr(l.p, '\r', l.len) != NULL) {
			rc = perr_set(err, -EINVAL, "Procfile line %u: stray "
			    "carriage return", line);
			break;
		}
		rc = parse_line(pf, l, line, err);
		if (rc != 0)
			break;
	}
	if (rc != 0)
		procfile_release(pf);
	return rc;
}

int
procfile_fuzz(const uint8_t *data, size_t size)
{
	struct procfile	pf = PROCFILE_INIT;
	struct perr	err = PERR_INIT;

	if (procfile_parse((const char *)data, size, &pf, &err) == 0)
		procfile_release(&pf);
	return 0;
}
