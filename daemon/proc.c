#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"

struct proc {
	pid_t		 pid;
	struct proc_opts opts;
	uv_pipe_t	 in, out, err;
	int		 has_in, has_out, has_err;
	int		 open_out;	/* output pipes not at EOF */
	int		 nopen;		/* handles not yet closed */
	int		 exited, status, reported, detached;
	void		(*drained)(struct proc *);
	struct proc	*next;
};

struct pwrite {
	uv_write_t	 req;
	struct proc	*p;
	char		*data;
};

static uv_signal_t	 sigchld;
static int		 sigchld_on;
static struct proc	*procs;

static void
proc_free_maybe(struct proc *p)
{
	struct proc **pp;

	if (p->nopen > 0 || !p->exited || !(p->reported || p->detached))
		return;
	for (pp = &procs; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	free(p);
}

static void
on_handle_closed(uv_handle_t *h)
{
	struct proc *p = h->data;

	p->nopen--;
	proc_free_maybe(p);
}

static void
report_maybe(struct proc *p)
{
	if (!p->exited || p->open_out > 0 || p->reported)
		return;
	p->reported = 1;
	if (!p->detached && p->opts.on_exit)
		p->opts.on_exit(p, p->status);
	proc_free_maybe(p);
}

static void
on_sigchld(uv_signal_t *s, int signum)
{
	struct proc	*p, *next;
	int		 st;

	(void)s;
	(void)signum;
	for (p = procs; p; p = next) {
		next = p->next;
		if (p->exited || waitpid(p->pid, &st, WNOHANG) != p->pid)
			continue;
		p->exited = 1;
		p->status = st;
		if (p->has_in && !p->opts.keep_stdin &&
		    !uv_is_closing((uv_handle_t *)&p->in))
			uv_close((uv_handle_t *)&p->in, on_handle_closed);
		report_maybe(p);
	}
}

int
proc_init(uv_loop_t *loop)
{
	int rc;

	if (sigchld_on)
		return 0;
	if ((rc = uv_signal_init(loop, &sigchld)) != 0)
		return rc;
	sigchld_on = 1;
	return uv_signal_start(&sigchld, on_sigchld, SIGCHLD);
}

void
proc_shutdown(void)
{
	if (sigchld_on) {
		uv_close((uv_handle_t *)&sigchld, NULL);
		sigchld_on = 0;
	}
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	static char slab[65536];

	(void)h;
	(void)hint;
	b->base = slab;
	b->len = sizeof(slab);
}

static void
on_out(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct proc	*p = s->data;
	proc_out_cb	*cb = s == (uv_stream_t *)&p->out ? p->opts.on_stdout :
	    p->opts.on_stderr;

	if (n > 0) {
		if (!p->detached && cb)
			cb(p, b->base, (size_t)n);
		return;
	}
	if (n == 0)
		return;
	uv_read_stop(s);
	uv_close((uv_handle_t *)s, on_handle_closed);
	p->open_out--;
	report_maybe(p);
}

static int
pipe_pair(int fds[2])
{
	return pipe2(fds, O_CLOEXEC) == 0 ? 0 : -errno;
}

static int
wrap(uv_loop_t *loop, struct proc *p, uv_pipe_t *h, int fd)
{
	int rc;

	if ((rc = uv_pipe_init(loop, h, 0)) != 0) {
		close(fd);
		return rc;
	}
	h->data = p;
	p->nopen++;
	if ((rc = uv_pipe_open(h, fd)) != 0)
		close(fd);
	return rc;
}

int
proc_spawn(uv_loop_t *loop, const struct proc_opts *o, struct proc **out)
{
	posix_spawn_file_actions_t	 fa;
	struct proc			*p;
	int				 in[2] = { -1, -1 }, so[2] = { -1, -1 };
	int				 se[2] = { -1, -1 }, rc;

	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->opts = *o;
	if ((o->want_stdin && (rc = pipe_pair(in)) != 0) ||
	    (o->on_stdout && (rc = pipe_pair(so)) != 0) ||
	    (o->on_stderr && (rc = pipe_pair(se)) != 0))
		goto fail;
	posix_spawn_file_actions_init(&fa);
	if (in[0] >= 0)
		posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY,
		    0);
	if (so[1] >= 0)
		posix_spawn_file_actions_adddup2(&fa, so[1], 1);
	else
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY,
		    0);
	if (se[1] >= 0)
		posix_spawn_file_actions_adddup2(&fa, se[1], 2);
	else
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY,
		    0);
	if (o->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, o->cwd);
	rc = -posix_spawn(&p->pid, o->argv[0], &fa, NULL, o->argv, o->envp);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		goto fail;
	if (in[0] >= 0)
		close(in[0]);
	if (so[1] >= 0)
		close(so[1]);
	if (se[1] >= 0)
		close(se[1]);
	p->next = procs;
	procs = p;
	if (in[1] >= 0 && wrap(loop, p, &p->in, in[1]) == 0)
		p->has_in = 1;
	if (so[0] >= 0 && wrap(loop, p, &p->out, so[0]) == 0) {
		p->has_out = 1;
		p->open_out++;
		uv_read_start((uv_stream_t *)&p->out, on_alloc, on_out);
	}
	if (se[0] >= 0 && wrap(loop, p, &p->err, se[0]) == 0) {
		p->has_err = 1;
		p->open_out++;
		uv_read_start((uv_stream_t *)&p->err, on_alloc, on_out);
	}
	*out = p;
	/* a child that already exited before we listed it */
	on_sigchld(NULL, SIGCHLD);
	return 0;
