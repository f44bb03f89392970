#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "out.h"
#include "parse.h"
#include "valid.h"

/* TYPE or TYPE.N, checked before it goes into a path */
static int
dyno_arg(const char *s, int need_index, struct perr *err)
{
	size_t	n = strcspn(s, ".");
	int	idx;

	if (valid_process_type(s, n, NULL) != 0 ||
	    (s[n] == '\0' && need_index) ||
	    (s[n] == '.' && parse_int(s + n + 1, 1, 100000, &idx) != 0))
		return cli_usage(err, "'%s' is not %s", s, need_index ?
		    "TYPE.N (e.g. web.1)" : "TYPE or TYPE.N (e.g. web, web.1)");
	return CLI_OK;
}

static void
uptime(long long s, char *out, size_t outlen)
{
	if (s < 0 || s > 99999999)
		s = 0;
	if (s < 60)
		snprintf(out, outlen, "%llds", s);
	else if (s < 3600)
		snprintf(out, outlen, "%lldm", s / 60);
	else
		snprintf(out, outlen, "%lldh", s / 3600);
}

/* ps: Heroku's "=== web (basic): cmd" groups, one line per dyno */
int
cmd_ps(struct cli *c, int argc, char **argv, struct perr *err)
{
	json_t		*ans = NULL, *d;
	const char	*app, *last = "";
	size_t		 i;

	(void)argc;
	(void)argv;
	if (cli_app(c, &app, err) ||
	    cli_call(c, "GET", NULL, &ans, err, "/apps/%s/dynos", app))
		return CLI_FAIL;
	if (c->json) {
		cli_print_json(c, ans, err);
		json_decref(ans);
		return CLI_OK;
	}
	if (json_array_size(ans) == 0)
		fprintf(c->out, "No dynos on %s\n", app);
	json_array_foreach(ans, i, d) {
		char		 up[32], extra[64] = "";
		const char	*type = cli_jstr(d, "type");
		json_t		*r = json_object_get(d, "restart_in_s");

		if (strcmp(type, last) != 0) {
			if (i)
				fputc('\n', c->out);
			fprintf(c->out, "=== %s (%s): %s\n", type,
			    cli_jstr(d, "size"), cli_jstr(d, "command"));
			last = type;
		}
		uptime((long long)json_integer_value(json_object_get(d,
		    "uptime_s")), up, sizeof(up));
		if (json_is_integer(r))
			snprintf(extra, sizeof(extra), ", restart in %llds",
			    (long long)json_integer_value(r));
		fprintf(c->out, "%s: %s %s ago (v%lld%s)\n", cli_jstr(d, "name"),
		    cli_jstr(d, "state"), up, (long long)json_integer_value(
		    json_object_get(d, "release")), extra);
	}
	json_decref(ans);
	return CLI_OK;
}

/* ps:restart [TYPE|TYPE.N]: rolling, new before old */
int
cmd_ps_restart(struct cli *c, int argc, char **argv, struct perr *err)
{
	json_t		*ans = NULL;
	const char	*app;
	int		 rc;

	if (argc > 0 && (rc = dyno_arg(argv[0], 0, err)) != CLI_OK)
		return rc;
	if (cli_app(c, &app, err))
		return CLI_FAIL;
	if (argc > 0)
		rc = cli_call(c, "DELETE", NULL, &ans, err, "/apps/%s/dynos/%s",
		    app, argv[0]);
	else
		rc = cli_call(c, "DELETE", NULL, &ans, err, "/apps/%s/dynos",
		    app);
	json_decref(ans);
	if (rc)
		return CLI_FAIL;
	fprintf(c->msg, "Restarting %s on %s... done\n", argc > 0 ? argv[0] :
	    "dynos", app);
	return CLI_OK;
}

/* ps:stop TYPE.N */
int
cmd_ps_stop(struct cli *c, int argc, char **argv, struct perr *err)
{
	json_t		*ans = NULL;
	const char	*app;
	int		 rc;

	(void)argc;
	if ((rc = dyno_arg(argv[0], 1, err)) != CLI_OK)
		return rc;
	if (cli_app(c, &app, err) ||
	    cli_call(c, "POST", NULL, &ans, err,
	    "/apps/%s/dynos/%s/actions/stop", app, argv[0]))
		return CLI_FAIL;
	json_decref(ans);
	fprintf(c->msg, "Stopping %s on %s... done\n", argv[0], app);
	return CLI_OK;
}
