#ifndef PAAS_SHIM_H
#define PAAS_SHIM_H

/*
 * paas-shim's one context, shared by shim.c (start-up, the container,
 * the loop) and shim_ctl.c (state.json and the control socket).
 */
#include <sys/types.h>

#include "cgroup.h"
#include "container.h"
#include "perr.h"
#include "shim_log.h"
#include "shim_req.h"
#include "shim_tty.h"

#define SHIM_CLIENTS_MAX	16
#define SHIM_CMD_MAX_BYTES	128
#define SHIM_DRAIN_MS		2000	/* pipes after the container is gone */

enum shim_state {
	SHIM_RUNNING,
	SHIM_STOPPING,	/* SIGTERM sent, grace timer armed */
	SHIM_EXITED,
};

struct shim_client {
	int	fd;
	int	waiting;		/* "wait": answered at exit */
	char	cmd[SHIM_CMD_MAX_BYTES];
	size_t	len;
};

struct shim_pipe {
	int			fd;	/* read end, non-blocking; -1 at EOF */
	struct shim_linebuf	lb;
};

/* "stdio": "pty": the relay between paasd's pipes and the pty master */
struct shim_ttyio {
	int			master;	/* non-blocking; -1 once hung up */
	int			in;	/* frames from paasd; -1 at EOF */
	int			out;	/* raw output to paasd; -1 if gone */
	int			bad;	/* a broken frame: input ignored */
	struct shim_tty_dec	dec;
	char			ibuf[8192];	/* keystrokes for the master */
	size_t			ilen, ioff;
	char			obuf[16384];	/* output for paasd */
	size_t			olen, ooff;
};

struct shim {
	struct shim_req		req;
	int			dirfd;
	int			cgroot;
	struct cgroup		cg;
	int			cg_made;
	int			claimed;	/* shim.pid is ours */
	pid_t			pid;		/* container init, host pid */
	enum shim_state		state;
	char			started_at[SHIM_STAMP_LEN + 1];
	char			finished_at[SHIM_STAMP_LEN + 1];
	int			exit_status;	/* init's exit code */
	int			signal;		/* init killed by it, or 0 */
	int			oom;
	struct shim_pipe		in[2];		/* stdout, stderr */
	struct shim_ttyio	tty;
	struct shim_logw	logw;
	int			sigfd;
	int			timerfd;
	int			lfd;
	struct shim_client		clients[SHIM_CLIENTS_MAX];
	char			root[CONTAINER_PATH_MAX];
	char			upper[CONTAINER_PATH_MAX];
	char			work[CONTAINER_PATH_MAX];
	char			etc[CONTAINER_PATH_MAX];
};

/* shim_ctl.c: state.json and DIR/shim.sock */
int	shim_ctl_state_write(struct shim *);
int	shim_ctl_listen(struct shim *, struct perr *);
void	shim_ctl_accept(struct shim *);
void	shim_ctl_read(struct shim *, struct shim_client *);
/* shim_ctl_reply() answers with the state and closes the connection. */
void	shim_ctl_reply(struct shim *, struct shim_client *);
/* the app: paas-init's first child, while it runs; 0 if none (yet) */
long	shim_ctl_app_pid(const struct shim *);

/* shim.c: SIGTERM to the container, SIGKILL after grace_s */
void	shim_stop_begin(struct shim *, unsigned grace_s);

#endif
