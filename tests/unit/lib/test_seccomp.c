#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "seccomp.h"

/* What issue 3 and REFERENCE.md name as refused, one by one. */
static const char *const must_refuse[] = {
	"ptrace", "process_vm_readv", "process_vm_writev", "mount",
	"umount2", "fsopen", "fsmount", "move_mount", "open_tree",
	"unshare", "setns", "pivot_root", "chroot", "bpf", "userfaultfd",
	"perf_event_open", "keyctl", "add_key", "request_key",
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	"kexec_load", "kexec_file_load", "init_module", "finit_module",
	"delete_module", "open_by_handle_at",
};

static void
test_table_refuses_what_it_must(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(must_refuse) / sizeof(must_refuse[0]); i++) {
		if (seccomp_verdict_of(must_refuse[i]) != SECCOMP_VERDICT_REFUSE)
			fail_msg("%s is not refused", must_refuse[i]);
	}
	assert_int_equal(seccomp_verdict_of("clone3"), SECCOMP_VERDICT_ENOSYS);
	assert_int_equal(seccomp_verdict_of("clone"), SECCOMP_VERDICT_ARGS);
	assert_int_equal(seccomp_verdict_of("socket"), SECCOMP_VERDICT_ARGS);
	assert_int_equal(seccomp_verdict_of("ioctl"), SECCOMP_VERDICT_ARGS);
	assert_int_equal(seccomp_verdict_of("personality"),
	    SECCOMP_VERDICT_ARGS);
	assert_int_equal(seccomp_verdict_of("no_such_call"),
	    SECCOMP_VERDICT_REFUSE);
	assert_int_equal(seccomp_verdict_of("read"), SECCOMP_VERDICT_ALLOW);
	assert_int_equal(seccomp_verdict_of("execve"), SECCOMP_VERDICT_ALLOW);
	assert_int_equal(seccomp_verdict_of("close_range"),
	    SECCOMP_VERDICT_ALLOW);
}

static void
test_table_has_no_duplicates(void **state)
{
	size_t i, j;

	(void)state;
	assert_true(seccomp_filter_table_len > 250);
	for (i = 0; i < seccomp_filter_table_len; i++)
		for (j = i + 1; j < seccomp_filter_table_len; j++)
			if (strcmp(seccomp_filter_table[i].name,
			    seccomp_filter_table[j].name) == 0)
				fail_msg("%s listed twice",
				    seccomp_filter_table[i].name);
}

static long
try_getpid(void)
{
	return getpid() > 0 ? 0 : -1;
}

static long
try_unshare(void)
{
	return unshare(CLONE_NEWNS);
}

static long
try_mount(void)
{
	return syscall(SYS_mount, "none", "/", "tmpfs", 0, NULL);
}

static long
try_clone3(void)
{
	uint64_t args[11];

	memset(args, 0, sizeof(args));
	return syscall(SYS_clone3, args, sizeof(args));
}

static long
try_clone_newuser(void)
{
	long r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);

	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	return r > 0 ? 0 : r;
}

static long
try_fork(void)
{
	int st;
	pid_t p = fork();

	if (p == 0)
		_exit(7);
	if (p < 0 || waitpid(p, &st, 0) != p)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 7 ? 0 : -1;
}

static long
try_socket(int domain, int type)
{
	int fd = socket(domain, type | SOCK_CLOEXEC, 0);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno == EPERM ? -1 : 0;
}

static long
try_unix(void)
{
	return try_socket(AF_UNIX, SOCK_STREAM);
}

static long
try_inet6(void)
{
	return try_socket(AF_INET6, SOCK_DGRAM);
}

static long
try_netlink(void)
{
	return try_socket(AF_NETLINK, SOCK_RAW);
}

static long
try_packet(void)
{
	return try_socket(AF_PACKET, SOCK_RAW);
}

static long
try_alg(void)
{
	return try_socket(AF_ALG, SOCK_SEQPACKET);
}

static long
try_vsock(void)
{
	return try_socket(AF_VSOCK, SOCK_STREAM);
}

static long
try_tiocsti(void)
{
	char c = 'x';

	return ioctl(0, TIOCSTI, &c);
}

static long
try_tiocsti_high(void)
{
	char c = 'x';

	return syscall(SYS_ioctl, 0, 0x100000000UL | TIOCSTI, &c);
}

static long
try_fionread(void)
{
	int p[2], n = -1;
	long r;

	if (pipe(p) == -1)
		return -1;
	r = ioctl(p[0], FIONREAD, &n);
	close(p[0]);
	close(p[1]);
	return r == 0 && n == 0 ? 0 : -1;
}

