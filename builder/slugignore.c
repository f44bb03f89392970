#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "slice.h"
#include "slugignore.h"

void
slugignore_release(struct slugignore *si)
{
	size_t	i;

	for (i = 0; i < si->n; i++)
		free(si->v[i].pat);
	free(si->v);
	si->v = NULL;
	si->n = 0;
}

static int
add_pattern(struct slugignore *si, struct slice l, struct perr *err)
{
	struct slugignore_pat	*v, p = { NULL, 0, 0 };

	if (l.len > 0 && l.p[l.len - 1] == '/') {
		p.dir_only = 1;
		l.len--;
	}
	if (l.len > 0 && l.p[0] == '/') {
		p.anchored = 1;
		l.p++;
		l.len--;
	}
	if (l.len == 0)
		return 0;
	if (memchr(l.p, '/', l.len) != NULL)
		p.anchored = 1;
	if (si->n >= SLUGIGNORE_MAX_PATTERNS)
		return perr_set(err, -E2BIG, ".slugignore has more than %d "
		    "patterns", SLUGIGNORE_MAX_PATTERNS);
	p.pat = strndup(l.p, l.len);
	v = realloc(si->v, (si->n + 1) * sizeof(*v));
	if (p.pat == NULL || v == NULL) {
		free(p.pat);
		if (v != NULL)
			si->v = v;
		return perr_set(err, -ENOMEM, ".slugignore: out of memory");
	}
	si->v = v;
	si->v[si->n++] = p;
	return 0;
}

int
slugignore_parse(const char *text, size_t len, struct slugignore *si,
    struct perr *err)
{
	const char	*p = text, *end = text + len, *nl;
	struct slice	 l;
	int		 rc = 0;

	if (len > SLUGIGNORE_MAX_BYTES)
		return perr_set(err, -E2BIG, ".slugignore is larger than %d "
		    "bytes", SLUGIGNORE_MAX_BYTES);
	if (len > 0 && memchr(text, '\0', len) != NULL)
		return perr_set(err, -EINVAL, ".slugignore contains a NUL "
		    "byte");
	while (p < end && rc == 0) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l = slice_from(p, nl ? (size_t)(nl - p) : (size_t)(end - p));
		p = nl ? nl + 1 : end;
		if (l.len > 0 && l.p[l.len - 1] == '\r')
			l.len--;
		l = slice_trim(l);
		if (l.len == 0 || l.p[0] == '#')
			continue;
		rc = add_pattern(si, l, err);
	}
	if (rc != 0)
		slugignore_release(si);
	return rc;
}

int
slugignore_match(const struct slugignore *si, const char *path, int is_dir)
{
	const char	*base;
	size_t		 i;

	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (i = 0; i < si->n; i++) {
		if (si->v[i].dir_only && !is_dir)
			continue;
		if (si->v[i].anchored) {
			if (fnmatch(si->v[i].pat, path, FNM_PATHNAME) == 0)
				return 1;
		} else if (fnmatch(si->v[i].pat, base, 0) == 0) {
			return 1;
		}
	}
	return 0;
}
