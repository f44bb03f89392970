#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "dyno.h"
#include "container.h"
#include "log.h"
#include "parse.h"
#include "runapi.h"
#include "store.h"
#include "valid.h"

struct runreq {
	struct http_stream	*stream;
	struct dyno_client	*client;
	int			 done;	/* the run ended and was reported */
	int			 gone;	/* the client left */
};

size_t
runapi_frame(char channel, const char *data, size_t len, char *out)
{
	out[0] = channel;
	out[1] = (char)((len >> 24) & 0xff);
	out[2] = (char)((len >> 16) & 0xff);
	out[3] = (char)((len >> 8) & 0xff);
	out[4] = (char)(len & 0xff);
	memcpy(out + 5, data, len);
	return len + 5;
}

static void
send_frame(struct runreq *r, char channel, const char *data, size_t len)
{
	char	*f;
	size_t	 n;

	if (r->stream == NULL)
		return;
	f = malloc(len + 5);
	if (f == NULL)
		abort();
	n = runapi_frame(channel, data, len, f);
	http_stream_write(r->stream, f, n);
	free(f);
}

static void
free_maybe(struct runreq *r)
{
	if (r->done && r->gone)
		free(r);
}

static void
on_out(void *arg, int channel, const char *data, size_t len)
{
	send_frame(arg, channel == 2 ? '2' : '1', data, len);
}

static void
on_exit_status(void *arg, int status)
{
	struct runreq	*r = arg;
	unsigned char	 st[4];

	st[0] = (unsigned char)((unsigned)status >> 24);
	st[1] = (unsigned char)((unsigned)status >> 16);
	st[2] = (unsigned char)((unsigned)status >> 8);
	st[3] = (unsigned char)status;
	send_frame(r, 'x', (const char *)st, 4);
	r->done = 1;
	r->client = NULL;
	if (r->stream) {
		struct http_stream *s = r->stream;

		r->stream = NULL;
		r->gone = 1;	/* http_stream_end() drops on_gone */
		http_stream_end(s);
	}
	free_maybe(r);
}

static void
on_gone(void *arg)
{
	struct runreq *r = arg;

	r->stream = NULL;
	r->gone = 1;
	if (!r->done && r->client) {
		dyno_run_detach(r->client);
		r->client = NULL;
		r->done = 1;
	}
	free_maybe(r);
}

static void
on_body(void *arg, const char *data, size_t len)
{
	struct runreq *r = arg;

	if (r->client)
		dyno_run_stdin(r->client, data, len);
}

static void
on_body_end(void *arg)
{
	struct runreq *r = arg;

	if (r->client)
		dyno_run_stdin_end(r->client);
}

/* {"id": ..., "message": ...}, the API's error shape */
static void
json_msg(char *out, size_t outlen, const char *id, const char *message)
{
	json_t	*o = json_pack("{s:s, s:s}", "id", id, "message", message);
	char	*s = json_dumps(o, JSON_COMPACT);

	snprintf(out, outlen, "%s\n", s ? s : "{}");
	free(s);
	json_decref(o);
}

static int
run_path(const char *path, char *app, size_t applen)
{
	const char	*p;
	size_t		 n;

	if (strncmp(path, "/apps/", 6) != 0)
		return -1;
	p = path + 6;
	n = strcspn(p, "/");
	if (strcmp(p + n, "/run") != 0 || n >= applen ||
	    valid_app_name(p, n, NULL) != 0)
		return -1;
	memcpy(app, p, n);
	app[n] = '\0';
	return 0;
}

