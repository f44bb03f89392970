#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "cmd.h"
#include "out.h"
#include "parse.h"
#include "valid.h"

/* The app a command names: its argument if it has one, else -a etc. */
static int
named_app(struct cli *c, int argc, char **argv, const char **app,
    struct perr *err)
{
	struct perr why = PERR_INIT;

	if (argc == 0)
		return cli_app(c, app, err);
	*app = argv[0];
	if (valid_app_name(*app, strlen(*app), &why))
		return perr_set(err, -EINVAL, "%s (got '%s')", why.msg, *app);
	return 0;
}

int
cmd_apps(struct cli *c, int argc, char **argv, struct perr *err)
{
	json_t	*ans = NULL, *a;
	size_t	 i;

	(void)argc;
	(void)argv;
	if (cli_call(c, "GET", NULL, &ans, err, "/apps"))
		return CLI_FAIL;
	if (c->json) {
		cli_print_json(c, ans, err);
		goto out;
	}
	if (json_array_size(ans) == 0) {
		fprintf(c->out, "You have no apps.\n");
		goto out;
	}
	out_header(c->out, "Apps");
	json_array_foreach(ans, i, a)
		fprintf(c->out, "%s\n", cli_jstr(a, "name"));
out:
	json_decref(ans);
	return CLI_OK;
}

int
cmd_apps_create(struct cli *c, int argc, char **argv, struct perr *err)
{
	json_t		*ans = NULL, *body;
	const char	*app;
	struct buf	 what = BUF_INIT;
	int		 rc;

	if (argc == 0 && c->app_flag == NULL)
		return cli_usage(err, "missing app NAME");
	if (named_app(c, argc, argv, &app, err))
		return CLI_FAIL;
	body = json_pack("{s:s}", "name", app);
	rc = cli_call(c, "POST", body, &ans, err, "/apps");
	json_decref(body);
	if (rc)
		return CLI_FAIL;
	buf_addf(&what, "Creating %s", app);
	cli_done(c, what.p, 0);
	buf_release(&what);
	if (c->json)
		cli_print_json(c, ans, err);
	else
		fprintf(c->out, "%s | %s\n", cli_jstr(ans, "web_url"),
		    cli_jstr(ans, "git_url"));
	json_decref(ans);
	return CLI_OK;
}

int
cmd_apps_destroy(struct cli *c, int argc, char **argv, struct perr *err)
{
	const char	*app;
	struct buf	 what = BUF_INIT;

	if (argc == 0 && c->app_flag == NULL)
		return cli_usage(err, "missing app NAME");
	if (named_app(c, argc, argv, &app, err))
		return CLI_FAIL;
	if (c->confirm == NULL || strcmp(c->confirm, app) != 0)
		return cli_fail(err, -EPERM, "this permanently destroys %s and "
		    "all its data; to proceed, run: paas apps:destroy %s "
		    "--confirm %s", app, app, app);
	if (cli_call(c, "DELETE", NULL, NULL, err, "/apps/%s", app))
		return CLI_FAIL;
	buf_addf(&what, "Destroying %s", app);
	cli_done(c, what.p, 0);
	buf_release(&what);
	return CLI_OK;
}

static void
info_dynos(json_t *form, struct buf *b)
{
	json_t	*f;
	size_t	 i;

	json_array_foreach(form, i, f) {
		if (b->len > 0)
			buf_adds(b, ", ");
		buf_addf(b, "%s: %lld", cli_jstr(f, "type"),
		    (long long)json_integer_value(json_object_get(f,
		    "quantity")));
	}
}

static void
info_print(struct cli *c, json_t *app, json_t *form)
{
	struct out_table	 t;
	struct buf		 dynos = BUF_INIT, rel = BUF_INIT;
	json_t			*v = json_object_get(app, "release_version");

	if (json_is_integer(v))
		buf_addf(&rel, "v%lld", (long long)json_integer_value(v));
	info_dynos(form, &dynos);
	out_table_init(&t, 2, " ");
	out_table_kv(&t, "Git URL", cli_jstr(app, "git_url"));
	out_table_kv(&t, "Web URL", cli_jstr(app, "web_url"));
	out_table_kv(&t, "Release", rel.p);
	out_table_kv(&t, "Dynos", dynos.p);
	out_table_kv(&t, "Maintenance", json_is_true(json_object_get(app,
	    "maintenance")) ? "on" : "off");
	out_table_kv(&t, "Created", cli_jstr(app, "created_at"));
	out_table_kv(&t, "Updated", cli_jstr(app, "updated_at"));
	out_header(c->out, "%s", cli_jstr(app, "name"));
	out_table_print(&t, c->out);
	out_table_release(&t);
	buf_release(&dynos);
	buf_release(&rel);
}

