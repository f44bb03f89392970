#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <git2.h>

#include "cli.h"
#include "client.h"
#include "cmd.h"
#include "fake_api.h"

/*
 * Commands end to end against the fake paasd: what they send, what
 * they print, and that bad arguments never reach the API.
 */
struct t {
	struct fake	*f;
	struct cli	 c;
	char		*out, *msg;
	size_t		 outlen, msglen;
	struct perr	 err;
};

static int
setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));

	if (t == NULL || (t->f = fake_new()) == NULL)
		return -1;
	unsetenv("PAAS_TOKEN");
	unsetenv("PAAS_APP");
	unsetenv("PAAS_API");
	t->c.api = t->f->api;
	t->c.app_flag = "hello";
	t->c.self = "/usr/local/bin/paas";
	t->c.out = open_memstream(&t->out, &t->outlen);
	t->c.msg = open_memstream(&t->msg, &t->msglen);
	*state = t;
	return t->c.out == NULL || t->c.msg == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	struct t *t = *state;

	fake_free(t->f);
	client_free(t->c.client);
	fclose(t->c.out);
	fclose(t->c.msg);
	free(t->out);
	free(t->msg);
	free(t);
	return 0;
}

/* Runs fn with the space-separated args in line; flushes output. */
static int
run(struct t *t, cli_cmd_fn *fn, const char *line)
{
	char	*copy = strdup(line), *argv[16], *tok, *save = NULL;
	int	 argc = 0, rc;

	for (tok = strtok_r(copy, " ", &save); tok != NULL && argc < 15;
	    tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	perr_clear(&t->err);
	t->f->nreq = 0;
	if (t->f->nans > 0)
		fake_run(t->f);
	rc = fn(&t->c, argc, argv, &t->err);
	fake_wait(t->f);
	fflush(t->c.out);
	fflush(t->c.msg);
	free(copy);
	return rc;
}

/*
 * libgit2 1.5.1 leaks PCRE2 match data in git_config_*_multivar() (the
 * regex that git:remote needs); that is theirs, so LeakSanitizer is told
 * to skip it. Without ASan this function is never called.
 */
const char *__lsan_default_suppressions(void);

const char *
__lsan_default_suppressions(void)
{
	return "leak:libpcre2-8.so\n";
}

#define REQ(i)	(t->f->req[i])

static void
test_apps(void **state)
{
	struct t *t = *state;

	fake_push(t->f, 200, "[{\"name\":\"alpha\"},{\"name\":\"beta\"}]");
	assert_int_equal(run(t, cmd_apps, ""), CLI_OK);
	assert_int_equal(t->f->nreq, 1);
	assert_string_equal(REQ(0).line, "GET /apps HTTP/1.1");
	assert_string_equal(t->out, "=== Apps\nalpha\nbeta\n");
}

static void
test_apps_json(void **state)
{
	struct t *t = *state;

	t->c.json = 1;
	fake_push(t->f, 200, "[{\"name\":\"alpha\",\"id\":\"1\"}]");
	assert_int_equal(run(t, cmd_apps, ""), CLI_OK);
	assert_string_equal(t->out, "[\n  {\n    \"id\": \"1\",\n"
	    "    \"name\": \"alpha\"\n  }\n]\n");
}

static void
test_config(void **state)
{
	struct t *t = *state;

	fake_push(t->f, 200, "{\"Z\":\"1\",\"GREETING\":\"hi there\"}");
	assert_int_equal(run(t, cmd_config, ""), CLI_OK);
	assert_string_equal(REQ(0).line, "GET /apps/hello/config-vars "
	    "HTTP/1.1");
	assert_string_equal(t->out, "=== hello Config Vars\n"
	    "GREETING: hi there\nZ:        1\n");
}

static void
test_config_get(void **state)
{
	struct t *t = *state;

	fake_push(t->f, 200, "{\"A\":\"x y\",\"B\":\"2\"}");
	assert_int_equal(run(t, cmd_config_get, "A"), CLI_OK);
	assert_string_equal(t->out, "x y\n");
}

static void
test_config_set(void **state)
{
	struct t *t = *state;

	fake_push(t->f, 200, "{\"A\":\"1\",\"B\":\"two=2\",\"C\":\"old\"}");
	fake_push(t->f, 200, "{\"name\":\"hello\",\"release_version\":5}");
	assert_int_equal(run(t, cmd_config_set, "A=1 B=two=2"), CLI_OK);
	assert_int_equal(t->f->nreq, 2);
	assert_string_equal(REQ(0).line, "PATCH /apps/hello/config-vars "
	    "HTTP/1.1");
	assert_string_equal(REQ(0).body, "{\"A\":\"1\",\"B\":\"two=2\"}");
	assert_string_equal(REQ(1).line, "GET /apps/hello HTTP/1.1");
	assert_string_equal(t->msg, "Setting A and B and restarting hello... "
	    "done, v5\n");
	assert_string_equal(t->out, "A: 1\nB: two=2\n");
}

static void
test_config_set_bad_key_sends_nothing(void **state)
{
	struct t *t = *state;

	assert_int_equal(run(t, cmd_config_set, "GOOD=1 9BAD=2"), CLI_FAIL);
	assert_non_null(strstr(t->err.msg, "invalid config key"));
	assert_null(t->c.client);
	assert_int_equal(run(t, cmd_config_set, "NOVALUE"), CLI_USAGE);
	assert_null(t->c.client);
}

static void
test_config_set_stdin(void **state)
{
	struct t	*t = *state;
	int		 p[2], saved = dup(STDIN_FILENO);
	const char	*env = "# app\nexport A='x y'\nB=\"l1\\nl2\"\n";

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], env, strlen(env)), (ssize_t)strlen(env));
	close(p[1]);
	dup2(p[0], STDIN_FILENO);
	close(p[0]);
	fake_push(t->f, 200, "{\"A\":\"x y\",\"B\":\"l1\\nl2\"}");
	fake_push(t->f, 200, "{\"release_version\":2}");
	assert_int_equal(run(t, cmd_config_set, ""), CLI_OK);
	dup2(saved, STDIN_FILENO);
	close(saved);
	assert_string_equal(REQ(0).body, "{\"A\":\"x y\",\"B\":\"l1\\nl2\"}");
	assert_string_equal(t->msg, "Setting A and B and restarting hello... "
	    "done, v2\n");
}

