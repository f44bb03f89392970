#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "seccomp.h"

#define A	SECCOMP_VERDICT_ALLOW
#define R	SECCOMP_VERDICT_REFUSE
#define C	SECCOMP_VERDICT_ARGS

/*
 * Docker's default profile (moby/profiles/seccomp/default.json), the
 * entries that need no capability, minus ptrace and process_vm_*.
 * Names this libseccomp or arch does not know are skipped at build.
 */
const struct seccomp_entry seccomp_filter_table[] = {
	{ "accept", A }, { "accept4", A }, { "access", A }, { "adjtimex", A },
	{ "alarm", A }, { "arch_prctl", A }, { "bind", A }, { "brk", A },
	{ "cachestat", A }, { "capget", A }, { "capset", A }, { "chdir", A },
	{ "chmod", A }, { "chown", A }, { "clock_getres", A },
	{ "clock_gettime", A }, { "clock_nanosleep", A }, { "close", A },
	{ "close_range", A }, { "connect", A }, { "copy_file_range", A },
	{ "creat", A }, { "dup", A }, { "dup2", A }, { "dup3", A },
	{ "epoll_create", A }, { "epoll_create1", A }, { "epoll_ctl", A },
	{ "epoll_pwait", A }, { "epoll_pwait2", A }, { "epoll_wait", A },
	{ "eventfd", A }, { "eventfd2", A }, { "execve", A },
	{ "execveat", A }, { "exit", A }, { "exit_group", A },
	{ "faccessat", A }, { "faccessat2", A }, { "fadvise64", A },
	{ "fallocate", A }, { "fanotify_mark", A }, { "fchdir", A },
	{ "fchmod", A }, { "fchmodat", A }, { "fchmodat2", A },
	{ "fchown", A }, { "fchownat", A }, { "fcntl", A },
	{ "fdatasync", A }, { "fgetxattr", A }, { "flistxattr", A },
	{ "flock", A }, { "fork", A }, { "fremovexattr", A },
	{ "fsetxattr", A }, { "fstat", A }, { "fstatfs", A }, { "fsync", A },
	{ "ftruncate", A }, { "futex", A }, { "futex_requeue", A },
	{ "futex_wait", A }, { "futex_waitv", A }, { "futex_wake", A },
	{ "futimesat", A }, { "getcpu", A }, { "getcwd", A },
	{ "getdents", A }, { "getdents64", A }, { "getegid", A },
	{ "geteuid", A }, { "getgid", A }, { "getgroups", A },
	{ "getitimer", A }, { "getpeername", A }, { "getpgid", A },
	{ "getpgrp", A }, { "getpid", A }, { "getppid", A },
	{ "getpriority", A }, { "getrandom", A }, { "getresgid", A },
	{ "getresuid", A }, { "getrlimit", A }, { "get_robust_list", A },
	{ "getrusage", A }, { "getsid", A }, { "getsockname", A },
	{ "getsockopt", A }, { "get_thread_area", A }, { "gettid", A },
	{ "gettimeofday", A }, { "getuid", A }, { "getxattr", A },
	{ "inotify_add_watch", A }, { "inotify_init", A },
	{ "inotify_init1", A }, { "inotify_rm_watch", A },
	{ "io_cancel", A }, { "io_destroy", A }, { "io_getevents", A },
	{ "io_pgetevents", A }, { "ioprio_get", A }, { "ioprio_set", A },
	{ "io_setup", A }, { "io_submit", A }, { "kill", A },
	{ "landlock_add_rule", A }, { "landlock_create_ruleset", A },
	{ "landlock_restrict_self", A }, { "lchown", A }, { "lgetxattr", A },
	{ "link", A }, { "linkat", A }, { "listen", A }, { "listxattr", A },
	{ "llistxattr", A }, { "lremovexattr", A }, { "lseek", A },
	{ "lsetxattr", A }, { "lstat", A }, { "madvise", A },
	{ "map_shadow_stack", A }, { "membarrier", A },
	{ "memfd_create", A }, { "memfd_secret", A }, { "mincore", A },
	{ "mkdir", A }, { "mkdirat", A }, { "mknod", A }, { "mknodat", A },
	{ "mlock", A }, { "mlock2", A }, { "mlockall", A }, { "mmap", A },
	{ "mprotect", A }, { "mq_getsetattr", A }, { "mq_notify", A },
	{ "mq_open", A }, { "mq_timedreceive", A }, { "mq_timedsend", A },
	{ "mq_unlink", A }, { "mremap", A }, { "msgctl", A }, { "msgget", A },
	{ "msgrcv", A }, { "msgsnd", A }, { "msync", A }, { "munlock", A },
	{ "munlockall", A }, { "munmap", A }, { "name_to_handle_at", A },
	{ "nanosleep", A }, { "newfstatat", A }, { "open", A },
	{ "openat", A }, { "openat2", A }, { "pause", A },
	{ "pidfd_getfd", R }, { "pidfd_open", A },
	{ "pidfd_send_signal", A }, { "pipe", A }, { "pipe2", A },
	{ "pkey_alloc", A }, { "pkey_free", A }, { "pkey_mprotect", A },
	{ "poll", A }, { "ppoll", A }, { "prctl", A }, { "pread64", A },
	{ "preadv", A }, { "preadv2", A }, { "prlimit64", A },
	{ "process_mrelease", A }, { "pselect6", A }, { "pwrite64", A },
	{ "pwritev", A }, { "pwritev2", A }, { "read", A },
	{ "readahead", A }, { "readlink", A }, { "readlinkat", A },
	{ "readv", A }, { "recvfrom", A }, { "recvmmsg", A },
	{ "recvmsg", A }, { "remap_file_pages", A }, { "removexattr", A },
	{ "rename", A }, { "renameat", A }, { "renameat2", A },
	{ "restart_syscall", A }, { "rmdir", A }, { "rseq", A },
	{ "rt_sigaction", A }, { "rt_sigpending", A },
	{ "rt_sigprocmask", A }, { "rt_sigqueueinfo", A },
	{ "rt_sigreturn", A }, { "rt_sigsuspend", A },
	{ "rt_sigtimedwait", A }, { "rt_tgsigqueueinfo", A },
	{ "sched_getaffinity", A }, { "sched_getattr", A },
	{ "sched_getparam", A }, { "sched_get_priority_max", A },
	{ "sched_get_priority_min", A }, { "sched_getscheduler", A },
	{ "sched_rr_get_interval", A }, { "sched_setaffinity", A },
	{ "sched_setattr", A }, { "sched_setparam", A },
	{ "sched_setscheduler", A }, { "sched_yield", A }, { "seccomp", A },
	{ "select", A }, { "semctl", A }, { "semget", A }, { "semop", A },
	{ "semtimedop", A }, { "sendfile", A }, { "sendmmsg", A },
	{ "sendmsg", A }, { "sendto", A }, { "setfsgid", A },
	{ "setfsuid", A }, { "setgid", A }, { "setgroups", A },
	{ "setitimer", A }, { "setpgid", A }, { "setpriority", A },
	{ "setregid", A }, { "setresgid", A }, { "setresuid", A },
	{ "setreuid", A }, { "setrlimit", A }, { "set_robust_list", A },
	{ "setsid", A }, { "setsockopt", A }, { "set_thread_area", A },
	{ "set_tid_address", A }, { "setuid", A }, { "setxattr", A },
	{ "shmat", A }, { "shmctl", A }, { "shmdt", A }, { "shmget", A },
	{ "shutdown", A }, { "sigaltstack", A }, { "signalfd", A },
	{ "signalfd4", A }, { "socketpair", A }, { "splice", A },
	{ "stat", A }, { "statfs", A }, { "statx", A }, { "symlink", A },
	{ "symlinkat", A }, { "sync", A }, { "sync_file_range", A },
	{ "syncfs", A }, { "sysinfo", A }, { "tee", A }, { "tgkill", A },
	{ "time", A }, { "timer_create", A }, { "timer_delete", A },
	{ "timer_getoverrun", A }, { "timer_gettime", A },
	{ "timer_settime", A }, { "timerfd_create", A },
	{ "timerfd_gettime", A }, { "timerfd_settime", A }, { "times", A },
	{ "tkill", A }, { "truncate", A }, { "umask", A }, { "uname", A },
	{ "unlink", A }, { "unlinkat", A }, { "utime", A },
	{ "utimensat", A }, { "utimes", A }, { "vfork", A },
	{ "vmsplice", A }, { "wait4", A }, { "waitid", A }, { "write", A },
	{ "writev", A },

	{ "clone", C }, { "socket", C }, { "ioctl", C }, { "personality", C },

	{ "clone3", SECCOMP_VERDICT_ENOSYS },

	{ "ptrace", R }, { "process_vm_readv", R }, { "process_vm_writev", R },
	{ "mount", R }, { "umount2", R }, { "fsopen", R }, { "fsconfig", R },
	{ "fsmount", R }, { "fspick", R }, { "move_mount", R },
	{ "open_tree", R }, { "mount_setattr", R }, { "unshare", R },
	{ "setns", R }, { "pivot_root", R }, { "chroot", R }, { "bpf", R },
	{ "userfaultfd", R }, { "perf_event_open", R }, { "keyctl", R },
	{ "add_key", R }, { "request_key", R }, { "io_uring_setup", R },
	{ "io_uring_enter", R }, { "io_uring_register", R },
	{ "kexec_load", R }, { "kexec_file_load", R }, { "init_module", R },
	{ "finit_module", R }, { "delete_module", R },
	{ "open_by_handle_at", R }, { "acct", R }, { "swapon", R },
	{ "swapoff", R }, { "reboot", R }, { "settimeofday", R },
	{ "clock_settime", R }, { "clock_adjtime", R }, { "quotactl", R },
	{ "syslog", R }, { "iopl", R }, { "ioperm", R }, { "vhangup", R },
	{ "kcmp", R }, { "lookup_dcookie", R }, { "uselib", R },
	{ "_sysctl", R }, { "sysfs", R }, { "ustat", R }, { "mbind", R },
	{ "set_mempolicy", R }, { "get_mempolicy", R }, { "move_pages", R },
	{ "migrate_pages", R }, { "modify_ldt", R }, { "fanotify_init", R },
	{ "nfsservctl", R }, { "create_module", R }, { "get_kernel_syms", R },
	{ "query_module", R }, { "vm86", R }, { "vm86old", R },
};
const size_t seccomp_filter_table_len =
    sizeof(seccomp_filter_table) / sizeof(seccomp_filter_table[0]);

