#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "client.h"
#include "cli.h"
#include "cmd.h"

#define CMD_JSON	0x01	/* honours --json */
#define CMD_CONFIRM	0x02	/* takes --confirm NAME */
#define CMD_LOGS	0x04	/* takes -n, -t, --source, --dyno */
#define CMD_RUN		0x08	/* takes --size */
#define CMD_TTY		0x10	/* takes --tty, --no-tty */
#define CMD_ANY		(-1)	/* no upper bound on arguments */

struct cmd {
	const char	*name;
	cli_cmd_fn	*fn;
	int		 flags;
	int		 min, max;	/* positional arguments */
	const char	*usage;
	const char	*help;
};

static cli_cmd_fn cmd_help, cmd_version;

static const struct cmd cmds[] = {
	{ "apps", cmd_apps, CMD_JSON, 0, 0, "apps",
	    "list apps" },
	{ "apps:create", cmd_apps_create, CMD_JSON, 0, 1, "apps:create NAME",
	    "create an app" },
	{ "apps:destroy", cmd_apps_destroy, CMD_CONFIRM, 0, 1,
	    "apps:destroy NAME --confirm NAME",
	    "permanently destroy an app and all its data" },
	{ "apps:info", cmd_apps_info, CMD_JSON, 0, 1, "apps:info [NAME | -a APP]",
	    "show an app's URLs, release, processes and state" },
	{ "apps:settings", cmd_apps_settings, CMD_JSON, 0, 3,
	    "apps:settings [boot_timeout=SECONDS] [grace=SECONDS] "
	    "[deploy_branch=BRANCH]",
	    "show or set the boot timeout, the stop grace and the deploy "
	    "branch" },
	{ "maintenance", cmd_maintenance, CMD_JSON, 0, 0,
	    "maintenance [-a APP]", "show whether maintenance mode is on" },
	{ "maintenance:on", cmd_maintenance_on, 0, 0, 0,
	    "maintenance:on [-a APP]",
	    "serve a maintenance page (503) instead of the app" },
	{ "maintenance:off", cmd_maintenance_off, 0, 0, 0,
	    "maintenance:off [-a APP]", "serve the app again" },
	{ "config", cmd_config, CMD_JSON, 0, 0, "config [-a APP]",
	    "list config vars" },
	{ "config:get", cmd_config_get, CMD_JSON, 1, 1, "config:get KEY",
	    "print one config var's value" },
	{ "config:set", cmd_config_set, CMD_JSON, 0, CMD_ANY,
	    "config:set KEY=VALUE... | config:set < .env",
	    "set config vars and restart the app (new release)" },
	{ "config:unset", cmd_config_unset, CMD_JSON, 1, CMD_ANY,
	    "config:unset KEY...",
	    "remove config vars and restart the app (new release)" },
	{ "releases", cmd_releases, CMD_JSON, 0, 0, "releases [-a APP]",
	    "list releases, newest first" },
	{ "releases:info", cmd_releases_info, CMD_JSON, 0, 1,
	    "releases:info [vN]", "show a release (default: the current one)" },
	{ "rollback", cmd_rollback, CMD_JSON, 0, 1, "rollback [vN]",
	    "make a new release from vN (default: the one before current)" },
	{ "domains", cmd_domains, CMD_JSON, 0, 0, "domains [-a APP]",
	    "list an app's domains" },
	{ "domains:add", cmd_domains_add, CMD_JSON, 1, 1, "domains:add HOST",
	    "route HOST (or *.example.com) to the app" },
	{ "domains:remove", cmd_domains_remove, 0, 1, 1,
	    "domains:remove HOST", "stop routing HOST to the app" },
	{ "run", cmd_run, CMD_RUN | CMD_TTY, 1, CMD_ANY,
	    "run [--size SIZE] [--tty|--no-tty] -- COMMAND [ARGS]...",
	    "run a one-off process of the current release, attached" },
	{ "run:detached", cmd_run_detached, CMD_RUN | CMD_JSON, 1, CMD_ANY,
	    "run:detached [--size SIZE] -- COMMAND [ARGS]...",
	    "run a one-off process; its output goes to the logs" },
	{ "ps", cmd_ps, CMD_JSON, 0, 0, "ps [-a APP]",
	    "list the app's dynos: state, uptime, release" },
	{ "ps:restart", cmd_ps_restart, 0, 0, 1, "ps:restart [TYPE|TYPE.N]",
	    "restart dynos, new ones up before old ones stop" },
	{ "ps:stop", cmd_ps_stop, 0, 1, 1, "ps:stop TYPE.N",
	    "stop one dyno (the formation starts a fresh one)" },
	{ "ps:scale", cmd_ps_scale, CMD_JSON, 0, CMD_ANY,
	    "ps:scale [TYPE=N[:SIZE] | TYPE+N | TYPE-N]...",
	    "set how many processes of each type run (no args: show)" },
	{ "ps:resize", cmd_ps_resize, CMD_JSON, 0, CMD_ANY,
	    "ps:resize [TYPE=SIZE]...",
	    "set process sizes: basic, standard, performance (no args: show)" },
	{ "buildpacks", cmd_buildpacks, CMD_JSON, 0, 0, "buildpacks [-a APP]",
	    "show the app's buildpacks (none: detected at build)" },
	{ "buildpacks:set", cmd_buildpacks_set, 0, 1, 1,
	    "buildpacks:set NAME|URL[#REF]|PATH",
	    "use this buildpack, and only it, from the next push" },
	{ "buildpacks:add", cmd_buildpacks_add, 0, 1, 1,
	    "buildpacks:add NAME|URL[#REF]|PATH",
	    "run this buildpack after the ones set (multi-buildpack)" },
	{ "buildpacks:clear", cmd_buildpacks_clear, 0, 0, 0,
	    "buildpacks:clear", "detect the buildpack again on the next push" },
	{ "builds", cmd_builds, CMD_JSON, 0, 0, "builds [-a APP]",
	    "list the app's builds, newest first" },
	{ "builds:output", cmd_builds_output, 0, 0, 1, "builds:output [ID]",
	    "print a build's log (default: the latest)" },
	{ "keys", cmd_keys, CMD_JSON, 0, 0, "keys",
	    "list the SSH keys that may git push" },
	{ "keys:add", cmd_keys_add, 0, 0, 1, "keys:add [FILE]",
	    "add an SSH public key (default: ~/.ssh/id_ed25519.pub)" },
	{ "keys:remove", cmd_keys_remove, 0, 1, 1,
	    "keys:remove ID|FINGERPRINT|COMMENT", "remove an SSH key" },
	{ "tokens", cmd_tokens, CMD_JSON, 0, 0, "tokens",
	    "list the app's deploy tokens (git push and fetch only)" },
	{ "tokens:create", cmd_tokens_create, CMD_JSON, 0, 0, "tokens:create",
	    "make a deploy token that can git push and fetch this app only" },
	{ "tokens:revoke", cmd_tokens_revoke, 0, 1, 1, "tokens:revoke ID",
	    "revoke a deploy token" },
	{ "logs", cmd_logs, CMD_LOGS, 0, 0,
	    "logs [-n N] [-t] [--source app|router|paas] [--dyno DYNO]",
	    "show the app's log stream (-t: keep streaming)" },
	{ "git:remote", cmd_git_remote, 0, 0, 0, "git:remote -a APP",
	    "add the git remote 'paas' and its credentials to this repo" },
	{ "git:credentials", cmd_git_credentials, 0, 1, 1,
	    "git:credentials get|store|erase",
	    "git credential helper (set up by git:remote)" },
	{ "help", cmd_help, 0, 0, 1, "help [COMMAND]",
	    "list commands, or show one command's help" },
	{ "version", cmd_version, 0, 0, 0, "version", "print the version" },
};

