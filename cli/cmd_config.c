#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "cmd.h"
#include "env.h"
#include "out.h"
#include "valid.h"

static int
key_check(const char *key, struct perr *err)
{
	struct perr why = PERR_INIT;

	if (valid_config_key(key, strlen(key), &why))
		return perr_set(err, -EINVAL, "%s (got '%s')", why.msg, key);
	return 0;
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Prints every var of obj as "KEY: value", sorted by key. */
static void
config_print_all(struct cli *c, json_t *obj)
{
	struct out_table	 t;
	const char		**keys, *k;
	json_t			*v;
	size_t			 i = 0, n = json_object_size(obj);

	keys = calloc(n + 1, sizeof(*keys));
	if (keys == NULL)
		abort();
	json_object_foreach(obj, k, v)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), key_cmp);
	out_table_init(&t, 2, " ");
	for (i = 0; i < n; i++)
		out_table_kv(&t, keys[i], json_string_value(json_object_get(obj,
		    keys[i])));
	out_table_print(&t, c->out);
	out_table_release(&t);
	free(keys);
}

int
cmd_config(struct cli *c, int argc, char **argv, struct perr *err)
{
	json_t		*ans = NULL;
	const char	*app;

	(void)argc;
	(void)argv;
	if (cli_app(c, &app, err) ||
	    cli_call(c, "GET", NULL, &ans, err, "/apps/%s/config-vars", app))
		return CLI_FAIL;
	if (c->json) {
		cli_print_json(c, ans, err);
	} else {
		out_header(c->out, "%s Config Vars", app);
		config_print_all(c, ans);
	}
	json_decref(ans);
	return CLI_OK;
}

int
cmd_config_get(struct cli *c, int argc, char **argv, struct perr *err)
{
	json_t		*ans = NULL, *v, *one;
	const char	*app;

	(void)argc;
	if (key_check(argv[0], err))
		return CLI_FAIL;
	if (cli_app(c, &app, err) ||
	    cli_call(c, "GET", NULL, &ans, err, "/apps/%s/config-vars", app))
		return CLI_FAIL;
	v = json_object_get(ans, argv[0]);
	if (c->json) {
		one = json_object();
		json_object_set(one, argv[0], v != NULL ? v : json_null());
		cli_print_json(c, one, err);
		json_decref(one);
	} else {
		fprintf(c->out, "%s\n", json_is_string(v) ?
		    json_string_value(v) : "");
	}
	json_decref(ans);
	return CLI_OK;
}

/* "A, B and C" */
static void
key_list(struct buf *b, const struct env_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (i > 0)
			buf_adds(b, i + 1 == l->n ? " and " : ", ");
		buf_adds(b, l->v[i].key);
	}
}

static long long
app_version(struct cli *c, const char *app)
{
	struct perr	 ignored = PERR_INIT;
	json_t		*ans = NULL;
	long long	 v = 0;

	if (cli_call(c, "GET", NULL, &ans, &ignored, "/apps/%s", app) == 0)
		v = json_integer_value(json_object_get(ans, "release_version"));
	json_decref(ans);
	return v;
}

/* PATCHes the vars of l (value NULL = unset) and reports like Heroku. */
static int
config_patch(struct cli *c, const char *verb, const struct env_list *l,
    int set, struct perr *err)
{
	json_t		*body = json_object(), *ans = NULL, *v;
	const char	*app;
	struct buf	 what = BUF_INIT;
	struct out_table t;
	size_t		 i;
	int		 rc = CLI_FAIL;

	if (cli_app(c, &app, err))
		goto out;
	for (i = 0; i < l->n; i++)
		json_object_set_new(body, l->v[i].key, set ? json_stringn(
		    l->v[i].value, l->v[i].valuelen) : json_null());
	if (cli_call(c, "PATCH", body, &ans, err, "/apps/%s/config-vars", app))
		goto out;
	buf_addf(&what, "%s ", verb);
	key_list(&what, l);
	buf_addf(&what, " and restarting %s", app);
	cli_done(c, what.p, app_version(c, app));
	rc = CLI_OK;
	if (c->json) {
		cli_print_json(c, ans, err);
		goto out;
	}
	if (!set)
		goto out;
	out_table_init(&t, 2, " ");
	for (i = 0; i < l->n; i++) {
		v = json_object_get(ans, l->v[i].key);
		out_table_kv(&t, l->v[i].key, json_is_string(v) ?
		    json_string_value(v) : l->v[i].value);
	}
	out_table_print(&t, c->out);
	out_table_release(&t);
out:
	buf_release(&what);
	json_decref(body);
	json_decref(ans);
	return rc;
}

static int
read_stdin(struct buf *b, struct perr *err)
{
	char	chunk[8192];
	ssize_t	n;

	for (;;) {
		n = read(STDIN_FILENO, chunk, sizeof(chunk));
		if (n == 0)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return perr_set(err, -errno, "read stdin: %s",
			    strerror(errno));
		if (b->len + (size_t)n > CLI_STDIN_MAX_BYTES)
			return perr_set(err, -EFBIG, "stdin: more than %d bytes",
			    CLI_STDIN_MAX_BYTES);
		buf_add(b, chunk, (size_t)n);
	}
}

int
cmd_config_set(struct cli *c, int argc, char **argv, struct perr *err)
{
	struct env_list	 l = ENV_LIST_INIT;
	struct perr	 why = PERR_INIT;
	struct buf	 in = BUF_INIT;
	int		 i, rc = CLI_FAIL;

	if (argc == 0 && isatty(STDIN_FILENO)) {
		rc = cli_usage(err, "missing KEY=VALUE");
		goto out;
	}
	if (argc == 0) {
		if (read_stdin(&in, err) != 0)
			goto out;
		if (env_parse(in.p, in.len, &l, &why) != 0) {
			perr_set(err, why.code, "stdin: %s", why.msg);
			goto out;
		}
		if (l.n == 0) {
			rc = cli_fail(err, -EINVAL, "stdin has no KEY=VALUE "
			    "lines");
			goto out;
		}
	}
	for (i = 0; i < argc; i++)
		if (env_parse_arg(argv[i], &l, err) != 0) {
			rc = strchr(argv[i], '=') == NULL ? CLI_USAGE : CLI_FAIL;
			goto out;
		}
	rc = config_patch(c, "Setting", &l, 1, err);
out:
	env_list_release(&l);
	buf_release(&in);
	return rc;
}

int
cmd_config_unset(struct cli *c, int argc, char **argv, struct perr *err)
{
	struct env_list	 l = ENV_LIST_INIT;
	int		 i, rc = CLI_FAIL;

	for (i = 0; i < argc; i++) {
		if (key_check(argv[i], err))
			goto out;
		env_list_add(&l, argv[i], strlen(argv[i]), "", 0);
	}
	rc = config_patch(c, "Unsetting", &l, 0, err);
out:
	env_list_release(&l);
	return rc;
}
