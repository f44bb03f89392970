#include <sys/mount.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "container.h"

static char *argv_ok[] = { "/bin/sh", "-c", "echo hi", NULL };
static char *env_ok[] = { "PATH=/usr/bin:/bin", "HOME=/app", NULL };

static void
good_req(struct container_req *r)
{
	container_req_init(r);
	r->rootdir = "/var/lib/paas/instances/x/root";
	r->layers[0] = "/var/lib/paas/slugs/abc";
	r->layers[1] = "/var/lib/paas/empty";
	r->nlayers = 2;
	r->upper = "/var/lib/paas/instances/x/upper";
	r->work = "/var/lib/paas/instances/x/work";
	r->etc = "/var/lib/paas/instances/x/etc";
	r->init = "/usr/lib/paas/paas-init";
	r->hostname = "web.1";
	r->uid = 10001;
	r->gid = 10001;
	r->argv = argv_ok;
	r->envp = env_ok;
	r->cwd = "/app";
	r->tmp_mb = 64;
	r->flags = CONTAINER_HOST_STACK;
}

static void
test_check_accepts_good(void **state)
{
	struct container_req r;
	struct perr err = PERR_INIT;

	(void)state;
	good_req(&r);
	assert_int_equal(container_req_check(&r, &err), 0);
	r.init = NULL;
	assert_int_equal(container_req_check(&r, &err), 0);
	r.flags |= CONTAINER_PTY | CONTAINER_USERNS;
	r.rows = CONTAINER_WINSIZE_MAX;
	r.cols = 1;
	assert_int_equal(container_req_check(&r, &err), 0);
}

static void
test_idmap_line(void **state)
{
	char line[32];

	(void)state;
	assert_int_equal(container_idmap_line(10001, line, sizeof(line)), 14);
	assert_string_equal(line, "10001 10001 1\n");
	assert_int_equal(container_idmap_line(4000000000U, line, 12),
	    -ENAMETOOLONG);
}

static char *argv_rel[] = { "sh", NULL };
static char *argv_empty[] = { NULL };
static char *env_bad[] = { "NOEQUALS", NULL };
static char *env_bad2[] = { "=x", NULL };

static void
test_check_rejects(void **state)
{
	struct container_req r;
	struct perr err = PERR_INIT;
	int i;

	(void)state;
	for (i = 0;; i++) {
		good_req(&r);
		switch (i) {
		case 0: r.uid = 0; break;
		case 1: r.gid = 0; break;
		case 2: r.cwd = "app"; break;
		case 3: r.cwd = "/app/../etc"; break;
		case 4: r.layers[0] = "/a:b"; break;
		case 5: r.upper = "/a,lowerdir=/"; break;
		case 6: r.nlayers = 0; break;
		case 7: r.nlayers = CONTAINER_LAYERS_MAX + 1; break;
		case 8: r.hostname = "web 1"; break;
		case 9: r.hostname = ""; break;
		case 10: r.argv = NULL; break;
		case 11: r.argv = argv_empty; break;
		case 12: r.init = NULL; r.argv = argv_rel; break;
		case 13: r.envp = env_bad; break;
		case 14: r.envp = env_bad2; break;
		case 15: r.flags = 1U << 20; break;
		case 16: r.etc = NULL; break;
		case 17: r.nbinds = 1; r.binds[0].src = "/data";
			r.binds[0].dst = "/app/../../etc"; break;
		case 18: r.nbinds = 1; r.binds[0].src = "/data";
			r.binds[0].dst = "/proc/sys"; break;
		case 19: r.nbinds = 1; r.binds[0].src = "rel";
			r.binds[0].dst = "/data"; break;
		case 20: r.tmp_mb = CONTAINER_TMP_MB_MAX + 1; break;
		case 21: r.stdio[1] = -5; break;
		case 22: r.rootdir = NULL; break;
		case 23: r.init = "bin/paas-init"; break;
		case 24: r.nbinds = 1; r.binds[0].src = "/data";
			r.binds[0].dst = "/"; break;
		case 25: r.cwd = "/app/./x"; break;
		case 26: r.flags |= CONTAINER_PTY; r.stdio[0] = 0; break;
		case 27: r.rows = CONTAINER_WINSIZE_MAX + 1; break;
		case 28: r.cols = CONTAINER_WINSIZE_MAX + 1; break;
		default:
			return;
		}
		if (container_req_check(&r, &err) != -EINVAL)
			fail_msg("case %d accepted", i);
	}
}