#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

static const struct cmd *
cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

/* Levenshtein distance, capped at what a suggestion cares about. */
static size_t
distance(const char *a, const char *b)
{
	size_t	row[64], i, j, prev, tmp, la = strlen(a), lb = strlen(b);

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			prev = tmp;
		}
	}
	return row[lb];
}

static const struct cmd *
cmd_closest(const char *name)
{
	const struct cmd	*best = NULL;
	size_t			 i, d, bestd = 3;

	for (i = 0; i < NCMDS; i++) {
		d = distance(name, cmds[i].name);
		if (d < bestd) {
			bestd = d;
			best = &cmds[i];
		}
	}
	return best;
}

static void
cmd_usage(FILE *f, const struct cmd *cmd)
{
	fprintf(f, "Usage: paas %s\n\n%s\n\n", cmd->usage, cmd->help);
	fprintf(f, "Options:\n"
	    "  -a, --app APP   the app (default: PAAS_APP, then the 'paas' "
	    "git remote)\n"
	    "  --api URL       paasd's address: unix:PATH, http://HOST:PORT "
	    "or tcp:HOST:PORT\n"
	    "                  (default: PAAS_API, then %s)\n", CLI_DEFAULT_API);
	if (cmd->flags & CMD_JSON)
		fprintf(f, "  --json          print the API's JSON\n");
	if (cmd->flags & CMD_CONFIRM)
		fprintf(f, "  --confirm NAME  required: the app's name again\n");
}

