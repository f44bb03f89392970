#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "conn.h"
#include "log.h"
#include "parse.h"
#include "perr.h"
#include "router.h"

#define LISTEN_MAX	8

static struct router_timeouts timeouts = {
	.head_ms = 10000,
	.connect_ms = 5000,
	.first_byte_ms = 30000,
	.idle_ms = 55000,
	.keepalive_ms = 60000,
	.linger_ms = 2000,
	.pool_idle_ms = 4000,
	.drain_ms = 30000,
};

/* --config keys, one table: name and where it goes */
static const struct {
	const char	*key;
	uint64_t	*val;
} config_keys[] = {
	{ "head_timeout_ms",		&timeouts.head_ms },
	{ "connect_timeout_ms",		&timeouts.connect_ms },
	{ "first_byte_timeout_ms",	&timeouts.first_byte_ms },
	{ "idle_timeout_ms",		&timeouts.idle_ms },
	{ "keepalive_timeout_ms",	&timeouts.keepalive_ms },
	{ "linger_ms",			&timeouts.linger_ms },
	{ "pool_idle_ms",		&timeouts.pool_idle_ms },
	{ "drain_timeout_ms",		&timeouts.drain_ms },
};

struct listener {
	char		addr[64];
	struct sockaddr_storage sa;
	unsigned	port;
};

/* An accepted socket on its way from the acceptor to a worker. */
struct handoff {
	int		fd;
	unsigned	port;
};

struct wthread {
	struct worker	 w;
	uv_mutex_t	 hlock;		/* guards hq: acceptor and worker */
	struct handoff	*hq;
	size_t		 hn, hcap;
	uv_async_t	 hasync;	/* hq has sockets */
	uv_loop_t	 loop;
	uv_thread_t	 tid;
	int		 fds[LISTEN_MAX];
	uv_tcp_t	 srv[LISTEN_MAX];
	unsigned	 ports[LISTEN_MAX];
	size_t		 nsrv;
	int		 index;
	uv_async_t	 stop;
	uv_timer_t	 deadline;
	uv_fs_event_t	 watch;
	uv_fs_poll_t	 poll;
	int		 watching, polling;
};

/*
 * --accept: how connections reach the workers. reuseport: each worker
 * has its own listening socket per address (SO_REUSEPORT) and accepts
 * on its loop; the kernel spreads connections. handoff: the main thread
 * accepts on every one of those sockets and hands each connection to
 * the next worker in turn. With one worker both are the same.
 */
enum accept_mode { ACCEPT_REUSEPORT, ACCEPT_HANDOFF };

static const char *const accept_names[] = {
	[ACCEPT_REUSEPORT] = "reuseport",
	[ACCEPT_HANDOFF] = "handoff",
};

struct acceptor {
	uv_poll_t	 poll;
	int		 fd;
	unsigned	 port;
};

static struct {
	struct listener	 listen[LISTEN_MAX];
	size_t		 nlisten;
	const char	*routes;
	const char	*logsock;
	const char	*admin;
	const char	*user;
	const char	*config;
	int		 nworkers;
	enum accept_mode accept;
	struct acceptor	*acc;		/* handoff: one per listening fd */
	size_t		 nacc;
	unsigned	 next;		/* handoff: next worker */
	int		 check_only;
	struct wthread	*wt;
	struct slots	 slots;		/* in-flight and queue counts */
	uv_loop_t	*loop;
	uv_signal_t	 sigterm, sigint;
	uv_tcp_t	 admin_srv;
	int		 admin_fd;
	int		 stopping;
	uv_signal_t	 sigusr2;
	char		**argv;
	char		 exe[4096];	/* our binary, for an upgrade */
	int		 inherited[ROUTER_WORKERS_MAX * LISTEN_MAX + 1];
	int		 ninherited;	/* fds from the router we replace */
} R;

/*
 * Binary upgrade (SIGUSR2): the running router execs its binary again
 * with every listening socket inherited, named in PAAS_ROUTER_FDS
 * ("fd,fd,...": worker by worker, --listen order, then the admin one).
 * The new router takes them over (their accept queues included, so no
 * connection is refused), then sends SIGTERM to the old one, which
 * drains as on any graceful stop.
 */
