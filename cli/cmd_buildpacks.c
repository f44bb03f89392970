#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"

#define PACKS_MAX	16

static int
packs_get(struct cli *c, const char *app, json_t **list, struct perr *err)
{
	json_t *ans = NULL;

	if (cli_call(c, "GET", NULL, &ans, err, "/apps/%s/buildpacks", app))
		return CLI_FAIL;
	*list = json_incref(json_object_get(ans, "buildpacks"));
	json_decref(ans);
	if (!json_is_array(*list)) {
		json_decref(*list);
		return cli_fail(err, -EPROTO, "API answered no buildpack list");
	}
	return CLI_OK;
}

static int
packs_put(struct cli *c, const char *app, json_t *list, struct perr *err)
{
	json_t	*body, *ans = NULL;
	int	 rc;

	body = json_pack("{s:O}", "buildpacks", list);
	rc = cli_call(c, "PUT", body, &ans, err, "/apps/%s/buildpacks", app);
	json_decref(body);
	json_decref(ans);
	return rc ? CLI_FAIL : CLI_OK;
}

static void
packs_print(struct cli *c, const char *app, json_t *list)
{
	json_t	*v;
	size_t	 i;

	if (json_array_size(list) == 0) {
		fprintf(c->out, "%s has no buildpack set: the built-ins detect "
		    "the app's language on the next push\n", app);
		return;
	}
	fprintf(c->out, "=== %s Buildpack%s\n", app,
	    json_array_size(list) > 1 ? "s" : "");
	json_array_foreach(list, i, v)
		if (json_array_size(list) > 1)
			fprintf(c->out, "%zu. %s\n", i + 1, json_string_value(v));
		else
			fprintf(c->out, "%s\n", json_string_value(v));
}

int
cmd_buildpacks(struct cli *c, int argc, char **argv, struct perr *err)
{
	const char	*app;
	json_t		*list;

	(void)argc;
	(void)argv;
	if (cli_app(c, &app, err) || packs_get(c, app, &list, err))
		return CLI_FAIL;
	if (c->json)
		cli_print_json(c, list, err);
	else
		packs_print(c, app, list);
	json_decref(list);
	return CLI_OK;
}

/* buildpacks:set SPEC: the app's only buildpack */
int
cmd_buildpacks_set(struct cli *c, int argc, char **argv, struct perr *err)
{
	const char	*app;
	json_t		*list;
	int		 rc;

	(void)argc;
	if (cli_app(c, &app, err))
		return CLI_FAIL;
	list = json_pack("[s]", argv[0]);
	rc = packs_put(c, app, list, err);
	if (rc == CLI_OK) {
		fprintf(c->msg, "Buildpack set. Next release on %s will use %s.\n",
		    app, argv[0]);
		packs_print(c, app, list);
	}
	json_decref(list);
	return rc;
}

/* buildpacks:add SPEC: run after the ones already set */
int
cmd_buildpacks_add(struct cli *c, int argc, char **argv, struct perr *err)
{
	const char	*app;
	json_t		*list, *v;
	size_t		 i;
	int		 rc;

	(void)argc;
	if (cli_app(c, &app, err) || packs_get(c, app, &list, err))
		return CLI_FAIL;
	json_array_foreach(list, i, v)
		if (strcmp(json_string_value(v), argv[0]) == 0) {
			json_decref(list);
			return cli_fail(err, -EEXIST, "%s is already a buildpack "
			    "of %s", argv[0], app);
		}
	if (json_array_size(list) >= PACKS_MAX) {
		json_decref(list);
		return cli_fail(err, -E2BIG, "at most %d buildpacks", PACKS_MAX);
	}
	json_array_append_new(list, json_string(argv[0]));
	rc = packs_put(c, app, list, err);
	if (rc == CLI_OK) {
		fprintf(c->msg, "Buildpack added. Next release on %s will use "
		    "these buildpacks.\n", app);
		packs_print(c, app, list);
	}
	json_decref(list);
	return rc;
}

int
cmd_buildpacks_clear(struct cli *c, int argc, char **argv, struct perr *err)
{
	const char	*app;
	json_t		*list = json_array();
	int		 rc;

	(void)argc;
	(void)argv;
	rc = cli_app(c, &app, err) ? CLI_FAIL : packs_put(c, app, list, err);
	if (rc == CLI_OK)
		fprintf(c->msg, "Buildpacks cleared. Next release on %s will "
		    "detect the buildpack to use.\n", app);
	json_decref(list);
	return rc;
}
