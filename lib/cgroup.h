#ifndef PAAS_CGROUP_H
#define PAAS_CGROUP_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "perr.h"

/*
 * One cgroup per container instance: paas/APP/ID, under cgroup v2 when
 * the unified hierarchy at the root has the memory, pids and cpu
 * controllers, else under each v1 controller (memory, pids, cpu,
 * freezer) at the same relative path. Every file is reached through
 * rootfd with openat(), so tests point rootfd at a fake tree; there,
 * writes create the files (O_CREAT) so values can be read back.
 */

#define CGROUP_PATH_MAX		256
#define CGROUP_ID_MAX		64

enum cgroup_version {
	CGROUP_V1 = 1,
	CGROUP_V2 = 2,
};

struct cgroup_limits {
	uint64_t	memory_bytes;	/* memory, and memory+swap, cap */
	uint64_t	pids;		/* pids.max */
	unsigned	cpu_weight;	/* v2 cpu.weight 100*w, v1 shares 1024*w */
};

struct cgroup {
	int			rootfd;	/* borrowed: /sys/fs/cgroup or a fake */
	enum cgroup_version	version;
	char			path[CGROUP_PATH_MAX];	/* "paas/APP/ID" */
};

/*
 * cgroup_size_limits() maps a dyno size (basic, standard, performance)
 * to its limits: 512 MiB/256 pids/weight 1, 1 GiB/512/2, 2.5 GiB/4096/8.
 * Pure. Returns 0 or -EINVAL.
 */
int	cgroup_size_limits(const char *size, struct cgroup_limits *);

/* cgroup_detect() says which hierarchy rootfd offers; -ENOENT: none. */
int	cgroup_detect(int rootfd, enum cgroup_version *);

/*
 * cgroup_init() fills cg for paas/APP/ID under rootfd (detecting the
 * version); app and id are checked against [a-z0-9][a-z0-9._-]* (no
 * ".."), at most CGROUP_ID_MAX bytes. Makes no directory.
 */
int	cgroup_init(struct cgroup *, int rootfd, const char *app,
	    const char *id, struct perr *);

/*
 * cgroup_create() makes the directories (v2: enables the controllers
 * in each ancestor's cgroup.subtree_control) and writes the limits.
 * On failure it removes what it made.
 */
int	cgroup_create(const struct cgroup *, const struct cgroup_limits *,
	    struct perr *);

/* cgroup_attach() writes pid into cgroup.procs (every v1 controller). */
int	cgroup_attach(const struct cgroup *, pid_t, struct perr *);

/* cgroup_pids() reads up to max pids of the cgroup; *n is the count. */
int	cgroup_pids(const struct cgroup *, pid_t *pids, size_t max,
	    size_t *n);

/*
 * cgroup_kill() SIGKILLs every process in the cgroup: v2 cgroup.kill;
 * v1 freezer FROZEN, SIGKILL to each pid, THAWED. It does not wait.
 */
int	cgroup_kill(const struct cgroup *, struct perr *);

/*
 * cgroup_remove() rmdirs the instance directory (every v1 controller),
 * retrying briefly while dying processes still hold it, then tries the
 * APP directory (kept if other instances use it).
 */
int	cgroup_remove(const struct cgroup *, struct perr *);

/*
 * cgroup_oom() sets *oom to 1 if the kernel OOM-killed a process of
 * the cgroup: v2 memory.events oom_kill; v1 memory.oom_control
 * oom_kill, or memory.failcnt on kernels without it.
 */
int	cgroup_oom(const struct cgroup *, int *oom);

/*
 * cgroup_parse_key() finds "KEY N" lines (memory.events, oom_control)
 * in text and parses N. Pure. Returns 0, or -ENOENT / -EINVAL.
 */
int	cgroup_parse_key(const char *text, size_t len, const char *key,
	    uint64_t *out);

#endif