#define ENV_FDS		"PAAS_ROUTER_FDS"
#define ENV_PARENT	"PAAS_ROUTER_REPLACES"

static void
usage(void)
{
	fprintf(stderr, "usage: paas-router --listen HOST:PORT [--listen ...] "
	    "--routes FILE\n\t[--log-socket PATH] [--admin HOST:PORT] "
	    "[--workers N] [--accept reuseport|handoff]\n\t[--user USER] "
	    "[--config FILE] [-n]\n");
	exit(2);
}

static int
load_config(const char *path, struct perr *err)
{
	json_error_t	 je;
	json_t		*root, *v;
	const char	*k;
	size_t		 i;
	int		 rc = 0;

	root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return perr_set(err, -EINVAL, "config '%s' line %d column %d: "
		    "%s", path, je.line, je.column, je.text);
	if (!json_is_object(root))
		rc = perr_set(err, -EINVAL, "config '%s': not an object", path);
	json_object_foreach(root, k, v) {
		for (i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++)
			if (strcmp(k, config_keys[i].key) == 0)
				break;
		if (i == sizeof(config_keys) / sizeof(config_keys[0]) ||
		    !json_is_integer(v) || json_integer_value(v) <= 0) {
			rc = perr_set(err, -EINVAL, "config '%s': bad key or "
			    "value '%.64s'", path, k);
			break;
		}
		*config_keys[i].val = (uint64_t)json_integer_value(v);
	}
	json_decref(root);
	return rc;
}

/* ---- route table loading, per worker */

static struct route_table *
routes_read(const char *path, int loud)
{
	struct route_table	*t = NULL;
	struct perr		 err = PERR_INIT;
	struct buf		 b = BUF_INIT;
	char			 tmp[65536];
	ssize_t			 n;
	int			 fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (loud && errno != ENOENT)
			log_warn("routes=%s open", path);
		return NULL;
	}
	while ((n = read(fd, tmp, sizeof(tmp))) > 0 &&
	    b.len <= ROUTER_ROUTES_MAX_BYTES)
		buf_add(&b, tmp, (size_t)n);
	close(fd);
	if (n < 0 || b.len > ROUTER_ROUTES_MAX_BYTES) {
		if (loud)
			log_warnx("routes=%s unreadable or too big; keeping the "
			    "last table", path);
	} else if (route_table_parse(b.p, b.len, &t, &err) != 0) {
		if (loud)
			log_warnx("routes=%s %s; keeping the last table", path,
			    err.msg);
	} else if (loud) {
		log_info("routes=%s loaded apps=%zu domains=%zu", path, t->napps,
		    t->ndoms);
	}
	buf_release(&b);
	return t;
}

static void
routes_reload(struct wthread *wt)
{
	struct route_table *t = routes_read(R.routes, wt->index == 0);

	if (t != NULL)
		worker_set_table(&wt->w, t);
}

static void
on_watch(uv_fs_event_t *h, const char *name, int events, int status)
{
	struct wthread	*wt = h->data;
	const char	*base = strrchr(R.routes, '/');

	(void)events;
	base = base ? base + 1 : R.routes;
	if (status == 0 && name != NULL && strcmp(name, base) == 0)
		routes_reload(wt);
}

static void
on_poll(uv_fs_poll_t *h, int status, const uv_stat_t *prev,
    const uv_stat_t *cur)
{
	(void)status;
	(void)prev;
	(void)cur;
	routes_reload(h->data);
}

static void
routes_watch(struct wthread *wt)
{
	char	dir[4096];
	char	*slash;

	snprintf(dir, sizeof(dir), "%s", R.routes);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	uv_fs_event_init(&wt->loop, &wt->watch);
	wt->watch.data = wt;
	if (uv_fs_event_start(&wt->watch, on_watch, dir, 0) == 0) {
		wt->watching = 1;
		return;
	}
	/* no directory yet: stat it every second until it exists */
	uv_close((uv_handle_t *)&wt->watch, NULL);
	uv_fs_poll_init(&wt->loop, &wt->poll);
	wt->poll.data = wt;
	uv_fs_poll_start(&wt->poll, on_poll, R.routes, 1000);
	wt->polling = 1;
}

/* ---- workers */