int
runapi_tty_parse(const char *query, struct runapi_tty *t)
{
	char v[16];
	size_t i;
	int rc;

	memset(t, 0, sizeof(*t));
	if ((rc = api_query_get(query, "tty", v, sizeof(v))) == -ENOENT)
		return 0;
	if (rc != 0 || strcmp(v, "1") != 0)
		return -EINVAL;
	t->on = 1;
	t->rows = 24;
	t->cols = 80;
	snprintf(t->term, sizeof(t->term), "xterm");
	if (api_query_get(query, "rows", v, sizeof(v)) == 0 &&
	    parse_int(v, 1, CONTAINER_WINSIZE_MAX, &t->rows) != 0)
		return -EINVAL;
	if (api_query_get(query, "cols", v, sizeof(v)) == 0 &&
	    parse_int(v, 1, CONTAINER_WINSIZE_MAX, &t->cols) != 0)
		return -EINVAL;
	rc = api_query_get(query, "term", t->term, sizeof(t->term));
	if (rc == -EINVAL || t->term[0] == '\0')
		return -EINVAL;
	if (rc == -ENOENT)
		snprintf(t->term, sizeof(t->term), "xterm");
	for (i = 0; t->term[i]; i++)
		if (!((t->term[i] >= 'a' && t->term[i] <= 'z') ||
		    (t->term[i] >= 'A' && t->term[i] <= 'Z') ||
		    (t->term[i] >= '0' && t->term[i] <= '9') ||
		    strchr("._+-", t->term[i]) != NULL))
			return -EINVAL;
	return 0;
}

int
runapi_head(struct paasd *pd, const struct http_req *req,
    struct http_sink *sink)
{
	struct perr	 err = PERR_INIT;
	struct runapi_tty tty;
	struct runreq	*r;
	struct app	 a;
	char		 app[32], cmd[RUNAPI_CMD_MAX + 1], size[16], name[32];
	char		 msg[400];

	if (run_path(req->path, app, sizeof(app)) != 0 ||
	    strcmp(req->method, "POST") != 0)
		return 0;
	if (!(req->kind == HTTP_UNIX && req->peer_ok) && !api_token_ok(pd,
	    req->authorization)) {
		http_reply_now(req, sink, 401, NULL, "{\"id\":\"unauthorized\","
		    "\"message\":\"invalid or missing token\"}\n");
		return 1;
	}
	if (api_query_get(req->query, "command", cmd, sizeof(cmd)) != 0 ||
	    cmd[0] == '\0') {
		http_reply_now(req, sink, 400, NULL, "{\"id\":\"bad_request\","
		    "\"message\":\"command is missing or too long\"}\n");
		return 1;
	}
	if (api_query_get(req->query, "size", size, sizeof(size)) != 0)
		snprintf(size, sizeof(size), "basic");
	if (runapi_tty_parse(req->query, &tty) != 0) {
		http_reply_now(req, sink, 422, NULL, "{\"id\":\"invalid_params\","
		    "\"message\":\"tty=1 takes rows and cols 1..4096 and a term "
		    "of [A-Za-z0-9._+-]\"}\n");
		return 1;
	}
	if (valid_size(size, strlen(size), &err) != 0 ||
	    store_app_get(pd->store, app, &a, &err) != 0) {
		json_msg(msg, sizeof(msg), err.code == -ENOENT ? "not_found" :
		    "invalid_params", err.msg);
		http_reply_now(req, sink, err.code == -ENOENT ? 404 : 422, NULL,
		    msg);
		return 1;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		abort();
	if (dyno_run(app, cmd, size, on_out, on_exit_status, r, &r->client,
	    name, sizeof(name), &err) != 0) {
		free(r);
		json_msg(msg, sizeof(msg), "invalid_params", err.msg);
		http_reply_now(req, sink, 422, NULL, msg);
		return 1;
	}
	if (tty.on)
		dyno_run_tty(r->client, (unsigned)tty.rows, (unsigned)tty.cols,
		    tty.term);
	log_info("app=%s %s started: attached%s", app, name,
	    tty.on ? ", pty" : "");
	r->stream = http_stream_begin(req, 200, "application/vnd.paas.run",
	    on_gone, r);
	sink->data = on_body;
	sink->end = on_body_end;
	sink->arg = r;
	return 1;
}
