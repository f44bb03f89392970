#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "client.h"
#include "cmd.h"
#include "valid.h"

#define RUN_CMD_MAX	4096
#define RUN_STDIN_MAX	(1024 * 1024)

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

/* Frames of the run stream: channel, 4-byte length, bytes. */
struct frames {
	struct buf	in;
	int		status;		/* -1 until the exit frame */
};

static int
on_chunk(void *arg, const char *p, size_t n)
{
	struct frames	*f = arg;
	size_t		 len;

	buf_add(&f->in, p, n);
	while (f->in.len >= 5) {
		const unsigned char *h = (const unsigned char *)f->in.p;

		len = (size_t)h[1] << 24 | (size_t)h[2] << 16 |
		    (size_t)h[3] << 8 | h[4];
		if (len > 16 * 1024 * 1024)
			return -1;
		if (f->in.len < 5 + len)
			break;
		if (h[0] == '1')
			(void)!write(1, f->in.p + 5, len);
		else if (h[0] == '2')
			(void)!write(2, f->in.p + 5, len);
		else if (h[0] == 'x' && len == 4)
			f->status = (int)((unsigned)h[5] << 24 |
			    (unsigned)h[6] << 16 | (unsigned)h[7] << 8 | h[8]);
		memmove(f->in.p, f->in.p + 5 + len, f->in.len - 5 - len);
		buf_truncate(&f->in, f->in.len - 5 - len);
	}
	return 0;
}

static int
read_stdin(struct buf *in, struct perr *err)
{
	char	chunk[8192];
	ssize_t	n;

	/* a terminal is not read: no interactive session (yet) */
	if (isatty(0))
		return CLI_OK;
	while ((n = read(0, chunk, sizeof(chunk))) > 0) {
		buf_add(in, chunk, (size_t)n);
		if (in->len > RUN_STDIN_MAX)
			return cli_fail(err, -E2BIG, "stdin is over %d bytes",
			    RUN_STDIN_MAX);
	}
	return CLI_OK;
}

/* paas run -- CMD: attached; exits with the command's status */
int
cmd_run(struct cli *c, int argc, char **argv, struct perr *err)
{
	struct buf	 cmd = BUF_INIT, path = BUF_INIT, in = BUF_INIT;
	struct frames	 f;
	struct client	*cl;
	const char	*app, *size = c->size ? c->size : "basic";
	int		 rc;

	if ((rc = join_command(argc, argv, &cmd, err)) != CLI_OK)
		goto out;
	if (valid_size(size, strlen(size), err) != 0) {
		rc = CLI_USAGE;
		goto out;
	}
	rc = CLI_FAIL;
	if (cli_app(c, &app, err) != 0 || read_stdin(&in, err) != CLI_OK ||
	    cli_client(c, &cl, err) != 0)
		goto out;
	buf_addf(&path, "/apps/%s/run?size=%s&command=", app, size);
	add_query_escaped(&path, cmd.p);
	fprintf(c->msg, "Running %s on %s...\n", cmd.p, app);
	buf_init(&f.in);
	f.status = -1;
	if (client_stream(cl, "POST", path.p, in.p, in.len, on_chunk, &f,
	    err) != 0) {
		buf_release(&f.in);
		goto out;
	}
	buf_release(&f.in);
	if (f.status < 0) {
		rc = cli_fail(err, -EPIPE, "the run ended without an exit "
		    "status");
		goto out;
	}
	buf_release(&cmd);
	buf_release(&path);
	buf_release(&in);
	fflush(NULL);
	exit(f.status > 255 ? 255 : f.status);
out:
	buf_release(&cmd);
	buf_release(&path);
	buf_release(&in);
	return rc;
}

/* paas run:detached -- CMD: output to the app's logs */
int
cmd_run_detached(struct cli *c, int argc, char **argv, struct perr *err)
{
	struct buf	 cmd = BUF_INIT;
	json_t		*body, *ans = NULL;
	const char	*app, *size = c->size ? c->size : "basic";
	int		 rc;

	if ((rc = join_command(argc, argv, &cmd, err)) != CLI_OK)
		goto out;
	if (valid_size(size, strlen(size), err) != 0) {
		rc = CLI_USAGE;
		goto out;
	}
	rc = CLI_FAIL;
	if (cli_app(c, &app, err) != 0)
		goto out;
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