static int
cmd_help(struct cli *c, int argc, char **argv, struct perr *err)
{
	const struct cmd	*cmd;
	size_t			 i;

	if (argc == 1) {
		cmd = cmd_find(argv[0]);
		if (cmd == NULL)
			return cli_usage(err, "'%s' is not a paas command",
			    argv[0]);
		cmd_usage(c->out, cmd);
		return CLI_OK;
	}
	fprintf(c->out, "Usage: paas [--api URL] COMMAND [ARGS] [-a APP] "
	    "[--json]\n\nCommands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(c->out, "  %-17s %s\n", cmds[i].name, cmds[i].help);
	fprintf(c->out, "\nRun 'paas help COMMAND' for a command's "
	    "arguments.\n");
	return CLI_OK;
}

static int
cmd_version(struct cli *c, int argc, char **argv, struct perr *err)
{
	(void)argc;
	(void)argv;
	(void)err;
	fprintf(c->out, "paas %s\n", CLI_VERSION);
	return CLI_OK;
}

/* Checks the command line against the table; CLI_OK to run it. */
static int
cmd_check(const struct cli *c, const struct cmd *cmd, int nargs,
    char **args, struct perr *err)
{
	if (c->json && !(cmd->flags & CMD_JSON))
		return cli_usage(err, "'%s' has no --json output", cmd->name);
	if (c->confirm != NULL && !(cmd->flags & CMD_CONFIRM))
		return cli_usage(err, "'%s' takes no --confirm", cmd->name);
	if (c->size && !(cmd->flags & CMD_RUN))
		return cli_usage(err, "'%s' takes no --size", cmd->name);
	if (c->tty && !(cmd->flags & CMD_TTY))
		return cli_usage(err, "'%s' takes no --tty or --no-tty",
		    cmd->name);
	if ((c->num || c->tail || c->source || c->dyno) &&
	    !(cmd->flags & CMD_LOGS))
		return cli_usage(err, "'%s' takes no -n, -t, --source or "
		    "--dyno", cmd->name);
	if (nargs < cmd->min)
		return cli_usage(err, "'%s' needs %s", cmd->name, cmd->min > 1 ?
		    "more arguments" : "an argument");
	if (cmd->max != CMD_ANY && nargs > cmd->max)
		return cli_usage(err, "'%s' takes %s, got '%s'", cmd->name,
		    cmd->max == 0 ? "no arguments" : "fewer arguments",
		    args[cmd->max]);
	return CLI_OK;
}

/* unknown is the command name that was not found, if that failed. */
static void
report(const struct cmd *cmd, const char *unknown, int rc,
    const struct perr *err)
{
	if (rc == CLI_OK)
		return;
	if (rc != CLI_USAGE)
		fprintf(stderr, "paas: %s\n", err->msg);
	else if (cmd != NULL && cmd->fn != cmd_help)
		fprintf(stderr, "paas: %s; see 'paas help %s'\n", err->msg,
		    cmd->name);
	else if (unknown != NULL && cmd_closest(unknown) != NULL)
		fprintf(stderr, "paas: %s; did you mean '%s'? see 'paas "
		    "help'\n", err->msg, cmd_closest(unknown)->name);
	else
		fprintf(stderr, "paas: %s; see 'paas help'\n", err->msg);
}

static const char *
self_path(char *buf, size_t len, const char *argv0)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	if (n <= 0)
		return argv0;
	buf[n] = '\0';
	return buf;
}

