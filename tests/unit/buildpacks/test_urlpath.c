#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "urlpath.h"

static char	out[64];
static int	dir;

static int
norm(const char *target)
{
	memset(out, 'X', sizeof(out));
	dir = -1;
	return urlpath_normalize(slice_cstr(target), out, sizeof(out), &dir);
}

static void
test_urlpath_plain_paths(void **state)
{
	(void)state;
	assert_int_equal(norm("/"), 0);
	assert_string_equal(out, "");
	assert_int_equal(dir, 1);
	assert_int_equal(norm("/index.html"), 0);
	assert_string_equal(out, "index.html");
	assert_int_equal(dir, 0);
	assert_int_equal(norm("/a/b/"), 0);
	assert_string_equal(out, "a/b");
	assert_int_equal(dir, 1);
}

static void
test_urlpath_drops_query_dots_and_slashes(void **state)
{
	(void)state;
	assert_int_equal(norm("/a//b/./c.css?v=1/../x"), 0);
	assert_string_equal(out, "a/b/c.css");
	assert_int_equal(norm("//./a/.#frag"), 0);
	assert_string_equal(out, "a");
	assert_int_equal(norm("/a/b.c"), 0);
	assert_string_equal(out, "a/b.c");
	assert_int_equal(norm("/..."), 0 - ENOENT);
}

static void
test_urlpath_decodes_escapes(void **state)
{
	(void)state;
	assert_int_equal(norm("/my%20file.txt"), 0);
	assert_string_equal(out, "my file.txt");
	assert_int_equal(norm("/a%2Fb"), 0);
	assert_string_equal(out, "a/b");
	assert_int_equal(norm("/%41%62"), 0);
	assert_string_equal(out, "Ab");
}

static void
test_urlpath_rejects_escapes_from_root(void **state)
{
	(void)state;
	assert_int_equal(norm("/.."), -EINVAL);
	assert_int_equal(norm("/../etc/passwd"), -EINVAL);
	assert_int_equal(norm("/a/../../etc/passwd"), -EINVAL);
	assert_int_equal(norm("/a/.."), -EINVAL);
	assert_int_equal(norm("/%2e%2e/etc/passwd"), -EINVAL);
	assert_int_equal(norm("/%2E%2e%2fetc"), -EINVAL);
	assert_int_equal(norm("/.%2e/x"), -EINVAL);
	assert_int_equal(norm("/a%00b"), -EINVAL);
	assert_int_equal(norm("/bad%zz"), -EINVAL);
	assert_int_equal(norm("/trunc%2"), -EINVAL);
	assert_int_equal(norm("/trunc%"), -EINVAL);
	assert_int_equal(norm("http://evil/"), -EINVAL);
	assert_int_equal(norm("*"), -EINVAL);
	assert_int_equal(norm(""), -EINVAL);
}

static void
test_urlpath_hides_dotfiles_but_well_known(void **state)
{
	(void)state;
	assert_int_equal(norm("/.env"), -ENOENT);
	assert_int_equal(norm("/.git/config"), -ENOENT);
	assert_int_equal(norm("/a/.profile.d/x.sh"), -ENOENT);
	assert_int_equal(norm("/%2egit/config"), -ENOENT);
	assert_int_equal(norm("/.well-known/security.txt"), 0);
	assert_string_equal(out, ".well-known/security.txt");
}

static void
test_urlpath_respects_the_output_size(void **state)
{
	char	big[200];

	(void)state;
	memset(big, 'a', sizeof(big));
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(norm(big), -ENAMETOOLONG);
	big[sizeof(out)] = '\0';	/* 63 letters: exactly fits with NUL */
	assert_int_equal(norm(big), 0);
	assert_int_equal(strlen(out), sizeof(out) - 1);
}

static void
test_urlpath_escape_for_location(void **state)
{
	char	buf[32];

	(void)state;
	assert_int_equal(urlpath_escape("a b/c", buf, sizeof(buf)), 8);
	assert_string_equal(buf, "/a%20b/c");
	assert_int_equal(urlpath_escape("x\r\ny", buf, sizeof(buf)), 9);
	assert_string_equal(buf, "/x%0D%0Ay");
	assert_int_equal(urlpath_escape("abcdefghij", buf, 8), -ENAMETOOLONG);
}

/*
 * Property check on random targets built from the characters that
 * matter ('/', '.', '%', hex digits, letters, NUL escapes): whatever is
 * accepted never has an empty, "." or ".." segment, a leading or
 * trailing slash, a NUL, or a hidden segment other than .well-known.
 */
static void
test_urlpath_random_targets_stay_inside(void **state)
{
	static const char	alphabet[] = "/./%2e2E2f%00aZ.well-known";
	char			target[48], o[64], *seg, *save;
	unsigned		seed = 12345, i, j, len;
	int			d;

	(void)state;
	for (i = 0; i < 200000; i++) {
		target[0] = '/';
		len = 1 + (seed = seed * 1103515245 + 12345) % 40;
		for (j = 1; j < len; j++) {
			seed = seed * 1103515245 + 12345;
			target[j] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		if (urlpath_normalize(slice_from(target, len), o, sizeof(o),
		    &d) < 0)
			continue;
		assert_true(o[0] != '/');
		assert_true(o[0] == '\0' || o[strlen(o) - 1] != '/');
		assert_null(strstr(o, "//"));
		for (seg = strtok_r(o, "/", &save); seg;
		    seg = strtok_r(NULL, "/", &save)) {
			assert_string_not_equal(seg, ".");
			assert_string_not_equal(seg, "..");
			if (seg[0] == '.')
				assert_string_equal(seg, ".well-known");
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urlpath_plain_paths),
		cmocka_unit_test(test_urlpath_drops_query_dots_and_slashes),
		cmocka_unit_test(test_urlpath_decodes_escapes),
		cmocka_unit_test(test_urlpath_rejects_escapes_from_root),
		cmocka_unit_test(test_urlpath_hides_dotfiles_but_well_known),
		cmocka_unit_test(test_urlpath_respects_the_output_size),
		cmocka_unit_test(test_urlpath_escape_for_location),
		cmocka_unit_test(test_urlpath_random_targets_stay_inside),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
