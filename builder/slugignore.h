#ifndef PAAS_BUILDER_SLUGIGNORE_H
#define PAAS_BUILDER_SLUGIGNORE_H

#include <stddef.h>

#include "perr.h"

/*
 * .slugignore: one pattern a line, '#' comments, blank lines ignored, no
 * negation (Heroku has none). A pattern with a '/' (a leading one is
 * dropped) is matched against the whole path from the app root; one
 * without is matched against the last path component at any depth. A
 * trailing '/' matches directories only. Matching uses fnmatch(3) with
 * FNM_PATHNAME for anchored patterns. A matched directory drops its whole
 * subtree. Pure: no syscalls.
 */
#define SLUGIGNORE_MAX_BYTES	(64 * 1024)
#define SLUGIGNORE_MAX_PATTERNS	1000

struct slugignore_pat {
	char	*pat;
	int	 anchored;	/* match the whole path, not the basename */
	int	 dir_only;
};

struct slugignore {
	struct slugignore_pat	*v;
	size_t			 n;
};

#define SLUGIGNORE_INIT	{ NULL, 0 }

int	slugignore_parse(const char *text, size_t len, struct slugignore *,
	    struct perr *err);
void	slugignore_release(struct slugignore *);
/* slugignore_match() takes a path relative to the app root, no leading / */
int	slugignore_match(const struct slugignore *, const char *path,
	    int is_dir);

#endif