static int
run(struct cli *c, struct cli_args *a, struct perr *err, const struct cmd **cmdp,
    const char **unknown)
{
	const struct cmd	*cmd;
	const char		*env = getenv("PAAS_API");
	int			 rc;

	if (c->api == NULL)
		c->api = env != NULL && *env != '\0' ? env : CLI_DEFAULT_API;
	if (c->api_explicit == 0 && env != NULL && *env != '\0')
		c->api_explicit = 1;
	if (a->n == 0 && a->version)
		return cmd_version(c, 0, NULL, err);
	if (a->n == 0)
		return a->help ? cmd_help(c, 0, NULL, err) :
		    cli_usage(err, "no command given");
	cmd = cmd_find(a->v[0]);
	if (cmd == NULL) {
		*unknown = a->v[0];
		return cli_usage(err, "'%s' is not a paas command", a->v[0]);
	}
	*cmdp = cmd;
	if (a->help) {
		cmd_usage(c->out, cmd);
		return CLI_OK;
	}
	rc = cmd_check(c, cmd, a->n - 1, a->v + 1, err);
	if (rc)
		return rc;
	return cmd->fn(c, a->n - 1, a->v + 1, err);
}

/*
 * libgit2 1.5.1 leaks PCRE2 match data in git_config_*_multivar() (the
 * regex that git:remote needs); that is theirs, so LeakSanitizer, when
 * it is linked in (make SANITIZE=address), is told to skip it. Nothing
 * calls this otherwise.
 */
const char *__lsan_default_suppressions(void);

const char *
__lsan_default_suppressions(void)
{
	return "leak:libpcre2-8.so\n";
}

int
main(int argc, char **argv)
{
	struct cli		 c;
	struct cli_args	 a;
	struct perr		 err = PERR_INIT;
	const struct cmd	*cmd = NULL;
	const char		*unknown = NULL;
	char			 self[PATH_MAX];
	int			 rc;

	memset(&c, 0, sizeof(c));
	memset(&a, 0, sizeof(a));
	c.out = stdout;
	c.msg = stderr;
	c.self = self_path(self, sizeof(self), argv[0]);
	a.v = calloc((size_t)argc + 1, sizeof(*a.v));
	if (a.v == NULL) {
		fprintf(stderr, "paas: out of memory\n");
		return CLI_FAIL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "paas: cannot start libcurl\n");
		free(a.v);
		return CLI_FAIL;
	}
	rc = cli_split_args(argc, argv, &c, &a, &err);
	if (rc == CLI_OK)
		rc = run(&c, &a, &err, &cmd, &unknown);
	else if (a.n > 0)
		cmd = cmd_find(a.v[0]);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (rc == CLI_OK)
			fprintf(stderr, "paas: write stdout: %s\n",
			    strerror(errno));
		rc = CLI_FAIL;
	}
	report(cmd, unknown, rc, &err);
	client_free(c.client);
	curl_global_cleanup();
	free(a.v);
	return rc;
}
