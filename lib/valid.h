#ifndef PAAS_VALID_H
#define PAAS_VALID_H

#include <stddef.h>

#include "perr.h"

/*
 * Validators for every name that crosses the API edge. Each returns 0 or
 * -EINVAL with a message saying what is wrong. Pure: no syscalls.
 */
#define VALID_APP_MAX		30
#define VALID_KEY_MAX		255
#define VALID_VALUE_MAX		(32 * 1024)	/* bytes per config value */
#define VALID_CONFIG_MAX	(64 * 1024)	/* bytes of keys+values per app */
#define VALID_TYPE_MAX		63
#define VALID_HOST_MAX		253
#define VALID_QUANTITY_MAX	100

/* ^[a-z][a-z0-9-]{1,28}[a-z0-9]$ (Heroku's app name) */
int	valid_app_name(const char *s, size_t len, struct perr *);
/* ^[A-Za-z_][A-Za-z0-9_]*$, at most 255 bytes, no PAAS_ prefix */
int	valid_config_key(const char *s, size_t len, struct perr *);
/* at most 32 KiB, no NUL byte */
int	valid_config_value(const char *s, size_t len, struct perr *);
/* ^[a-z][a-z0-9_-]{0,62}$ (Procfile process type) */
int	valid_process_type(const char *s, size_t len, struct perr *);
/*
 * RFC 1123 host name: labels of 1..63 of [A-Za-z0-9-], not starting or
 * ending with '-', total at most 253; a leading "*." (wildcard) allowed
 * when wildcard is set. Case is the caller's business.
 */
int	valid_hostname(const char *s, size_t len, int wildcard, struct perr *);
/*
 * A deploy branch name: ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$, without ".."
 * and not ending in "." or ".lock" (a subset of git check-ref-format).
 */
#define VALID_BRANCH_MAX	63
int	valid_branch(const char *s, size_t len, struct perr *);
/* basic, standard, performance */
int	valid_size(const char *s, size_t len, struct perr *);

#endif
