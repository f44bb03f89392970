#ifndef PAAS_BUILDER_SANDBOX_H
#define PAAS_BUILDER_SANDBOX_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "perr.h"

/*
 * sandbox_run() runs one argv as the build user and returns when it and
 * everything it started are gone. The child gets a new session and
 * process group, PR_SET_PDEATHSIG, /dev/null as stdin, one pipe as
 * stdout and stderr, the given cwd and environment only (nothing is
 * inherited), rlimits (no core, 65536 files, file size and, for an
 * unprivileged user, process count), with private_tmp a mount namespace
 * of its own where /tmp, /var/tmp and /dev/shm are fresh tmpfs (so what
 * a build drops there does not last), setgroups/setresgid/setresuid to
 * uid:gid when drop is set, PR_SET_NO_NEW_PRIVS, and every fd above 2
 * closed at exec. Failure before exec comes back as {step, errno} over a
 * close-on-exec pipe.
 *
 * Output is split into lines (long ones are cut) and handed to line_cb.
 * When the child exits, times out or the run is cancelled, its process
 * group is killed and then, because sandbox_init() made this process a
 * child subreaper, every descendant that escaped the group (setsid,
 * double fork) has been reparented to us and is killed and reaped too:
 * no daemon outlives the step.
 *
 * NEEDSWORK: this is the stand-in for lib/container.h (namespaces,
 * cgroup limits, seccomp); switching to it keeps this interface.
 */
#define SANDBOX_LINE_MAX	(16 * 1024)
#define SANDBOX_NOFILE		65536
#define SANDBOX_NPROC		1024
#define SANDBOX_FSIZE		(1024ULL * 1024 * 1024)

typedef void sandbox_line_cb(void *arg, const char *line, size_t len);

struct sandbox_opts {
	int		 drop;		/* switch to uid:gid */
	uid_t		 uid;
	gid_t		 gid;
	const char	*cwd;
	char *const	*envp;
	int64_t		 deadline_ms;	/* CLOCK_MONOTONIC ms; 0: none */
	uint64_t	 max_output;	/* bytes given to line_cb; 0: no cap */
	int		 private_tmp;	/* fresh /tmp, /var/tmp, /dev/shm */
};

struct sandbox_result {
	int		status;		/* waitpid() status of the child */
	int		timed_out;
	int		cancelled;
	uint64_t	output_bytes;	/* all bytes read, kept or not */
	unsigned	killed;		/* leftover processes killed */
};

/* set by a SIGTERM/SIGINT handler; a running step is then stopped */
extern volatile sig_atomic_t sandbox_cancel;

int	sandbox_init(struct perr *err);
int64_t	sandbox_now_ms(void);
int	sandbox_run(char *const argv[], const struct sandbox_opts *opts,
	    sandbox_line_cb *line_cb, void *arg, struct sandbox_result *res,
	    struct perr *err);
/* sandbox_describe() says how a finished step ended, for a message */
void	sandbox_describe(const struct sandbox_result *res, char *out,
	    size_t outlen);

#endif
