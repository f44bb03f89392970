#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "procfile.h"

static int
parse(const char *s, struct procfile *pf, struct perr *err)
{
	return procfile_parse(s, strlen(s), pf, err);
}

static void
test_parses_types_comments_and_blanks(void **state)
{
	struct procfile	pf = PROCFILE_INIT;
	struct perr	err = PERR_INIT;

	(void)state;
	assert_int_equal(parse("# a comment\n\nweb: ./server --port $PORT\r\n"
	    "  worker_2:  bin/work  \n\t\nrelease: ./migrate", &pf, &err), 0);
	assert_int_equal(pf.n, 3);
	assert_string_equal(pf.v[0].type, "web");
	assert_string_equal(pf.v[0].command, "./server --port $PORT");
	assert_int_equal(pf.v[0].line, 3);
	assert_string_equal(procfile_get(&pf, "worker_2"), "bin/work");
	assert_string_equal(procfile_get(&pf, "release"), "./migrate");
	assert_null(procfile_get(&pf, "clock"));
	procfile_release(&pf);
	assert_int_equal(pf.n, 0);
}

static void
test_command_may_contain_colons(void **state)
{
	struct procfile	pf = PROCFILE_INIT;
	struct perr	err = PERR_INIT;

	(void)state;
	assert_int_equal(parse("web: env A=b:c sh -c 'echo x: y'\n", &pf,
	    &err), 0);
	assert_string_equal(procfile_get(&pf, "web"),
	    "env A=b:c sh -c 'echo x: y'");
	procfile_release(&pf);
}

static void
test_empty_file_is_empty(void **state)
{
	struct procfile	pf = PROCFILE_INIT;
	struct perr	err = PERR_INIT;

	(void)state;
	assert_int_equal(parse("", &pf, &err), 0);
	assert_int_equal(pf.n, 0);
	assert_int_equal(parse("# only\n\n", &pf, &err), 0);
	assert_int_equal(pf.n, 0);
}

static void
expect_error(const char *text, const char *needle)
{
	struct procfile	pf = PROCFILE_INIT;
	struct perr	err = PERR_INIT;

	assert_int_not_equal(parse(text, &pf, &err), 0);
	assert_int_equal(pf.n, 0);
	assert_null(pf.v);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("error '%s' lacks '%s'", err.msg, needle);
}

static void
test_errors_name_the_line(void **state)
{
	(void)state;
	expect_error("web: a\nweb: b\n", "line 2: process type 'web' "
	    "already defined on line 1");
	expect_error("web: a\n\nworker:   \n", "line 3: empty command");
	expect_error("web ./server\n", "line 1: expected 'type: command'");
	expect_error("Web: x\n", "line 1:");
	expect_error("1web: x\n", "line 1:");
	expect_error("we b: x\n", "line 1:");
	expect_error("web : x\n", "line 1:");
	expect_error(": x\n", "line 1:");
	expect_error("a/b: x\n", "line 1:");
	expect_error("web: a\rb\n", "line 1: stray carriage return");
}

static void
test_type_length_limit(void **state)
{
	struct procfile	pf = PROCFILE_INIT;
	struct perr	err = PERR_INIT;
	char		line[128];

	(void)state;
	memset(line, 'a', 63);
	memcpy(line + 63, ": x\n", 5);
	assert_int_equal(parse(line, &pf, &err), 0);
	assert_int_equal(strlen(pf.v[0].type), 63);
	procfile_release(&pf);
	memset(line, 'a', 64);
	memcpy(line + 64, ": x\n", 5);
	assert_int_equal(parse(line, &pf, &err), -EINVAL);
}

static void
test_size_and_count_limits(void **state)
{
	struct procfile	pf = PROCFILE_INIT;
	struct perr	err = PERR_INIT;
	char		*big;
	size_t		 i, off = 0;

	(void)state;
	big = malloc(PROCFILE_MAX_BYTES + 2);
	assert_non_null(big);
	memset(big, '#', PROCFILE_MAX_BYTES + 1);
	assert_int_equal(procfile_parse(big, PROCFILE_MAX_BYTES + 1, &pf,
	    &err), -E2BIG);
	assert_int_equal(procfile_parse(big, PROCFILE_MAX_BYTES, &pf, &err),
	    0);
	for (i = 0; i <= PROCFILE_MAX_ENTRIES; i++)
		off += (size_t)snprintf(big + off, 64, "t%zu: x\n", i);
	assert_true(off < PROCFILE_MAX_BYTES);
	assert_int_equal(procfile_parse(big, off, &pf, &err), -E2BIG);
	assert_non_null(strstr(err.msg, "line 1001"));
	assert_int_equal(pf.n, 0);
	free(big);
}

static void
test_nul_byte_rejected(void **state)
{
	struct procfile	pf = PROCFILE_INIT;
	struct perr	err = PERR_INIT;

	(void)state;
	assert_int_equal(procfile_parse("web: a\0b\n", 9, &pf, &err),
	    -EINVAL);
	assert_non_null(strstr(err.msg, "NUL"));
}

static void
test_add_refuses_duplicates(void **state)
{
	struct procfile	pf = PROCFILE_INIT;
	struct perr	err = PERR_INIT;

	(void)state;
	assert_int_equal(procfile_add(&pf, "web", "a", &err), 0);
	assert_int_equal(procfile_add(&pf, "web", "b", &err), -EEXIST);
	assert_string_equal(procfile_get(&pf, "web"), "a");
	procfile_release(&pf);
}

static void
test_fuzz_entry_survives_junk(void **state)
{
	uint8_t	junk[512];
	size_t	i;

	(void)state;
	srand(7);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i % 3 ? rand() : "web: x\n"[i % 7]);
	for (i = 0; i <= sizeof(junk); i += 13)
		assert_int_equal(procfile_fuzz(junk, i), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parses_types_comments_and_blanks),
		cmocka_unit_test(test_command_may_contain_colons),
		cmocka_unit_test(test_empty_file_is_empty),
		cmocka_unit_test(test_errors_name_the_line),
		cmocka_unit_test(test_type_length_limit),
		cmocka_unit_test(test_size_and_count_limits),
		cmocka_unit_test(test_nul_byte_rejected),
		cmocka_unit_test(test_add_refuses_duplicates),
		cmocka_unit_test(test_fuzz_entry_survives_junk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
