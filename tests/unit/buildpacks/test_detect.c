/*
 * Every built-in buildpack's bin/detect on fixture directories made in a
 * temp dir: the exit status and the name it prints, and the order in
 * which paas-build tries them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "packrun.h"

static const char *const order[] = {
	"nodejs", "python", "go", "c", "static", "procfile",
};

struct fixture {
	const char	*pack;
	const char	*files;		/* space-separated, parents created */
	const char	*name;		/* what detect prints, NULL: no match */
};

static const struct fixture fixtures[] = {
	{ "nodejs",	"package.json",			"Node.js" },
	{ "nodejs",	"server.js index.js Procfile",	NULL },
	{ "nodejs",	"sub/package.json",		NULL },
	{ "python",	"requirements.txt",		"Python" },
	{ "python",	"pyproject.toml",		"Python" },
	{ "python",	"setup.py",			"Python" },
	{ "python",	"runtime.txt",			"Python" },
	{ "python",	"app.py manage.py",		NULL },
	{ "go",		"go.mod main.go",		"Go" },
	{ "go",		"main.go go.sum",		NULL },
	{ "c",		"Makefile",			"C" },
	{ "c",		"GNUmakefile",			"C" },
	{ "c",		"configure",			"C" },
	{ "c",		"main.c CMakeLists.txt",	NULL },
	{ "static",	"index.html",			"Static" },
	{ "static",	"public/index.html",		"Static" },
	{ "static",	"dist/index.html",		"Static" },
	{ "static",	"_site/index.html",		"Static" },
	{ "static",	"docs/index.html site/index.htm", NULL },
	{ "procfile",	"Procfile",			"Procfile" },
	{ "procfile",	"procfile.txt README",		NULL },
};

/* detect's exit status; its stdout, minus the final newline, in name. */
static int
detect(const char *pack, const char *dir, struct buf *name)
{
	const char	*args[] = { dir, NULL };
	int		 rc;

	rc = packrun(pack, "detect", args, NULL, name, NULL);
	if (name->len > 0 && name->p[name->len - 1] == '\n')
		buf_truncate(name, name->len - 1);
	return rc;
}

static void
test_detect_fixtures(void **state)
{
	struct buf	 name = BUF_INIT;
	char		 dir[64];
	size_t		 i;
	int		 rc;

	(void)state;
	for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		const struct fixture *f = &fixtures[i];

		assert_int_equal(packrun_fixture(dir, sizeof(dir), f->files), 0);
		rc = detect(f->pack, dir, &name);
		packrun_rm(dir);
		if (f->name) {
			if (rc != 0)
				fail_msg("%s on '%s': exit %d", f->pack,
				    f->files, rc);
			assert_string_equal(name.p, f->name);
		} else if (rc == 0) {
			fail_msg("%s matched '%s'", f->pack, f->files);
		} else {
			assert_int_equal(rc, 1);
		}
	}
	buf_release(&name);
}

/* The name of the first pack in build order that claims the files. */
static void
first_match(const char *files, struct buf *name)
{
	char	 dir[64];
	size_t	 i;

	assert_int_equal(packrun_fixture(dir, sizeof(dir), files), 0);
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (detect(order[i], dir, name) == 0)
			break;
	if (i == sizeof(order) / sizeof(order[0]))
		buf_reset(name);
	packrun_rm(dir);
}

static void
test_detect_order(void **state)
{
	struct buf	name = BUF_INIT;

	(void)state;
	first_match("package.json requirements.txt Procfile", &name);
	assert_string_equal(name.p, "Node.js");
	first_match("requirements.txt go.mod Makefile", &name);
	assert_string_equal(name.p, "Python");
	first_match("go.mod Makefile index.html", &name);
	assert_string_equal(name.p, "Go");
	first_match("Makefile public/index.html Procfile", &name);
	assert_string_equal(name.p, "C");
	first_match("dist/index.html Procfile", &name);
	assert_string_equal(name.p, "Static");
	first_match("Procfile run.sh", &name);
	assert_string_equal(name.p, "Procfile");
	first_match("README.md", &name);
	assert_string_equal(name.p, "");
	buf_release(&name);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect_fixtures),
		cmocka_unit_test(test_detect_order),
	};

	alarm(60);
	if (packrun_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
