#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgroup.h"

struct fake {
	char	dir[64];
	int	fd;
};

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static int
setup(void **state)
{
	struct fake *fk = calloc(1, sizeof(*fk));

	if (fk == NULL)
		return -1;
	snprintf(fk->dir, sizeof(fk->dir), "/tmp/paas-cgtest.XXXXXX");
	if (mkdtemp(fk->dir) == NULL)
		return -1;
	fk->fd = open(fk->dir, O_DIRECTORY | O_CLOEXEC);
	*state = fk;
	return fk->fd < 0 ? -1 : 0;
}

static int
teardown(void **state)
{
	struct fake *fk = *state;

	close(fk->fd);
	nftw(fk->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(fk);
	return 0;
}

static void
mkpath(struct fake *fk, const char *rel)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", fk->dir, rel);
	assert_int_equal(system(cmd), 0);
}

static void
put(struct fake *fk, const char *rel, const char *text)
{
	int fd = openat(fk->fd, rel, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
}

static void
expect_file(struct fake *fk, const char *rel, const char *want)
{
	char got[256];
	ssize_t n;
	int fd = openat(fk->fd, rel, O_RDONLY);

	if (fd < 0)
		fail_msg("%s: missing", rel);
	n = read(fd, got, sizeof(got) - 1);
	close(fd);
	assert_true(n >= 0);
	got[n] = '\0';
	assert_string_equal(got, want);
}

static int
exists(struct fake *fk, const char *rel)
{
	struct stat st;

	return fstatat(fk->fd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void
fake_v1(struct fake *fk, int memsw)
{
	mkpath(fk, "memory/paas/shop");
	mkpath(fk, "pids");
	mkpath(fk, "cpu");
	mkpath(fk, "freezer");
	if (memsw)
		put(fk, "memory/paas/shop/memory.memsw.limit_in_bytes", "0");
}

static void
test_sizes(void **state)
{
	struct cgroup_limits l;

	(void)state;
	assert_int_equal(cgroup_size_limits("basic", &l), 0);
	assert_int_equal(l.memory_bytes, 512ULL << 20);
	assert_int_equal(l.pids, 256);
	assert_int_equal(l.cpu_weight, 1);
	assert_int_equal(cgroup_size_limits("standard", &l), 0);
	assert_int_equal(l.memory_bytes, 1024ULL << 20);
	assert_int_equal(l.pids, 512);
	assert_int_equal(l.cpu_weight, 2);
	assert_int_equal(cgroup_size_limits("performance", &l), 0);
	assert_int_equal(l.memory_bytes, 2560ULL << 20);
	assert_int_equal(l.pids, 4096);
	assert_int_equal(l.cpu_weight, 8);
	assert_int_equal(cgroup_size_limits("huge", &l), -EINVAL);
	assert_int_equal(cgroup_size_limits(NULL, &l), -EINVAL);
}

static void
test_detect(void **state)
{
	struct fake *fk = *state;
	enum cgroup_version v;

	assert_int_equal(cgroup_detect(fk->fd, &v), -ENOENT);
	mkpath(fk, "memory");
	assert_int_equal(cgroup_detect(fk->fd, &v), 0);
	assert_int_equal(v, CGROUP_V1);
	/* a unified root without our controllers (this CI machine): v1 */
	put(fk, "cgroup.controllers", "hugetlb\n");
	assert_int_equal(cgroup_detect(fk->fd, &v), 0);
	assert_int_equal(v, CGROUP_V1);
	put(fk, "cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
	assert_int_equal(cgroup_detect(fk->fd, &v), 0);
	assert_int_equal(v, CGROUP_V2);
	/* "memoryx" is not "memory" */
	put(fk, "cgroup.controllers", "cpu memoryx pids\n");
	assert_int_equal(cgroup_detect(fk->fd, &v), 0);
	assert_int_equal(v, CGROUP_V1);
}

static void
test_init_checks_names(void **state)
{
	struct fake *fk = *state;
	struct perr err = PERR_INIT;
	struct cgroup cg;

	mkpath(fk, "memory");
	assert_int_equal(cgroup_init(&cg, fk->fd, "shop", "web.1-ab12", &err),
	    0);
	assert_string_equal(cg.path, "paas/shop/web.1-ab12");
	assert_int_equal(cg.version, CGROUP_V1);
	assert_int_equal(cgroup_init(&cg, fk->fd, "shop", "..", &err),
	    -EINVAL);
	assert_int_equal(cgroup_init(&cg, fk->fd, "shop", "a/b", &err),
	    -EINVAL);
	assert_int_equal(cgroup_init(&cg, fk->fd, "Shop", "x", &err),
	    -EINVAL);
	assert_int_equal(cgroup_init(&cg, fk->fd, "", "x", &err), -EINVAL);
	assert_int_equal(cgroup_init(&cg, fk->fd, "shop", ".x", &err),
	    -EINVAL);
	assert_non_null(strstr(err.msg, "invalid cgroup name"));
}

static void
test_v1_create_limits_attach(void **state)
{
	struct fake *fk = *state;
	struct perr err = PERR_INIT;
	struct cgroup_limits lim;
	struct cgroup cg;
	pid_t pids[4];
	size_t n;

	fake_v1(fk, 1);
	assert_int_equal(cgroup_size_limits("standard", &lim), 0);
	assert_int_equal(cgroup_init(&cg, fk->fd, "shop", "web.1", &err), 0);
	assert_int_equal(cgroup_create(&cg, &lim, &err), 0);
	expect_file(fk, "memory/paas/shop/web.1/memory.limit_in_bytes",
	    "1073741824");
	expect_file(fk, "memory/paas/shop/web.1/memory.memsw.limit_in_bytes",
	    "1073741824");
	expect_file(fk, "pids/paas/shop/web.1/pids.max", "512");
	expect_file(fk, "cpu/paas/shop/web.1/cpu.shares", "2048");
	assert_true(exists(fk, "freezer/paas/shop/web.1"));
	assert_false(exists(fk, "memory/paas/shop/web.1/memory.max"));
	assert_int_equal(cgroup_attach(&cg, 4242, &err), 0);
	expect_file(fk, "freezer/paas/shop/web.1/cgroup.procs", "4242");
	expect_file(fk, "memory/paas/shop/web.1/cgroup.procs", "4242");
	expect_file(fk, "pids/paas/shop/web.1/cgroup.procs", "4242");
	expect_file(fk, "cpu/paas/shop/web.1/cgroup.procs", "4242");
	put(fk, "freezer/paas/shop/web.1/cgroup.procs", "7\n8\n9\n");
	assert_int_equal(cgroup_pids(&cg, pids, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(pids[0], 7);
	assert_int_equal(pids[1], 8);
}

static void
test_v1_without_memsw(void **state)
{
	struct fake *fk = *state;
	struct perr err = PERR_INIT;
	struct cgroup_limits lim;
	struct cgroup cg;

	fake_v1(fk, 0);
	assert_int_equal(cgroup_size_limits("basic", &lim), 0);
	assert_int_equal(cgroup_init(&cg, fk->fd, "shop", "web.2", &err), 0);
	assert_int_equal(cgroup_create(&cg, &lim, &err), 0);
	expect_file(fk, "memory/paas/shop/web.2/memory.limit_in_bytes",
	    "536870912");
	assert_false(exists(fk,
	    "memory/paas/shop/web.2/memory.memsw.limit_in_bytes"));
	expect_file(fk, "cpu/paas/shop/web.2/cpu.shares", "1024");
}

static void
test_v2_create_limits(void **state)
{
	struct fake *fk = *state;
	struct perr err = PERR_INIT;
	struct cgroup_limits lim;
	struct cgroup cg;

	put(fk, "cgroup.controllers", "cpu memory pids\n");
	mkpath(fk, "paas/shop");
	put(fk, "paas/shop/memory.swap.max", "max");
	assert_int_equal(cgroup_size_limits("performance", &lim), 0);
	assert_int_equal(cgroup_init(&cg, fk->fd, "shop", "web.1", &err), 0);
	assert_int_equal(cg.version, CGROUP_V2);
	assert_int_equal(cgroup_create(&cg, &lim, &err), 0);
	expect_file(fk, "cgroup.subtree_control", "+memory +pids +cpu");
	expect_file(fk, "paas/cgroup.subtree_control", "+memory +pids +cpu");
	expect_file(fk, "paas/shop/cgroup.subtree_control",
	    "+memory +pids +cpu");
	assert_false(exists(fk, "paas/shop/web.1/cgroup.subtree_control"));
	expect_file(fk, "paas/shop/web.1/memory.max", "2684354560");
	expect_file(fk, "paas/shop/web.1/memory.swap.max", "0");
	expect_file(fk, "paas/shop/web.1/memory.oom.group", "1");
	expect_file(fk, "paas/shop/web.1/pids.max", "4096");
	expect_file(fk, "paas/shop/web.1/cpu.weight", "800");
	assert_false(exists(fk, "memory"));
	assert_int_equal(cgroup_attach(&cg, 99, &err), 0);
	expect_file(fk, "paas/shop/web.1/cgroup.procs", "99");
	assert_int_equal(cgroup_kill(&cg, &err), 0);
	expect_file(fk, "paas/shop/web.1/cgroup.kill", "1");
}

static void
test_create_rejects_bad_limits(void **state)
{
	struct fake *fk = *state;
	struct perr err = PERR_INIT;
	struct cgroup_limits lim = { 0, 10, 1 };
	struct cgroup cg;

	fake_v1(fk, 0);
	assert_int_equal(cgroup_init(&cg, fk->fd, "shop", "web.3", &err), 0);
	assert_int_equal(cgroup_create(&cg, &lim, &err), -EINVAL);
	assert_false(exists(fk, "memory/paas/shop/web.3"));
}

/* v1 kill freezes, kills every listed pid, thaws */
static void
test_v1_kill(void **state)
{
	struct fake *fk = *state;
	struct perr err = PERR_INIT;
	struct cgroup_limits lim;
	struct cgroup cg;
	char procs[32];
	pid_t child;
	int st;

	fake_v1(fk, 0);
	assert_int_equal(cgroup_size_limits("basic", &lim), 0);
	assert_int_equal(cgroup_init(&cg, fk->fd, "shop", "web.4", &err), 0);
	assert_int_equal(cgroup_create(&cg, &lim, &err), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		alarm(20);
		for (;;)
			pause();
	}
	snprintf(procs, sizeof(procs), "%ld\n", (long)child);
	put(fk, "freezer/paas/shop/web.4/cgroup.procs", procs);
	assert_int_equal(cgroup_kill(&cg, &err), 0);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	expect_file(fk, "freezer/paas/shop/web.4/freezer.state", "THAWED");
}

static void
test_oom_v1_and_v2(void **state)
{
	struct fake *fk = *state;
	struct perr err = PERR_INIT;
	struct cgroup cg;
	int oom = -1;

	fake_v1(fk, 0);
	mkpath(fk, "memory/paas/shop/web.5");
	assert_int_equal(cgroup_init(&cg, fk->fd, "shop", "web.5", &err), 0);
	put(fk, "memory/paas/shop/web.5/memory.oom_control",
	    "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
	assert_int_equal(cgroup_oom(&cg, &oom), 0);
	assert_int_equal(oom, 0);
	put(fk, "memory/paas/shop/web.5/memory.oom_control",
	    "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
	assert_int_equal(cgroup_oom(&cg, &oom), 0);
	assert_int_equal(oom, 1);
	/* old kernels: no oom_kill line, fall back to failcnt */
	put(fk, "memory/paas/shop/web.5/memory.oom_control",
	    "oom_kill_disable 0\nunder_oom 0\n");
	put(fk, "memory/paas/shop/web.5/memory.failcnt", "0\n");
	assert_int_equal(cgroup_oom(&cg, &oom), 0);
	assert_int_equal(oom, 0);
	put(fk, "memory/paas/shop/web.5/memory.failcnt", "17\n");
	assert_int_equal(cgroup_oom(&cg, &oom), 0);
	assert_int_equal(oom, 1);

	cg.version = CGROUP_V2;
	mkpath(fk, "paas/shop/web.5");
	put(fk, "paas/shop/web.5/memory.events",
	    "low 0\nhigh 0\nmax 9\noom 1\noom_kill 0\n");
	assert_int_equal(cgroup_oom(&cg, &oom), 0);
	assert_int_equal(oom, 0);
	put(fk, "paas/shop/web.5/memory.events",
	    "low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\noom_group_kill 1\n");
	assert_int_equal(cgroup_oom(&cg, &oom), 0);
	assert_int_equal(oom, 1);
}

static void
test_parse_key(void **state)
{
	const char *t = "oom 3\noom_kill 5\nbad x\n";
	uint64_t v = 0;

	(void)state;
	assert_int_equal(cgroup_parse_key(t, strlen(t), "oom_kill", &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(cgroup_parse_key(t, strlen(t), "oom", &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(cgroup_parse_key(t, strlen(t), "bad", &v), -EINVAL);
	assert_int_equal(cgroup_parse_key(t, strlen(t), "max", &v), -ENOENT);
	assert_int_equal(cgroup_parse_key(t, 4, "oom_kill", &v), -ENOENT);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		T(test_detect),
		T(test_init_checks_names),
		T(test_v1_create_limits_attach),
		T(test_v1_without_memsw),
		T(test_v2_create_limits),
		T(test_create_rejects_bad_limits),
		T(test_v1_kill),
		T(test_oom_v1_and_v2),
		cmocka_unit_test(test_parse_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
