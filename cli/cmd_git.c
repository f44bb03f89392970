#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>
#include <jansson.h>

#include "buf.h"
#include "client.h"
#include "cmd.h"

static const char *
git_why(void)
{
	const git_error *e = git_error_last();

	return e != NULL && e->message != NULL ? e->message : "unknown error";
}

/* Appends s single-quoted for sh. */
static void
sh_quote(struct buf *b, const char *s)
{
	buf_addch(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_adds(b, "'\\''");
		else
			buf_addch(b, *s);
	}
	buf_addch(b, '\'');
}

/* "http://127.0.0.1:7070/hello.git" -> "http://127.0.0.1:7070" */
static void
url_origin(struct buf *b, const char *url)
{
	const char *p = strstr(url, "://");
	const char *slash = p != NULL ? strchr(p + 3, '/') : NULL;

	if (slash == NULL)
		buf_adds(b, url);
	else
		buf_add(b, url, (size_t)(slash - url));
}

static int
remote_set(git_repository *repo, const char *url, struct perr *err)
{
	git_remote	*r = NULL;
	int		 rc;

	if (git_remote_lookup(&r, repo, CLI_REMOTE) == 0)
		rc = git_remote_set_url(repo, CLI_REMOTE, url);
	else
		rc = git_remote_create(&r, repo, CLI_REMOTE, url);
	git_remote_free(r);
	if (rc != 0)
		return perr_set(err, -EIO, "set git remote '%s': %s",
		    CLI_REMOTE, git_why());
	return 0;
}

/*
 * An empty helper first resets any helper inherited from the global
 * config for this URL, so git asks us and nobody else.
 */
static int
helper_set(struct cli *c, git_repository *repo, const char *url,
    struct perr *err)
{
	git_config	*all = NULL, *local = NULL;
	struct buf	 key = BUF_INIT, cmd = BUF_INIT;
	int		 rc = -EIO;

	buf_adds(&key, "credential.");
	url_origin(&key, url);
	buf_adds(&key, ".helper");
	buf_adds(&cmd, "!");
	sh_quote(&cmd, c->self);
	if (c->api_explicit) {
		buf_adds(&cmd, " --api ");
		sh_quote(&cmd, c->api);
	}
	buf_adds(&cmd, " git:credentials");
	if (git_repository_config(&all, repo) != 0 ||
	    git_config_open_level(&local, all, GIT_CONFIG_LEVEL_LOCAL) != 0)
		goto out;
	(void)git_config_delete_multivar(local, key.p, ".*");
	if (git_config_set_multivar(local, key.p, "^$", "") != 0 ||
	    git_config_set_multivar(local, key.p, "^!", cmd.p) != 0)
		goto out;
	rc = 0;
out:
	if (rc)
		perr_set(err, rc, "set %s: %s", key.p, git_why());
	git_config_free(local);
	git_config_free(all);
	buf_release(&key);
	buf_release(&cmd);
	return rc;
}

int
cmd_git_remote(struct cli *c, int argc, char **argv, struct perr *err)
{
	git_repository	*repo = NULL;
	json_t		*app = NULL;
	const char	*name, *url;
	int		 rc = CLI_FAIL;

	(void)argc;
	(void)argv;
	git_libgit2_init();
	if (cli_app(c, &name, err))
		goto out;
	if (git_repository_open_ext(&repo, ".", 0, NULL) != 0) {
		perr_set(err, -ENOENT, "not inside a git repository (run git "
		    "init first)");
		goto out;
	}
	if (cli_call(c, "GET", NULL, &app, err, "/apps/%s", name))
		goto out;
	url = cli_jstr(app, "git_url");
	if (*url == '\0') {
		perr_set(err, -EPROTO, "app '%s' has no git_url", name);
		goto out;
	}
	if (remote_set(repo, url, err) || helper_set(c, repo, url, err))
		goto out;
	fprintf(c->out, "set git remote %s to %s\n", CLI_REMOTE, url);
	rc = CLI_OK;
out:
	json_decref(app);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}

/* Reads git's "key=value" lines up to a blank line or EOF. */
static void
drain_stdin(void)
{
	char line[4096];

	while (fgets(line, sizeof(line), stdin) != NULL)
		if (line[0] == '\n')
			break;
}

int
cmd_git_credentials(struct cli *c, int argc, char **argv, struct perr *err)
{
	char	token[CLIENT_TOKEN_MAX + 2];
	int	rc;

	(void)argc;
	drain_stdin();
	/* git's protocol: ignore operations we do not know. */
	if (strcmp(argv[0], "get") != 0)
		return CLI_OK;
	rc = cli_token(c, token, sizeof(token), err);
	if (rc)
		return CLI_FAIL;
	fprintf(c->out, "username=paas\npassword=%s\n", token);
	explicit_bzero(token, sizeof(token));
	return CLI_OK;
}
