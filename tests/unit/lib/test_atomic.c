#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "atomic.h"

static char	dir[] = "/tmp/paas-atomic-XXXXXX";
static char	path[128], tmp[140], other[140];

static size_t
slurp(const char *p, char *out, size_t outlen)
{
	int	fd = open(p, O_RDONLY);
	ssize_t	n;

	assert_true(fd >= 0);
	n = read(fd, out, outlen - 1);
	close(fd);
	assert_true(n >= 0);
	out[n] = '\0';
	return (size_t)n;
}

static void
test_write_replace_and_mode(void **state)
{
	struct stat	sb;
	char		text[64];

	(void)state;
	assert_int_equal(atomic_write(path, "one\n", 4, 0644), 0);
	assert_int_equal(slurp(path, text, sizeof(text)), 4);
	assert_string_equal(text, "one\n");
	/* the mode is the one asked for, whatever the umask */
	umask(077);
	assert_int_equal(atomic_write(path, "second\n", 7, 0555), 0);
	assert_string_equal((slurp(path, text, sizeof(text)), text),
	    "second\n");
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0555);
	assert_int_equal(access(tmp, F_OK), -1);
	/* empty data makes an empty file */
	assert_int_equal(atomic_write(path, "", 0, 0600), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 0);
}

static void
test_planted_symlink_is_not_followed(void **state)
{
	char text[64];

	(void)state;
	assert_int_equal(atomic_write(other, "victim\n", 7, 0644), 0);
	assert_int_equal(symlink(other, tmp), 0);
	assert_int_equal(atomic_write(path, "safe\n", 5, 0644), 0);
	slurp(other, text, sizeof(text));
	assert_string_equal(text, "victim\n");
	slurp(path, text, sizeof(text));
	assert_string_equal(text, "safe\n");
}

static void
test_failure_leaves_the_old_file(void **state)
{
	char text[64], sub[160];

	(void)state;
	assert_int_equal(atomic_write(path, "kept\n", 5, 0644), 0);
	/* a directory where the temp file goes: cannot be replaced */
	assert_int_equal(mkdir(tmp, 0755), 0);
	assert_true(atomic_write(path, "lost\n", 5, 0644) < 0);
	assert_int_equal(rmdir(tmp), 0);
	slurp(path, text, sizeof(text));
	assert_string_equal(text, "kept\n");
	/* no such directory */
	snprintf(sub, sizeof(sub), "%s/nodir/file", dir);
	assert_int_equal(atomic_write(sub, "x", 1, 0644), -ENOENT);
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/file", dir);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	snprintf(other, sizeof(other), "%s/other", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(tmp);
	rmdir(tmp);
	unlink(path);
	unlink(other);
	return rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_replace_and_mode),
		cmocka_unit_test(test_planted_symlink_is_not_followed),
		cmocka_unit_test(test_failure_leaves_the_old_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
