#ifndef PAASD_PROC_H
#define PAASD_PROC_H

#include <sys/types.h>

#include <uv.h>

/*
 * proc: helper processes (git) started with posix_spawn, never fork:
 * paasd holds an open database and the child must not share it. Every
 * paasd fd is O_CLOEXEC, so a child sees only its three pipes. Exits are
 * reaped through one SIGCHLD handler and reported once through exit_cb,
 * after the stdout and stderr pipes have reached EOF.
 */
struct proc;

typedef void proc_out_cb(struct proc *, const char *, size_t);
typedef void proc_exit_cb(struct proc *, int status);	/* wait status */

struct proc_opts {
	char *const	*argv;		/* argv[0] is an absolute path */
	char *const	*envp;
	const char	*cwd;		/* or NULL */
	proc_out_cb	*on_stdout;	/* NULL: stdout to /dev/null */
	proc_out_cb	*on_stderr;	/* NULL: stderr to /dev/null */
	proc_exit_cb	*on_exit;
	void		*arg;
	int		 want_stdin;	/* a pipe for proc_write() */
	int		 keep_stdin;	/* it outlives the process (its
					   children read it): closed only by
					   proc_close_stdin() */
};

int	proc_init(uv_loop_t *);
void	proc_shutdown(void);
int	proc_spawn(uv_loop_t *, const struct proc_opts *, struct proc **);
void	*proc_arg(struct proc *);
pid_t	 proc_pid(struct proc *);
/* proc_write() copies; returns bytes queued and unwritten. */
size_t	proc_write(struct proc *, const char *, size_t,
	    void (*drained)(struct proc *));
/* Close the child's stdin (after the queued bytes). */
void	proc_close_stdin(struct proc *);
void	proc_kill(struct proc *, int sig);
/* The owner lets go: no more callbacks; freed once the child is reaped. */
void	proc_detach(struct proc *);

#endif
