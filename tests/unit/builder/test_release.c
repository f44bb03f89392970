#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "release.h"

static int
parse(const char *s, struct release_info *ri, struct perr *err)
{
	release_init(ri);
	return release_parse(s, strlen(s), ri, err);
}

static void
test_full_release(void **state)
{
	struct release_info	ri;
	struct perr		err = PERR_INIT;
	const char		*y = "---\naddons:\n  - heroku-postgresql:dev\n"
				    "config_vars:\n  NODE_ENV: production\n"
				    "  PATH: \"/app/bin:/usr/bin\"\n"
				    "default_process_types:\n"
				    "  web: node server.js\n  worker: 'bin/w'\n";

	(void)state;
	assert_int_equal(parse(y, &ri, &err), 0);
	assert_int_equal(ri.naddons, 1);
	assert_string_equal(ri.addons[0], "heroku-postgresql:dev");
	assert_int_equal(ri.nvars, 2);
	assert_string_equal(release_var(&ri, "NODE_ENV"), "production");
	assert_string_equal(release_var(&ri, "PATH"), "/app/bin:/usr/bin");
	assert_int_equal(ri.defaults.n, 2);
	assert_string_equal(procfile_get(&ri.defaults, "web"),
	    "node server.js");
	assert_string_equal(procfile_get(&ri.defaults, "worker"), "bin/w");
	release_release(&ri);
	assert_int_equal(ri.nvars, 0);
}

static void
test_minimal_and_empty(void **state)
{
	struct release_info	ri;
	struct perr		err = PERR_INIT;

	(void)state;
	assert_int_equal(parse("--- {}\n", &ri, &err), 0);
	assert_int_equal(ri.nvars + ri.naddons + ri.defaults.n, 0);
	assert_int_equal(parse("", &ri, &err), 0);
	assert_int_equal(parse("---\n", &ri, &err), 0);
	assert_int_equal(parse("config_vars:\ndefault_process_types: {}\n",
	    &ri, &err), 0);
	assert_int_equal(parse("config_vars: {N: 1}\n", &ri, &err), 0);
	assert_string_equal(release_var(&ri, "N"), "1");
	release_release(&ri);
}

static void
expect_error(const char *y, const char *needle)
{
	struct release_info	ri;
	struct perr		err = PERR_INIT;

	assert_int_not_equal(parse(y, &ri, &err), 0);
	assert_int_equal(ri.nvars + ri.naddons + ri.defaults.n, 0);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("error '%s' lacks '%s'", err.msg, needle);
}

static void
test_strictness(void **state)
{
	(void)state;
	expect_error("bogus: 1\n", "unknown key 'bogus'");
	expect_error("- a\n- b\n", "not a YAML mapping");
	expect_error("just text\n", "not a YAML mapping");
	expect_error("config_vars: [a, b]\n", "config_vars must be a mapping");
	expect_error("config_vars: {A: {b: c}}\n", "strings to strings");
	expect_error("config_vars: {1A: x}\n", "config_vars:");
	expect_error("default_process_types: {Web: x}\n",
	    "default_process_types:");
	expect_error("default_process_types: {web: ''}\n", "bad command");
	expect_error("addons: {a: b}\n", "addons must be a list");
	expect_error("addons: [[a]]\n", "addons must be strings");
	expect_error("config_vars: {a: [\n", "bad YAML");
	expect_error("config_vars: {A: x}\nconfig_vars: {B: y}\n",
	    "given twice");
	expect_error("--- {}\n--- {}\n", "more than one YAML document");
	expect_error("config_vars: {A: x, A: y}\n", "given twice");
}

static void
test_alias_bomb_is_bounded(void **state)
{
	(void)state;
	expect_error("a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n",
	    "unknown key");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_release),
		cmocka_unit_test(test_minimal_and_empty),
		cmocka_unit_test(test_strictness),
		cmocka_unit_test(test_alias_bomb_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
