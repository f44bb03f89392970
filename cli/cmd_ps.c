#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "args.h"
#include "buf.h"
#include "cmd.h"
#include "out.h"

static json_t *
formation_find(json_t *form, const char *type)
{
	json_t	*f;
	size_t	 i;

	json_array_foreach(form, i, f)
		if (strcmp(cli_jstr(f, "type"), type) == 0)
			return f;
	return NULL;
}

static long long
jint(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* "web=1:basic worker=0:basic", Heroku's ps:scale without arguments. */
static void
formation_line(struct cli *c, json_t *form)
{
	json_t	*f;
	size_t	 i;

	json_array_foreach(form, i, f)
		fprintf(c->out, "%s%s=%lld:%s", i ? " " : "", cli_jstr(f, "type"),
		    jint(f, "quantity"), cli_jstr(f, "size"));
	fprintf(c->out, json_array_size(form) ? "\n" :
	    "No process types (deploy a Procfile first).\n");
}

static void
formation_table(struct cli *c, json_t *form)
{
	struct out_table	 t;
	struct buf		 q = BUF_INIT;
	const char		*row[3] = { "Type", "Size", "Qty" };
	json_t			*f;
	size_t			 i;

	out_table_init(&t, 3, "  ");
	out_table_row(&t, row);
	json_array_foreach(form, i, f) {
		buf_reset(&q);
		buf_addf(&q, "%lld", jint(f, "quantity"));
		row[0] = cli_jstr(f, "type");
		row[1] = cli_jstr(f, "size");
		row[2] = q.p;
		out_table_row(&t, row);
	}
	out_header(c->out, "Process Types");
	out_table_print(&t, c->out);
	out_table_release(&t);
	buf_release(&q);
}

static int
formation_get(struct cli *c, const char *app, json_t **form, struct perr *err)
{
	return cli_call(c, "GET", NULL, form, err, "/apps/%s/formation", app);
}

/* Parses every argument, refusing a type given twice. */
static int
scale_args(int argc, char **argv, int resize, struct args_scale *s,
    struct perr *err)
{
	int i, j;

	for (i = 0; i < argc; i++) {
		if ((resize ? args_resize(argv[i], &s[i], err) :
		    args_scale(argv[i], &s[i], err)) != 0)
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (strcmp(s[i].type, s[j].type) == 0)
				return perr_set(err, -EINVAL, "process type "
				    "'%s' given twice", s[i].type);
	}
	return 0;
}

/* Builds the PATCH body; relative quantities are resolved on form. */
static json_t *
scale_body(struct args_scale *s, int n, json_t *form, struct perr *err)
{
	json_t		*ups = json_array(), *u, *f;
	unsigned	 qty;
	int		 i;

	for (i = 0; i < n; i++) {
		u = json_pack("{s:s}", "type", s[i].type);
		json_array_append_new(ups, u);
		if (s[i].size[0] != '\0')
			json_object_set_new(u, "size", json_string(s[i].size));
		if (s[i].op == ARGS_SCALE_KEEP)
			continue;
		f = formation_find(form, s[i].type);
		if (s[i].op != ARGS_SCALE_SET && f == NULL) {
			perr_set(err, -ENOENT, "no process type '%s' (run paas "
			    "ps:scale to list them)", s[i].type);
			goto bad;
		}
		if (args_scale_apply(&s[i], (unsigned)jint(f, "quantity"), &qty,
		    err))
			goto bad;
		json_object_set_new(u, "quantity", json_integer(qty));
	}
	return json_pack("{s:o}", "updates", ups);
bad:
	json_decref(ups);
	return NULL;
}

static void
scale_report(struct cli *c, struct args_scale *s, int n, json_t *ans)
{
	struct buf	 what = BUF_INIT;
	json_t		*f;
	int		 i;

	buf_adds(&what, "Scaling processes... done, now running ");
	for (i = 0; i < n; i++) {
		f = formation_find(ans, s[i].type);
		buf_addf(&what, "%s%s at %lld:%s", i ? ", " : "", s[i].type,
		    jint(f, "quantity"), cli_jstr(f, "size"));
	}
	fprintf(c->msg, "%s\n", what.p);
	buf_release(&what);
}

static int
needs_formation(const struct args_scale *s, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (s[i].op == ARGS_SCALE_ADD || s[i].op == ARGS_SCALE_SUB)
			return 1;
	return n == 0;
}

static void
ps_show(struct cli *c, json_t *form, int resize, struct perr *err)
{
	if (c->json)
		cli_print_json(c, form, err);
	else if (resize)
		formation_table(c, form);
	else
		formation_line(c, form);
}

static int
ps_update(struct cli *c, int argc, char **argv, int resize, struct perr *err)
{
	struct args_scale	*s;
	json_t			*form = NULL, *body = NULL, *ans = NULL;
	const char		*app;
	int			 rc = CLI_FAIL;

	s = calloc((size_t)argc + 1, sizeof(*s));
	if (s == NULL || scale_args(argc, argv, resize, s, err) ||
	    cli_app(c, &app, err))
		goto out;
	if (needs_formation(s, argc) && formation_get(c, app, &form, err))
		goto out;
	if (argc == 0) {
		ps_show(c, form, resize, err);
		rc = CLI_OK;
		goto out;
	}
	body = scale_body(s, argc, form, err);
	if (body == NULL ||
	    cli_call(c, "PATCH", body, &ans, err, "/apps/%s/formation", app))
		goto out;
	rc = CLI_OK;
	if (!c->json && resize)
		cli_done(c, "Resizing processes", 0);
	if (c->json || resize)
		ps_show(c, ans, resize, err);
	else
		scale_report(c, s, argc, ans);
out:
	free(s);
	json_decref(form);
	json_decref(body);
	json_decref(ans);
	return rc;
}

int
cmd_ps_scale(struct cli *c, int argc, char **argv, struct perr *err)
{
	return ps_update(c, argc, argv, 0, err);
}

int
cmd_ps_resize(struct cli *c, int argc, char **argv, struct perr *err)
{
	return ps_update(c, argc, argv, 1, err);
}
