#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>
#include <jansson.h>

#include "args.h"
#include "cli.h"
#include "client.h"
#include "valid.h"

static char	cli_app_buf[VALID_APP_MAX + 1];

/* Reads the admin token file; 0 with *token set, or -errno quietly. */
static int
token_read(const char *path, char *token, size_t tokenlen)
{
	ssize_t	n;
	int	fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = read(fd, token, tokenlen - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	while (n > 0 && (token[n - 1] == '\n' || token[n - 1] == '\r' ||
	    token[n - 1] == ' ' || token[n - 1] == '\t'))
		n--;
	token[n] = '\0';
	return n > 0 ? 0 : -ENOENT;
}

int
cli_token(struct cli *c, char *token, size_t tokenlen, struct perr *err)
{
	struct client_url	 u;
	char			 path[CLIENT_SOCK_MAX + 16];
	const char		*env = getenv("PAAS_TOKEN");
	int			 n, rc;

	token[0] = '\0';
	if (env != NULL && *env != '\0') {
		n = snprintf(token, tokenlen, "%s", env);
		return n < 0 || (size_t)n >= tokenlen ? perr_set(err,
		    -ENAMETOOLONG, "PAAS_TOKEN too long") : 0;
	}
	rc = client_url_parse(c->api, &u, err);
	if (rc)
		return rc;
	if (client_token_path(&u, path, sizeof(path)) == 0 &&
	    token_read(path, token, tokenlen) == 0)
		return 0;
	return perr_set(err, -ENOENT, "no API token: set PAAS_TOKEN%s",
	    u.kind == CLIENT_UNIX ? " or make the daemon's admin-token "
	    "readable" : "");
}

int
cli_client(struct cli *c, struct client **cp, struct perr *err)
{
	struct client_url	 u;
	struct perr		 ignored = PERR_INIT;
	char			 token[CLIENT_TOKEN_MAX + 2];
	int			 rc;

	if (c->client != NULL) {
		*cp = c->client;
		return 0;
	}
	rc = client_url_parse(c->api, &u, err);
	if (rc)
		return rc;
	/* No token is fine on the unix socket: paasd checks SO_PEERCRED. */
	rc = client_new(&u, cli_token(c, token, sizeof(token), &ignored) == 0 ?
	    token : NULL, &c->client, err);
	explicit_bzero(token, sizeof(token));
	if (rc)
		return rc;
	*cp = c->client;
	return 0;
}

static int
app_check(const char *app, const char *from, struct perr *err)
{
	struct perr why = PERR_INIT;

	if (valid_app_name(app, strlen(app), &why))
		return perr_set(err, -EINVAL, "%s (got '%s' from %s)", why.msg,
		    app, from);
	return 0;
}

static int
app_from_git(char *app, size_t applen, struct perr *err)
{
	git_repository	*repo = NULL;
	git_remote	*remote = NULL;
	const char	*url;
	int		 rc = -ENOENT;

	git_libgit2_init();
	if (git_repository_open_ext(&repo, ".", 0, NULL) != 0)
		goto out;
	if (git_remote_lookup(&remote, repo, CLI_REMOTE) != 0)
		goto out;
	url = git_remote_url(remote);
	if (url == NULL)
		goto out;
	rc = args_app_from_url(url, app, applen, err);
out:
	git_remote_free(remote);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}

int
cli_app(struct cli *c, const char **app, struct perr *err)
{
	const char	*env = getenv("PAAS_APP");
	int		 rc;

	if (c->app_flag != NULL) {
		*app = c->app_flag;
		return app_check(*app, "-a", err);
	}
	if (env != NULL && *env != '\0') {
		*app = env;
		return app_check(*app, "PAAS_APP", err);
	}
	rc = app_from_git(cli_app_buf, sizeof(cli_app_buf), err);
	if (rc == -ENOENT)
		return perr_set(err, -ENOENT, "no app specified (use -a APP or "
		    "run paas git:remote -a APP)");
	if (rc)
		return rc;
	*app = cli_app_buf;
	return 0;
}

int
cli_print_json(struct cli *c, json_t *v, struct perr *err)
{
	if (json_dumpf(v, c->out, JSON_INDENT(2) | JSON_SORT_KEYS |
	    JSON_ENCODE_ANY) != 0)
		return perr_set(err, -EIO, "cannot write JSON output");
	fputc('\n', c->out);
	return 0;
}

int
cli_call(struct cli *c, const char *method, json_t *body, json_t **out,
    struct perr *err, const char *fmt, ...)
{
	struct client	*cl;
	json_t		*ans = NULL;
	char		 path[1024];
	va_list		 ap;
	long		 status;
	int		 n, rc;

	if (out != NULL)
		*out = NULL;
	va_start(ap, fmt);
	n = vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(path))
		return perr_set(err, -ENAMETOOLONG, "request path too long");
	rc = cli_client(c, &cl, err);
	if (rc)
		return rc;
	rc = client_request(cl, method, path, body, &status, &ans, err);
	if (rc == 0 && out != NULL)
		*out = ans;
	else
		json_decref(ans);
	return rc;
}

