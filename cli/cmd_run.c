#include <sys/ioctl.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "client.h"
#include "cmd.h"
#include "valid.h"

#define RUN_CMD_MAX	4096

/* argv joined with spaces, as Heroku's CLI does (the shell splits it) */
static int
join_command(int argc, char **argv, struct buf *cmd, struct perr *err)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (i)
			buf_addch(cmd, ' ');
		buf_adds(cmd, argv[i]);
	}
	if (cmd->len == 0 || cmd->len > RUN_CMD_MAX)
		return cli_usage(err, "the command must be 1 to %d bytes",
		    RUN_CMD_MAX);
	return CLI_OK;
}

static void
add_query_escaped(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		    ch == '.' || ch == '~')
			buf_addch(b, ch);
		else {
			buf_addch(b, '%');
			buf_addch(b, hex[ch >> 4]);
			buf_addch(b, hex[ch & 15]);
		}
	}
}

/*
 * The local terminal of a pty run: raw while the run lasts, restored on
 * every way out (return, exit, a fatal signal). The handlers use only
 * tcsetattr() and write(), both async-signal-safe.
 */
static struct termios		run_saved;
static volatile sig_atomic_t	run_raw;	/* run_saved is to come back */
static int			run_winch[2] = { -1, -1 };	/* SIGWINCH */

static void
term_restore(void)
{
	if (run_raw) {
		(void)tcsetattr(0, TCSADRAIN, &run_saved);
		run_raw = 0;
	}
}

