#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <uv.h>
#include <zlib.h>

#include "atomic.h"
#include "gitcmd.h"
#include "gitsrv.h"
#include "log.h"
#include "proc.h"
#include "store.h"
#include "valid.h"

#define GITSRV_QUEUE_HIGH	(1024 * 1024)	/* pause the client above */
#define GITSRV_FAIL_SLOTS	64

struct gitreq {
	struct paasd		*pd;
	void			*conn;
	struct http_stream	*stream;
	struct proc		*proc;
	enum gitsrv_op		 op;
	char			 app[32];
	uv_timer_t		 timer;
	int			 timer_open;
	int			 gzip;
	z_stream		 z;
	long long		 in_bytes;	/* body bytes after inflation */
	int			 failed;
};

struct fail_slot {
	char	addr[64];
	time_t	window;		/* start of the minute counted */
	int	count;
};

static struct fail_slot	fails[GITSRV_FAIL_SLOTS];

/* ---------------------------------------------------------------- pure */

int
gitsrv_parse_path(const char *path, char *app, size_t applen,
    enum gitsrv_op *op)
{
	static const struct {
		const char	*suffix;
		enum gitsrv_op	 op;
	} ops[] = {
		{ ".git/info/refs", GITSRV_REFS },
		{ ".git/git-receive-pack", GITSRV_RECEIVE },
		{ ".git/git-upload-pack", GITSRV_UPLOAD },
	};
	const char	*slash;
	size_t		 i, len;

	if (path[0] != '/')
		return -1;
	slash = strchr(path + 1, '.');
	if (slash == NULL)
		return -1;
	len = (size_t)(slash - path - 1);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(slash, ops[i].suffix) != 0)
			continue;
		if (len >= applen || valid_app_name(path + 1, len, NULL) != 0)
			return -1;
		memcpy(app, path + 1, len);
		app[len] = '\0';
		*op = ops[i].op;
		return 0;
	}
	return -1;
}

int
gitsrv_basic_token(const char *auth, char *out, size_t outlen)
{
	unsigned char	 dec[512];
	const char	*b64, *colon;
	size_t		 len;
	int		 n;

	if (strncasecmp(auth, "Basic ", 6) != 0)
		return -EINVAL;
	b64 = auth + 6;
	while (*b64 == ' ')
		b64++;
	len = strlen(b64);
	if (len == 0 || len % 4 != 0 || len / 4 * 3 >= sizeof(dec))
		return -EINVAL;
	n = EVP_DecodeBlock(dec, (const unsigned char *)b64, (int)len);
	if (n < 0)
		return -EINVAL;
	/* EVP_DecodeBlock counts padding bytes as output */
	if (len >= 1 && b64[len - 1] == '=')
		n--;
	if (len >= 2 && b64[len - 2] == '=')
		n--;
	dec[n] = '\0';
	if (memchr(dec, '\0', (size_t)n) != NULL)
		return -EINVAL;
	colon = strchr((const char *)dec, ':');
	if (colon == NULL || strlen(colon + 1) >= outlen)
		return -EINVAL;
	snprintf(out, outlen, "%s", colon + 1);
	return 0;
}

/* ---------------------------------------------------------------- auth */

static struct fail_slot *
fail_slot(const char *addr, int create)
{
	struct fail_slot	*s, *oldest = &fails[0];
	time_t			 now = time(NULL);
	size_t			 i;

	for (i = 0; i < GITSRV_FAIL_SLOTS; i++) {
		s = &fails[i];
		if (strcmp(s->addr, addr) == 0) {
			if (now - s->window >= 60) {
				s->window = now;
				s->count = 0;
			}
			return s;
		}
		if (s->window < oldest->window)
			oldest = s;
	}
	if (!create)
		return NULL;
	snprintf(oldest->addr, sizeof(oldest->addr), "%s", addr);
	oldest->window = now;
	oldest->count = 0;
	return oldest;
}

