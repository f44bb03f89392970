#ifndef PAAS_BUILDER_SANDBOX_H
#define PAAS_BUILDER_SANDBOX_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "container.h"
#include "perr.h"

/*
 * The build sandbox: every buildpack step (bin/detect, bin/compile,
 * bin/release) runs in a container of lib/container.h, the launcher of
 * the apps: the host stack read-only with a curated /etc, an overlay
 * root whose writable layer lives for one step, fresh /proc, a tmpfs
 * /dev and /tmp, the build's dirs bound at their own paths (what the
 * step may write read-write, the rest read-only), the host network,
 * the app's unprivileged uid/gid, every capability dropped,
 * no_new_privs, seccomp, and paas-init as PID 1 when there is one.
 *
 * Each step gets its own cgroup, paas/APP/build-PID-N, with the memory
 * and pids limits of the sandbox: created before the step, killed (so
 * that no daemon outlives the step) and removed after it, on every
 * path: exit, timeout, cancel, a failed start.
 *
 * Output (stdout and stderr, one pipe) is split into lines (long ones
 * are cut) and handed to line_cb. A step that hits the pids limit is
 * stopped at once (a fork bomb does not get to run out the build
 * timeout); one that fails after the kernel OOM-killed a process of its
 * cgroup is reported as having hit the memory limit.
 *
 * Must be root.
 */
#define SANDBOX_LINE_MAX	(16 * 1024)
#define SANDBOX_BINDS_MAX	12
#define SANDBOX_TMP_MB		1024	/* the step's /tmp (a tmpfs) */
#define SANDBOX_HOSTNAME	"build"
#define SANDBOX_CGROUP_ROOT	"/sys/fs/cgroup"
#define SANDBOX_MIN_MEMORY	(16ULL * 1024 * 1024)
#define SANDBOX_MIN_PIDS	8
/* defaults: Heroku-like builds (REFERENCE: 2 GiB, 1024 processes) */
#define SANDBOX_MEMORY_DEFAULT	(2048ULL * 1024 * 1024)
#define SANDBOX_PIDS_DEFAULT	1024

typedef void sandbox_line_cb(void *arg, const char *line, size_t len);

struct sandbox_conf {
	const char	*dir;		/* scratch dir to create; must not exist */
	uid_t		 uid;		/* never 0 */
	gid_t		 gid;		/* never 0 */
	const char	*app;		/* the cgroup's APP */
	const char	*init;		/* host path of paas-init, or NULL */
	uint64_t	 memory_bytes;	/* 0: the performance size's */
	uint64_t	 pids;		/* 0: the performance size's */
	const char	*cgroup_root;	/* NULL: SANDBOX_CGROUP_ROOT */
	int		 userns;	/* CONTAINER_USERNS for every step */
};

struct sandbox {
	char			*dir;
	char			*lower, *etc, *root, *upper, *work;
	uid_t			 uid;
	gid_t			 gid;
	char			*app;
	char			*init;
	struct cgroup_limits	 lim;
	int			 cgroot;
	unsigned		 steps;
	int			 userns;
};

struct sandbox_opts {
	const char		*cwd;		/* inside; absolute */
	char *const		*envp;
	int64_t			 deadline_ms;	/* CLOCK_MONOTONIC; 0: none */
	uint64_t		 max_output;	/* bytes to line_cb; 0: no cap */
	struct container_bind	 binds[SANDBOX_BINDS_MAX];
	size_t			 nbinds;
};

struct sandbox_result {
	int		status;		/* waitpid() status of PID 1 */
	int		timed_out;
	int		cancelled;
	int		pids_max;	/* stopped: it hit the pids limit */
	int		oom;		/* the kernel OOM-killed in it */
	uint64_t	output_bytes;	/* all bytes read, kept or not */
	unsigned	killed;		/* processes left at the end */
};

/* set by a SIGTERM/SIGINT handler; a running step is then stopped */
extern volatile sig_atomic_t sandbox_cancel;

int64_t	sandbox_now_ms(void);

/*
 * sandbox_open() makes the scratch dir (an empty lower layer, the
 * curated /etc, the mount point of the root) and opens the cgroup
 * hierarchy. A bind's missing parents are made in the step's upper
 * layer (container_req.mkdir_parents): a dir under /tmp works too. sandbox_close() removes the dir; it is safe on a
 * zeroed or half-opened sandbox.
 */
int	sandbox_open(struct sandbox *, const struct sandbox_conf *,
	    struct perr *err);
void	sandbox_close(struct sandbox *);

/* sandbox_bind() adds a bind of path at the same path inside */
int	sandbox_bind(struct sandbox_opts *, const char *path, int ro);

/*
 * sandbox_run() runs argv (argv[0] absolute) in a fresh container and
 * returns when every process of the step is gone. A failure to start
 * (exec included: -ENOENT, -EACCES) is returned with err set.
 */
int	sandbox_run(struct sandbox *, char *const argv[],
	    const struct sandbox_opts *opts, sandbox_line_cb *line_cb,
	    void *arg, struct sandbox_result *res, struct perr *err);

/* sandbox_describe() says how a finished step ended, for a message */
void	sandbox_describe(const struct sandbox *, const struct sandbox_result *,
	    char *out, size_t outlen);

/* sandbox_failed() is 1 unless the step exited 0 */
int	sandbox_failed(const struct sandbox_result *);

#endif