static const struct container_mount *
find(const struct container_plan *pl, enum container_op op, const char *suffix,
    size_t *idx)
{
	size_t i, sl = strlen(suffix), pl_len;

	for (i = 0; i < pl->n; i++) {
		pl_len = strlen(pl->m[i].path);
		if (pl->m[i].op == op && pl_len >= sl &&
		    strcmp(pl->m[i].path + pl_len - sl, suffix) == 0) {
			if (idx)
				*idx = i;
			return &pl->m[i];
		}
	}
	return NULL;
}

static void
test_plan(void **state)
{
	const struct container_mount *m;
	struct container_req r;
	struct container_plan pl;
	struct perr err = PERR_INIT;
	size_t nolink_proc, mount_proc, nolink_null, mount_dev, i;

	(void)state;
	good_req(&r);
	r.nbinds = 1;
	r.binds[0].src = "/tmp";
	r.binds[0].dst = "/data";
	r.binds[0].ro = 1;
	assert_int_equal(container_plan_build(&r, &pl, &err), 0);
	assert_int_equal(pl.m[0].op, CONTAINER_OP_PRIVATE);
	assert_int_equal(pl.m[1].op, CONTAINER_OP_MOUNT);
	assert_string_equal(pl.m[1].fstype, "overlay");
	assert_string_equal(pl.m[1].path, r.rootdir);
	assert_string_equal(pl.m[1].data, "lowerdir=/var/lib/paas/slugs/abc:"
	    "/var/lib/paas/empty,upperdir=/var/lib/paas/instances/x/upper,"
	    "workdir=/var/lib/paas/instances/x/work");

	/* host stack: /usr read-only; the curated /etc read-only */
	m = find(&pl, CONTAINER_OP_BIND, "/root/usr", NULL);
	assert_non_null(m);
	assert_string_equal(m->src, "/usr");
	assert_true(m->flags & MS_RDONLY);
	m = find(&pl, CONTAINER_OP_BIND, "/root/etc", NULL);
	assert_non_null(m);
	assert_string_equal(m->src, r.etc);
	assert_true(m->flags & MS_RDONLY);

	/* /proc: symlink check first, fresh, masked, read-only parts */
	assert_non_null(find(&pl, CONTAINER_OP_NOLINK, "/root/proc",
	    &nolink_proc));
	m = find(&pl, CONTAINER_OP_MOUNT, "/root/proc", &mount_proc);
	assert_non_null(m);
	assert_true(nolink_proc < mount_proc);
	assert_int_equal(m->flags & (MS_NOSUID | MS_NOEXEC | MS_NODEV),
	    MS_NOSUID | MS_NOEXEC | MS_NODEV);
	assert_non_null(find(&pl, CONTAINER_OP_MASK, "/proc/kcore", NULL));
	assert_non_null(find(&pl, CONTAINER_OP_MASK, "/proc/keys", NULL));
	assert_non_null(find(&pl, CONTAINER_OP_MASK, "/proc/sched_debug",
	    NULL));
	assert_non_null(find(&pl, CONTAINER_OP_MASK, "/proc/timer_list",
	    NULL));
	assert_non_null(find(&pl, CONTAINER_OP_RDONLY, "/proc/sys", NULL));
	assert_non_null(find(&pl, CONTAINER_OP_RDONLY, "/proc/sysrq-trigger",
	    NULL));
	m = find(&pl, CONTAINER_OP_MOUNT, "/root/sys", NULL);
	assert_non_null(m);
	assert_true(m->flags & MS_RDONLY);

	/* /dev: the image's device links are refused before the tmpfs */
	assert_non_null(find(&pl, CONTAINER_OP_NOLINK, "/root/dev/null",
	    &nolink_null));
	assert_non_null(find(&pl, CONTAINER_OP_MOUNT, "/root/dev",
	    &mount_dev));
	assert_true(nolink_null < mount_dev);
	m = find(&pl, CONTAINER_OP_MOUNT, "/dev/pts", NULL);
	assert_non_null(m);
	assert_non_null(strstr(m->data, "newinstance"));
	assert_non_null(strstr(m->data, "ptmxmode=0666"));
	m = find(&pl, CONTAINER_OP_SYMLINK, "/dev/ptmx", NULL);
	assert_non_null(m);
	assert_string_equal(m->src, "pts/ptmx");
	for (i = 0; i < 6; i++) {
		static const char *devs[] = { "/dev/null", "/dev/zero",
		    "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty" };

		m = find(&pl, CONTAINER_OP_BIND, devs[i], NULL);
		assert_non_null(m);
		assert_string_equal(m->src, devs[i]);
	}
	m = find(&pl, CONTAINER_OP_BIND, "/dev/init", NULL);
	assert_non_null(m);
	assert_string_equal(m->src, r.init);
	assert_true(m->flags & MS_RDONLY);
	assert_false(m->flags & MS_NOEXEC);

	/* /tmp capped; the user bind read-only and nosuid */
	m = find(&pl, CONTAINER_OP_MOUNT, "/root/tmp", NULL);
	assert_non_null(m);
	assert_non_null(strstr(m->data, "size=64m"));
	m = find(&pl, CONTAINER_OP_BIND, "/root/data", NULL);
	assert_non_null(m);
	assert_int_equal(m->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV),
	    MS_RDONLY | MS_NOSUID | MS_NODEV);
	container_plan_release(&pl);
	assert_null(pl.m);
}