static void
on_accept(uv_stream_t *s, int status)
{
	struct wthread	*wt = s->loop->data;
	size_t		 i;

	if (status < 0)
		return;
	for (i = 0; i < wt->nsrv; i++)
		if ((uv_stream_t *)&wt->srv[i] == s)
			break;
	conn_accept(&wt->w, s, i < wt->nsrv ? wt->ports[i] : 0);
}

/* handoff: the sockets the acceptor queued for this worker */
static void
on_handoff(uv_async_t *a)
{
	struct wthread	*wt = a->data;
	struct handoff	*q;
	size_t		 n, i;

	uv_mutex_lock(&wt->hlock);
	q = wt->hq;
	n = wt->hn;
	wt->hq = NULL;
	wt->hn = wt->hcap = 0;
	uv_mutex_unlock(&wt->hlock);
	for (i = 0; i < n; i++)
		conn_adopt(&wt->w, q[i].fd, q[i].port);
	free(q);
}

static void
on_deadline(uv_timer_t *t)
{
	struct wthread *wt = t->data;

	conn_stop_all(&wt->w, 1);
}

static void
on_stop(uv_async_t *a)
{
	struct wthread	*wt = a->data;
	size_t		 i;

	for (i = 0; i < wt->nsrv && R.accept == ACCEPT_REUSEPORT; i++)
		uv_close((uv_handle_t *)&wt->srv[i], NULL);
	if (wt->watching)
		uv_close((uv_handle_t *)&wt->watch, NULL);
	if (wt->polling)
		uv_close((uv_handle_t *)&wt->poll, NULL);
	uv_close((uv_handle_t *)&wt->stop, NULL);
	conn_stop_all(&wt->w, 0);
	upstream_stop(&wt->w.up);
	uv_timer_start(&wt->deadline, on_deadline, timeouts.drain_ms, 0);
	uv_unref((uv_handle_t *)&wt->deadline);
}

static void
walk_close(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void
worker_main(void *arg)
{
	struct wthread	*wt = arg;
	size_t		 i;

	for (i = 0; i < wt->nsrv && R.accept == ACCEPT_REUSEPORT; i++) {
		uv_tcp_init(&wt->loop, &wt->srv[i]);
		if (uv_tcp_open(&wt->srv[i], wt->fds[i]) != 0 ||
		    uv_listen((uv_stream_t *)&wt->srv[i], 1024, on_accept) != 0)
			fatalx("worker %d: listen failed", wt->index);
	}
	uv_run(&wt->loop, UV_RUN_DEFAULT);
	uv_walk(&wt->loop, walk_close, NULL);
	uv_run(&wt->loop, UV_RUN_DEFAULT);
	if (--wt->w.table->refs == 0)
		route_table_free(wt->w.table);
	wt->w.table = NULL;
	upstream_free(&wt->w.up);
	conn_worker_release(&wt->w);
	/* handed over after the stop: never served */
	for (i = 0; i < wt->hn; i++)
		close(wt->hq[i].fd);
	free(wt->hq);
	uv_mutex_destroy(&wt->hlock);
	accesslog_close(&wt->w.log);
	uv_loop_close(&wt->loop);
}

static int
listen_fd(const struct sockaddr_storage *sa)
{
	int	fd, one = 1;
	socklen_t len = sa->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6);

	fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0)
		return -errno;
	/* accepted sockets inherit TCP_NODELAY: one syscall less each */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0 ||
	    bind(fd, (const struct sockaddr *)sa, len) < 0 ||
	    listen(fd, 1024) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* A slot was given back with requests waiting elsewhere. */
static void
wake_peers(struct worker *self)
{
	int i;

	for (i = 0; i < R.nworkers; i++)
		if (&R.wt[i].w != self)
			uv_async_send(&R.wt[i].w.wake);
}

