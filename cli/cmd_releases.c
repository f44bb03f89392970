#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "args.h"
#include "buf.h"
#include "cmd.h"
#include "out.h"

static long long
jint(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void
release_row(struct out_table *t, json_t *r)
{
	struct buf	 v = BUF_INIT, d = BUF_INIT;
	const char	*st = cli_jstr(r, "status");
	const char	*row[3];

	buf_addf(&v, "v%lld", jint(r, "version"));
	buf_adds(&d, cli_jstr(r, "description"));
	if (*st != '\0' && strcmp(st, "succeeded") != 0)
		buf_addf(&d, " (%s)", st);
	row[0] = v.p;
	row[1] = d.p;
	row[2] = cli_jstr(r, "created_at");
	out_table_row(t, row);
	buf_release(&v);
	buf_release(&d);
}

int
cmd_releases(struct cli *c, int argc, char **argv, struct perr *err)
{
	struct out_table	 t;
	json_t			*ans = NULL, *r;
	const char		*app;
	long long		 cur = 0;
	size_t			 i;

	(void)argc;
	(void)argv;
	if (cli_app(c, &app, err) ||
	    cli_call(c, "GET", NULL, &ans, err, "/apps/%s/releases", app))
		return CLI_FAIL;
	if (c->json) {
		cli_print_json(c, ans, err);
		goto out;
	}
	if (json_array_size(ans) == 0) {
		fprintf(c->out, "%s has no releases.\n", app);
		goto out;
	}
	out_table_init(&t, 3, "  ");
	json_array_foreach(ans, i, r) {
		if (json_is_true(json_object_get(r, "current")))
			cur = jint(r, "version");
		release_row(&t, r);
	}
	if (cur > 0)
		out_header(c->out, "%s Releases - Current: v%lld", app, cur);
	else
		out_header(c->out, "%s Releases", app);
	out_table_print(&t, c->out);
	out_table_release(&t);
out:
	json_decref(ans);
	return CLI_OK;
}

/* The app's current release version, or 0 with err set. */
static long long
current_version(struct cli *c, const char *app, struct perr *err)
{
	json_t		*ans = NULL;
	long long	 v = 0;

	if (cli_call(c, "GET", NULL, &ans, err, "/apps/%s", app))
		return 0;
	v = jint(ans, "release_version");
	if (v <= 0)
		perr_set(err, -ENOENT, "%s has no releases", app);
	json_decref(ans);
	return v;
}

static void
print_map(struct cli *c, const char *title, long long v, json_t *obj)
{
	struct out_table	 t;
	const char		*k;
	json_t			*val;

	fputc('\n', c->out);
	out_header(c->out, "v%lld %s", v, title);
	out_table_init(&t, 2, " ");
	json_object_foreach(obj, k, val)
		out_table_kv(&t, k, json_string_value(val));
	out_table_print(&t, c->out);
	out_table_release(&t);
}

static void
release_print(struct cli *c, json_t *r)
{
	struct out_table	 t;
	long long		 v = jint(r, "version");

	out_header(c->out, "Release v%lld", v);
	out_table_init(&t, 2, " ");
	out_table_kv(&t, "Change", cli_jstr(r, "description"));
	out_table_kv(&t, "Status", cli_jstr(r, "status"));
	out_table_kv(&t, "When", cli_jstr(r, "created_at"));
	out_table_kv(&t, "Current", json_is_true(json_object_get(r,
	    "current")) ? "yes" : "no");
	out_table_kv(&t, "Commit", cli_jstr(r, "commit"));
	out_table_kv(&t, "Image", cli_jstr(r, "image"));
	out_table_print(&t, c->out);
	out_table_release(&t);
	print_map(c, "Config vars", v, json_object_get(r, "config_vars"));
	print_map(c, "Process Types", v, json_object_get(r,
	    "process_types"));
}

int
cmd_releases_info(struct cli *c, int argc, char **argv, struct perr *err)
{
	json_t		*ans = NULL;
	const char	*app;
	unsigned	 v;
	long long	 cur;

	if (argc > 0 && args_version(argv[0], &v, err))
		return CLI_FAIL;
	if (cli_app(c, &app, err))
		return CLI_FAIL;
	if (argc == 0) {
		cur = current_version(c, app, err);
		if (cur <= 0)
			return CLI_FAIL;
		v = (unsigned)cur;
	}
	if (cli_call(c, "GET", NULL, &ans, err, "/apps/%s/releases/%u", app,
	    v))
		return CLI_FAIL;
	if (c->json)
		cli_print_json(c, ans, err);
	else
		release_print(c, ans);
	json_decref(ans);
	return CLI_OK;
}

int
cmd_rollback(struct cli *c, int argc, char **argv, struct perr *err)
{
	json_t		*body, *ans = NULL;
	const char	*app;
	struct buf	 what = BUF_INIT;
	unsigned	 v;
	long long	 cur;
	int		 rc;

	if (argc > 0 && args_version(argv[0], &v, err))
		return CLI_FAIL;
	if (cli_app(c, &app, err))
		return CLI_FAIL;
	if (argc == 0) {
		cur = current_version(c, app, err);
		if (cur <= 0)
			return CLI_FAIL;
		if (cur == 1)
			return cli_fail(err, -ENOENT, "%s has no release before "
			    "v1 to roll back to", app);
		v = (unsigned)(cur - 1);
	}
	body = json_pack("{s:I}", "rollback", (json_int_t)v);
	rc = cli_call(c, "POST", body, &ans, err, "/apps/%s/releases", app);
	json_decref(body);
	if (rc)
		return CLI_FAIL;
	buf_addf(&what, "Rolling back %s to v%u", app, v);
	cli_done(c, what.p, jint(ans, "version"));
	buf_release(&what);
	if (c->json)
		cli_print_json(c, ans, err);
	json_decref(ans);
	return CLI_OK;
}