#undef A
#undef R
#undef C

#define NS_FLAGS	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | \
			 CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | \
			 CLONE_NEWCGROUP | CLONE_NEWTIME)

/*
 * The argument-checked rules: the syscall is allowed when argument arg,
 * truncated to 32 bits the way the kernel truncates an int, is not one
 * of the refused values (the list ends at the first 0 after the first
 * entry), or, for ALLOW_ONLY rows, is one of the listed values.
 * libseccomp refuses rules whose action is the default (EPERM) and has
 * no masked "not equal", so "allow unless" is built as a cover of
 * masked-equal allow rules, see add_allow_unless().
 */
enum arg_kind { ALLOW_UNLESS, ALLOW_ONLY, ALLOW_NO_BITS };

struct arg_rule {
	const char	*name;
	enum arg_kind	 kind;
	unsigned	 arg;
	uint64_t	 vals[5];
	unsigned	 nvals;
};

static const struct arg_rule arg_rules[] = {
	{ "clone", ALLOW_NO_BITS, 0, { NS_FLAGS }, 1 },
	{ "socket", ALLOW_ONLY, 0, { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK },
	    4 },
	{ "ioctl", ALLOW_UNLESS, 1, { TIOCSTI }, 1 },
	{ "personality", ALLOW_ONLY, 0,
	    { 0x0, 0x0008, 0x20000, 0x20008, 0xffffffff }, 5 },
};