static void
worker_setup(struct wthread *wt, int index)
{
	struct route_table	*t;
	uint64_t		 seed[2];
	size_t			 i;
	int			 fd;

	memset(wt, 0, sizeof(*wt));
	wt->index = index;
	if (uv_loop_init(&wt->loop) != 0)
		fatalx("uv_loop_init");
	wt->loop.data = wt;
	wt->w.loop = &wt->loop;
	wt->w.to = &timeouts;
	if (getrandom(seed, sizeof(seed), 0) != sizeof(seed))
		fatal("getrandom");
	wt->w.rng[0] = seed[0] | 1;
	wt->w.rng[1] = seed[1];
	upstream_init(&wt->w.up, &wt->loop, timeouts.pool_idle_ms, &R.slots);
	conn_worker_init(&wt->w);
	wt->w.wake_peers = wake_peers;
	if (accesslog_open(&wt->w.log, R.logsock) != 0)
		fatal("log socket %s", R.logsock);
	t = routes_read(R.routes, index == 0);
	worker_set_table(&wt->w, t ? t : route_table_empty());
	for (i = 0; i < R.nlisten; i++) {
		if (R.ninherited > 0) {
			wt->fds[i] = R.inherited[(size_t)index * R.nlisten + i];
			wt->ports[i] = R.listen[i].port;
			fcntl(wt->fds[i], F_SETFD, FD_CLOEXEC);
			continue;
		}
		if ((fd = listen_fd(&R.listen[i].sa)) < 0) {
			errno = -fd;
			fatal("listen %s", R.listen[i].addr);
		}
		wt->fds[i] = fd;
		wt->ports[i] = R.listen[i].port;
	}
	wt->nsrv = R.nlisten;
	uv_async_init(&wt->loop, &wt->stop, on_stop);
	wt->stop.data = wt;
	uv_mutex_init(&wt->hlock);
	uv_async_init(&wt->loop, &wt->hasync, on_handoff);
	wt->hasync.data = wt;
	uv_unref((uv_handle_t *)&wt->hasync);
	uv_timer_init(&wt->loop, &wt->deadline);
	wt->deadline.data = wt;
	routes_watch(wt);
}

/* ---- handoff: one accept loop on the main thread */

static void
on_acceptable(uv_poll_t *p, int status, int events)
{
	struct acceptor	*a = p->data;
	struct wthread	*wt;
	int		 fd, i;

	(void)events;
	if (status < 0)
		return;
	/* a bounded batch per wakeup: the loop stays responsive */
	for (i = 0; i < 64; i++) {
		fd = accept4(a->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		wt = &R.wt[R.next++ % (unsigned)R.nworkers];
		uv_mutex_lock(&wt->hlock);
		if (wt->hn == wt->hcap) {
			size_t ncap = wt->hcap ? wt->hcap * 2 : 64;
			struct handoff *nq = realloc(wt->hq, ncap * sizeof(*nq));

			if (nq == NULL)
				abort();
			wt->hq = nq;
			wt->hcap = ncap;
		}
		wt->hq[wt->hn].fd = fd;
		wt->hq[wt->hn].port = a->port;
		wt->hn++;
		uv_mutex_unlock(&wt->hlock);
		uv_async_send(&wt->hasync);
	}
}

static void
acceptor_closed(uv_handle_t *h)
{
	struct acceptor *a = h->data;

	close(a->fd);
}

static void
acceptors_start(void)
{
	size_t	 i;
	int	 w;

	R.nacc = (size_t)R.nworkers * R.nlisten;
	R.acc = calloc(R.nacc, sizeof(*R.acc));
	if (R.acc == NULL)
		abort();
	for (w = 0; w < R.nworkers; w++)
		for (i = 0; i < R.nlisten; i++) {
			struct acceptor *a = &R.acc[(size_t)w * R.nlisten + i];

			a->fd = R.wt[w].fds[i];
			a->port = R.wt[w].ports[i];
			if (uv_poll_init(R.loop, &a->poll, a->fd) != 0)
				fatalx("acceptor: poll failed");
			a->poll.data = a;
			uv_poll_start(&a->poll, UV_READABLE, on_acceptable);
		}
}

static void
acceptors_stop(void)
{
	size_t i;

	for (i = 0; i < R.nacc; i++)
		uv_close((uv_handle_t *)&R.acc[i].poll, acceptor_closed);
}

/* ---- admin listener: Prometheus text on GET /metrics */

struct admin_conn {
	uv_tcp_t	 tcp;
	uv_write_t	 wr;
	char		 in[4096];
	size_t		 inlen;
	struct buf	 out;
};

static void
admin_free(uv_handle_t *h)
{
	struct admin_conn *a = h->data;

	buf_release(&a->out);
	free(a);
}

static void
admin_written(uv_write_t *req, int status)
{
	(void)status;
	uv_close((uv_handle_t *)req->handle, admin_free);
}

static void
admin_alloc(uv_handle_t *h, size_t size, uv_buf_t *b)
{
	struct admin_conn *a = h->data;

	(void)size;
	b->base = a->in + a->inlen;
	b->len = sizeof(a->in) - a->inlen - 1;
}

static void
admin_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct admin_conn	*a = s->data;
	struct metrics		*m[ROUTER_WORKERS_MAX];
	struct buf		 body = BUF_INIT;
	uv_buf_t		 ub;
	int			 i, ok;

	(void)b;
	if (n < 0 || (n > 0 && a->inlen + (size_t)n >= sizeof(a->in) - 1)) {
		uv_close((uv_handle_t *)s, admin_free);
		return;
	}
	a->inlen += (size_t)n;
	a->in[a->inlen] = '\0';
	if (strstr(a->in, "\r\n\r\n") == NULL)
		return;
	uv_read_stop(s);
	ok = strncmp(a->in, "GET /metrics ", 13) == 0;
	for (i = 0; i < R.nworkers; i++)
		m[i] = &R.wt[i].w.metrics;
	if (ok)
		metrics_render(m, (size_t)R.nworkers, &body);
	else
		buf_adds(&body, "not found\n");
	buf_addf(&a->out, "HTTP/1.1 %s\r\nContent-Type: text/plain; "
	    "version=0.0.4\r\nContent-Length: %zu\r\nConnection: close\r\n"
	    "\r\n", ok ? "200 OK" : "404 Not Found", body.len);
	buf_add(&a->out, body.p, body.len);
	buf_release(&body);
	ub = uv_buf_init(a->out.p, (unsigned)a->out.len);
	if (uv_write(&a->wr, s, &ub, 1, admin_written) != 0)
		uv_close((uv_handle_t *)s, admin_free);
}

