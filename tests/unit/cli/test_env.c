#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "env.h"

/* Parses text; returns the list (caller releases) and the result. */
static int
parse(const char *text, struct env_list *l, struct perr *err)
{
	return env_parse(text, strlen(text), l, err);
}

static const char *
get(const struct env_list *l, const char *key)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].key, key) == 0)
			return l->v[i].value;
	return NULL;
}

static void
test_plain_lines(void **state)
{
	struct env_list	l = ENV_LIST_INIT;
	struct perr	err = PERR_INIT;

	(void)state;
	assert_int_equal(parse("A=1\n\n# comment\n  B = two words  \n"
	    "export C=3\nD=\nE=x#y\nF=v # note\r\nG==eq\n", &l, &err), 0);
	assert_int_equal(l.n, 7);
	assert_string_equal(l.v[0].key, "A");
	assert_string_equal(get(&l, "A"), "1");
	assert_string_equal(get(&l, "B"), "two words");
	assert_string_equal(get(&l, "C"), "3");
	assert_string_equal(get(&l, "D"), "");
	assert_string_equal(get(&l, "E"), "x#y");
	assert_string_equal(get(&l, "F"), "v");
	assert_string_equal(get(&l, "G"), "=eq");
	assert_null(get(&l, "export C"));
	env_list_release(&l);
}

static void
test_single_quotes_literal(void **state)
{
	struct env_list	l = ENV_LIST_INIT;
	struct perr	err = PERR_INIT;

	(void)state;
	assert_int_equal(parse("A='a \\n \"b\" # not a comment'\n"
	    "B='' # empty\nC='  padded  '\n", &l, &err), 0);
	assert_string_equal(get(&l, "A"), "a \\n \"b\" # not a comment");
	assert_string_equal(get(&l, "B"), "");
	assert_string_equal(get(&l, "C"), "  padded  ");
	env_list_release(&l);
}

static void
test_double_quote_escapes(void **state)
{
	struct env_list	l = ENV_LIST_INIT;
	struct perr	err = PERR_INIT;

	(void)state;
	assert_int_equal(parse("A=\"line1\\nline2\"\nB=\"say \\\"hi\\\"\"\n"
	    "C=\"back\\\\slash\"\nD=\"keep \\t and \\$\"\nE=\"it's # in\"  "
	    "# out\nexport F=\"\"\n", &l, &err), 0);
	assert_string_equal(get(&l, "A"), "line1\nline2");
	assert_string_equal(get(&l, "B"), "say \"hi\"");
	assert_string_equal(get(&l, "C"), "back\\slash");
	assert_string_equal(get(&l, "D"), "keep \\t and \\$");
	assert_string_equal(get(&l, "E"), "it's # in");
	assert_string_equal(get(&l, "F"), "");
	assert_int_equal(l.n, 6);
	env_list_release(&l);
}

static void
test_repeated_key_last_wins(void **state)
{
	struct env_list	l = ENV_LIST_INIT;
	struct perr	err = PERR_INIT;

	(void)state;
	assert_int_equal(parse("A=1\nB=2\nA=3", &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(get(&l, "A"), "3");
	env_list_release(&l);
}

/* Each bad text fails with "line N:" and why. */
static void
bad(const char *text, const char *line, const char *why)
{
	struct env_list	l = ENV_LIST_INIT;
	struct perr	err = PERR_INIT;

	assert_int_equal(env_parse(text, strlen(text), &l, &err), -EINVAL);
	assert_non_null(strstr(err.msg, line));
	assert_int_equal(strncmp(err.msg, line, strlen(line)), 0);
	assert_non_null(strstr(err.msg, why));
	env_list_release(&l);
}

static void
test_bad_lines(void **state)
{
	(void)state;
	bad("A=1\nnot a pair\n", "line 2:", "expected KEY=VALUE");
	bad("# c\n\n1X=y\n", "line 3:", "invalid config key");
	bad("A-B=1", "line 1:", "invalid config key");
	bad("PAAS_X=1", "line 1:", "reserved");
	bad("=value", "line 1:", "invalid config key");
	bad("A=1\nB='open\n", "line 2:", "unterminated single quote");
	bad("A=\"open\\\"\n", "line 1:", "unterminated double quote");
	bad("A='x' y\n", "line 1:", "after the closing quote");
	bad("A=1\nB=2\nC=\"x\"y", "line 3:", "after the closing quote");
	bad("export\n", "line 1:", "expected KEY=VALUE");
}

static void
test_nul_byte(void **state)
{
	struct env_list	l = ENV_LIST_INIT;
	struct perr	err = PERR_INIT;
	const char	text[] = "A=1\nB=x\0y\n";

	(void)state;
	assert_int_equal(env_parse(text, sizeof(text) - 1, &l, &err), -EINVAL);
	assert_string_equal(err.msg, "line 2: NUL byte");
	env_list_release(&l);
}

static void
test_args(void **state)
{
	struct env_list	l = ENV_LIST_INIT;
	struct perr	err = PERR_INIT;

	(void)state;
	assert_int_equal(env_parse_arg("GREETING=hello world", &l, &err), 0);
	assert_int_equal(env_parse_arg("EMPTY=", &l, &err), 0);
	assert_int_equal(env_parse_arg("Q='kept' \"as is\"  ", &l, &err), 0);
	assert_int_equal(env_parse_arg("URL=a=b=c", &l, &err), 0);
	assert_string_equal(get(&l, "GREETING"), "hello world");
	assert_string_equal(get(&l, "EMPTY"), "");
	assert_string_equal(get(&l, "Q"), "'kept' \"as is\"  ");
	assert_string_equal(get(&l, "URL"), "a=b=c");
	assert_int_equal(env_parse_arg("NOEQUALS", &l, &err), -EINVAL);
	assert_string_equal(err.msg, "'NOEQUALS': expected KEY=VALUE");
	assert_int_equal(env_parse_arg("=x", &l, &err), -EINVAL);
	assert_int_equal(env_parse_arg("9A=x", &l, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "(got '9A')"));
	assert_int_equal(env_parse_arg("PAAS_TOKEN=x", &l, &err), -EINVAL);
	assert_int_equal(l.n, 4);
	env_list_release(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_lines),
		cmocka_unit_test(test_single_quotes_literal),
		cmocka_unit_test(test_double_quote_escapes),
		cmocka_unit_test(test_repeated_key_last_wins),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