static void
test_config_set_stdin_bad_line(void **state)
{
	struct t	*t = *state;
	int		 p[2], saved = dup(STDIN_FILENO);
	const char	*env = "A=1\nB='open\n";

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], env, strlen(env)), (ssize_t)strlen(env));
	close(p[1]);
	dup2(p[0], STDIN_FILENO);
	close(p[0]);
	assert_int_equal(run(t, cmd_config_set, ""), CLI_FAIL);
	dup2(saved, STDIN_FILENO);
	close(saved);
	assert_string_equal(t->err.msg, "stdin: line 2: unterminated single "
	    "quote");
	assert_null(t->c.client);
}

static void
test_config_unset(void **state)
{
	struct t *t = *state;

	fake_push(t->f, 200, "{}");
	fake_push(t->f, 200, "{\"release_version\":3}");
	assert_int_equal(run(t, cmd_config_unset, "A B C"), CLI_OK);
	assert_string_equal(REQ(0).body, "{\"A\":null,\"B\":null,\"C\":null}");
	assert_string_equal(t->msg, "Unsetting A, B and C and restarting "
	    "hello... done, v3\n");
	assert_string_equal(t->out, "");
}

static void
test_releases(void **state)
{
	struct t *t = *state;

	fake_push(t->f, 200, "[{\"version\":10,\"description\":\"Set GREETING "
	    "config vars\",\"status\":\"succeeded\",\"current\":true,"
	    "\"created_at\":\"2026-11-25T17:00:00Z\"},{\"version\":9,"
	    "\"description\":\"Deploy 1a2b3c4\",\"status\":\"failed\","
	    "\"current\":false,\"created_at\":\"2026-11-25T16:00:00Z\"}]");
	assert_int_equal(run(t, cmd_releases, ""), CLI_OK);
	assert_string_equal(REQ(0).line, "GET /apps/hello/releases HTTP/1.1");
	assert_string_equal(t->out, "=== hello Releases - Current: v10\n"
	    "v10  Set GREETING config vars  2026-11-25T17:00:00Z\n"
	    "v9   Deploy 1a2b3c4 (failed)   2026-11-25T16:00:00Z\n");
}

