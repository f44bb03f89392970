#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "client.h"
#include "cmd.h"
#include "parse.h"

static int
write_out(void *arg, const char *p, size_t n)
{
	struct cli *c = arg;

	if (fwrite(p, 1, n, c->out) != n)
		return -1;
	fflush(c->out);
	return 0;
}

/* Query values are checked here, so they need no escaping. */
static int
logs_query(struct cli *c, const char *app, struct buf *path,
    struct perr *err)
{
	uint64_t n = 100;

	if (c->num && parse_u64(c->num, strlen(c->num), 1, 1500, &n) != 0)
		return cli_usage(err, "-n must be a number from 1 to 1500");
	if (c->source && strcmp(c->source, "app") != 0 &&
	    strcmp(c->source, "router") != 0 && strcmp(c->source, "paas") != 0)
		return cli_usage(err, "--source must be app, router or paas");
	if (c->dyno && (c->dyno[0] == '\0' || strlen(c->dyno) > 63 ||
	    strspn(c->dyno, "abcdefghijklmnopqrstuvwxyz0123456789._-") !=
	    strlen(c->dyno)))
		return cli_usage(err, "invalid --dyno '%s'", c->dyno);
	buf_addf(path, "/apps/%s/logs?lines=%llu", app, (unsigned long long)n);
	if (c->source)
		buf_addf(path, "&source=%s", c->source);
	if (c->dyno)
		buf_addf(path, "&dyno=%s", c->dyno);
	if (c->tail)
		buf_adds(path, "&tail=1");
	return CLI_OK;
}

int
cmd_logs(struct cli *c, int argc, char **argv, struct perr *err)
{
	struct client	*cl;
	struct buf	 path = BUF_INIT;
	const char	*app;
	int		 rc;

	(void)argc;
	(void)argv;
	if ((rc = cli_app(c, &app, err)) != 0)
		return rc;
	if ((rc = logs_query(c, app, &path, err)) != CLI_OK)
		goto out;
	if ((rc = cli_client(c, &cl, err)) != 0)
		goto out;
	rc = client_stream(cl, "GET", path.p, NULL, 0, write_out, c, err) == 0 ? CLI_OK :
	    CLI_FAIL;
out:
	buf_release(&path);
	return rc;
}