int
cmd_apps_info(struct cli *c, int argc, char **argv, struct perr *err)
{
	json_t		*app = NULL, *form = NULL;
	const char	*name;
	int		 rc = CLI_FAIL;

	if (named_app(c, argc, argv, &name, err))
		return CLI_FAIL;
	if (cli_call(c, "GET", NULL, &app, err, "/apps/%s", name))
		goto out;
	rc = CLI_OK;
	if (c->json) {
		cli_print_json(c, app, err);
		goto out;
	}
	if (cli_call(c, "GET", NULL, &form, err, "/apps/%s/formation", name)) {
		rc = CLI_FAIL;
		goto out;
	}
	info_print(c, app, form);
out:
	json_decref(app);
	json_decref(form);
	return rc;
}

int
cmd_maintenance(struct cli *c, int argc, char **argv, struct perr *err)
{
	json_t		*app = NULL;
	const char	*name;

	(void)argc;
	(void)argv;
	if (cli_app(c, &name, err))
		return CLI_FAIL;
	if (cli_call(c, "GET", NULL, &app, err, "/apps/%s", name))
		return CLI_FAIL;
	if (c->json)
		cli_print_json(c, json_object_get(app, "maintenance"), err);
	else
		fprintf(c->out, "%s\n", json_is_true(json_object_get(app,
		    "maintenance")) ? "on" : "off");
	json_decref(app);
	return CLI_OK;
}

static int
maintenance_set(struct cli *c, int on, struct perr *err)
{
	json_t		*body;
	const char	*name;
	struct buf	 what = BUF_INIT;
	int		 rc;

	if (cli_app(c, &name, err))
		return CLI_FAIL;
	body = json_pack("{s:b}", "maintenance", on);
	rc = cli_call(c, "PATCH", body, NULL, err, "/apps/%s", name);
	json_decref(body);
	if (rc)
		return CLI_FAIL;
	buf_addf(&what, "%s maintenance mode for %s", on ? "Enabling" :
	    "Disabling", name);
	cli_done(c, what.p, 0);
	buf_release(&what);
	return CLI_OK;
}

int
cmd_maintenance_on(struct cli *c, int argc, char **argv, struct perr *err)
{
	(void)argc;
	(void)argv;
	return maintenance_set(c, 1, err);
}

int
cmd_maintenance_off(struct cli *c, int argc, char **argv, struct perr *err)
{
	(void)argc;
	(void)argv;
	return maintenance_set(c, 0, err);
}

/*
 * apps:settings [boot_timeout=SECONDS] [grace=SECONDS] [deploy_branch=B]:
 * how long a web process may take to bind $PORT, how long a stopped
 * process gets between SIGTERM and SIGKILL, and which branch a git push
 * deploys (main). No arguments: show them.
 */
int
cmd_apps_settings(struct cli *c, int argc, char **argv, struct perr *err)
{
	json_t		*body, *ans = NULL;
	const char	*app;
	int		 i, v, rc;

	if (cli_app(c, &app, err))
		return CLI_FAIL;
	body = json_object();
	for (i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');

		if (strncmp(argv[i], "deploy_branch=", 14) == 0) {
			if (valid_branch(argv[i] + 14, strlen(argv[i] + 14),
			    err) != 0) {
				json_decref(body);
				return CLI_USAGE;
			}
			json_object_set_new(body, "deploy_branch",
			    json_string(argv[i] + 14));
			continue;
		}
		if (eq == NULL || parse_int(eq + 1, 0, 3600, &v) != 0 ||
		    ((size_t)(eq - argv[i]) == strlen("boot_timeout") &&
		    strncmp(argv[i], "boot_timeout", 12) == 0 && v < 1)) {
			json_decref(body);
			return cli_usage(err, "'%s': use boot_timeout=1..3600, "
			    "grace=0..3600 or deploy_branch=BRANCH", argv[i]);
		}
		if (strncmp(argv[i], "boot_timeout=", 13) == 0)
			json_object_set_new(body, "boot_timeout", json_integer(v));
		else if (strncmp(argv[i], "grace=", 6) == 0)
			json_object_set_new(body, "grace", json_integer(v));
		else {
			json_decref(body);
			return cli_usage(err, "unknown setting '%s'", argv[i]);
		}
	}
	rc = argc ? cli_call(c, "PATCH", body, &ans, err, "/apps/%s", app) :
	    cli_call(c, "GET", NULL, &ans, err, "/apps/%s", app);
	json_decref(body);
	if (rc) {
		json_decref(ans);
		return CLI_FAIL;
	}
	if (c->json)
		cli_print_json(c, ans, err);
	else
		fprintf(c->out, "=== %s Settings\nboot_timeout:  %llds\n"
		    "grace:         %llds\ndeploy_branch: %s\n", app,
		    (long long)json_integer_value(json_object_get(ans,
		    "boot_timeout")), (long long)json_integer_value(
		    json_object_get(ans, "grace")), json_string_value(
		    json_object_get(ans, "deploy_branch")) ?
		    json_string_value(json_object_get(ans, "deploy_branch")) :
		    "main");
	json_decref(ans);
	return CLI_OK;
}
