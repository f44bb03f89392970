#ifndef PAAS_CONTAINER_H
#define PAAS_CONTAINER_H

#include <sys/types.h>

#include <stddef.h>

#include "cgroup.h"
#include "perr.h"

/*
 * The one container launcher: app instances, one-off runs and build
 * sandboxes all start here. The caller fills a flat struct
 * container_req; container_start() checks it field by field, prepares
 * everything (argv, envp, the mount plan, the seccomp program) and only
 * then clones. The child makes only async-signal-safe calls and reports
 * a failure as {step, index, errno} on a close-on-exec pipe; EOF on the
 * pipe means the exec succeeded.
 *
 * Inside: new mount, pid, uts, ipc and cgroup namespaces (net with
 * CONTAINER_NEWNET); an overlay root (layers read-only + upper);
 * pivot_root with the old root detached; fresh /proc with Docker's
 * masked and read-only paths; /sys read-only (or absent); a tmpfs /dev
 * with null, zero, full, random, urandom, tty, a private devpts and
 * /dev/shm; a size-capped tmpfs /tmp; the unprivileged uid/gid; every
 * capability set empty; no_new_privs; the seccomp filter of seccomp.h;
 * RLIMIT_NOFILE 65536, RLIMIT_CORE 0; setsid(); only fds 0-2 open.
 */

#define CONTAINER_LAYERS_MAX	16
#define CONTAINER_BINDS_MAX	32
#define CONTAINER_ARGV_MAX	1024	/* entries, each of argv and envp */
#define CONTAINER_ARG_MAX_BYTES	(128 * 1024)	/* one argv or env entry */
#define CONTAINER_PATH_MAX	1024
#define CONTAINER_HOSTNAME_MAX	63
#define CONTAINER_TMP_MB_DEFAULT 256
#define CONTAINER_TMP_MB_MAX	16384
#define CONTAINER_INIT_PATH	"/dev/init"	/* where init is bound */

enum container_flag {
	CONTAINER_HOST_STACK	= 1 << 0,	/* host /usr /bin /lib* ro */
	CONTAINER_NEWNET	= 1 << 1,	/* own netns, only lo (up) */
	CONTAINER_NO_SYS	= 1 << 2,	/* no /sys at all */
	CONTAINER_CTTY		= 1 << 3,	/* stdin is a tty: make it the
						   controlling terminal */
	CONTAINER_PTY		= 1 << 4,	/* a new pty of the container's
						   own devpts on 0-2 (its ctty);
						   the master to the caller */
	CONTAINER_USERNS	= 1 << 5,	/* own user namespace: only
						   uid->uid, gid->gid mapped */
};

struct container_bind {
	const char	*src;		/* host path, absolute */
	const char	*dst;		/* path inside, absolute, no ".." */
	int		 ro;
};

struct container_req {
	/* root filesystem */
	const char	*rootdir;	/* empty dir; the overlay goes here */
	const char	*layers[CONTAINER_LAYERS_MAX];	/* topmost first */
	size_t		 nlayers;	/* at least 1 (may be an empty dir) */
	const char	*upper;		/* empty dirs on one filesystem; */
	const char	*work;		/*   the ephemeral writable layer */
	const char	*etc;		/* HOST_STACK: from container_etc_write */
	const char	*init;		/* host path of paas-init, or NULL */
	struct container_bind binds[CONTAINER_BINDS_MAX];
	size_t		 nbinds;
	int		 mkdir_parents;	/* make a bind's missing parents */
	unsigned	 tmp_mb;	/* /tmp MB; 0: CONTAINER_TMP_MB_DEFAULT */

	/* process */
	const char	*hostname;	/* e.g. the dyno name "web.1" */
	uid_t		 uid;		/* never 0 */
	gid_t		 gid;		/* never 0 */
	char *const	*argv;		/* argv[0] absolute; NULL-ended */
	char *const	*envp;		/* "K=V" strings, NULL-ended */
	const char	*cwd;		/* absolute, inside the container */
	int		 stdio[3];	/* host fds for 0-2; -1: /dev/null */
	const struct cgroup *cgroup;	/* joined before it runs; or NULL */
	int		 pdeathsig;	/* to the container if we die; 0 */
	unsigned	 flags;		/* enum container_flag */
	unsigned short	 rows, cols;	/* PTY: window size, 1..CONTAINER_
					   WINSIZE_MAX (0: 24x80) */
};

#define CONTAINER_WINSIZE_MAX	4096

/*
 * container_req_init() sets the defaults: no layers or binds, stdio all
 * -1, tmp_mb 0, flags 0, everything else NULL/0.
 */
void	container_req_init(struct container_req *);

/* container_req_check() validates every field; pure. */
int	container_req_check(const struct container_req *, struct perr *);

