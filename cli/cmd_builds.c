#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "cmd.h"
#include "out.h"

int
cmd_builds(struct cli *c, int argc, char **argv, struct perr *err)
{
	struct out_table	 t;
	json_t			*ans = NULL, *b;
	const char		*app;
	size_t			 i;

	(void)argc;
	(void)argv;
	if (cli_app(c, &app, err) ||
	    cli_call(c, "GET", NULL, &ans, err, "/apps/%s/builds", app))
		return CLI_FAIL;
	if (c->json) {
		cli_print_json(c, ans, err);
		json_decref(ans);
		return CLI_OK;
	}
	out_header(c->out, "%s Builds", app);
	out_table_init(&t, 5, "  ");
	json_array_foreach(ans, i, b) {
		char		 rel[24] = "";
		char		 commit[8];
		json_t		*r = json_object_get(b, "release");
		const char	*row[5];

		if (json_is_integer(r))
			snprintf(rel, sizeof(rel), "v%lld",
			    (long long)json_integer_value(r));
		snprintf(commit, sizeof(commit), "%.7s", cli_jstr(b, "commit"));
		row[0] = cli_jstr(b, "id");
		row[1] = cli_jstr(b, "status");
		row[2] = commit;
		row[3] = rel;
		row[4] = cli_jstr(b, "created_at");
		out_table_row(&t, row);
	}
	out_table_print(&t, c->out);
	out_table_release(&t);
	json_decref(ans);
	return CLI_OK;
}

static int
write_out(void *arg, const char *p, size_t n)
{
	struct cli *c = arg;

	return fwrite(p, 1, n, c->out) == n ? 0 : -1;
}

/* builds:output [ID]: default the latest build */
int
cmd_builds_output(struct cli *c, int argc, char **argv, struct perr *err)
{
	struct client	*cl;
	const char	*app, *id = argc > 0 ? argv[0] : "latest";
	char		 path[256];

	if (strspn(id, "0123456789abcdef-") != strlen(id) &&
	    strcmp(id, "latest") != 0)
		return cli_usage(err, "invalid build id '%s'", id);
	if (cli_app(c, &app, err) != 0 || cli_client(c, &cl, err) != 0)
		return CLI_FAIL;
	snprintf(path, sizeof(path), "/apps/%s/builds/%.64s/output", app, id);
	return client_stream(cl, "GET", path, NULL, 0, write_out, c, err) == 0 ? CLI_OK :
	    CLI_FAIL;
}