int
gitsrv_token_hash(const char *token, char hex[65])
{
	unsigned char	md[32];
	unsigned int	mdlen = 0;
	int		i;

	if (EVP_Digest(token, strlen(token), md, &mdlen, EVP_sha256(),
	    NULL) != 1 || mdlen != sizeof(md))
		return -EIO;
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int
gitsrv_access(struct paasd *pd, const struct http_req *req, const char *app)
{
	struct store_token	t;
	char			tok[256], hash[65];
	size_t			want = strlen(pd->token);

	if (req->kind == HTTP_UNIX && req->peer_ok)
		return GITSRV_ALLOWED;
	if (strncasecmp(req->authorization, "Bearer ", 7) == 0)
		snprintf(tok, sizeof(tok), "%s", req->authorization + 7);
	else if (gitsrv_basic_token(req->authorization, tok, sizeof(tok)) != 0)
		return GITSRV_DENIED;
	if (strlen(tok) == want && want > 0 &&
	    CRYPTO_memcmp(tok, pd->token, want) == 0)
		return GITSRV_ALLOWED;
	if (strncmp(tok, GITSRV_TOKEN_PREFIX, strlen(GITSRV_TOKEN_PREFIX)) != 0 ||
	    gitsrv_token_hash(tok, hash) != 0 ||
	    store_token_find(pd->store, hash, &t) != 0)
		return GITSRV_DENIED;
	return app != NULL && strcmp(t.app, app) == 0 ? GITSRV_ALLOWED :
	    GITSRV_FORBIDDEN;
}

/* ---------------------------------------------------------------- hooks */

/*
 * The pre-receive hook every app repo runs (core.hooksPath points here;
 * apps and builds cannot write it). It refuses deletions, anything but
 * one branch per push and branch names outside the deploy branch
 * alphabet; paasd then refuses a branch that is not the app's deploy
 * branch (its apps:settings), builds the pushed commit and streams the
 * log back.
 */
static const char pre_receive[] =
    "#!/bin/sh\n"
    "# paas pre-receive: written by paasd, do not edit. It has paasd\n"
    "# build the pushed commit of the deploy branch and relays the build\n"
    "# log; a refused ref or a failed build rejects the push.\n"
    "set -u\n"
    "zero=0000000000000000000000000000000000000000\n"
    "deploy= ref= n=0\n"
    "while read -r old new r; do\n"
    "  n=$((n + 1))\n"
    "  case \"$r\" in\n"
    "  refs/heads/*) ;;\n"
    "  *) echo \" !     push to $r refused: only the app's deploy branch "
    "deploys\"; exit 1 ;;\n"
    "  esac\n"
    "  case \"${r#refs/heads/}\" in\n"
    "  ''|*[!A-Za-z0-9._-]*) echo \" !     push to $r refused: not a "
    "deploy branch name\"; exit 1 ;;\n"
    "  esac\n"
    "  if [ \"$new\" = \"$zero\" ]; then\n"
    "    echo \" !     deleting $r is not allowed\"\n"
    "    exit 1\n"
    "  fi\n"
    "  deploy=$new ref=$r\n"
    "done\n"
    "[ -n \"$deploy\" ] || exit 0\n"
    "if [ \"$n\" -gt 1 ]; then\n"
    "  echo ' !     push one branch at a time: only the deploy branch deploys'\n"
    "  exit 1\n"
    "fi\n"
    "st=$(mktemp) || exit 1\n"
    "trap 'rm -f \"$st\"' EXIT\n"
    "printf '{\"commit\":\"%s\",\"objects\":\"%s\",\"ref\":\"%s\"}' "
    "\"$deploy\" \"${GIT_QUARANTINE_PATH:-}\" \"$ref\" |\n"
    "curl -sS -N --unix-socket \"$PAAS_DATA/paasd.sock\" "
    "-H 'Content-Type: application/json' --data-binary @- "
    "\"http://paas/apps/$PAAS_APP/builds\" 2>&1 |\n"
    "while IFS= read -r line; do\n"
    "  case \"$line\" in\n"
    "  'paas-build-status: '*) printf '%s\\n' \"${line#paas-build-status: }\" > \"$st\" ;;\n"
    "  *) printf '%s\\n' \"$line\" ;;\n"
    "  esac\n"
    "done\n"
    "case \"$(cat \"$st\")\" in\n"
    "succeeded*) exit 0 ;;\n"
    "esac\n"
    "echo ' !     Push rejected: the build failed; the running release is unchanged.'\n"
    "exit 1\n";

int
gitsrv_install_hooks(const char *data_dir)
{
	char	dir[512], path[600];

	snprintf(dir, sizeof(dir), "%s/hooks", data_dir);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return -errno;
	if (chmod(dir, 0755) != 0)
		return -errno;
	snprintf(path, sizeof(path), "%s/pre-receive", dir);
	return atomic_write(path, pre_receive, sizeof(pre_receive) - 1, 0555);
}

int
gitsrv_set_head(const char *data_dir, const char *app, const char *branch)
{
	char	path[600], line[128];
	int	n;

	n = snprintf(line, sizeof(line), "ref: refs/heads/%s\n", branch);
	if (n < 0 || (size_t)n >= sizeof(line) ||
	    (size_t)snprintf(path, sizeof(path), "%s/repos/%s.git/HEAD",
	    data_dir, app) >= sizeof(path))
		return -ENAMETOOLONG;
	return atomic_write(path, line, (size_t)n, 0644);
}

/* ---------------------------------------------------------------- requests */

static void
req_free_maybe(struct gitreq *g)
{
	if (g->stream || g->proc || g->timer_open)
		return;
	if (g->gzip)
		inflateEnd(&g->z);
	free(g);
}

static void
on_timer_closed(uv_handle_t *h)
{
	struct gitreq *g = h->data;

	g->timer_open = 0;
	req_free_maybe(g);
}

static void
timer_close(struct gitreq *g)
{
	if (g->timer_open && !uv_is_closing((uv_handle_t *)&g->timer)) {
		uv_timer_stop(&g->timer);
		uv_close((uv_handle_t *)&g->timer, on_timer_closed);
	}
}

static void
on_client_gone(void *arg)
{
	struct gitreq *g = arg;

	g->stream = NULL;
	if (g->proc) {
		proc_kill(g->proc, SIGKILL);
		proc_detach(g->proc);
		g->proc = NULL;
	}
	timer_close(g);
	req_free_maybe(g);
}

static void
on_git_stdout(struct proc *p, const char *data, size_t len)
{
	struct gitreq *g = proc_arg(p);

	if (g->stream)
		http_stream_write(g->stream, data, len);
}

static void
on_git_stderr(struct proc *p, const char *data, size_t len)
{
	struct gitreq	*g = proc_arg(p);
	char		 esc[512];

	log_warnx("app=%s git: %s", g->app, log_escape(esc, sizeof(esc), data,
	    len));
}

static void
on_git_exit(struct proc *p, int status)
{
	struct gitreq *g = proc_arg(p);

	g->proc = NULL;
	if (g->op == GITSRV_RECEIVE)
		log_info("app=%s receive-pack done status=%d", g->app,
		    WIFEXITED(status) ? WEXITSTATUS(status) :
		    128 + WTERMSIG(status));
	if (g->stream) {
		struct http_stream *s = g->stream;

		g->stream = NULL;
		http_stream_end(s);
	}
	timer_close(g);
	req_free_maybe(g);
}

static void
on_timeout(uv_timer_t *t)
{
	struct gitreq *g = t->data;

	log_warnx("app=%s git request timed out", g->app);
	if (g->proc)
		proc_kill(g->proc, SIGKILL);
}

static void
on_drained(struct proc *p)
{
	struct gitreq *g = proc_arg(p);

	if (g->stream)
		http_conn_resume(g->conn);
}

static void
feed(struct gitreq *g, const char *data, size_t len)
{
	if (g->proc == NULL || g->failed)
		return;
	g->in_bytes += (long long)len;
	/* git refuses at maxInputSize with a message; this is the backstop */
	if ((uint64_t)g->in_bytes > g->pd->push_max_bytes + GITSRV_PUSH_SLACK) {
		log_warnx("app=%s push over %llu bytes refused", g->app,
		    (unsigned long long)g->pd->push_max_bytes);
		g->failed = 1;
		proc_kill(g->proc, SIGKILL);
		return;
	}
	if (proc_write(g->proc, data, len, on_drained) > GITSRV_QUEUE_HIGH)
		http_conn_pause(g->conn);
}

static void
on_body(void *arg, const char *data, size_t len)
{
	struct gitreq	*g = arg;
	char		 out[65536];

	if (!g->gzip) {
		feed(g, data, len);
		return;
	}
	g->z.next_in = (unsigned char *)(uintptr_t)data;
	g->z.avail_in = (unsigned)len;
	while (g->z.avail_in > 0 && !g->failed) {
		int zr;

		g->z.next_out = (unsigned char *)out;
		g->z.avail_out = sizeof(out);
		zr = inflate(&g->z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END) {
			g->failed = 1;
			if (g->proc)
				proc_kill(g->proc, SIGKILL);
			return;
		}
		feed(g, out, sizeof(out) - g->z.avail_out);
		if (zr == Z_STREAM_END)
			break;
	}
}

static void
on_body_end(void *arg)
{
	struct gitreq *g = arg;

	if (g->proc)
		proc_close_stdin(g->proc);
}

static int
spawn_git(struct gitreq *g, const char *service, int advertise)
{
	struct proc_opts	o;
	struct gitcmd		cmd;
	int			rc;

	rc = gitcmd_init(&cmd, g->pd->data_dir, g->app,
	    strcmp(service, "receive-pack") == 0 ? GITCMD_RECEIVE :
	    GITCMD_UPLOAD, 1, advertise, g->pd->push_max_bytes);
	if (rc != 0)
		return rc;
	memset(&o, 0, sizeof(o));
	o.argv = cmd.argv;
	o.envp = cmd.envp;
	o.on_stdout = on_git_stdout;
	o.on_stderr = on_git_stderr;
	o.on_exit = on_git_exit;
	o.arg = g;
	o.want_stdin = !advertise;
	rc = proc_spawn(uv_default_loop(), &o, &g->proc);
	if (rc != 0)
		log_warnx("app=%s start git %s: %s", g->app, service,
		    strerror(-rc));
	return rc;
}

static const char *
service_of(const char *query)
{
	if (strcmp(query, "service=git-receive-pack") == 0)
		return "receive-pack";
	if (strcmp(query, "service=git-upload-pack") == 0)
		return "upload-pack";
	return NULL;
}

int
gitsrv_head(void *arg, const struct http_req *req, struct http_sink *sink)
{
	struct paasd		*pd = arg;
	struct gitreq		*g;
	struct fail_slot	*fs;
	struct app		 a;
	enum gitsrv_op		 op;
	const char		*service = NULL;
	char			 app[32], ctype[96], banner[96];
	int			 n;

	if (gitsrv_parse_path(req->path, app, sizeof(app), &op) != 0)
		return 0;
	fs = fail_slot(req->peer, 0);
	if (fs && fs->count >= GITSRV_FAILS_MAX) {
		http_reply_now(req, sink, 429, NULL, "too many failed "
		    "authentication attempts; wait a minute\n");
		return 1;
	}
	switch (gitsrv_access(pd, req, app)) {
	case GITSRV_ALLOWED:
		break;
	case GITSRV_FORBIDDEN:
		http_reply_now(req, sink, 403, NULL, "this token cannot push "
		    "to or fetch this app\n");
		return 1;
	default:
		if (req->authorization[0])
			fail_slot(req->peer, 1)->count++;
		http_reply_now(req, sink, 401, "WWW-Authenticate: Basic "
		    "realm=\"paas\"\r\n", "authentication required: use your "
		    "API token (or the app's deploy token) as the password\n");
		return 1;
	}
	if (op == GITSRV_REFS) {
		service = service_of(req->query);
		if (strcmp(req->method, "GET") != 0 || service == NULL) {
			http_reply_now(req, sink, 400, NULL, "only the smart "
			    "HTTP protocol is served\n");
			return 1;
		}
	} else {
		service = op == GITSRV_RECEIVE ? "receive-pack" : "upload-pack";
		snprintf(ctype, sizeof(ctype), "application/x-git-%s-request",
		    service);
		if (strcmp(req->method, "POST") != 0 ||
		    strcmp(req->content_type, ctype) != 0) {
			http_reply_now(req, sink, 400, NULL, "bad git request\n");
			return 1;
		}
	}
	if (store_app_get(pd->store, app, &a, NULL) != 0) {
		http_reply_now(req, sink, 404, NULL, "no such app\n");
		return 1;
	}
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		abort();
	g->pd = pd;
	g->conn = req->conn;
	g->op = op;
	snprintf(g->app, sizeof(g->app), "%s", app);
	if (strcmp(req->content_encoding, "gzip") == 0) {
		g->gzip = 1;
		if (inflateInit2(&g->z, 16 + MAX_WBITS) != Z_OK)
			abort();
	} else if (req->content_encoding[0]) {
		if (g->gzip)
			inflateEnd(&g->z);
		free(g);
		http_reply_now(req, sink, 400, NULL, "unsupported "
		    "Content-Encoding\n");
		return 1;
	}
	if (spawn_git(g, service, op == GITSRV_REFS) != 0) {
		if (g->gzip)
			inflateEnd(&g->z);
		free(g);
		http_reply_now(req, sink, 500, NULL, "could not start git\n");
		return 1;
	}
	uv_timer_init(uv_default_loop(), &g->timer);
	g->timer.data = g;
	g->timer_open = 1;
	uv_timer_start(&g->timer, on_timeout, GITSRV_TIMEOUT_MS, 0);
	snprintf(ctype, sizeof(ctype), op == GITSRV_REFS ?
	    "application/x-git-%s-advertisement" : "application/x-git-%s-result",
	    service);
	g->stream = http_stream_begin(req, 200, ctype, on_client_gone, g);
	if (op == GITSRV_REFS) {
		/* pkt-line "# service=git-xxx\n" then a flush packet */
		n = snprintf(banner, sizeof(banner), "%04x# service=git-%s\n0000",
		    (unsigned)(4 + strlen("# service=git-\n") + strlen(service)),
		    service);
		http_stream_write(g->stream, banner, (size_t)n);
	}
	sink->data = on_body;
	sink->end = on_body_end;
	sink->arg = g;
	return 1;
}