/*
 * container_start() starts the container and returns once its PID 1
 * has exec'd (or failed). On success *pidp is the host pid of that
 * process (paas-init when req->init is set: it runs argv as its child,
 * and exits with its status). The caller reaps it. Must be root.
 */
int	container_start(const struct container_req *, pid_t *pidp,
	    struct perr *);
/*
 * container_start_pty() is container_start() for a request with
 * CONTAINER_PTY: the child opens a pty in the container's devpts (so
 * that `tty` names /dev/pts/N inside), makes its slave fds 0-2 and the
 * controlling terminal of the container's session, and hands the master
 * back: *masterp (O_CLOEXEC, blocking), the caller's to close.
 */
int	container_start_pty(const struct container_req *, pid_t *pidp,
	    int *masterp, struct perr *);

/*
 * User namespaces (CONTAINER_USERNS). The child makes its mounts as
 * real root, then, after pivot_root, unshares a user namespace in which
 * the parent maps exactly the app's uid and gid to themselves (one line
 * each): host root does not exist inside, the namespace owns none of
 * the container's other namespaces, and the app is its own uid on the
 * host. container_userns_probe() says whether this kernel lets root
 * make one (user.max_user_namespaces > 0, no LSM refusing), with the
 * reason in err if not. container_idmap_line() is the map text.
 */
int	container_userns_probe(struct perr *);
int	container_idmap_line(unsigned id, char *out, size_t outlen);

/*
 * container_etc_write() makes dir the curated /etc of the host stack:
 * passwd and group knowing root, nobody and "app" (uid/gid), hosts,
 * hostname, resolv.conf (copied from the host), nsswitch.conf, and
 * empty ssl/, ca-certificates/, alternatives/ and ld.so.cache entries
 * onto which the host's are bound read-only.
 */
int	container_etc_write(const char *dir, uid_t uid, gid_t gid,
	    const char *hostname, struct perr *);

/*
 * Network policy (host network + per-app-uid packet rules, see
 * docs/RUNTIME.md): container_netpolicy_apply() installs, replacing
 * any previous one, the nftables table "inet TABLE" so that processes
 * whose uid is in [uid_lo, uid_hi] cannot open a connection (TCP, UDP,
 * anything) to any address of this host, loopback included, other than
 * DNS (port 53); replies on connections opened to them (the router's)
 * pass, and traffic to other hosts is untouched. Runs nft(8) (at
 * start-up: it takes milliseconds). container_netpolicy_remove() drops
 * the table. container_netpolicy_rules() is the pure part: the ruleset
 * text, for nft -f.
 */
#define CONTAINER_APP_UID_MIN	10000	/* paasd allocates app uids here */
#define CONTAINER_APP_UID_MAX	59999
#define CONTAINER_NFT_TABLE	"paas"
#define CONTAINER_NFT_PATH	"/usr/sbin/nft"

int	container_netpolicy_rules(const char *table, uid_t uid_lo,
	    uid_t uid_hi, char *out, size_t outlen);
int	container_netpolicy_apply(const char *table, uid_t uid_lo,
	    uid_t uid_hi, struct perr *);
int	container_netpolicy_remove(const char *table, struct perr *);

/*
 * The mount plan, exposed for the unit tests: container_start() turns
 * a request into this list of steps, runs them in the child in order,
 * then pivots into rootdir.
 */
enum container_op {
	CONTAINER_OP_PRIVATE,	/* make / recursively private */
	CONTAINER_OP_MOUNT,	/* mount(src, path, fstype, flags, data) */
	CONTAINER_OP_BIND,	/* bind src on path (flags: extra remount) */
	CONTAINER_OP_MKDIR,	/* mkdir path; refuse if it is a symlink */
	CONTAINER_OP_MKFILE,	/* create an empty file; refuse a symlink */
	CONTAINER_OP_SYMLINK,	/* symlink src at path unless it exists */
	CONTAINER_OP_NOLINK,	/* refuse if path is a symlink */
	CONTAINER_OP_MASK,	/* /dev/null on a file, ro tmpfs on a dir */
	CONTAINER_OP_RDONLY,	/* bind path on itself, read-only */
};

struct container_mount {
	enum container_op	 op;
	const char		*src;
	char			*path;	/* host path under rootdir (owned) */
	const char		*fstype;
	unsigned long		 flags;
	const char		*data;
	char			*own;	/* freed with the plan; src may be it */
};

struct container_plan {
	struct container_mount	*m;
	size_t			 n, cap;
	size_t			 rootlen;	/* strlen(rootdir) */
	char			*overlay_opts;
	char			*tmp_opts;
};

int	container_plan_build(const struct container_req *,
	    struct container_plan *, struct perr *);
void	container_plan_release(struct container_plan *);
/* container_op_name() names an op for error messages ("mkdir"). */
const char *container_op_name(enum container_op);

#endif