static void
on_fatal_signal(int sig)
{
	term_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
on_winch(int sig)
{
	int e = errno;

	(void)sig;
	(void)!write(run_winch[1], "w", 1);
	errno = e;
}

static const int run_fatal[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE,
    SIGALRM, SIGUSR1, SIGUSR2 };

static int
term_raw(struct perr *err)
{
	struct sigaction sa;
	struct termios raw;
	size_t i;

	if (pipe2(run_winch, O_CLOEXEC | O_NONBLOCK) == -1)
		return cli_fail(err, -errno, "pipe: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_winch;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGWINCH, &sa, NULL);
	if (!isatty(0))
		return CLI_OK;		/* --tty with a file or pipe */
	if (tcgetattr(0, &run_saved) == -1)
		return cli_fail(err, -errno, "terminal: %s", strerror(errno));
	sa.sa_handler = on_fatal_signal;
	sa.sa_flags = SA_RESETHAND;
	for (i = 0; i < sizeof(run_fatal) / sizeof(run_fatal[0]); i++)
		sigaction(run_fatal[i], &sa, NULL);
	atexit(term_restore);
	raw = run_saved;
	cfmakeraw(&raw);
	run_raw = 1;
	if (tcsetattr(0, TCSADRAIN, &raw) == -1) {
		run_raw = 0;
		return cli_fail(err, -errno, "terminal: %s", strerror(errno));
	}
	return CLI_OK;
}

/* the window size of whichever of stdin, stdout is a terminal */
static int
term_size(unsigned *rows, unsigned *cols)
{
	struct winsize ws;

	if ((ioctl(0, TIOCGWINSZ, &ws) == -1 &&
	    ioctl(1, TIOCGWINSZ, &ws) == -1) || ws.ws_row == 0 ||
	    ws.ws_col == 0)
		return -1;
	*rows = ws.ws_row;
	*cols = ws.ws_col;
	return 0;
}

/* $TERM if it is a plain name; the API takes [A-Za-z0-9._+-]{1,63} */
static const char *
term_name(void)
{
	const char	*t = getenv("TERM");
	size_t		 i;

	if (t == NULL || *t == '\0' || strlen(t) > 63)
		return "xterm";
	for (i = 0; t[i]; i++)
		if (!isalnum((unsigned char)t[i]) && !strchr("._+-", t[i]))
			return "xterm";
	return t;
}

#define RUN_BODY_HIGH	(64 * 1024)	/* stop reading stdin above this */
#define RUN_FRAME_MAX	(16 * 1024 * 1024)

/* One attached run: the body going up, the frames coming down. */
struct run_io {
	struct buf	body;		/* to send: raw stdin, or frames */
	size_t		off;		/* sent of body */
	int		tty;
	int		ended;		/* stdin is done; so is the body */
	int		fds[2];		/* stdin, the SIGWINCH pipe */
	struct buf	in;		/* answer bytes not yet a frame */
	int		status;		/* -1 until the exit frame */
};

static void
frame_put(struct buf *b, char channel, const void *p, size_t len)
{
	unsigned char h[5];

	h[0] = (unsigned char)channel;
	h[1] = (unsigned char)(len >> 24);
	h[2] = (unsigned char)(len >> 16);
	h[3] = (unsigned char)(len >> 8);
	h[4] = (unsigned char)len;
	buf_add(b, h, sizeof(h));
	buf_add(b, p, len);
}

static void
send_size(struct run_io *r)
{
	unsigned char	sz[4];
	unsigned	rows, cols;

	if (term_size(&rows, &cols) != 0)
		return;
	sz[0] = (unsigned char)(rows >> 8);
	sz[1] = (unsigned char)rows;
	sz[2] = (unsigned char)(cols >> 8);
	sz[3] = (unsigned char)cols;
	frame_put(&r->body, 'w', sz, sizeof(sz));
}

static void
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static int
on_chunk(void *arg, const char *p, size_t n)
{
	struct run_io		*r = arg;
	const unsigned char	*h;
	size_t			 len;

	buf_add(&r->in, p, n);
	while (r->in.len >= 5) {
		h = (const unsigned char *)r->in.p;
		len = (size_t)h[1] << 24 | (size_t)h[2] << 16 |
		    (size_t)h[3] << 8 | h[4];
		if (len > RUN_FRAME_MAX)
			return -1;
		if (r->in.len < 5 + len)
			break;
		if (h[0] == '1' || h[0] == '2')
			write_all(h[0] == '1' ? 1 : 2, r->in.p + 5, len);
		else if (h[0] == 'x' && len == 4)
			r->status = (int)((unsigned)h[5] << 24 |
			    (unsigned)h[6] << 16 | (unsigned)h[7] << 8 | h[8]);
		memmove(r->in.p, r->in.p + 5 + len, r->in.len - 5 - len);
		buf_truncate(&r->in, r->in.len - 5 - len);
		if (r->status >= 0)
			return 1;	/* the last frame: done */
	}
	return 0;
}

static void
on_wake(void *arg, size_t i)
{
	struct run_io	*r = arg;
	char		 chunk[4096];
	ssize_t		 n;

	if (i == 1) {
		while (read(run_winch[0], chunk, sizeof(chunk)) > 0)
			;
		send_size(r);
		return;
	}
	n = read(0, chunk, sizeof(chunk));
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		r->ended = 1;
		r->fds[0] = -1;
		return;
	}
	if (r->tty)
		frame_put(&r->body, '0', chunk, (size_t)n);
	else
		buf_add(&r->body, chunk, (size_t)n);
	if (r->body.len - r->off >= RUN_BODY_HIGH)
		r->fds[0] = -1;		/* until curl took some */
}

static long
on_pull(void *arg, char *p, size_t len)
{
	struct run_io	*r = arg;
	size_t		 n = r->body.len - r->off;

	if (n > len)
		n = len;
	memcpy(p, r->body.p + r->off, n);
	r->off += n;
	if (r->off == r->body.len) {
		buf_reset(&r->body);
		r->off = 0;
	}
	if (!r->ended && r->body.len - r->off < RUN_BODY_HIGH)
		r->fds[0] = 0;	/* reading stdin again */
	if (n == 0)
		return r->ended ? -1 : 0;
	return (long)n;
}

static int
use_tty(const struct cli *c)
{
	if (c->tty)
		return c->tty > 0;
	return isatty(0) && isatty(1);
}

static void
run_path(struct buf *path, const char *app, const char *size,
    const char *cmd, int tty)
{
	unsigned rows = 24, cols = 80;

	buf_addf(path, "/apps/%s/run?size=%s", app, size);
	if (tty) {
		(void)term_size(&rows, &cols);
		buf_addf(path, "&tty=1&rows=%u&cols=%u&term=",
		    rows > 4096 ? 4096 : rows, cols > 4096 ? 4096 : cols);
		add_query_escaped(path, term_name());
	}
	buf_adds(path, "&command=");
	add_query_escaped(path, cmd);
}

/*
 * Streams stdin up (raw, or as frames on a pty) while the output comes
 * down; *status is the command's exit status.
 */
static int
run_attached(struct cli *c, const char *path, int tty, int *status,
    struct perr *err)
{
	struct client_duplex	 dx;
	struct client		*cl;
	struct run_io		 r;
	int			 rc;

	memset(&r, 0, sizeof(r));
	buf_init(&r.body);
	buf_init(&r.in);
	r.tty = tty;
	r.status = -1;
	r.fds[0] = 0;
	r.fds[1] = -1;
	/*
	 * Without a pty a terminal is not read (a background job would be
	 * stopped by SIGTTIN, and nothing echoes it): no input.
	 */
	if (!tty && isatty(0)) {
		r.fds[0] = -1;
		r.ended = 1;
	}
	rc = cli_client(c, &cl, err) != 0 ? CLI_FAIL : CLI_OK;
	if (rc == CLI_OK && tty && (rc = term_raw(err)) == CLI_OK)
		r.fds[1] = run_winch[0];
	if (rc == CLI_OK) {
		memset(&dx, 0, sizeof(dx));
		dx.on_chunk = on_chunk;
		dx.pull = on_pull;
		dx.wake = on_wake;
		dx.fds = r.fds;
		dx.nfds = 2;
		dx.arg = &r;
		if (client_duplex(cl, "POST", path, &dx, err) != 0)
			rc = CLI_FAIL;
	}
	term_restore();
	if (rc == CLI_OK && r.status < 0)
		rc = cli_fail(err, -EPIPE, "the run ended without an exit "
		    "status");
	*status = r.status;
	buf_release(&r.body);
	buf_release(&r.in);
	return rc;
}

/*
 * What both kinds of run start with: the command line joined, the size
 * checked (CLI_USAGE), the app found (CLI_FAIL).
 */
static int
run_begin(struct cli *c, int argc, char **argv, struct buf *cmd,
    const char **app, const char **size, struct perr *err)
{
	int rc;

	*size = c->size ? c->size : "basic";
	if ((rc = join_command(argc, argv, cmd, err)) != CLI_OK)
		return rc;
	if (valid_size(*size, strlen(*size), err) != 0)
		return CLI_USAGE;
	return cli_app(c, app, err) != 0 ? CLI_FAIL : CLI_OK;
}

/* paas run -- CMD: attached; exits with the command's status */
int
cmd_run(struct cli *c, int argc, char **argv, struct perr *err)
{
	struct buf	 cmd = BUF_INIT, path = BUF_INIT;
	const char	*app, *size;
	int		 rc, status = -1, tty = use_tty(c);

	if ((rc = run_begin(c, argc, argv, &cmd, &app, &size, err)) != CLI_OK)
		goto out;
	run_path(&path, app, size, cmd.p, tty);
	fprintf(c->msg, "Running %s on %s...\n", cmd.p, app);
	fflush(c->msg);
	if ((rc = run_attached(c, path.p, tty, &status, err)) != CLI_OK)
		goto out;
	buf_release(&cmd);
	buf_release(&path);
	fflush(NULL);
	exit(status > 255 ? 255 : status);
out:
	buf_release(&cmd);
	buf_release(&path);
	return rc;
}

/* paas run:detached -- CMD: output to the app's logs */
int
cmd_run_detached(struct cli *c, int argc, char **argv, struct perr *err)
{
	struct buf	 cmd = BUF_INIT;
	json_t		*body, *ans = NULL;
	const char	*app, *size;
	int		 rc;

	if ((rc = run_begin(c, argc, argv, &cmd, &app, &size, err)) != CLI_OK)
		goto out;
	rc = CLI_FAIL;
	body = json_pack("{s:s, s:s}", "command", cmd.p, "size", size);
	if (cli_call(c, "POST", body, &ans, err, "/apps/%s/dynos", app) == 0) {
		if (c->json)
			cli_print_json(c, ans, err);
		else
			fprintf(c->out, "Running %s on %s... up, %s\n"
			    "Run paas logs -a %s --dyno %s to see the output.\n",
			    cmd.p, app, cli_jstr(ans, "name"), app,
			    cli_jstr(ans, "name"));
		rc = CLI_OK;
	}
	json_decref(body);
	json_decref(ans);
out:
	buf_release(&cmd);
	return rc;
}
