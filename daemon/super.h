#ifndef PAASD_SUPER_H
#define PAASD_SUPER_H

#include <stddef.h>
#include <stdint.h>

/*
 * super: the supervisor's decisions, pure (no syscalls, no clock: "now"
 * is passed in). The desired state is the formation of each app's
 * current release; the actual state is the list of instances. One
 * function, super_plan(), turns the difference into actions; the
 * reconcile loop carries them out and calls it again on every change.
 */
#define SUPER_BACKOFF_FIRST_MS	1000		/* after the 2nd crash */
#define SUPER_BACKOFF_MAX_MS	(5 * 60 * 1000)
#define SUPER_HEALTHY_RESET_MS	(10 * 60 * 1000) /* up this long: reset */
#define SUPER_BOOT_TIMEOUT_MS	(60 * 1000)
#define SUPER_STOP_GRACE_MS	(30 * 1000)

enum super_state {
	SUPER_STARTING,		/* spawned, not yet accepting on $PORT */
	SUPER_UP,		/* running (web: accepting on $PORT) */
	SUPER_STOPPING,		/* SIGTERM sent, grace running */
	SUPER_CRASHED,		/* exited on its own; restart pending */
	SUPER_DOWN,		/* stopped on purpose; gone after the plan */
	SUPER_NSTATES,
};

enum super_event {
	SUPER_EV_READY,		/* accepted a connection on $PORT */
	SUPER_EV_EXIT,		/* the process exited */
	SUPER_EV_BOOT_TIMEOUT,	/* not ready within the boot timeout */
	SUPER_EV_STOP,		/* we asked it to stop */
	SUPER_NEVENTS,
};

/* One running (or recently running) instance, as the supervisor sees it. */
struct super_inst {
	char		 app[32];
	char		 type[64];
	int		 index;		/* web.<index> */
	long long	 release;	/* version it runs */
	char		 size[16];
	enum super_state state;
	int		 crashes;	/* in a row, for the backoff */
	uint64_t	 since_ms;	/* entered its state at */
	uint64_t	 retry_ms;	/* CRASHED: start again at */
	uint64_t	 id;		/* unique, for STOP actions */
};

/* What one app wants of one process type. */
struct super_want {
	char		 app[32];
	char		 type[64];
	int		 quantity;
	char		 size[16];
	long long	 release;	/* current release */
};

enum super_action_kind {
	SUPER_START,	/* start app/type.index at release with size */
	SUPER_STOP,	/* stop instance id (SIGTERM, grace, SIGKILL) */
	SUPER_FORGET,	/* drop a DOWN or surplus CRASHED instance */
};

struct super_action {
	enum super_action_kind	 kind;
	char			 app[32];
	char			 type[64];
	int			 index;
	long long		 release;
	char			 size[16];
	uint64_t		 id;	/* STOP, FORGET */
	int			 crashes;	/* START: carried over */
};

/*
 * super_next() is the instance state machine: the state after ev in
 * state, or -1 if the event makes no sense there (a bug to log).
 */
int		 super_next(enum super_state, enum super_event);
const char	*super_state_name(enum super_state);
/*
 * super_backoff_ms() is the wait before restart number crashes+1: the
 * first crash restarts at once, then 1 s, 2 s, 4 s, … capped at 5 min.
 */
uint64_t	 super_backoff_ms(int crashes);
/*
 * super_plan() writes at most max actions into out and returns how many
 * it wrote. Rules: each wanted index 1..quantity gets one instance of
 * the current release and size; a replacement is started before the
 * instance it replaces is stopped, which happens only once the new one
 * is up (rolling, no gap); indices above the quantity are stopped;
 * crashed instances restart when their backoff has passed.
 */
size_t		 super_plan(const struct super_want *, size_t nwant,
		    const struct super_inst *, size_t ninst, uint64_t now_ms,
		    struct super_action *out, size_t max);
/*
 * super_port_pick() picks a free port in [lo, hi] not in used[], trying
 * from hint on (so ports are not reused at once); 0 if none is free.
 */
int		 super_port_pick(const int *used, size_t nused, int lo, int hi,
		    int hint);

#endif
