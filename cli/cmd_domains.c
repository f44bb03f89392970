#include <ctype.h>
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "cmd.h"
#include "out.h"
#include "valid.h"

/* Lowercases a host argument into out and validates it. */
static int
host_arg(const char *arg, char *out, size_t outlen, struct perr *err)
{
	struct perr	why = PERR_INIT;
	size_t		i, len = strlen(arg);

	if (len >= outlen || valid_hostname(arg, len, 1, &why))
		return perr_set(err, -EINVAL, "%s (got '%s')", why.msg[0] ?
		    why.msg : "invalid hostname: too long", arg);
	for (i = 0; i <= len; i++)
		out[i] = (char)tolower((unsigned char)arg[i]);
	return 0;
}

static void
domains_kind(struct cli *c, json_t *ans, const char *app, int custom)
{
	json_t	*d;
	size_t	 i;
	int	 any = 0;

	json_array_foreach(ans, i, d)
		if ((strcmp(cli_jstr(d, "kind"), "custom") == 0) == custom) {
			if (!any)
				out_header(c->out, "%s %s Domains", app,
				    custom ? "Custom" : "Default");
			any = 1;
			fprintf(c->out, "%s\n", cli_jstr(d, "hostname"));
		}
	if (custom && !any)
		fprintf(c->out, "%s has no custom domains.\n", app);
}

int
cmd_domains(struct cli *c, int argc, char **argv, struct perr *err)
{
	json_t		*ans = NULL;
	const char	*app;

	(void)argc;
	(void)argv;
	if (cli_app(c, &app, err) ||
	    cli_call(c, "GET", NULL, &ans, err, "/apps/%s/domains", app))
		return CLI_FAIL;
	if (c->json) {
		cli_print_json(c, ans, err);
	} else {
		domains_kind(c, ans, app, 0);
		fputc('\n', c->out);
		domains_kind(c, ans, app, 1);
	}
	json_decref(ans);
	return CLI_OK;
}

int
cmd_domains_add(struct cli *c, int argc, char **argv, struct perr *err)
{
	json_t		*body, *ans = NULL;
	const char	*app;
	char		 host[VALID_HOST_MAX + 1];
	struct buf	 what = BUF_INIT;
	int		 rc;

	(void)argc;
	if (host_arg(argv[0], host, sizeof(host), err) || cli_app(c, &app, err))
		return CLI_FAIL;
	body = json_pack("{s:s}", "hostname", host);
	rc = cli_call(c, "POST", body, &ans, err, "/apps/%s/domains", app);
	json_decref(body);
	if (rc)
		return CLI_FAIL;
	buf_addf(&what, "Adding %s to %s", host, app);
	cli_done(c, what.p, 0);
	buf_release(&what);
	if (c->json)
		cli_print_json(c, ans, err);
	json_decref(ans);
	return CLI_OK;
}

int
cmd_domains_remove(struct cli *c, int argc, char **argv, struct perr *err)
{
	const char	*app;
	char		 host[VALID_HOST_MAX + 1];
	struct buf	 what = BUF_INIT;

	(void)argc;
	if (host_arg(argv[0], host, sizeof(host), err) || cli_app(c, &app, err))
		return CLI_FAIL;
	if (cli_call(c, "DELETE", NULL, NULL, err, "/apps/%s/domains/%s", app,
	    host))
		return CLI_FAIL;
	buf_addf(&what, "Removing %s from %s", host, app);
	cli_done(c, what.p, 0);
	buf_release(&what);
	return CLI_OK;
}