int
cli_usage(struct perr *err, const char *fmt, ...)
{
	va_list ap;

	err->code = -EINVAL;
	va_start(ap, fmt);
	(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return CLI_USAGE;
}

int
cli_fail(struct perr *err, int code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return CLI_FAIL;
}

const char *
cli_jstr(json_t *o, const char *key)
{
	json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : "";
}

void
cli_done(struct cli *c, const char *what, long long version)
{
	if (version > 0)
		fprintf(c->msg, "%s... done, v%lld\n", what, version);
	else
		fprintf(c->msg, "%s... done\n", what);
	fflush(c->msg);
}

enum opt_id {
	OPT_API,
	OPT_APP,
	OPT_JSON,
	OPT_CONFIRM,
	OPT_HELP,
	OPT_VERSION,
	OPT_NUM,
	OPT_TAIL,
	OPT_SOURCE,
	OPT_DYNO,
	OPT_SIZE,
	OPT_TTY,
	OPT_NO_TTY,
};

static const struct opt {
	const char	*name;
	const char	*shortname;
	int		 hasval;
	enum opt_id	 id;
} opts[] = {
	{ "--api", NULL, 1, OPT_API },
	{ "--app", "-a", 1, OPT_APP },
	{ "--json", NULL, 0, OPT_JSON },
	{ "--confirm", NULL, 1, OPT_CONFIRM },
	{ "--help", "-h", 0, OPT_HELP },
	{ "--version", NULL, 0, OPT_VERSION },
	{ "--num", "-n", 1, OPT_NUM },
	{ "--tail", "-t", 0, OPT_TAIL },
	{ "--source", NULL, 1, OPT_SOURCE },
	{ "--dyno", NULL, 1, OPT_DYNO },
	{ "--size", NULL, 1, OPT_SIZE },
	{ "--tty", NULL, 0, OPT_TTY },
	{ "--no-tty", NULL, 0, OPT_NO_TTY },
};


static const struct opt *
opt_find(const char *arg, const char **val)
{
	size_t	i, len;

	*val = NULL;
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		len = strlen(opts[i].name);
		if (strcmp(arg, opts[i].name) == 0 ||
		    (opts[i].shortname && strcmp(arg, opts[i].shortname) == 0))
			return &opts[i];
		if (opts[i].hasval && strncmp(arg, opts[i].name, len) == 0 &&
		    arg[len] == '=') {
			*val = arg + len + 1;
			return &opts[i];
		}
	}
	return NULL;
}

static void
opt_apply(struct cli *c, struct cli_args *a, enum opt_id id, const char *val)
{
	switch (id) {
	case OPT_API:
		c->api = val;
		c->api_explicit = 1;
		break;
	case OPT_APP:
		c->app_flag = val;
		break;
	case OPT_JSON:
		c->json = 1;
		break;
	case OPT_CONFIRM:
		c->confirm = val;
		break;
	case OPT_HELP:
		a->help = 1;
		break;
	case OPT_VERSION:
		a->version = 1;
		break;
	case OPT_NUM:
		c->num = val;
		break;
	case OPT_TAIL:
		c->tail = 1;
		break;
	case OPT_SOURCE:
		c->source = val;
		break;
	case OPT_DYNO:
		c->dyno = val;
		break;
	case OPT_SIZE:
		c->size = val;
		break;
	case OPT_TTY:
		c->tty = 1;
		break;
	case OPT_NO_TTY:
		c->tty = -1;
		break;
	}
}

/* Global flags may appear anywhere; "--" ends them. */
int
cli_split_args(int argc, char **argv, struct cli *c, struct cli_args *a,
    struct perr *err)
{
	const struct opt	*o;
	const char		*val;
	int			 i, dashdash = 0;

	for (i = 1; i < argc; i++) {
		if (dashdash || argv[i][0] != '-' || argv[i][1] == '\0') {
			a->v[a->n++] = argv[i];
			continue;
		}
		if (strcmp(argv[i], "--") == 0) {
			dashdash = 1;
			continue;
		}
		o = opt_find(argv[i], &val);
		if (o == NULL)
			return cli_usage(err, "unknown option '%s'", argv[i]);
		if (o->hasval && val == NULL) {
			if (i + 1 == argc)
				return cli_usage(err, "option '%s' needs a "
				    "value", argv[i]);
			val = argv[++i];
		}
		opt_apply(c, a, o->id, val);
	}
	a->v[a->n] = NULL;
	return CLI_OK;
}