static int
add_cmp(scmp_filter_ctx ctx, int nr, unsigned arg, uint64_t mask,
    uint64_t val)
{
	struct scmp_arg_cmp c;

	c.arg = arg;
	c.op = SCMP_CMP_MASKED_EQ;
	c.datum_a = mask;
	c.datum_b = val;
	return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, &c);
}

/*
 * Walk the 32 bits from the top; a prefix that no refused value shares
 * is allowed as a whole with one masked-equal rule. At most 32 rules
 * per refused value.
 */
static int
add_allow_unless(scmp_filter_ctx ctx, int nr, const struct arg_rule *r,
    int bit, uint64_t mask, uint64_t val)
{
	uint64_t m;
	unsigned i;
	int hit = 0, rc;

	for (i = 0; i < r->nvals; i++)
		if ((r->vals[i] & mask) == val)
			hit = 1;
	if (!hit)
		return add_cmp(ctx, nr, r->arg, mask, val);
	if (bit < 0)
		return 0;
	m = mask | (1ULL << bit);
	if ((rc = add_allow_unless(ctx, nr, r, bit - 1, m, val)) < 0)
		return rc;
	return add_allow_unless(ctx, nr, r, bit - 1, m, val | (1ULL << bit));
}

static int
add_arg_rule(scmp_filter_ctx ctx, int nr, const struct arg_rule *r)
{
	unsigned i;
	int rc = 0;

	switch (r->kind) {
	case ALLOW_NO_BITS:
		return add_cmp(ctx, nr, r->arg, r->vals[0], 0);
	case ALLOW_ONLY:
		for (i = 0; i < r->nvals && rc == 0; i++)
			rc = add_cmp(ctx, nr, r->arg, ~0ULL, r->vals[i]);
		return rc;
	case ALLOW_UNLESS:
		return add_allow_unless(ctx, nr, r, 31, 0, 0);
	}
	return -EINVAL;
}