static void
on_admin(uv_stream_t *s, int status)
{
	struct admin_conn *a;

	if (status < 0)
		return;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		abort();
	buf_init(&a->out);
	uv_tcp_init(R.loop, &a->tcp);
	a->tcp.data = a;
	if (uv_accept(s, (uv_stream_t *)&a->tcp) != 0) {
		uv_close((uv_handle_t *)&a->tcp, admin_free);
		return;
	}
	uv_read_start((uv_stream_t *)&a->tcp, admin_alloc, admin_read);
}

/* ---- start and stop */

static void
on_signal(uv_signal_t *h, int sig)
{
	int i;

	(void)h;
	if (R.stopping)
		return;
	R.stopping = 1;
	log_info("signal=%d draining", sig);
	for (i = 0; i < R.nworkers; i++)
		uv_async_send(&R.wt[i].stop);
	uv_close((uv_handle_t *)&R.sigterm, NULL);
	uv_close((uv_handle_t *)&R.sigint, NULL);
	uv_close((uv_handle_t *)&R.sigusr2, NULL);
	if (R.admin)
		uv_close((uv_handle_t *)&R.admin_srv, NULL);
	acceptors_stop();
}

static void
on_upgrade(uv_signal_t *h, int sig)
{
	extern char	**environ;
	char		  fds[ROUTER_WORKERS_MAX * LISTEN_MAX * 12 + 64];
	char		  parent[64], **envp;
	size_t		  i, n = 0, off;
	int		  w;
	pid_t		  pid;

	(void)h;
	(void)sig;
	if (R.stopping)
		return;
	off = (size_t)snprintf(fds, sizeof(fds), "%s=", ENV_FDS);
	for (w = 0; w < R.nworkers; w++)
		for (i = 0; i < R.nlisten; i++)
			off += (size_t)snprintf(fds + off, sizeof(fds) - off,
			    "%s%d", off > strlen(ENV_FDS) + 1 ? "," : "",
			    R.wt[w].fds[i]);
	if (R.admin_fd >= 0)
		snprintf(fds + off, sizeof(fds) - off, ",%d", R.admin_fd);
	snprintf(parent, sizeof(parent), "%s=%d", ENV_PARENT, (int)getpid());
	while (environ[n] != NULL)
		n++;
	envp = calloc(n + 3, sizeof(*envp));
	if (envp == NULL)
		return;
	for (i = 0, n = 0; environ[i] != NULL; i++)
		if (strncmp(environ[i], ENV_FDS "=", strlen(ENV_FDS) + 1) != 0 &&
		    strncmp(environ[i], ENV_PARENT "=", strlen(ENV_PARENT) + 1))
			envp[n++] = environ[i];
	envp[n++] = fds;
	envp[n++] = parent;
	log_info("upgrade: starting a new router");
	pid = fork();
	if (pid == 0) {
		for (w = 0; w < R.nworkers; w++)
			for (i = 0; i < R.nlisten; i++)
				fcntl(R.wt[w].fds[i], F_SETFD, 0);
		if (R.admin_fd >= 0)
			fcntl(R.admin_fd, F_SETFD, 0);
		execve(R.exe, R.argv, envp);
		_exit(127);
	}
	if (pid < 0)
		log_warn("upgrade: fork");
	free(envp);
}

