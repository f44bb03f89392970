#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "safeopen.h"

/*
 * A scratch tree: root/ holds a/b.txt, in-link -> a/b.txt, out-link ->
 * ../outside.txt (beside root), abs-link -> /etc/hostname, dir-link -> a,
 * up-dir -> .. ; outside.txt sits next to root.
 */
struct tree {
	char	top[PATH_MAX];
	int	rootfd;
};

static int
rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static int
tree_setup(void **state)
{
	static struct tree	t;
	char			p[PATH_MAX + 64];
	FILE			*f;

	snprintf(t.top, sizeof(t.top), "/tmp/paas-safeopen-XXXXXX");
	if (mkdtemp(t.top) == NULL)
		return -1;
	snprintf(p, sizeof(p), "%s/root", t.top);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/root/a", t.top);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/root/a/b.txt", t.top);
	if ((f = fopen(p, "w")) == NULL)
		return -1;
	fputs("inside\n", f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/outside.txt", t.top);
	if ((f = fopen(p, "w")) == NULL)
		return -1;
	fputs("outside\n", f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/root", t.top);
	t.rootfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t.rootfd < 0 ||
	    symlinkat("a/b.txt", t.rootfd, "in-link") < 0 ||
	    symlinkat("../outside.txt", t.rootfd, "out-link") < 0 ||
	    symlinkat("/etc/hostname", t.rootfd, "abs-link") < 0 ||
	    symlinkat("a", t.rootfd, "dir-link") < 0 ||
	    symlinkat("..", t.rootfd, "up-dir") < 0)
		return -1;
	*state = &t;
	return 0;
}

static int
tree_teardown(void **state)
{
	struct tree	*t = *state;

	close(t->rootfd);
	return nftw(t->top, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int
opens(struct tree *t, const char *rel, enum safeopen_mode mode)
{
	int	fd = safeopen(t->rootfd, rel, O_RDONLY, mode);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return fd;
}

static int
beneath_supported(struct tree *t)
{
	int	fd = safeopen(t->rootfd, "a/b.txt", O_RDONLY, SAFEOPEN_BENEATH);

	if (fd >= 0)
		close(fd);
	return fd != -ENOSYS && fd != -EPERM;
}

static void
test_safeopen_walk_follows_no_symlink(void **state)
{
	struct tree	*t = *state;

	assert_int_equal(opens(t, "", SAFEOPEN_WALK), 0);
	assert_int_equal(opens(t, "a/b.txt", SAFEOPEN_WALK), 0);
	assert_int_equal(opens(t, "a", SAFEOPEN_WALK), 0);
	assert_int_equal(opens(t, "nope", SAFEOPEN_WALK), -ENOENT);
	assert_true(opens(t, "in-link", SAFEOPEN_WALK) < 0);
	assert_true(opens(t, "out-link", SAFEOPEN_WALK) < 0);
	assert_true(opens(t, "abs-link", SAFEOPEN_WALK) < 0);
	assert_true(opens(t, "dir-link/b.txt", SAFEOPEN_WALK) < 0);
	assert_true(opens(t, "up-dir/outside.txt", SAFEOPEN_WALK) < 0);
	assert_true(opens(t, "a/b.txt/x", SAFEOPEN_WALK) < 0);
}

static void
test_safeopen_beneath_keeps_links_inside(void **state)
{
	struct tree	*t = *state;

	if (!beneath_supported(t))
		skip();
	assert_int_equal(opens(t, "", SAFEOPEN_BENEATH), 0);
	assert_int_equal(opens(t, "a/b.txt", SAFEOPEN_BENEATH), 0);
	assert_int_equal(opens(t, "in-link", SAFEOPEN_BENEATH), 0);
	assert_int_equal(opens(t, "dir-link/b.txt", SAFEOPEN_BENEATH), 0);
	assert_true(opens(t, "out-link", SAFEOPEN_BENEATH) < 0);
	assert_true(opens(t, "abs-link", SAFEOPEN_BENEATH) < 0);
	assert_true(opens(t, "up-dir/outside.txt", SAFEOPEN_BENEATH) < 0);
	assert_int_equal(opens(t, "nope", SAFEOPEN_BENEATH), -ENOENT);
}

static void
test_safeopen_auto_never_escapes(void **state)
{
	struct tree	*t = *state;

	assert_int_equal(opens(t, "a/b.txt", SAFEOPEN_AUTO), 0);
	assert_true(opens(t, "out-link", SAFEOPEN_AUTO) < 0);
	assert_true(opens(t, "abs-link", SAFEOPEN_AUTO) < 0);
	assert_true(opens(t, "up-dir/outside.txt", SAFEOPEN_AUTO) < 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_safeopen_walk_follows_no_symlink),
		cmocka_unit_test(test_safeopen_beneath_keeps_links_inside),
		cmocka_unit_test(test_safeopen_auto_never_escapes),
	};

	alarm(30);
	return cmocka_run_group_tests(tests, tree_setup, tree_teardown);
}
