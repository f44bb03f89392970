/*
 * The packs' decisions that need no network: each bin/release's default
 * process types, and which npm commands the nodejs compile runs (a stub
 * npm on PATH records them; the real node reads package.json).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "packrun.h"

struct release_case {
	const char	*pack;
	const char	*files;
	const char	*package_json;	/* written when non-NULL */
	const char	*go_mod;	/* written when non-NULL */
	const char	*want;		/* expected stdout */
};

#define WEB(cmd)	"---\ndefault_process_types:\n  web: " cmd "\n"
#define NONE		"--- {}\n"

static const struct release_case releases[] = {
	{ "nodejs", "package.json server.js",
	    "{\"scripts\": {\"start\": \"node x.js\"}}", NULL, WEB("npm start") },
	{ "nodejs", "package.json server.js index.js",
	    "{\"scripts\": {\"test\": \"t\"}}", NULL, WEB("node server.js") },
	{ "nodejs", "package.json index.js", "not json", NULL,
	    WEB("node index.js") },
	{ "nodejs", "package.json", "{}", NULL, NONE },
	{ "python", "requirements.txt app.py", NULL, NULL, WEB("python app.py") },
	{ "python", "requirements.txt manage.py", NULL, NULL,
	    WEB("python manage.py runserver 0.0.0.0:$PORT --noreload") },
	{ "python", "requirements.txt app.py manage.py", NULL, NULL, NONE },
	{ "python", "requirements.txt", NULL, NULL, NONE },
	{ "go", "go.mod bin/hello", NULL, "module example.com/x/hello\n\ngo 1.19\n",
	    WEB("bin/hello") },
	{ "go", "go.mod bin/hello", NULL, "module example.com/x/hello/v2\n",
	    WEB("bin/hello") },
	{ "go", "go.mod", NULL, "module hello\n", NONE },
	{ "static", "public/index.html", NULL, NULL,
	    WEB("bin/paas-static --root public --port $PORT") },
	{ "static", "index.html dist/index.html", NULL, NULL,
	    WEB("bin/paas-static --root . --port $PORT") },
	{ "static", "_site/index.html", NULL, NULL,
	    WEB("bin/paas-static --root _site --port $PORT") },
	{ "c", "Makefile Procfile", NULL, NULL, NONE },
	{ "procfile", "Procfile", NULL, NULL, NONE },
};

static void
test_release_defaults(void **state)
{
	struct buf	 out = BUF_INIT;
	char		 dir[64];
	const char	*args[] = { dir, NULL };
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(releases) / sizeof(releases[0]); i++) {
		const struct release_case *r = &releases[i];

		assert_int_equal(packrun_fixture(dir, sizeof(dir), r->files), 0);
		if (r->package_json)
			assert_int_equal(packrun_write(dir, "package.json",
			    r->package_json), 0);
		if (r->go_mod)
			assert_int_equal(packrun_write(dir, "go.mod", r->go_mod),
			    0);
		assert_int_equal(packrun(r->pack, "release", args, NULL,
		    &out, NULL), 0);
		packrun_rm(dir);
		if (strcmp(out.p, r->want) != 0)
			fail_msg("%s release on '%s':\n%s\nwant:\n%s", r->pack,
			    r->files, out.p, r->want);
	}
	buf_release(&out);
}

/*
 * A scratch world for the nodejs compile: BUILD, CACHE, ENV, and a fake
 * npm laid out like the real one (bin/npm-cli + node_modules/semver, the
 * latter linked to the stack's), which logs its arguments.
 */
struct npmworld {
	char	top[64];
	char	build[PATH_MAX], cache[PATH_MAX], env[PATH_MAX];
	char	pack[PATH_MAX];		/* our copy: compile writes export */
	char	path_env[PATH_MAX + 64], log_env[PATH_MAX + 16];
	char	home_env[PATH_MAX + 16];
	char	log[PATH_MAX];
};