fail:
	if (in[0] >= 0) {
		close(in[0]);
		close(in[1]);
	}
	if (so[0] >= 0) {
		close(so[0]);
		close(so[1]);
	}
	if (se[0] >= 0) {
		close(se[0]);
		close(se[1]);
	}
	free(p);
	return rc;
}

void *
proc_arg(struct proc *p)
{
	return p->opts.arg;
}

pid_t
proc_pid(struct proc *p)
{
	return p->pid;
}

static void
on_written(uv_write_t *req, int status)
{
	struct pwrite	*w = (struct pwrite *)req;
	struct proc	*p = w->p;

	(void)status;
	free(w->data);
	free(w);
	if (p->drained && p->has_in &&
	    !uv_is_closing((uv_handle_t *)&p->in) &&
	    uv_stream_get_write_queue_size((uv_stream_t *)&p->in) == 0 &&
	    !p->detached)
		p->drained(p);
}

size_t
proc_write(struct proc *p, const char *data, size_t len,
    void (*drained)(struct proc *))
{
	struct pwrite	*w;
	uv_buf_t	 b;

	if (!p->has_in || uv_is_closing((uv_handle_t *)&p->in) || len == 0)
		return 0;
	p->drained = drained;
	w = calloc(1, sizeof(*w));
	w->data = malloc(len);
	if (w == NULL || w->data == NULL)
		abort();
	memcpy(w->data, data, len);
	w->p = p;
	b = uv_buf_init(w->data, (unsigned)len);
	if (uv_write(&w->req, (uv_stream_t *)&p->in, &b, 1, on_written) != 0) {
		free(w->data);
		free(w);
		return 0;
	}
	return uv_stream_get_write_queue_size((uv_stream_t *)&p->in);
}

static void
on_shutdown(uv_shutdown_t *req, int status)
{
	struct proc *p = req->data;

	(void)status;
	free(req);
	if (!uv_is_closing((uv_handle_t *)&p->in))
		uv_close((uv_handle_t *)&p->in, on_handle_closed);
}

void
proc_close_stdin(struct proc *p)
{
	uv_shutdown_t *req;

	if (!p->has_in || uv_is_closing((uv_handle_t *)&p->in))
		return;
	req = calloc(1, sizeof(*req));
	if (req == NULL)
		abort();
	req->data = p;
	if (uv_shutdown(req, (uv_stream_t *)&p->in, on_shutdown) != 0) {
		free(req);
		uv_close((uv_handle_t *)&p->in, on_handle_closed);
	}
}

void
proc_kill(struct proc *p, int sig)
{
	if (!p->exited)
		kill(p->pid, sig);
}

void
proc_detach(struct proc *p)
{
	p->detached = 1;
	proc_free_maybe(p);
}