enum seccomp_verdict
seccomp_verdict_of(const char *name)
{
	size_t i;

	for (i = 0; i < seccomp_filter_table_len; i++)
		if (strcmp(seccomp_filter_table[i].name, name) == 0)
			return seccomp_filter_table[i].verdict;
	return SECCOMP_VERDICT_REFUSE;
}

static int
add_table(scmp_filter_ctx ctx, struct perr *err)
{
	const struct seccomp_entry *e;
	uint32_t act;
	size_t i;
	int nr, rc;

	for (i = 0; i < seccomp_filter_table_len; i++) {
		e = &seccomp_filter_table[i];
		if (e->verdict == SECCOMP_VERDICT_ALLOW)
			act = SCMP_ACT_ALLOW;
		else if (e->verdict == SECCOMP_VERDICT_ENOSYS)
			act = SCMP_ACT_ERRNO(ENOSYS);
		else
			continue;
		nr = seccomp_syscall_resolve_name(e->name);
		if (nr == __NR_SCMP_ERROR || nr < 0)
			continue;
		if ((rc = seccomp_rule_add(ctx, act, nr, 0)) < 0)
			return perr_set(err, rc, "seccomp rule '%s': %s",
			    e->name, strerror(-rc));
	}
	for (i = 0; i < sizeof(arg_rules) / sizeof(arg_rules[0]); i++) {
		nr = seccomp_syscall_resolve_name(arg_rules[i].name);
		if (nr == __NR_SCMP_ERROR || nr < 0)
			continue;
		if ((rc = add_arg_rule(ctx, nr, &arg_rules[i])) < 0)
			return perr_set(err, rc, "seccomp rule '%s' #%zu: %s",
			    arg_rules[i].name, i, strerror(-rc));
	}
	return 0;
}

/* libseccomp 2.5 exports BPF only to an fd: go through a memfd. */
static int
export_prog(scmp_filter_ctx ctx, struct seccomp_prog *prog,
    struct perr *err)
{
	void *p = NULL;
	off_t size;
	ssize_t n;
	int fd = -1, rc;