#define STACK_SEMVER	"/usr/lib/node_modules/npm/node_modules/semver"

static int
world_setup(void **state)
{
	static struct npmworld	w;
	char			p[PATH_MAX + 64];

	if (access("/usr/bin/node", X_OK) < 0)
		return 0;
	if (packrun_fixture(w.top, sizeof(w.top),
	    "build/x cache/x env/x npm/bin/npm-cli npm/node_modules/x "
	    "fakebin/x") < 0)
		return -1;
	snprintf(w.build, sizeof(w.build), "%s/build", w.top);
	snprintf(w.cache, sizeof(w.cache), "%s/cache", w.top);
	snprintf(w.env, sizeof(w.env), "%s/env", w.top);
	snprintf(w.log, sizeof(w.log), "%s/npm.log", w.top);
	snprintf(w.pack, sizeof(w.pack), "%s/nodejs-bp", w.top);
	if (packrun_copy("nodejs", w.pack) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/npm", w.top);
	if (packrun_write(p, "bin/npm-cli", "#!/bin/sh\n"
	    "[ \"$1\" = --version ] && { echo 10.0.0; exit 0; }\n"
	    "echo \"$*\" >> \"$NPM_LOG\"\n"
	    "[ \"$1 $2\" != \"$NPM_FAIL\" ]\n") < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/npm/node_modules/semver", w.top);
	if (access(STACK_SEMVER, F_OK) == 0 && symlink(STACK_SEMVER, p) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/fakebin/npm", w.top);
	if (symlink("../npm/bin/npm-cli", p) < 0)
		return -1;
	snprintf(w.path_env, sizeof(w.path_env), "PATH=%s/fakebin:/usr/bin:/bin",
	    w.top);
	snprintf(w.log_env, sizeof(w.log_env), "NPM_LOG=%s", w.log);
	snprintf(w.home_env, sizeof(w.home_env), "HOME=%s", w.build);
	*state = &w;
	return 0;
}

static int
world_teardown(void **state)
{
	struct npmworld	*w = *state;

	if (w)
		packrun_rm(w->top);
	return 0;
}

/*
 * Run the nodejs compile on package.json (and a lockfile when lock),
 * with config vars "K=V" (or NULL) and NPM_FAIL (or NULL); the npm log
 * in npmlog. Returns compile's exit status.
 */
static int
compile(struct npmworld *w, const char *package_json, int lock,
    const char *config, const char *fail, struct buf *out, struct buf *err,
    struct buf *npmlog)
{
	const char	*args[] = { w->build, w->cache, w->env, NULL };
	char		 failenv[64], name[PATH_MAX + 32], *envp[5];
	const char	*eq;
	FILE		*f;
	int		 rc;

	unlink(w->log);
	snprintf(name, sizeof(name), "%s/package-lock.json", w->build);
	unlink(name);
	snprintf(name, sizeof(name), "%s/NPM_CONFIG_PRODUCTION", w->env);
	unlink(name);
	assert_int_equal(packrun_write(w->build, "package.json", package_json),
	    0);
	if (lock)
		assert_int_equal(packrun_write(w->build, "package-lock.json",
		    "{}"), 0);
	if (config) {
		eq = strchr(config, '=');
		snprintf(name, sizeof(name), "%.*s", (int)(eq - config), config);
		assert_int_equal(packrun_write(w->env, name, eq + 1), 0);
	}
	snprintf(failenv, sizeof(failenv), "NPM_FAIL=%s", fail ? fail : "");
	envp[0] = w->path_env;
	envp[1] = w->log_env;
	envp[2] = w->home_env;
	envp[3] = failenv;
	envp[4] = NULL;
	rc = packrun(w->pack, "compile", args, envp, out, err);
	buf_reset(npmlog);
	if ((f = fopen(w->log, "r")) != NULL) {
		char	line[256];

		while (fgets(line, sizeof(line), f))
			buf_adds(npmlog, line);
		fclose(f);
	}
	return rc;
}

static void
test_nodejs_npm_commands(void **state)
{
	struct npmworld	*w = *state;
	struct buf	 out = BUF_INIT, err = BUF_INIT, log = BUF_INIT;

	if (w == NULL)
		skip();
	assert_int_equal(compile(w, "{}", 1, NULL, NULL, &out, &err, &log), 0);
	assert_string_equal(log.p, "ci --omit=dev\n");
	assert_int_equal(compile(w, "{}", 0, NULL, NULL, &out, &err, &log), 0);
	assert_string_equal(log.p, "install --omit=dev\n");
	assert_null(strstr(out.p, "yarn.lock"));
	assert_int_equal(packrun_write(w->build, "yarn.lock", ""), 0);
	assert_int_equal(compile(w, "{}", 0, NULL, NULL, &out, &err, &log), 0);
	assert_non_null(strstr(out.p, " !     yarn.lock found, but this pack "
	    "uses npm"));
	assert_string_equal(log.p, "install --omit=dev\n");
	assert_int_equal(compile(w, "{}", 1, "NPM_CONFIG_PRODUCTION=false",
	    NULL, &out, &err, &log), 0);
	assert_string_equal(log.p, "ci\n");
	/* a build script needs devDependencies: install all, build, prune */
	assert_int_equal(compile(w, "{\"scripts\": {\"build\": \"b\", "
	    "\"heroku-postbuild\": \"h\"}}", 1, NULL, NULL, &out, &err, &log),
	    0);
	assert_string_equal(log.p, "ci\nrun heroku-postbuild\nprune --omit=dev\n");
	assert_int_equal(compile(w, "{\"scripts\": {\"build\": \"b\"}}", 0,
	    "NPM_CONFIG_PRODUCTION=false", NULL, &out, &err, &log), 0);
	assert_string_equal(log.p, "install\nrun build\n");
	assert_non_null(strstr(out.p, "-----> Running build\n"));
	buf_release(&out);
	buf_release(&err);
	buf_release(&log);
}

static void
test_nodejs_failures_and_warnings(void **state)
{
	struct npmworld	*w = *state;
	struct buf	 out = BUF_INIT, err = BUF_INIT, log = BUF_INIT;
	char		 p[PATH_MAX + 32];

	if (w == NULL)
		skip();
	assert_int_equal(compile(w, "{}", 1, NULL, "ci --omit=dev", &out, &err,
	    &log), 1);
	assert_non_null(strstr(err.p, "!     npm ci failed"));
	assert_int_equal(compile(w, "{\"scripts\": {\"build\": \"b\"}}", 1,
	    NULL, "run build", &out, &err, &log), 1);
	assert_non_null(strstr(err.p, "!     npm run build failed"));
	assert_int_equal(compile(w, "[1, 2]", 1, NULL, NULL, &out, &err, &log),
	    1);
	assert_non_null(strstr(err.p, "!     package.json is not valid JSON"));
	assert_int_equal(log.len, 0);
	/* a node the app did not ask for: warn, build anyway */
	assert_int_equal(compile(w, "{\"engines\": {\"node\": \"<1\"}}", 1,
	    NULL, NULL, &out, &err, &log), 0);
	if (access(STACK_SEMVER, F_OK) == 0)
		assert_non_null(strstr(out.p, " !     engines.node \"<1\" does "
		    "not match the stack's node"));
	else
		assert_non_null(strstr(out.p, "could not check engines.node"));
	snprintf(p, sizeof(p), "%s/.profile.d/nodejs.sh", w->build);
	assert_int_equal(access(p, F_OK), 0);
	buf_release(&out);
	buf_release(&err);
	buf_release(&log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_release_defaults),
		cmocka_unit_test_setup_teardown(test_nodejs_npm_commands,
		    world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_nodejs_failures_and_warnings,
		    world_setup, world_teardown),
	};

	alarm(60);
	if (packrun_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