static void
test_releases_info_default_current(void **state)
{
	struct t *t = *state;

	fake_push(t->f, 200, "{\"release_version\":3}");
	fake_push(t->f, 200, "{\"version\":3,\"description\":\"Rollback to v1\","
	    "\"status\":\"succeeded\",\"current\":true,\"created_at\":\"T\","
	    "\"config_vars\":{\"A\":\"1\"},\"process_types\":{\"web\":"
	    "\"./server\"},\"image\":null,\"commit\":null}");
	assert_int_equal(run(t, cmd_releases_info, ""), CLI_OK);
	assert_string_equal(REQ(1).line, "GET /apps/hello/releases/3 HTTP/1.1");
	assert_non_null(strstr(t->out, "=== Release v3\nChange:  Rollback to "
	    "v1\n"));
	assert_non_null(strstr(t->out, "=== v3 Config vars\nA: 1\n"));
	assert_non_null(strstr(t->out, "=== v3 Process Types\nweb: ./server\n"));
	assert_int_equal(run(t, cmd_releases_info, "vx"), CLI_FAIL);
	assert_int_equal(t->f->nreq, 0);
}

static void
test_rollback(void **state)
{
	struct t *t = *state;

	fake_push(t->f, 200, "{\"release_version\":3}");
	fake_push(t->f, 201, "{\"version\":4}");
	assert_int_equal(run(t, cmd_rollback, ""), CLI_OK);
	assert_string_equal(REQ(1).line, "POST /apps/hello/releases HTTP/1.1");
	assert_string_equal(REQ(1).body, "{\"rollback\":2}");
	assert_string_equal(t->msg, "Rolling back hello to v2... done, v4\n");
}

static void
test_rollback_explicit_and_v1(void **state)
{
	struct t *t = *state;

	fake_push(t->f, 201, "{\"version\":9}");
	assert_int_equal(run(t, cmd_rollback, "v7"), CLI_OK);
	assert_int_equal(t->f->nreq, 1);
	assert_string_equal(REQ(0).body, "{\"rollback\":7}");
	fake_push(t->f, 200, "{\"release_version\":1}");
	assert_int_equal(run(t, cmd_rollback, ""), CLI_FAIL);
	assert_int_equal(t->f->nreq, 1);
	assert_string_equal(t->err.msg, "hello has no release before v1 to "
	    "roll back to");
}

static void
test_ps_scale_relative(void **state)
{
	struct t *t = *state;

	fake_push(t->f, 200, "[{\"type\":\"web\",\"quantity\":2,\"size\":"
	    "\"basic\"},{\"type\":\"worker\",\"quantity\":0,\"size\":\"basic\"}]");
	fake_push(t->f, 200, "[{\"type\":\"web\",\"quantity\":3,\"size\":"
	    "\"basic\"},{\"type\":\"worker\",\"quantity\":2,\"size\":"
	    "\"standard\"}]");
	assert_int_equal(run(t, cmd_ps_scale, "web+1 worker=2:standard"),
	    CLI_OK);
	assert_string_equal(REQ(0).line, "GET /apps/hello/formation HTTP/1.1");
	assert_string_equal(REQ(1).line, "PATCH /apps/hello/formation "
	    "HTTP/1.1");
	assert_string_equal(REQ(1).body, "{\"updates\":[{\"type\":\"web\","
	    "\"quantity\":3},{\"type\":\"worker\",\"size\":\"standard\","
	    "\"quantity\":2}]}");
	assert_string_equal(t->msg, "Scaling processes... done, now running "
	    "web at 3:basic, worker at 2:standard\n");
}

static void
test_ps_scale_absolute_skips_get(void **state)
{
	struct t *t = *state;

	fake_push(t->f, 200, "[{\"type\":\"web\",\"quantity\":0,\"size\":"
	    "\"basic\"}]");
	assert_int_equal(run(t, cmd_ps_scale, "web=0"), CLI_OK);
	assert_int_equal(t->f->nreq, 1);
	assert_string_equal(REQ(0).body, "{\"updates\":[{\"type\":\"web\","
	    "\"quantity\":0}]}");
}