	if ((fd = memfd_create("paas-seccomp", MFD_CLOEXEC)) == -1) {
		rc = perr_set(err, -errno, "memfd for seccomp: %s",
		    strerror(errno));
		goto out;
	}
	if ((rc = seccomp_export_bpf(ctx, fd)) < 0) {
		perr_set(err, rc, "export seccomp filter: %s", strerror(-rc));
		goto out;
	}
	size = lseek(fd, 0, SEEK_CUR);
	if (size <= 0 || size % sizeof(struct sock_filter) != 0 ||
	    size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		rc = perr_set(err, -E2BIG, "seccomp filter size %lld",
		    (long long)size);
		goto out;
	}
	p = malloc((size_t)size);
	if (p == NULL || (n = pread(fd, p, (size_t)size, 0)) != size) {
		rc = perr_set(err, -EIO, "read seccomp filter back");
		goto out;
	}
	prog->insns = p;
	prog->len = (unsigned short)(size / sizeof(struct sock_filter));
	p = NULL;
	rc = 0;
out:
	free(p);
	if (fd != -1)
		close(fd);
	return rc;
}

/* the highest syscall number the table knows on this arch */
static int
table_max_nr(void)
{
	size_t i;
	int nr, max = -1;

	for (i = 0; i < seccomp_filter_table_len; i++) {
		nr = seccomp_syscall_resolve_name(seccomp_filter_table[i].name);
		if (nr != __NR_SCMP_ERROR && nr > max)
			max = nr;
	}
	return max;
}

/*
 * Syscalls newer than the table fail with ENOSYS, not EPERM, so that a
 * libc probing for a new call falls back to the old one (runc does
 * this). libseccomp 2.5 cannot say it, so a self-contained prefix goes
 * in front of its program (whose relative jumps stay valid): native
 * arch, not x32, nr above the table's highest -> ENOSYS; everything
 * else falls through to libseccomp's checks.
 */
static int
prepend_enosys(struct seccomp_prog *prog, int max_nr, struct perr *err)
{
#if defined(__x86_64__)
	const struct sock_filter pre[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)max_nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	};
	const size_t npre = sizeof(pre) / sizeof(pre[0]);
	struct sock_filter *p;

	if (max_nr <= 0)
		return 0;
	if (prog->len + npre > BPF_MAXINSNS)
		return perr_set(err, -E2BIG, "seccomp filter too long");
	p = malloc((prog->len + npre) * sizeof(*p));
	if (p == NULL)
		return perr_set(err, -ENOMEM, "out of memory");
	memcpy(p, pre, sizeof(pre));
	memcpy(p + npre, prog->insns, prog->len * sizeof(*p));
	free(prog->insns);
	prog->insns = p;
	prog->len = (unsigned short)(prog->len + npre);
#else
	(void)prog;
	(void)max_nr;
	(void)err;
#endif
	return 0;
}

int
seccomp_filter_build(struct seccomp_prog *prog, struct perr *err)
{
	scmp_filter_ctx ctx;
	int rc;

	ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (ctx == NULL)
		return perr_set(err, -ENOMEM, "seccomp_init failed");
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS)) < 0) {
		perr_set(err, rc, "seccomp bad-arch action: %s", strerror(-rc));
		goto out;
	}
	if ((rc = add_table(ctx, err)) < 0 ||
	    (rc = export_prog(ctx, prog, err)) < 0)
		goto out;
	if ((rc = prepend_enosys(prog, table_max_nr(), err)) < 0)
		seccomp_filter_release(prog);
out:
	seccomp_release(ctx);
	return rc;
}

void
seccomp_filter_release(struct seccomp_prog *prog)
{
	free(prog->insns);
	prog->insns = NULL;
	prog->len = 0;
}

int
seccomp_filter_apply(const struct seccomp_prog *prog)
{
	struct sock_fprog fp;

	fp.len = prog->len;
	fp.filter = prog->insns;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) == -1)
		return -errno;
	return 0;
}
