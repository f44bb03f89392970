#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "out.h"

/* Prints t to a string; the caller frees it. */
static char *
render(const struct out_table *t, const char *header)
{
	char	*p = NULL;
	size_t	 len = 0;
	FILE	*f = open_memstream(&p, &len);

	assert_non_null(f);
	if (header != NULL)
		out_header(f, "%s", header);
	out_table_print(t, f);
	assert_int_equal(fclose(f), 0);
	return p;
}

static void
test_kv_aligned(void **state)
{
	struct out_table	 t;
	char			*s;

	(void)state;
	out_table_init(&t, 2, " ");
	out_table_kv(&t, "GREETING", "hi");
	out_table_kv(&t, "X", "y z");
	out_table_kv(&t, "DATABASE_URL", "postgres://h/db");
	s = render(&t, "hello Config Vars");
	assert_string_equal(s,
	    "=== hello Config Vars\n"
	    "GREETING:     hi\n"
	    "X:            y z\n"
	    "DATABASE_URL: postgres://h/db\n");
	free(s);
	out_table_release(&t);
}

static void
test_columns(void **state)
{
	struct out_table	 t;
	const char		*r1[] = { "v10", "Set GREETING config vars",
				    "2026-11-25T17:00:00Z" };
	const char		*r2[] = { "v9", "Deploy abc", "2026-11-25T16:00:00Z" };
	char			*s;

	(void)state;
	out_table_init(&t, 3, "  ");
	out_table_row(&t, r1);
	out_table_row(&t, r2);
	s = render(&t, NULL);
	assert_string_equal(s,
	    "v10  Set GREETING config vars  2026-11-25T17:00:00Z\n"
	    "v9   Deploy abc                2026-11-25T16:00:00Z\n");
	free(s);
	out_table_release(&t);
}

static void
test_no_trailing_spaces(void **state)
{
	struct out_table	 t;
	const char		*r1[] = { "web", "", NULL };
	const char		*r2[] = { "worker", "standard", "2" };
	char			*s;

	(void)state;
	out_table_init(&t, 3, "  ");
	out_table_row(&t, r1);
	out_table_row(&t, r2);
	out_table_kv(&t, "A", "");
	s = render(&t, NULL);
	assert_string_equal(s,
	    "web\n"
	    "worker  standard  2\n"
	    "A:\n");
	free(s);
	out_table_release(&t);
}

static void
test_utf8_width(void **state)
{
	struct out_table	 t;
	const char		*r1[] = { "caf\xc3\xa9", "x" };
	const char		*r2[] = { "tea", "y" };
	char			*s;

	(void)state;
	assert_int_equal(out_width("caf\xc3\xa9"), 4);
	assert_int_equal(out_width(""), 0);
	out_table_init(&t, 2, " ");
	out_table_row(&t, r1);
	out_table_row(&t, r2);
	s = render(&t, NULL);
	assert_string_equal(s, "caf\xc3\xa9 x\ntea  y\n");
	free(s);
	out_table_release(&t);
}

static void
test_many_rows(void **state)
{
	struct out_table	 t;
	const char		*row[2];
	char			 name[16], *s;
	int			 i;

	(void)state;
	out_table_init(&t, 2, " ");
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "%d", i);
		row[0] = name;
		row[1] = "v";
		out_table_row(&t, row);
	}
	assert_int_equal(t.nrows, 100);
	s = render(&t, NULL);
	assert_non_null(strstr(s, "0  v\n1  v\n"));
	assert_non_null(strstr(s, "\n99 v\n"));
	free(s);
	out_table_release(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kv_aligned),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_no_trailing_spaces),
		cmocka_unit_test(test_utf8_width),
		cmocka_unit_test(test_many_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