static void
test_ps_scale_refusals(void **state)
{
	struct t *t = *state;

	fake_push(t->f, 200, "[{\"type\":\"web\",\"quantity\":2,\"size\":"
	    "\"basic\"}]");
	assert_int_equal(run(t, cmd_ps_scale, "web-5"), CLI_FAIL);
	assert_int_equal(t->f->nreq, 1);
	assert_string_equal(t->err.msg, "cannot scale web to -3: quantity must "
	    "be 0 to 100");
	fake_push(t->f, 200, "[]");
	assert_int_equal(run(t, cmd_ps_scale, "clock+1"), CLI_FAIL);
	assert_non_null(strstr(t->err.msg, "no process type 'clock'"));
	assert_int_equal(run(t, cmd_ps_scale, "web=1 web=2"), CLI_FAIL);
	assert_int_equal(run(t, cmd_ps_scale, "web=1:huge"), CLI_FAIL);
	assert_int_equal(run(t, cmd_ps_resize, "web=3"), CLI_FAIL);
	assert_int_equal(t->f->nreq, 0);
}

static void
test_ps_show(void **state)
{
	struct t *t = *state;

	fake_push(t->f, 200, "[{\"type\":\"web\",\"quantity\":2,\"size\":"
	    "\"basic\"},{\"type\":\"worker\",\"quantity\":10,\"size\":"
	    "\"performance\"}]");
	assert_int_equal(run(t, cmd_ps_scale, ""), CLI_OK);
	assert_string_equal(t->out, "web=2:basic worker=10:performance\n");
	fake_push(t->f, 200, "[{\"type\":\"web\",\"quantity\":3,\"size\":"
	    "\"standard\"}]");
	assert_int_equal(run(t, cmd_ps_resize, "web=standard"), CLI_OK);
	assert_string_equal(REQ(0).body, "{\"updates\":[{\"type\":\"web\","
	    "\"size\":\"standard\"}]}");
	assert_non_null(strstr(t->out, "=== Process Types\nType  Size      "
	    "Qty\nweb   standard  3\n"));
}

static void
test_domains(void **state)
{
	struct t *t = *state;

	fake_push(t->f, 201, "{\"hostname\":\"www.example.com\"}");
	assert_int_equal(run(t, cmd_domains_add, "WWW.Example.com"), CLI_OK);
	assert_string_equal(REQ(0).line, "POST /apps/hello/domains HTTP/1.1");
	assert_string_equal(REQ(0).body, "{\"hostname\":\"www.example.com\"}");
	assert_string_equal(t->msg, "Adding www.example.com to hello... "
	    "done\n");
	fake_push(t->f, 200, "{}");
	assert_int_equal(run(t, cmd_domains_remove, "*.example.org"), CLI_OK);
	assert_string_equal(REQ(0).line, "DELETE /apps/hello/domains/"
	    "*.example.org HTTP/1.1");
	assert_int_equal(run(t, cmd_domains_add, "bad_host"), CLI_FAIL);
	assert_int_equal(run(t, cmd_domains_add, "a/../b"), CLI_FAIL);
	assert_int_equal(t->f->nreq, 0);
	fake_push(t->f, 200, "[{\"hostname\":\"hello.localhost\",\"kind\":"
	    "\"default\"},{\"hostname\":\"www.example.com\",\"kind\":"
	    "\"custom\"}]");
	assert_int_equal(run(t, cmd_domains, ""), CLI_OK);
	assert_non_null(strstr(t->out, "=== hello Default Domains\n"
	    "hello.localhost\n\n=== hello Custom Domains\nwww.example.com\n"));
}

static void
test_api_error(void **state)
{
	struct t *t = *state;

	t->c.app_flag = "nope";
	fake_push(t->f, 404, "{\"id\":\"not_found\",\"message\":\"app 'nope' "
	    "not found\"}");
	assert_int_equal(run(t, cmd_apps_info, ""), CLI_FAIL);
	assert_string_equal(t->err.msg, "app 'nope' not found");
	assert_string_equal(t->out, "");
}