static void
test_plan_without_stack_or_sys(void **state)
{
	struct container_req r;
	struct container_plan pl;
	struct perr err = PERR_INIT;

	(void)state;
	good_req(&r);
	r.flags = CONTAINER_NO_SYS;
	r.init = NULL;
	r.tmp_mb = 0;
	assert_int_equal(container_plan_build(&r, &pl, &err), 0);
	assert_null(find(&pl, CONTAINER_OP_BIND, "/root/usr", NULL));
	assert_null(find(&pl, CONTAINER_OP_BIND, "/root/etc", NULL));
	assert_null(find(&pl, CONTAINER_OP_MOUNT, "/root/sys", NULL));
	assert_null(find(&pl, CONTAINER_OP_BIND, "/dev/init", NULL));
	assert_non_null(strstr(find(&pl, CONTAINER_OP_MOUNT, "/root/tmp",
	    NULL)->data, "size=256m"));
	container_plan_release(&pl);
}

static void
test_etc_write(void **state)
{
	char dir[] = "/tmp/paas-etc.XXXXXX", path[128], text[512];
	struct perr err = PERR_INIT;
	ssize_t n;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(container_etc_write(dir, 10042, 10043, "web.3",
	    &err), 0);
	snprintf(path, sizeof(path), "%s/passwd", dir);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	assert_true(n > 0);
	text[n] = '\0';
	assert_non_null(strstr(text, "\napp:x:10042:10043:app:/app:"));
	snprintf(path, sizeof(path), "%s/hosts", dir);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	assert_non_null(strstr(text, "localhost web.3"));
	assert_int_equal(container_etc_write(dir, 0, 1, "web.3", &err),
	    -EINVAL);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

static void
test_netpolicy_rules(void **state)
{
	char out[2048];
	int n;

	(void)state;
	n = container_netpolicy_rules("paas", 10000, 59999, out, sizeof(out));
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(out));
	assert_non_null(strstr(out, "delete table inet paas\n"));
	assert_non_null(strstr(out, "type filter hook output priority 0;"));
	assert_non_null(strstr(out, "meta skuid != 10000-59999 accept\n"));
	/* established before the reject, so replies to the router pass */
	assert_true(strstr(out, "ct state established,related accept") <
	    strstr(out, "fib daddr type local reject"));
	assert_non_null(strstr(out, "th dport 53 accept"));
	assert_int_equal(container_netpolicy_rules("pa as", 1, 2, out,
	    sizeof(out)), -EINVAL);
	assert_int_equal(container_netpolicy_rules("x;flush ruleset", 1, 2,
	    out, sizeof(out)), -EINVAL);
	assert_int_equal(container_netpolicy_rules("paas", 0, 2, out,
	    sizeof(out)), -EINVAL);
	assert_int_equal(container_netpolicy_rules("paas", 20, 10, out,
	    sizeof(out)), -EINVAL);
	assert_int_equal(container_netpolicy_rules("paas", 10, 20, out, 64),
	    -ENAMETOOLONG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_accepts_good),
		cmocka_unit_test(test_check_rejects),
		cmocka_unit_test(test_idmap_line),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_plan_without_stack_or_sys),
		cmocka_unit_test(test_etc_write),
		cmocka_unit_test(test_netpolicy_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