static long
try_ptrace(void)
{
	return syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
}

static long
try_personality_query(void)
{
	return personality(0xffffffff) == -1 ? -1 : 0;
}

static long
try_personality_bsd(void)
{
	return personality(PER_BSD) == -1 ? -1 : 0;
}

static long
try_bpf(void)
{
	return syscall(SYS_bpf, 0, NULL, 0);
}

static long
try_io_uring(void)
{
	return syscall(SYS_io_uring_setup, 1, NULL);
}

static long
try_keyctl(void)
{
	return syscall(SYS_keyctl, 0, 0, 0, 0, 0);
}

static long
try_process_vm_readv(void)
{
	return syscall(SYS_process_vm_readv, getpid(), NULL, 0, NULL, 0, 0);
}

static long
try_userfaultfd(void)
{
	return syscall(SYS_userfaultfd, 0);
}

/* far above any syscall the table knows: "too new", ENOSYS */
static long
try_future(void)
{
	return syscall(1000, 0, 0, 0);
}

/* in the table's range but not in it: refused, EPERM */
static long
try_acct(void)
{
	return syscall(SYS_acct, NULL);
}

struct probe {
	const char	*what;
	long		(*fn)(void);
	int		 want;	/* 0: must work; else the errno it must fail with */
};

static const struct probe probes[] = {
	{ "getpid", try_getpid, 0 },
	{ "fork", try_fork, 0 },
	{ "socket(AF_UNIX)", try_unix, 0 },
	{ "socket(AF_INET6)", try_inet6, 0 },
	{ "socket(AF_NETLINK)", try_netlink, 0 },
	{ "socket(AF_PACKET)", try_packet, EPERM },
	{ "ioctl(FIONREAD)", try_fionread, 0 },
	{ "personality(query)", try_personality_query, 0 },
	{ "unshare", try_unshare, EPERM },
	{ "mount", try_mount, EPERM },
	{ "clone3", try_clone3, ENOSYS },
	{ "clone(CLONE_NEWUSER)", try_clone_newuser, EPERM },
	{ "socket(AF_ALG)", try_alg, EPERM },
	{ "socket(AF_VSOCK)", try_vsock, EPERM },
	{ "ioctl(TIOCSTI)", try_tiocsti, EPERM },
	{ "ioctl(TIOCSTI | 1<<32)", try_tiocsti_high, EPERM },
	{ "ptrace", try_ptrace, EPERM },
	{ "personality(PER_BSD)", try_personality_bsd, EPERM },
	{ "bpf", try_bpf, EPERM },
	{ "io_uring_setup", try_io_uring, EPERM },
	{ "keyctl", try_keyctl, EPERM },
	{ "process_vm_readv", try_process_vm_readv, EPERM },
	{ "userfaultfd", try_userfaultfd, EPERM },
	{ "syscall 1000", try_future, ENOSYS },
	{ "acct", try_acct, EPERM },
};
#define NPROBES	(sizeof(probes) / sizeof(probes[0]))

/*
 * Load the filter in a forked child and run every probe there; the
 * child reports one int per probe (0 ok, else the errno seen) on a pipe.
 */
static void
test_filter_in_child(void **state)
{
	struct seccomp_prog prog = SECCOMP_PROG_INIT;
	struct perr err = PERR_INIT;
	int res[NPROBES], p[2], st;
	size_t i;
	pid_t pid;

	(void)state;
	if (seccomp_filter_build(&prog, &err) != 0)
		fail_msg("%s", err.msg);
	assert_true(prog.len > 100);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		alarm(10);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
		    seccomp_filter_apply(&prog) != 0)
			_exit(2);
		for (i = 0; i < NPROBES; i++) {
			errno = 0;
			res[i] = probes[i].fn() == 0 ? 0 : (errno ? errno : -1);
		}
		_exit(write(p[1], res, sizeof(res)) == sizeof(res) ? 0 : 3);
	}
	close(p[1]);
	assert_int_equal(read(p[0], res, sizeof(res)), (int)sizeof(res));
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	for (i = 0; i < NPROBES; i++)
		if (res[i] != probes[i].want)
			fail_msg("%s: got %d (%s), want %d", probes[i].what,
			    res[i], strerror(res[i]), probes[i].want);
	seccomp_filter_release(&prog);
	assert_null(prog.insns);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_refuses_what_it_must),
		cmocka_unit_test(test_table_has_no_duplicates),
		cmocka_unit_test(test_filter_in_child),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