static void
test_apps_destroy_confirm(void **state)
{
	struct t *t = *state;

	assert_int_equal(run(t, cmd_apps_destroy, "hello"), CLI_FAIL);
	assert_non_null(strstr(t->err.msg, "--confirm hello"));
	t->c.confirm = "other";
	assert_int_equal(run(t, cmd_apps_destroy, "hello"), CLI_FAIL);
	assert_null(t->c.client);
	t->c.confirm = "hello";
	fake_push(t->f, 200, "{\"name\":\"hello\"}");
	assert_int_equal(run(t, cmd_apps_destroy, "hello"), CLI_OK);
	assert_string_equal(REQ(0).line, "DELETE /apps/hello HTTP/1.1");
	assert_string_equal(t->msg, "Destroying hello... done\n");
}

static void
test_apps_create(void **state)
{
	struct t *t = *state;

	t->c.app_flag = NULL;
	assert_int_equal(run(t, cmd_apps_create, ""), CLI_USAGE);
	assert_int_equal(run(t, cmd_apps_create, "Hello"), CLI_FAIL);
	assert_null(t->c.client);
	fake_push(t->f, 201, "{\"name\":\"hello\",\"web_url\":\"http://hello."
	    "localhost/\",\"git_url\":\"http://127.0.0.1:7070/hello.git\"}");
	assert_int_equal(run(t, cmd_apps_create, "hello"), CLI_OK);
	assert_string_equal(REQ(0).body, "{\"name\":\"hello\"}");
	assert_string_equal(t->out, "http://hello.localhost/ | "
	    "http://127.0.0.1:7070/hello.git\n");
}

static void
test_maintenance(void **state)
{
	struct t *t = *state;

	fake_push(t->f, 200, "{\"maintenance\":true}");
	assert_int_equal(run(t, cmd_maintenance_on, ""), CLI_OK);
	assert_string_equal(REQ(0).line, "PATCH /apps/hello HTTP/1.1");
	assert_string_equal(REQ(0).body, "{\"maintenance\":true}");
	assert_string_equal(t->msg, "Enabling maintenance mode for hello... "
	    "done\n");
}

static void
test_no_app(void **state)
{
	struct t	*t = *state;
	char		 cwd[4096];

	t->c.app_flag = NULL;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(t->f->dir), 0);
	assert_int_equal(run(t, cmd_config, ""), CLI_FAIL);
	assert_int_equal(chdir(cwd), 0);
	assert_string_equal(t->err.msg, "no app specified (use -a APP or run "
	    "paas git:remote -a APP)");
	setenv("PAAS_APP", "Bad", 1);
	assert_int_equal(run(t, cmd_config, ""), CLI_FAIL);
	assert_non_null(strstr(t->err.msg, "from PAAS_APP"));
	unsetenv("PAAS_APP");
}

/* git:remote in a fresh repo, then the app comes from that remote. */
static void
test_git_remote_and_app_from_remote(void **state)
{
	struct t	*t = *state;
	git_repository	*repo = NULL;
	git_config	*cfg = NULL;
	git_buf		 v = { 0 };
	char		 cwd[4096], dir[128];
	const char	*app = NULL;

	snprintf(dir, sizeof(dir), "%s/repo", t->f->dir);
	git_libgit2_init();
	assert_int_equal(git_repository_init(&repo, dir, 0), 0);
	git_repository_free(repo);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	fake_push(t->f, 200, "{\"name\":\"hello\",\"git_url\":"
	    "\"http://127.0.0.1:7070/hello.git\"}");
	assert_int_equal(run(t, cmd_git_remote, ""), CLI_OK);
	assert_string_equal(t->out, "set git remote paas to "
	    "http://127.0.0.1:7070/hello.git\n");
	t->c.app_flag = NULL;
	assert_int_equal(cli_app(&t->c, &app, &t->err), 0);
	assert_string_equal(app, "hello");
	assert_int_equal(chdir(cwd), 0);

	assert_int_equal(git_repository_open(&repo, dir), 0);
	assert_int_equal(git_repository_config_snapshot(&cfg, repo), 0);
	assert_int_equal(git_config_get_string_buf(&v, cfg,
	    "credential.http://127.0.0.1:7070.helper"), 0);
	assert_string_equal(v.ptr, "!'/usr/local/bin/paas' git:credentials");
	git_buf_dispose(&v);
	git_config_free(cfg);
	git_repository_free(repo);
	git_libgit2_shutdown();
	snprintf(cwd, sizeof(cwd), "rm -rf -- '%s'", dir);
	assert_int_equal(system(cwd), 0);
}