/* The sockets of the router we replace, if we are an upgrade. */
static void
inherit_fds(void)
{
	const char	*v = getenv(ENV_FDS), *p;
	uint64_t	 fd;
	size_t		 want;

	if (v == NULL)
		return;
	for (p = v; *p != '\0';) {
		size_t n = strcspn(p, ",");

		if (R.ninherited == (int)(sizeof(R.inherited) /
		    sizeof(R.inherited[0])) || parse_u64(p, n, 3, 65535, &fd) != 0)
			fatalx("bad %s", ENV_FDS);
		R.inherited[R.ninherited++] = (int)fd;
		p += n + (p[n] == ',');
	}
	want = R.nlisten ? (size_t)R.ninherited / R.nlisten : 0;
	if (R.admin != NULL) {
		R.admin_fd = R.inherited[--R.ninherited];
		want = (size_t)R.ninherited / R.nlisten;
	}
	if (want == 0 || want * R.nlisten != (size_t)R.ninherited)
		fatalx("%s does not match the --listen addresses", ENV_FDS);
	R.nworkers = (int)want;
	unsetenv(ENV_FDS);
}

static void
drop_privileges(const char *user)
{
	struct passwd *pw;

	if ((pw = getpwnam(user)) == NULL)
		fatalx("user '%s' unknown", user);
	if (getuid() == pw->pw_uid && geteuid() == pw->pw_uid)
		return;		/* an upgrade: already that user */
	if (setgroups(1, &pw->pw_gid) < 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
		fatal("drop privileges to '%s'", user);
}

static void
add_listen(const char *s)
{
	struct listener *l;

	if (R.nlisten == LISTEN_MAX)
		fatalx("too many --listen");
	l = &R.listen[R.nlisten++];
	if (strlen(s) >= sizeof(l->addr) || route_parse_addr(s, &l->sa) != 0)
		fatalx("bad address '%s'", s);
	snprintf(l->addr, sizeof(l->addr), "%s", s);
	l->port = ntohs(((struct sockaddr_in *)&l->sa)->sin_port);
}

static void
parse_args(int argc, char **argv)
{
	struct perr	 err = PERR_INIT;
	int		 i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "-n") == 0) {
			R.check_only = 1;
			continue;
		}
		if (v == NULL)
			usage();
		i++;
		if (strcmp(a, "--listen") == 0)
			add_listen(v);
		else if (strcmp(a, "--routes") == 0)
			R.routes = v;
		else if (strcmp(a, "--log-socket") == 0)
			R.logsock = v;
		else if (strcmp(a, "--admin") == 0)
			R.admin = v;
		else if (strcmp(a, "--user") == 0)
			R.user = v;
		else if (strcmp(a, "--config") == 0)
			R.config = v;
		else if (strcmp(a, "--accept") == 0) {
			if (strcmp(v, accept_names[ACCEPT_REUSEPORT]) == 0)
				R.accept = ACCEPT_REUSEPORT;
			else if (strcmp(v, accept_names[ACCEPT_HANDOFF]) == 0)
				R.accept = ACCEPT_HANDOFF;
			else
				fatalx("--accept: reuseport or handoff");
		} else if (strcmp(a, "--workers") == 0) {
			if (parse_int(v, 1, ROUTER_WORKERS_MAX, &R.nworkers) != 0)
				fatalx("--workers: 1 to %d", ROUTER_WORKERS_MAX);
		} else
			usage();
	}
	if (R.routes == NULL || (R.nlisten == 0 && !R.check_only))
		usage();
	if (R.config != NULL && load_config(R.config, &err) != 0)
		fatalx("%s", err.msg);
}

