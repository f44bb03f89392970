#ifndef PAAS_ARGS_H
#define PAAS_ARGS_H

#include <stddef.h>

#include "perr.h"
#include "valid.h"

/*
 * Pure parsers for command arguments; nothing here makes a syscall.
 * Each returns 0 or -EINVAL with "what is wrong" in err.
 */

enum args_scale_op {
	ARGS_SCALE_KEEP,	/* quantity unchanged (ps:resize) */
	ARGS_SCALE_SET,		/* web=3 */
	ARGS_SCALE_ADD,		/* web+1 */
	ARGS_SCALE_SUB,		/* web-1 */
};

#define ARGS_SIZE_MAX	16

struct args_scale {
	char			type[VALID_TYPE_MAX + 1];
	enum args_scale_op	op;
	unsigned		qty;			/* count or delta */
	char			size[ARGS_SIZE_MAX];	/* "" = unchanged */
};

/*
 * args_scale() parses TYPE=N, TYPE+N, TYPE-N, each with an optional
 * ":SIZE". N is 0..VALID_QUANTITY_MAX (a delta 1..VALID_QUANTITY_MAX).
 */
int	args_scale(const char *arg, struct args_scale *, struct perr *);
/*
 * args_scale_apply() turns a relative op into an absolute quantity
 * given the current one; -ERANGE with a message if out of 0..100.
 */
int	args_scale_apply(const struct args_scale *, unsigned current,
	    unsigned *qty, struct perr *);
/* args_resize() parses TYPE=SIZE into s (op ARGS_SCALE_KEEP). */
int	args_resize(const char *arg, struct args_scale *, struct perr *);
/*
 * args_app_from_url() takes the app name out of a git remote URL: the
 * last path component without ".git" ("http://h:7070/hello.git",
 * "git@h:hello", "/srv/hello.git/"). The result must be a valid app
 * name.
 */
int	args_app_from_url(const char *url, char *app, size_t applen,
	    struct perr *);
/* args_version() parses "v3" or "3" (at least 1). */
int	args_version(const char *arg, unsigned *version, struct perr *);

#endif
