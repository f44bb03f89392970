#ifndef PAAS_SHIM_REQ_H
#define PAAS_SHIM_REQ_H

#include <sys/types.h>

#include <stddef.h>

#include "container.h"
#include "perr.h"

/*
 * What paasd asks of a shim: a JSON object in a file named on the
 * shim's command line. The shim treats it as untrusted: unknown keys
 * are refused (JSON_STRICT) and every field is checked here. See
 * docs/RUNTIME.md for the format.
 */

#define SHIM_REQ_MAX_BYTES	(1024 * 1024)
#define SHIM_ID_MAX		64
#define SHIM_GRACE_MAX_S	3600
#define SHIM_GRACE_DEFAULT_S	30
#define SHIM_UID_MIN		1000

struct shim_req {
	char		*id;		/* instance id; cgroup paas/APP/ID */
	char		*app;
	char		*dyno;		/* "web.1": log source and hostname */
	char		*dir;		/* instance dir, exists, ours */
	char		*log;		/* app log file (appended) */
	char		*init;		/* host path of paas-init */
	char		*size;		/* basic, standard, performance */
	char		*cwd;		/* default /app */
	char		*cgroup_root;	/* default /sys/fs/cgroup */
	char		*layers[CONTAINER_LAYERS_MAX];
	size_t		 nlayers;
	char		**argv;		/* NULL-ended */
	char		**envp;		/* NULL-ended */
	struct container_bind binds[CONTAINER_BINDS_MAX];
	size_t		 nbinds;
	uid_t		 uid;
	gid_t		 gid;
	unsigned	 tmp_mb;
	unsigned	 grace_s;
	int		 host_stack;	/* default 1 */
	int		 newnet;	/* "network": "none" */
	int		 inherit;	/* "stdio": "inherit": the shim's 0-2 */
	int		 tty;		/* with inherit: stdin is the ctty */
	int		 pty;		/* "stdio": "pty": a pty of its own */
	unsigned	 rows, cols;	/* pty: the first window size */
	int		 userns;	/* own user namespace */
};

/* shim_req_parse() fills req from JSON text; everything is owned by req. */
int	shim_req_parse(const char *text, size_t len, struct shim_req *,
	    struct perr *);
void	shim_req_release(struct shim_req *);

#endif
