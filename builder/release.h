#ifndef PAAS_BUILDER_RELEASE_H
#define PAAS_BUILDER_RELEASE_H

#include <stddef.h>

#include "perr.h"
#include "procfile.h"

/*
 * The YAML a buildpack's bin/release prints, read strictly with libyaml:
 * one document, a mapping (or empty/null) with only the keys "addons" (a
 * sequence of strings, kept but unused), "config_vars" (string to string;
 * keys and values as config vars allow) and "default_process_types"
 * (process type to command; types as the Procfile allows). Any other
 * key, type or a malformed document is an error. Pure: no syscalls.
 */
#define RELEASE_MAX_BYTES	(1024 * 1024)
#define RELEASE_MAX_ITEMS	1000

struct release_kv {
	char	*key;
	char	*value;
};

struct release_info {
	struct procfile		 defaults;	/* default_process_types */
	struct release_kv	*vars;		/* config_vars, in order */
	size_t			 nvars;
	char			**addons;
	size_t			 naddons;
};

void	release_init(struct release_info *);
void	release_release(struct release_info *);
int	release_parse(const char *text, size_t len, struct release_info *,
	    struct perr *err);
/* release_var() returns the value of a config var, or NULL */
const char *release_var(const struct release_info *, const char *key);

#endif