static void
test_git_credentials(void **state)
{
	struct t	*t = *state;
	int		 p[2], saved = dup(STDIN_FILENO);
	const char	*in = "protocol=http\nhost=127.0.0.1:7070\n\n";

	setenv("PAAS_TOKEN", "tok", 1);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], in, strlen(in)), (ssize_t)strlen(in));
	close(p[1]);
	dup2(p[0], STDIN_FILENO);
	close(p[0]);
	assert_int_equal(run(t, cmd_git_credentials, "get"), CLI_OK);
	dup2(saved, STDIN_FILENO);
	close(saved);
	unsetenv("PAAS_TOKEN");
	assert_string_equal(t->out, "username=paas\npassword=tok\n");
}

static void
test_split_args(void **state)
{
	struct cli	 c;
	struct cli_args	 a;
	struct perr	 err = PERR_INIT;
	char		*v[16];
	char		*argv1[] = { "paas", "config:set", "-a", "hello", "A=1",
			    "--json", "--api=unix:/x.sock", "B=-2", "--", "--C=3",
			    NULL };
	char		*argv2[] = { "paas", "--app", "x", "apps:destroy",
			    "--confirm", "x", "--help", NULL };
	char		*argv3[] = { "paas", "apps", "--bogus", NULL };
	char		*argv4[] = { "paas", "apps", "--api", NULL };

	(void)state;
	memset(&c, 0, sizeof(c));
	memset(&a, 0, sizeof(a));
	a.v = v;
	assert_int_equal(cli_split_args(10, argv1, &c, &a, &err), CLI_OK);
	assert_int_equal(a.n, 4);
	assert_string_equal(a.v[0], "config:set");
	assert_string_equal(a.v[1], "A=1");
	assert_string_equal(a.v[2], "B=-2");
	assert_string_equal(a.v[3], "--C=3");
	assert_null(a.v[4]);
	assert_string_equal(c.app_flag, "hello");
	assert_string_equal(c.api, "unix:/x.sock");
	assert_int_equal(c.api_explicit, 1);
	assert_int_equal(c.json, 1);

	memset(&c, 0, sizeof(c));
	memset(&a, 0, sizeof(a));
	a.v = v;
	assert_int_equal(cli_split_args(7, argv2, &c, &a, &err), CLI_OK);
	assert_int_equal(a.n, 1);
	assert_string_equal(c.app_flag, "x");
	assert_string_equal(c.confirm, "x");
	assert_int_equal(a.help, 1);
	assert_int_equal(c.json, 0);

	a.n = 0;
	assert_int_equal(cli_split_args(3, argv3, &c, &a, &err), CLI_USAGE);
	assert_string_equal(err.msg, "unknown option '--bogus'");
	a.n = 0;
	assert_int_equal(cli_split_args(3, argv4, &c, &a, &err), CLI_USAGE);
	assert_string_equal(err.msg, "option '--api' needs a value");
}

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_apps),
		T(test_apps_json),
		T(test_config),
		T(test_config_get),
		T(test_config_set),
		T(test_config_set_bad_key_sends_nothing),
		T(test_config_set_stdin),
		T(test_config_set_stdin_bad_line),
		T(test_config_unset),
		T(test_releases),
		T(test_releases_info_default_current),
		T(test_rollback),
		T(test_rollback_explicit_and_v1),
		T(test_ps_scale_relative),
		T(test_ps_scale_absolute_skips_get),
		T(test_ps_scale_refusals),
		T(test_ps_show),
		T(test_domains),
		T(test_api_error),
		T(test_apps_destroy_confirm),
		T(test_apps_create),
		T(test_maintenance),
		T(test_no_app),
		T(test_git_remote_and_app_from_remote),
		T(test_git_credentials),
		cmocka_unit_test(test_split_args),
	};
	int rc;

	alarm(120);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
