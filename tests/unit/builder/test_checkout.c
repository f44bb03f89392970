#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <git2.h>

#include "buf.h"
#include "checkout.h"
#include "fsutil.h"

struct fx {
	char		 dir[64];
	char		 repo[96];
	char		 dest[96];
	git_repository	*r;
};

struct ent {
	const char	*mode;		/* "100644", "40000", "120000", ... */
	const char	*name;
	git_oid		 id;
};

static git_oid
put(struct fx *f, git_object_t type, const void *p, size_t len)
{
	git_odb	*odb;
	git_oid	 id;

	assert_int_equal(git_repository_odb(&odb, f->r), 0);
	assert_int_equal(git_odb_write(&id, odb, p, len, type), 0);
	git_odb_free(odb);
	return id;
}

static git_oid
blob(struct fx *f, const char *s)
{
	return put(f, GIT_OBJECT_BLOB, s, strlen(s));
}

/* a raw tree object: no name checks, so hostile trees can be made */
static git_oid
tree(struct fx *f, const struct ent *e, size_t n)
{
	struct buf	b = BUF_INIT;
	git_oid		id;
	size_t		i;

	for (i = 0; i < n; i++) {
		buf_addf(&b, "%s %s", e[i].mode, e[i].name);
		buf_addch(&b, '\0');
		buf_add(&b, e[i].id.id, GIT_OID_RAWSZ);
	}
	id = put(f, GIT_OBJECT_TREE, b.p, b.len);
	buf_release(&b);
	return id;
}

static void
commit(struct fx *f, git_oid t, char *hex)
{
	char	body[256], th[41];
	git_oid	id;

	git_oid_tostr(th, sizeof(th), &t);
	snprintf(body, sizeof(body), "tree %s\nauthor A <a@example.com> "
	    "1700000000 +0000\ncommitter A <a@example.com> 1700000000 "
	    "+0000\n\ntest\n", th);
	id = put(f, GIT_OBJECT_COMMIT, body, strlen(body));
	git_oid_tostr(hex, 41, &id);
}

