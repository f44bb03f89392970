#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "out.h"

/*
 * Deploy tokens: a token that can git push and fetch one app (smart
 * HTTP), and nothing else, for CI. Shown once, at creation.
 */

/* tokens: the app's deploy tokens (id, last characters, created) */
int
cmd_tokens(struct cli *c, int argc, char **argv, struct perr *err)
{
	struct out_table	 t;
	json_t			*ans = NULL, *k;
	const char		*app;
	char			 hint[16];
	size_t			 i;

	(void)argc;
	(void)argv;
	if (cli_app(c, &app, err))
		return CLI_FAIL;
	if (cli_call(c, "GET", NULL, &ans, err, "/apps/%s/tokens", app))
		return CLI_FAIL;
	if (c->json) {
		cli_print_json(c, ans, err);
		json_decref(ans);
		return CLI_OK;
	}
	out_header(c->out, "%s Deploy Tokens", app);
	out_table_init(&t, 3, "  ");
	json_array_foreach(ans, i, k) {
		const char *row[3];

		snprintf(hint, sizeof(hint), "...%s", cli_jstr(k, "hint"));
		row[0] = cli_jstr(k, "id");
		row[1] = hint;
		row[2] = cli_jstr(k, "created_at");
		out_table_row(&t, row);
	}
	out_table_print(&t, c->out);
	out_table_release(&t);
	json_decref(ans);
	return CLI_OK;
}

/* tokens:create: a new deploy token, printed once on stdout */
int
cmd_tokens_create(struct cli *c, int argc, char **argv, struct perr *err)
{
	json_t		*ans = NULL;
	const char	*app;

	(void)argc;
	(void)argv;
	if (cli_app(c, &app, err))
		return CLI_FAIL;
	fprintf(c->msg, "Creating a deploy token for %s... ", app);
	if (cli_call(c, "POST", NULL, &ans, err, "/apps/%s/tokens", app)) {
		fprintf(c->msg, "failed\n");
		return CLI_FAIL;
	}
	fprintf(c->msg, "done\n");
	if (c->json)
		cli_print_json(c, ans, err);
	else {
		fprintf(c->out, "%s\n", cli_jstr(ans, "token"));
		fprintf(c->msg, "It can git push and fetch %s only; it is not "
		    "shown again.\n", app);
	}
	json_decref(ans);
	return CLI_OK;
}

/* tokens:revoke ID */
int
cmd_tokens_revoke(struct cli *c, int argc, char **argv, struct perr *err)
{
	json_t		*ans = NULL;
	const char	*app;

	(void)argc;
	if (strlen(argv[0]) != 36 || strspn(argv[0], "0123456789abcdef-") !=
	    36)
		return cli_usage(err, "'%s' is not a token id (see paas "
		    "tokens)", argv[0]);
	if (cli_app(c, &app, err))
		return CLI_FAIL;
	if (cli_call(c, "DELETE", NULL, &ans, err, "/apps/%s/tokens/%s", app,
	    argv[0]))
		return CLI_FAIL;
	fprintf(c->msg, "Revoking deploy token %s of %s... done\n", argv[0],
	    app);
	json_decref(ans);
	return CLI_OK;
}