int
main(int argc, char **argv)
{
	struct sockaddr_storage	 asa;
	uv_loop_t		 loop;
	int			 i;

	log_init("paas-router", 0);
	signal(SIGPIPE, SIG_IGN);
	R.argv = argv;
	R.admin_fd = -1;
	{
		ssize_t n = readlink("/proc/self/exe", R.exe, sizeof(R.exe) - 1);

		R.exe[n > 0 ? n : 0] = '\0';
	}
	parse_args(argc, argv);
	inherit_fds();
	if (R.check_only) {
		struct route_table *t = routes_read(R.routes, 1);

		if (t == NULL)
			return 1;
		route_table_free(t);
		printf("configuration OK\n");
		return 0;
	}
	if (R.nworkers == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		R.nworkers = n < 1 ? 1 : n > ROUTER_WORKERS_MAX ?
		    ROUTER_WORKERS_MAX : (int)n;
	}
	slots_init(&R.slots);
	R.wt = calloc((size_t)R.nworkers, sizeof(*R.wt));
	if (R.wt == NULL)
		abort();
	for (i = 0; i < R.nworkers; i++)
		worker_setup(&R.wt[i], i);
	/*
	 * One worker runs on the main thread, signals and admin on its
	 * loop: a process that never made a thread skips libc's
	 * cancellation and locking work on every read and write.
	 */
	if (R.nworkers == 1) {
		R.loop = &R.wt[0].loop;
		R.accept = ACCEPT_REUSEPORT;
	} else {
		uv_loop_init(&loop);
		R.loop = &loop;
	}
	if (R.admin) {
		if (route_parse_addr(R.admin, &asa) != 0)
			fatalx("bad --admin '%s'", R.admin);
		uv_tcp_init(R.loop, &R.admin_srv);
		if (R.admin_fd < 0 && (R.admin_fd = listen_fd(&asa)) < 0)
			fatalx("admin listen %s failed", R.admin);
		fcntl(R.admin_fd, F_SETFD, FD_CLOEXEC);
		if (uv_tcp_open(&R.admin_srv, R.admin_fd) != 0 ||
		    uv_listen((uv_stream_t *)&R.admin_srv, 64, on_admin) != 0)
			fatalx("admin listen %s failed", R.admin);
	}
	if (R.user)
		drop_privileges(R.user);
	uv_signal_init(R.loop, &R.sigterm);
	uv_signal_init(R.loop, &R.sigint);
	uv_signal_start(&R.sigterm, on_signal, SIGTERM);
	uv_signal_start(&R.sigint, on_signal, SIGINT);
	uv_signal_init(R.loop, &R.sigusr2);
	uv_signal_start(&R.sigusr2, on_upgrade, SIGUSR2);
	if (R.accept == ACCEPT_HANDOFF)
		acceptors_start();
	for (i = 0; i < R.nworkers && R.nworkers > 1; i++)
		if (uv_thread_create(&R.wt[i].tid, worker_main, &R.wt[i]) != 0)
			fatalx("thread create failed");
	log_info("listening workers=%d accept=%s addr=%s", R.nworkers,
	    accept_names[R.accept], R.listen[0].addr);
	if (getenv(ENV_PARENT) != NULL) {
		int old;

		if (parse_int(getenv(ENV_PARENT), 2, INT32_MAX, &old) == 0 &&
		    old == (int)getppid())
			kill(old, SIGTERM);
		unsetenv(ENV_PARENT);
	}
	if (R.nworkers == 1) {
		worker_main(&R.wt[0]);
	} else {
		uv_run(&loop, UV_RUN_DEFAULT);
		for (i = 0; i < R.nworkers; i++)
			uv_thread_join(&R.wt[i].tid);
		uv_walk(&loop, walk_close, NULL);
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_loop_close(&loop);
	}
	free(R.wt);
	free(R.acc);
	slots_free(&R.slots);
	log_info("stopped");
	return 0;
}
