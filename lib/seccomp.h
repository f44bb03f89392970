#ifndef PAAS_SECCOMP_H
#define PAAS_SECCOMP_H

#include <stddef.h>

#include "perr.h"

/*
 * The syscall filter every container runs under, with the semantics of
 * Docker's default profile: an allowlist; everything else fails with
 * EPERM; clone3 fails with ENOSYS (so libc falls back to clone, whose
 * flags can be checked); clone with namespace flags, ioctl(TIOCSTI) and
 * personality other than the usual queries are refused, and socket()
 * is allowed for AF_UNIX, AF_INET, AF_INET6 and AF_NETLINK only (so
 * AF_VSOCK, AF_ALG and the rest of the kernel's families are refused).
 * Syscalls newer than the table fail with ENOSYS (x86_64).
 *
 * The filter is built with libseccomp BEFORE the container's clone and
 * kept as a plain BPF program, so that the child only has to make one
 * syscall to load it (async-signal-safe).
 *
 * Note: lib/ is on the include path, so libseccomp's <seccomp.h> is
 * shadowed by this file everywhere but lib/seccomp.c (the Makefile
 * compiles that one file without -Ilib). Names use seccomp_filter_ and
 * seccomp_verdict_ so they never collide with libseccomp's own.
 */

enum seccomp_verdict {
	SECCOMP_VERDICT_REFUSE,		/* EPERM (also the default) */
	SECCOMP_VERDICT_ALLOW,		/* allowed whatever the arguments */
	SECCOMP_VERDICT_ARGS,		/* allowed for some arguments only */
	SECCOMP_VERDICT_ENOSYS,		/* fails with ENOSYS */
};

struct seccomp_entry {
	const char		*name;	/* as libseccomp spells it */
	enum seccomp_verdict	 verdict;
};

/*
 * The rule table: every allowed syscall, every argument-checked one,
 * and, for the record and the tests, the refused ones the profile is
 * known for (anything not in the table is refused as well).
 */
extern const struct seccomp_entry	seccomp_filter_table[];
extern const size_t			seccomp_filter_table_len;

/* seccomp_verdict_of() looks name up in the table; unknown: REFUSE. */
enum seccomp_verdict seccomp_verdict_of(const char *name);

/* A compiled filter: BPF instructions, owned by the struct. */
struct seccomp_prog {
	void		*insns;		/* struct sock_filter[len] */
	unsigned short	 len;
};

#define SECCOMP_PROG_INIT	{ NULL, 0 }

/* seccomp_filter_build() compiles the table for the native arch. */
int	seccomp_filter_build(struct seccomp_prog *, struct perr *);
void	seccomp_filter_release(struct seccomp_prog *);
/*
 * seccomp_filter_apply() loads the program into the calling thread
 * (one seccomp(2) call, async-signal-safe). The caller must have set
 * PR_SET_NO_NEW_PRIVS (or hold CAP_SYS_ADMIN). Returns 0 or -errno.
 */
int	seccomp_filter_apply(const struct seccomp_prog *);

#endif