static int
setup(void **state)
{
	struct fx	*f = calloc(1, sizeof(*f));

	git_libgit2_init();
	strcpy(f->dir, "/tmp/paas-test-checkout-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->repo, sizeof(f->repo), "%s/r.git", f->dir);
	snprintf(f->dest, sizeof(f->dest), "%s/out", f->dir);
	assert_int_equal(git_repository_init(&f->r, f->repo, 1), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;
	struct perr	 err;

	git_repository_free(f->r);
	assert_int_equal(fsutil_rm_rf(f->dir, &err), 0);
	free(f);
	git_libgit2_shutdown();
	return 0;
}

static int
run(struct fx *f, git_oid t, const struct checkout_opts *o,
    struct checkout_result *res, struct perr *err)
{
	struct checkout_opts	def;
	char			hex[41];

	commit(f, t, hex);
	if (o == NULL) {
		checkout_opts_default(&def);
		o = &def;
	}
	return checkout_commit(f->repo, hex, f->dest, o, res, err);
}

static void
expect_refused(struct fx *f, git_oid t, const char *needle)
{
	struct checkout_result	res;
	struct perr		err = PERR_INIT;
	struct stat		st;

	assert_int_not_equal(run(f, t, NULL, &res, &err), 0);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("error '%s' lacks '%s'", err.msg, needle);
	assert_int_equal(lstat(f->dest, &st), -1);
}

static mode_t
mode_of(struct fx *f, const char *rel)
{
	char		p[256];
	struct stat	st;

	snprintf(p, sizeof(p), "%s/%s", f->dest, rel);
	if (lstat(p, &st) != 0)
		return 0;
	return st.st_mode;
}

static void
test_writes_files_modes_links_and_skips(void **state)
{
	struct fx		*f = *state;
	struct checkout_result	 res;
	struct perr		 err = PERR_INIT;
	struct ent		 docs[1], sub[2], root[8];
	char			 p[256], t[64];
	ssize_t			 n;

	docs[0] = (struct ent){ "100644", "a.md", blob(f, "doc") };
	sub[0] = (struct ent){ "100644", "f", blob(f, "sub file\n") };
	sub[1] = (struct ent){ "120000", "up", blob(f, "../run.sh") };
	root[0] = (struct ent){ "100644", ".slugignore",
	    blob(f, "# comment\n*.psd\n/docs/\n") };
	root[1] = (struct ent){ "100644", "art.psd", blob(f, "big") };
	root[2] = (struct ent){ "40000", "docs", tree(f, docs, 1) };
	root[3] = (struct ent){ "120000", "link", blob(f, "sub/f") };
	root[4] = (struct ent){ "160000", "mod", blob(f, "not fetched") };
	root[5] = (struct ent){ "100755", "run.sh", blob(f, "#!/bin/sh\n") };
	root[6] = (struct ent){ "40000", "sub", tree(f, sub, 2) };
	root[7] = (struct ent){ "100664", "w", blob(f, "group-writable") };
	assert_int_equal(run(f, tree(f, root, 8), NULL, &res, &err), 0);
	assert_int_equal(res.commit_time, 1700000000);
	assert_int_equal(strlen(res.commit), 40);
	assert_int_equal(res.ignored, 2);
	assert_int_equal(mode_of(f, "run.sh"), S_IFREG | 0755);
	assert_int_equal(mode_of(f, "sub/f"), S_IFREG | 0644);
	assert_int_equal(mode_of(f, "sub"), S_IFDIR | 0755);
	assert_int_equal(mode_of(f, "w"), S_IFREG | 0644);
	assert_int_equal(mode_of(f, "link") & S_IFMT, S_IFLNK);
	assert_int_equal(mode_of(f, "art.psd"), 0);
	assert_int_equal(mode_of(f, "docs"), 0);
	assert_int_equal(mode_of(f, "mod"), 0);
	assert_int_equal(mode_of(f, ".git"), 0);
	snprintf(p, sizeof(p), "%s/sub/up", f->dest);
	n = readlink(p, t, sizeof(t) - 1);
	assert_int_equal(n, 9);
	t[n] = '\0';
	assert_string_equal(t, "../run.sh");
}

static void
test_refuses_symlink_out_of_tree(void **state)
{
	struct fx		*f = *state;
	struct checkout_result	 res;
	struct perr		 err = PERR_INIT;
	struct ent		 e[1], sub[1], mid[1];

	e[0] = (struct ent){ "120000", "shadow", blob(f, "/etc/shadow") };
	expect_refused(f, tree(f, e, 1), "points outside");
	e[0] = (struct ent){ "120000", "x", blob(f, "../x") };
	expect_refused(f, tree(f, e, 1), "points outside");
	e[0] = (struct ent){ "120000", "x", blob(f, "a/../../x") };
	expect_refused(f, tree(f, e, 1), "points outside");
	sub[0] = (struct ent){ "120000", "l", blob(f, "../../etc/passwd") };
	mid[0] = (struct ent){ "40000", "b", tree(f, sub, 1) };
	e[0] = (struct ent){ "40000", "a", tree(f, mid, 1) };
	assert_int_equal(run(f, tree(f, e, 1), NULL, &res, &err), 0);
	assert_int_equal(fsutil_rm_rf(f->dest, &err), 0);
	sub[0] = (struct ent){ "120000", "l", blob(f, "../../../x") };
	mid[0] = (struct ent){ "40000", "b", tree(f, sub, 1) };
	e[0] = (struct ent){ "40000", "a", tree(f, mid, 1) };
	expect_refused(f, tree(f, e, 1), "points outside");
}

static void
test_refuses_hostile_names(void **state)
{
	struct fx	*f = *state;
	struct ent	 e[1], in[1];

	in[0] = (struct ent){ "100644", "x", blob(f, "escaped") };
	e[0] = (struct ent){ "40000", "..", tree(f, in, 1) };
	expect_refused(f, tree(f, e, 1), "'..'");
	e[0] = (struct ent){ "100644", "../x", blob(f, "x") };
	expect_refused(f, tree(f, e, 1), "'../x'");
	e[0] = (struct ent){ "40000", ".GiT", tree(f, in, 1) };
	expect_refused(f, tree(f, e, 1), "'.GiT'");
	e[0] = (struct ent){ "100644", ".", blob(f, "x") };
	expect_refused(f, tree(f, e, 1), "'.'");
}

static void
test_refuses_deep_nesting(void **state)
{
	struct fx	*f = *state;
	struct ent	 e[1];
	git_oid		 t;
	int		 i;

	e[0] = (struct ent){ "100644", "leaf", blob(f, "x") };
	t = tree(f, e, 1);
	for (i = 0; i < 300; i++) {
		e[0] = (struct ent){ "40000", "d", t };
		t = tree(f, e, 1);
	}
	expect_refused(f, t, "deeper than 256");
}

static void
test_refuses_git_bomb_quickly(void **state)
{
	struct fx	*f = *state;
	struct ent	 e[10];
	const char	*names[10] = { "0", "1", "2", "3", "4", "5", "6", "7",
			    "8", "9" };
	git_oid		 t;
	struct timespec	 a, b;
	int		 i, lvl;

	t = blob(f, "boom");
	for (i = 0; i < 10; i++)
		e[i] = (struct ent){ "100644", names[i], t };
	t = tree(f, e, 10);
	for (lvl = 0; lvl < 9; lvl++) {
		for (i = 0; i < 10; i++)
			e[i] = (struct ent){ "40000", names[i], t };
		t = tree(f, e, 10);
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	expect_refused(f, t, "more than 1000000 files");
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true(b.tv_sec - a.tv_sec < 2);
}

static void
test_size_and_path_limits(void **state)
{
	struct fx		*f = *state;
	struct checkout_opts	 o;
	struct checkout_result	 res;
	struct perr		 err = PERR_INIT;
	struct ent		 e[2];
	char			 name[300];

	e[0] = (struct ent){ "100644", "a", blob(f, "0123456789") };
	e[1] = (struct ent){ "100644", "b", blob(f, "0123456789") };
	checkout_opts_default(&o);
	o.lim.max_bytes = 19;
	assert_int_equal(run(f, tree(f, e, 2), &o, &res, &err), -E2BIG);
	assert_non_null(strstr(err.msg, "more than 19 bytes"));
	o.lim.max_bytes = 20;
	assert_int_equal(run(f, tree(f, e, 2), &o, &res, &err), 0);
	assert_int_equal(res.bytes, 20);
	assert_int_equal(res.entries, 2);
	assert_int_equal(fsutil_rm_rf(f->dest, &err), 0);
	memset(name, 'n', 255);
	name[255] = '\0';
	e[0] = (struct ent){ "100644", name, blob(f, "x") };
	e[1] = (struct ent){ "40000", name, tree(f, e, 1) };
	o.lim.max_path = 400;
	assert_int_equal(run(f, tree(f, &e[1], 1), &o, &res, &err),
	    -ENAMETOOLONG);
}

static void
test_chown_gives_tree_to_build_user(void **state)
{
	struct fx		*f = *state;
	struct checkout_opts	 o;
	struct checkout_result	 res;
	struct perr		 err = PERR_INIT;
	struct ent		 e[1], r[2];
	struct stat		 st;
	char			 p[256];

	if (geteuid() != 0)
		skip();
	e[0] = (struct ent){ "100644", "f", blob(f, "x") };
	r[0] = (struct ent){ "40000", "d", tree(f, e, 1) };
	r[1] = (struct ent){ "120000", "l", blob(f, "d/f") };
	checkout_opts_default(&o);
	o.chown = 1;
	o.uid = 54321;
	o.gid = 54322;
	assert_int_equal(run(f, tree(f, r, 2), &o, &res, &err), 0);
	snprintf(p, sizeof(p), "%s/d/f", f->dest);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_uid, 54321);
	assert_int_equal(st.st_gid, 54322);
	snprintf(p, sizeof(p), "%s/l", f->dest);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_uid, 54321);
	assert_int_equal(lstat(f->dest, &st), 0);
	assert_int_equal(st.st_uid, 54321);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_writes_files_modes_links_and_skips),
		T(test_refuses_symlink_out_of_tree),
		T(test_refuses_hostile_names),
		T(test_refuses_deep_nesting),
		T(test_refuses_git_bomb_quickly),
		T(test_size_and_path_limits),
		T(test_chown_gives_tree_to_build_user),
	};

	alarm(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
