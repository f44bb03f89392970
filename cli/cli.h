#ifndef PAAS_CLI_H
#define PAAS_CLI_H

#include <stdio.h>

#include <jansson.h>

#include "perr.h"

/*
 * Program-wide limits and the one context of the paas CLI. A command is
 * a function from the table in main.c; it gets the context, its own
 * positional arguments (global flags already removed) and a perr for
 * the one line main() prints on failure.
 */
#define CLI_VERSION		"0.1.0"
#define CLI_DEFAULT_API		"unix:/var/lib/paas/paasd.sock"
#define CLI_REMOTE		"paas"		/* git remote name */
#define CLI_STDIN_MAX_BYTES	(1024 * 1024)	/* config:set < .env */
#define CLI_ARGS_MAX		256		/* KEY=VALUE or TYPE=N args */

/* Exit statuses, and what a command returns. */
enum cli_status {
	CLI_OK = 0,
	CLI_FAIL = 1,		/* the operation failed; err says why */
	CLI_USAGE = 2,		/* bad command line; err says what */
};

struct client;

struct cli {
	const char	*api;		/* --api, PAAS_API or the default */
	int		 api_explicit;	/* api came from --api or PAAS_API */
	const char	*app_flag;	/* -a/--app, NULL if absent */
	const char	*confirm;	/* --confirm, NULL if absent */
	const char	*num;		/* logs -n N, NULL if absent */
	int		 tail;		/* logs -t */
	const char	*source;	/* logs --source */
	const char	*dyno;		/* logs --dyno */
	const char	*size;		/* run --size */
	int		 tty;		/* run --tty 1, --no-tty -1, else 0 */
	int		 json;		/* --json */
	const char	*self;		/* absolute path of this binary */
	struct client	*client;	/* opened on first use */
	FILE		*out;		/* data: stdout */
	FILE		*msg;		/* progress lines: stderr */
};

/* The command line with global flags taken out. */
struct cli_args {
	int	 help;
	int	 version;
	int	 n;
	char	**v;		/* positionals; v[0] is the command */
};

/*
 * cli_split_args() takes the global flags (--api, -a/--app, --json,
 * --confirm, -h/--help, --version; "--flag=value" works too) out of
 * argv wherever they are, into c and a; "--" ends flags. a->v must have
 * room for argc pointers. CLI_USAGE with err set on a bad flag.
 */
int	cli_split_args(int argc, char **argv, struct cli *, struct cli_args *,
	    struct perr *);

typedef int cli_cmd_fn(struct cli *, int argc, char **argv,
    struct perr *);

/*
 * cli_client() connects the client on first use (API URL and token
 * resolution happen here, so commands that need no API never fail on
 * them). cli_app() resolves the app: -a, PAAS_APP, then the paas git
 * remote of the repository around the current directory.
 */
int	cli_client(struct cli *, struct client **, struct perr *);
int	cli_app(struct cli *, const char **app, struct perr *);
/* cli_token() finds the API token: PAAS_TOKEN, else DIR/admin-token. */
int	cli_token(struct cli *, char *token, size_t tokenlen, struct perr *);
/* cli_print_json() prints v pretty, keys sorted, to cli->out. */
int	cli_print_json(struct cli *, json_t *v, struct perr *);

/*
 * cli_call() sends one API request: method, a path built from fmt, an
 * optional JSON body. 0 with *out (a new reference, may be NULL), or a
 * negative errno with err set. out may be NULL when the answer is not
 * needed.
 */
int	cli_call(struct cli *, const char *method, json_t *body,
	    json_t **out, struct perr *, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));
/* cli_usage() sets err and returns CLI_USAGE; cli_fail() CLI_FAIL. */
int	cli_usage(struct perr *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	cli_fail(struct perr *, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* cli_jstr() is the string member key of o, or "" if absent or not one. */
const char *cli_jstr(json_t *o, const char *key);
/* cli_done() prints the progress line "what... done[, vN]" to cli->msg. */
void	cli_done(struct cli *, const char *what, long long version);

#endif
