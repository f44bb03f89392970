#ifndef PAAS_ENV_H
#define PAAS_ENV_H

#include <stddef.h>

#include "perr.h"

/*
 * Config vars as the CLI reads them: KEY=VALUE arguments and .env files.
 * Pure: no syscalls. Keys are checked with valid_config_key(), values
 * with valid_config_value().
 */
struct env_var {
	char	*key;
	char	*value;
	size_t	 valuelen;
};

struct env_list {
	struct env_var	*v;
	size_t		 n;
	size_t		 cap;
};

#define ENV_LIST_INIT	{ NULL, 0, 0 }

void	env_list_release(struct env_list *);
/* env_list_add() copies key and value; a repeated key replaces the old. */
void	env_list_add(struct env_list *, const char *key, size_t keylen,
	    const char *value, size_t valuelen);

/*
 * env_parse_arg() parses one "KEY=VALUE" argument: everything after the
 * first '=' is the value, taken literally. -EINVAL with a message.
 */
int	env_parse_arg(const char *arg, struct env_list *, struct perr *);

/*
 * env_parse() parses a .env text: KEY=VALUE lines, an optional "export "
 * prefix, "#" comment lines and blank lines; spaces around '=' are
 * ignored. Values: 'single quoted' is literal; "double quoted" knows
 * \n \" \\ (other backslashes stay as they are); unquoted values are
 * trimmed and end at " #" (a comment). After a closing quote only spaces
 * and a comment may follow. A bad line fails the whole text with
 * "line N: why" in err.
 */
int	env_parse(const char *text, size_t len, struct env_list *,
	    struct perr *);

#endif
