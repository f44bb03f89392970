/*
 * paas-router against real sockets: the router binary from $PAAS_BIN (or
 * bin/), small backends forked by this test on 127.0.0.1, a route table
 * and a log socket in a temporary directory. Every test kills what it
 * started, by pid or process group.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "harness.h"

#define NBACK	3

static char	tmpdir[256];
static char	routes_path[300], log_path[300], belog_path[300];
static pid_t	router_pid = -1;
static pid_t	back_pid[NBACK] = { -1, -1, -1 };
static int	back_port[NBACK];
static int	router_port, admin_port, dead_port;
static int	logfd = -1;

/* ---- small helpers */

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
free_port(void)
{
	struct sockaddr_in	sa = { .sin_family = AF_INET };
	socklen_t		len = sizeof(sa);
	int			fd = socket(AF_INET, SOCK_STREAM, 0), port;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		abort();
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void
write_file(const char *path, const char *text)
{
	char	tmp[400];
	FILE	*f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL)
		abort();
	fputs(text, f);
	fclose(f);
	if (rename(tmp, path) != 0)
		abort();
}

static int
tcp_connect(int port)
{
	struct sockaddr_in	sa = { .sin_family = AF_INET };
	struct timeval		tv = { 5, 0 };
	int			fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
write_all(int fd, const void *p, size_t len)
{
	const char	*c = p;
	ssize_t		 n;

	while (len > 0) {
		n = send(fd, c, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
send_str(int fd, const char *s)
{
	return write_all(fd, s, strlen(s));
}

/* ---- a buffered reader, for both the backend and the client */

struct rd {
	int	fd;
	char	b[65536];
	size_t	off, len;
};

static int
rd_fill(struct rd *r)
{
	ssize_t n;

	if (r->off == r->len)
		r->off = r->len = 0;
	if (r->len == sizeof(r->b)) {
		memmove(r->b, r->b + r->off, r->len - r->off);
		r->len -= r->off;
		r->off = 0;
	}
	do
		n = read(r->fd, r->b + r->len, sizeof(r->b) - r->len);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	r->len += (size_t)n;
	return 0;
}

/* a line without its CRLF into out; -1 at EOF */
static int
rd_line(struct rd *r, char *out, size_t outlen)
{
	char	*nl;
	size_t	 n;

	while ((nl = memchr(r->b + r->off, '\n', r->len - r->off)) == NULL)
		if (rd_fill(r) < 0)
			return -1;
	n = (size_t)(nl - (r->b + r->off));
	if (n > 0 && nl[-1] == '\r')
		n--;
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, r->b + r->off, n);
	out[n] = '\0';
	r->off = (size_t)(nl - r->b) + 1;
	return 0;
}

/* n bytes into out (NULL: drop them); -1 at EOF */
static int
rd_n(struct rd *r, struct buf *out, uint64_t n)
{
	size_t take;

	while (n > 0) {
		if (r->off == r->len && rd_fill(r) < 0)
			return -1;
		take = r->len - r->off < n ? r->len - r->off : (size_t)n;
		if (out)
			buf_add(out, r->b + r->off, take);
		r->off += take;
		n -= take;
	}
	return 0;
}

struct msg {
	char		line[8300];
	char		head[32768];	/* header lines, "\n"-joined, lowercase names */
	int		status;
	uint64_t	cl;
	int		has_cl, chunked, conn_close;
	struct buf	body;
	struct buf	raw;		/* chunked framing as it came */
};

static void
msg_init(struct msg *m)
{
	memset(m, 0, sizeof(*m));
	buf_init(&m->body);
	buf_init(&m->raw);
}

static void
msg_release(struct msg *m)
{
	buf_release(&m->body);
	buf_release(&m->raw);
}

static const char *
msg_header(const struct msg *m, const char *name)
{
	static char	 v[8192];
	char		 key[128];
	const char	*p, *e;

	snprintf(key, sizeof(key), "\n%s: ", name);
	p = strstr(m->head, key);
	if (p == NULL)
		return NULL;
	p += strlen(key);
	e = strchr(p, '\n');
	snprintf(v, sizeof(v), "%.*s", (int)(e ? e - p : (long)strlen(p)), p);
	return v;
}

/* read a head (start line + fields); -1 at EOF */
static int
msg_read_head(struct rd *r, struct msg *m)
{
	char	l[9000];
	size_t	hl = 1;
	int	i;

	m->head[0] = '\n';
	m->head[1] = '\0';
	if (rd_line(r, m->line, sizeof(m->line)) < 0)
		return -1;
	if (strncmp(m->line, "HTTP/1.", 7) == 0)
		m->status = atoi(m->line + 9);
	for (;;) {
		if (rd_line(r, l, sizeof(l)) < 0)
			return -1;
		if (l[0] == '\0')
			break;
		for (i = 0; l[i] && l[i] != ':'; i++)
			l[i] = (char)(l[i] >= 'A' && l[i] <= 'Z' ? l[i] + 32 :
			    l[i]);
		if (hl + strlen(l) + 2 < sizeof(m->head))
			hl += (size_t)snprintf(m->head + hl, sizeof(m->head) -
			    hl, "%s\n", l);
		if (strncmp(l, "content-length: ", 16) == 0) {
			m->has_cl = 1;
			m->cl = strtoull(l + 16, NULL, 10);
		}
		if (strcmp(l, "transfer-encoding: chunked") == 0)
			m->chunked = 1;
		if (strncmp(l, "connection: ", 12) == 0 && strstr(l, "close"))
			m->conn_close = 1;
	}
	return 0;
}

/* read a chunked body; keep (up to 1 MiB of) the body unless drop */
static int
msg_read_chunked(struct rd *r, struct msg *m, int drop)
{
	char		l[9000];
	uint64_t	n;

	for (;;) {
		if (rd_line(r, l, sizeof(l)) < 0)
			return -1;
		buf_addf(&m->raw, "%s\r\n", l);
		n = strtoull(l, NULL, 16);
		if (n == 0)
			break;
		if (rd_n(r, drop ? NULL : &m->body, n) < 0 ||
		    rd_line(r, l, sizeof(l)) < 0)
			return -1;
		if (!drop)
			buf_add(&m->raw, m->body.p + m->body.len - n, n);
		buf_adds(&m->raw, "\r\n");
		m->cl += n;
	}
	for (;;) {
		if (rd_line(r, l, sizeof(l)) < 0)
			return -1;
		buf_addf(&m->raw, "%s\r\n", l);
		if (l[0] == '\0')
			return 0;
	}
}

/* ---- the backend: one process, a child per connection */

static void
be_log(const char *line)
{
	int fd = open(belog_path, O_WRONLY | O_APPEND | O_CREAT, 0644);

	if (fd >= 0) {
		dprintf(fd, "%s\n", line);
		close(fd);
	}
}

static void
be_send(int fd, int status, const char *extra, const char *body, size_t len)
{
	char h[1024];
	int n;

	n = snprintf(h, sizeof(h), "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
	    "X-Conn: %d\r\n%s\r\n", status, len, (int)getpid(), extra);
	write_all(fd, h, (size_t)n);
	write_all(fd, body, len);
}

static void
be_conn(int fd, int index)
{
	static struct rd	r;
	struct msg		m;
	char			path[8300], out[65536];
	int			drop;
	uint64_t		i;

	r.fd = fd;
	r.off = r.len = 0;
	for (;;) {
		msg_init(&m);
		if (msg_read_head(&r, &m) < 0)
			_exit(0);
		be_log(m.line);
		sscanf(m.line, "%*s %8000s", path);
		drop = strncmp(path, "/sink", 5) == 0;
		if (m.chunked) {
			if (msg_read_chunked(&r, &m, drop) < 0)
				_exit(0);
		} else if (m.has_cl && rd_n(&r, drop ? NULL : &m.body, m.cl) < 0)
			_exit(0);
		if (strcmp(path, "/headers") == 0) {
			be_send(fd, 200, "", m.head, strlen(m.head));
		} else if (strcmp(path, "/echo") == 0) {
			be_send(fd, 200, "", m.body.p, m.body.len);
		} else if (strcmp(path, "/raw") == 0) {
			be_send(fd, 200, "", m.raw.p, m.raw.len);
		} else if (strcmp(path, "/sink") == 0) {
			snprintf(out, sizeof(out), "%llu",
			    (unsigned long long)m.cl);
			be_send(fd, 200, "", out, strlen(out));
		} else if (strcmp(path, "/chunked") == 0) {
			const char *c = "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
			    "chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\n"
			    "T: 1\r\n\r\n";
			write_all(fd, c, strlen(c));
		} else if (strcmp(path, "/eof") == 0) {
			const char *c = "HTTP/1.1 200 OK\r\n\r\nuntil-close";
			write_all(fd, c, strlen(c));
			_exit(0);
		} else if (strncmp(path, "/big", 4) == 0) {
			uint64_t n = strtoull(path + 5, NULL, 10);

			snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\n"
			    "Content-Length: %llu\r\n\r\n", (unsigned long long)n);
			write_all(fd, out, strlen(out));
			memset(out, 'b', sizeof(out));
			for (i = 0; i < n; i += sizeof(out))
				if (write_all(fd, out, n - i < sizeof(out) ?
				    (size_t)(n - i) : sizeof(out)) < 0)
					_exit(0);
		} else if (strcmp(path, "/slowish") == 0) {
			usleep(300000);
			be_send(fd, 200, "", "slowish", 7);
		} else if (strcmp(path, "/slow") == 0 ||
		    strcmp(path, "/slowcap") == 0) {
			sleep(3);
			be_send(fd, 200, "", "late", 4);
		} else if (strcmp(path, "/die-head") == 0) {
			send_str(fd, "HTTP/1.1 200 OK\r\nContent-");
			_exit(0);
		} else if (strcmp(path, "/die-body") == 0) {
			send_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
			    "\r\npartial");
			_exit(0);
		} else if (strcmp(path, "/bad") == 0) {
			send_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
			    "Content-Length: 2\r\n\r\nab");
		} else if (strcmp(path, "/ws") == 0) {
			const char *c = "HTTP/1.1 101 Switching Protocols\r\n"
			    "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
			ssize_t n;

			write_all(fd, c, strlen(c));
			if (r.len > r.off)
				write_all(fd, r.b + r.off, r.len - r.off);
			while ((n = read(fd, out, sizeof(out))) > 0)
				write_all(fd, out, (size_t)n);
			_exit(0);
		} else {
			snprintf(out, sizeof(out), "backend %d %s", index, path);
			be_send(fd, 200, "", out, strlen(out));
		}
		msg_release(&m);
	}
}

static pid_t
backend_start(int index, int port)
{
	struct sockaddr_in	sa = { .sin_family = AF_INET };
	int			lfd, one = 1, fd;
	pid_t			pid;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 512) < 0)
		abort();
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGCHLD, SIG_IGN);
		alarm(120);
		for (;;) {
			fd = accept(lfd, NULL, NULL);
			if (fd < 0)
				continue;
			if (fork() == 0) {
				close(lfd);
				be_conn(fd, index);
				_exit(0);
			}
			close(fd);
		}
	}
	setpgid(pid, pid);
	close(lfd);
	return pid;
}

static void
backend_stop(int i)
{
	if (back_pid[i] > 0) {
		kill(-back_pid[i], SIGKILL);
		waitpid(back_pid[i], NULL, 0);
	}
	back_pid[i] = -1;
}

/* ---- the router */

static void
routes_write(const char *apps)
{
	char text[8192];

	snprintf(text, sizeof(text), "{\"version\":1,\"apps\":{%s}}", apps);
	write_file(routes_path, text);
}

static void
routes_default(void)
{
	char apps[4096];

	snprintf(apps, sizeof(apps),
	    "\"hello\":{\"domains\":[\"hello.test\",\"*.wild.test\"],"
	    "\"body_max\":200000000,\"instances\":["
	    "{\"dyno\":\"web.1\",\"address\":\"127.0.0.1:%d\"}]},"
	    "\"two\":{\"domains\":[\"two.test\"],\"instances\":["
	    "{\"dyno\":\"web.1\",\"address\":\"127.0.0.1:%d\"},"
	    "{\"dyno\":\"web.2\",\"address\":\"127.0.0.1:%d\"}]},"
	    "\"small\":{\"domains\":[\"small.test\"],\"body_max\":10,"
	    "\"instances\":[{\"dyno\":\"web.1\",\"address\":\"127.0.0.1:%d\"}]},"
	    "\"down\":{\"domains\":[\"down.test\"],\"instances\":[]},"
	    "\"maint\":{\"domains\":[\"maint.test\"],\"maintenance\":true,"
	    "\"maintenance_page\":\"<h1>back soon</h1>\",\"instances\":[]}",
	    back_port[0], dead_port, back_port[1], back_port[0]);
	routes_write(apps);
}

/* how the router under test runs: --workers and --accept */
static const char *router_workers = "2";
static const char *router_accept = "reuseport";

/* PAAS_VALGRIND=1: the router runs under memcheck; a leak or an error
 * makes it exit 99, which fails the test that stops it (or the group) */
static int vg_failed;

static int
router_start(const char *config)
{
	char	bin[600], port[64], admin[64], cfg[300], vglog[400];
	char	cfg_vg[300];
	const char *dir = getenv("PAAS_BIN");
	const char *argv[32];
	uint64_t deadline;
	int	fd, i = 0, vg = getenv("PAAS_VALGRIND") != NULL;

	snprintf(bin, sizeof(bin), "%s/paas-router", dir ? dir : "bin");
	snprintf(cfg, sizeof(cfg), "%s/config.json", tmpdir);
	write_file(cfg, config);
	router_port = free_port();
	admin_port = free_port();
	snprintf(port, sizeof(port), "127.0.0.1:%d", router_port);
	snprintf(admin, sizeof(admin), "127.0.0.1:%d", admin_port);
	router_pid = fork();
	if (router_pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (getenv("ROUTER_TEST_VERBOSE") == NULL)
			dup2(null, 2);
		snprintf(cfg_vg, sizeof(cfg_vg), "%s/router", tmpdir);
		i = harness_memcheck(argv, vglog, sizeof(vglog), cfg_vg);
		argv[i++] = bin;
		argv[i++] = "--listen";
		argv[i++] = port;
		argv[i++] = "--routes";
		argv[i++] = routes_path;
		argv[i++] = "--log-socket";
		argv[i++] = log_path;
		argv[i++] = "--admin";
		argv[i++] = admin;
		argv[i++] = "--workers";
		argv[i++] = router_workers;
		argv[i++] = "--accept";
		argv[i++] = router_accept;
		argv[i++] = "--config";
		argv[i++] = cfg;
		argv[i] = NULL;
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	deadline = now_ms() + (vg ? 30000 : 5000);
	while (now_ms() < deadline) {
		if ((fd = tcp_connect(router_port)) >= 0) {
			close(fd);
			return 0;
		}
		usleep(10000);
	}
	return -1;
}

static int
router_stop(void)
{
	int status = -1;

	if (router_pid > 0) {
		kill(router_pid, SIGTERM);
		if (waitpid(router_pid, &status, 0) < 0)
			status = -1;
	}
	router_pid = -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 99 &&
	    getenv("PAAS_VALGRIND") != NULL) {
		char cmd[400];

		fprintf(stderr, "paas-router: memcheck found errors:\n");
		snprintf(cmd, sizeof(cmd), "cat '%s'/router.vg.* >&2", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "(no memcheck log)\n");
		vg_failed = 1;
	}
	return status;
}

static const char default_config[] =
    "{\"first_byte_timeout_ms\":1000,\"head_timeout_ms\":1000,"
    "\"linger_ms\":300,\"drain_timeout_ms\":2000}";

static int
setup(void **state)
{
	struct sockaddr_un	sa = { .sun_family = AF_UNIX };
	struct timeval		tv = { 2, 0 };
	int			i;

	(void)state;
	alarm(60);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/paas-router-test.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(routes_path, sizeof(routes_path), "%s/routes.json", tmpdir);
	snprintf(log_path, sizeof(log_path), "%s/log.sock", tmpdir);
	snprintf(belog_path, sizeof(belog_path), "%s/backend.log", tmpdir);
	logfd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (strlen(log_path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, log_path, strlen(log_path) + 1);
	if (bind(logfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	setsockopt(logfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	dead_port = free_port();
	for (i = 0; i < NBACK; i++) {
		back_port[i] = free_port();
		back_pid[i] = backend_start(i, back_port[i]);
	}
	routes_default();
	return router_start(default_config);
}

static pid_t find_router_child(pid_t not);

static int
teardown(void **state)
{
	char	cmd[400];
	pid_t	pid;
	int	i;

	(void)state;
	router_stop();
	/* a router an upgrade test started and then failed to track */
	while ((pid = find_router_child(-1)) > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	for (i = 0; i < NBACK; i++)
		backend_stop(i);
	if (logfd >= 0)
		close(logfd);
	logfd = -1;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		return -1;
	alarm(0);
	return vg_failed ? -1 : 0;
}

/* each test starts from the default table */
static int
each(void **state)
{
	(void)state;
	routes_default();
	usleep(100000);
	/* a test that failed between stopping and starting the router */
	if (router_pid <= 0)
		return router_start(default_config);
	return 0;
}

/* ---- client side */

/* read one response; bodies of HEAD answers must be skipped by caller */
static int
resp_read(struct rd *r, struct msg *m)
{
	msg_init(m);
	if (msg_read_head(r, m) < 0)
		return -1;
	if (m->status == 100)
		return resp_read(r, m);
	if (m->chunked)
		return msg_read_chunked(r, m, 0);
	if (m->has_cl)
		return rd_n(r, &m->body, m->cl);
	if (m->status == 101 || m->status == 204 || m->status == 304)
		return 0;
	while (rd_fill(r) == 0)
		;
	buf_add(&m->body, r->b + r->off, r->len - r->off);
	r->off = r->len;
	return 0;
}

/* one request on a new connection; returns the status, -1 on failure */
static int
fetch(const char *raw, struct msg *m)
{
	static struct rd	r;
	int			rc = -1;

	r.fd = tcp_connect(router_port);
	r.off = r.len = 0;
	if (r.fd < 0)
		return -1;
	if (write_all(r.fd, raw, strlen(raw)) == 0 && resp_read(&r, m) == 0)
		rc = m->status;
	close(r.fd);
	return rc;
}

static int
belog_count(const char *needle)
{
	char	line[9000];
	FILE	*f = fopen(belog_path, "r");
	int	n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (needle == NULL || strstr(line, needle))
			n++;
	fclose(f);
	return n;
}

/* the connection is closed by the peer within ms */
static int
closed_within(int fd, int ms)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	char		b[4096];
	uint64_t	end = now_ms() + (uint64_t)ms;

	while (now_ms() < end) {
		if (poll(&pfd, 1, 50) > 0) {
			ssize_t n = read(fd, b, sizeof(b));

			if (n == 0 || (n < 0 && errno == ECONNRESET))
				return 1;
		}
	}
	return 0;
}

/* ---- tests */

static void
test_proxy_basic_and_headers(void **state)
{
	struct msg	m;
	char		d[2048];
	ssize_t		n;

	(void)state;
	assert_int_equal(fetch("GET /headers HTTP/1.1\r\nHost: Hello.Test:99\r\n"
	    "Connection: X-Secret\r\nX-Secret: 1\r\nKeep-Alive: 1\r\n"
	    "X-Forwarded-For: 9.9.9.9\r\nX-Forwarded-Proto: https\r\n"
	    "Forwarded: for=evil\r\nX-Request-Start: 1\r\nX_Under: 1\r\n"
	    "X-Request-Id: valid-request-id-0123456789\r\n\r\n", &m), 200);
	assert_non_null(strstr(m.body.p,
	    "\nx-forwarded-for: 9.9.9.9, 127.0.0.1\n"));
	assert_null(strstr(m.body.p, "X-Secret"));
	assert_null(strstr(m.body.p, "x-secret"));
	assert_null(strstr(m.body.p, "keep-alive"));
	assert_null(strstr(m.body.p, "forwarded:"));
	assert_null(strstr(m.body.p, "x_under"));
	assert_non_null(strstr(m.body.p, "\nx-forwarded-proto: http\n"));
	assert_non_null(strstr(m.body.p, "\nx-request-id: "
	    "valid-request-id-0123456789\n"));
	assert_non_null(strstr(m.body.p, "\nvia: 1.1 paas-router\n"));
	assert_non_null(strstr(m.body.p, "\nx-request-start: 1"));
	assert_null(strstr(m.body.p, "\nx-request-start: 1\n"));
	msg_release(&m);
	/* the access line reaches the log socket */
	do {
		n = recv(logfd, d, sizeof(d) - 1, 0);
		assert_true(n > 0);
		d[n] = '\0';
	} while (strstr(d, "path=\"/headers\"") == NULL);
	assert_true(strncmp(d, "hello ", 6) == 0);
	assert_non_null(strstr(d, " paas[router]: at=info method=GET "));
	assert_non_null(strstr(d, "host=hello.test request_id="
	    "valid-request-id-0123456789 fwd=\"127.0.0.1\" dyno=web.1 "));
	assert_non_null(strstr(d, " status=200 "));
	/* wildcard */
	assert_int_equal(fetch("GET /w HTTP/1.1\r\nHost: a.wild.test\r\n\r\n",
	    &m), 200);
	assert_string_equal(m.body.p, "backend 0 /w");
	msg_release(&m);
}

static void
test_router_pages(void **state)
{
	struct msg m;

	(void)state;
	assert_int_equal(fetch("GET / HTTP/1.1\r\nHost: nope.test\r\n\r\n", &m),
	    404);
	assert_null(strstr(m.body.p, "127.0.0.1"));
	msg_release(&m);
	assert_int_equal(fetch("GET / HTTP/1.1\r\nHost: down.test\r\n\r\n", &m),
	    503);
	msg_release(&m);
	assert_int_equal(fetch("GET / HTTP/1.1\r\nHost: maint.test\r\n\r\n",
	    &m), 503);
	assert_string_equal(m.body.p, "<h1>back soon</h1>");
	msg_release(&m);
}

static void
test_keepalive_reuse(void **state)
{
	static struct rd	r;
	struct msg		m;
	char			conn1[32];
	int			i;

	(void)state;
	r.fd = tcp_connect(router_port);
	r.off = r.len = 0;
	conn1[0] = '\0';
	for (i = 0; i < 5; i++) {
		assert_int_equal(send_str(r.fd, "GET /k HTTP/1.1\r\nHost: "
		    "hello.test\r\n\r\n"), 0);
		assert_int_equal(resp_read(&r, &m), 0);
		assert_int_equal(m.status, 200);
		assert_false(m.conn_close);
		if (i == 0)
			snprintf(conn1, sizeof(conn1), "%s",
			    msg_header(&m, "x-conn"));
		else
			assert_string_equal(msg_header(&m, "x-conn"), conn1);
		msg_release(&m);
	}
	/* the client asks to close: answer, then the end, at once */
	assert_int_equal(send_str(r.fd, "GET /k HTTP/1.1\r\nHost: hello.test\r\n"
	    "Connection: close\r\n\r\n"), 0);
	assert_int_equal(resp_read(&r, &m), 0);
	assert_int_equal(m.status, 200);
	assert_true(m.conn_close);
	msg_release(&m);
	assert_true(closed_within(r.fd, 300));
	close(r.fd);
	/*
	 * New client connections get pooled upstream ones: each worker
	 * (two here) opens at most one for these sequential requests.
	 */
	{
		char	seen[8][32];
		int	nseen = 0, j;

		for (i = 0; i < 8; i++) {
			assert_int_equal(fetch("GET /k HTTP/1.1\r\n"
			    "Host: hello.test\r\n\r\n", &m), 200);
			for (j = 0; j < nseen; j++)
				if (strcmp(seen[j], msg_header(&m, "x-conn")) == 0)
					break;
			if (j == nseen)
				snprintf(seen[nseen++], sizeof(seen[0]), "%s",
				    msg_header(&m, "x-conn"));
			msg_release(&m);
		}
		assert_true(nseen <= 2);
	}
}

static void
test_chunked_both_ways(void **state)
{
	struct msg m;

	(void)state;
	assert_int_equal(fetch("POST /raw HTTP/1.1\r\nHost: hello.test\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n5;name=val\r\nhello\r\n"
	    "006\r\n world\r\n0\r\nTrailer-X: 1\r\n\r\n", &m), 200);
	/* re-chunked canonically: no extension, no zero padding, no trailer */
	assert_string_equal(m.body.p, "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
	msg_release(&m);
	assert_int_equal(fetch("GET /chunked HTTP/1.1\r\nHost: hello.test\r\n"
	    "\r\n", &m), 200);
	assert_true(m.chunked);
	assert_string_equal(m.body.p, "abcde");
	assert_string_equal(m.raw.p, "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
	msg_release(&m);
	/* an HTTP/1.0 client gets it de-chunked, delimited by close */
	assert_int_equal(fetch("GET /chunked HTTP/1.0\r\nHost: hello.test\r\n"
	    "\r\n", &m), 200);
	assert_false(m.chunked);
	assert_string_equal(m.body.p, "abcde");
	msg_release(&m);
	/* a body delimited by the app's close is chunked for 1.1 */
	assert_int_equal(fetch("GET /eof HTTP/1.1\r\nHost: hello.test\r\n\r\n",
	    &m), 200);
	assert_true(m.chunked);
	assert_string_equal(m.body.p, "until-close");
	msg_release(&m);
}

static long
rss_kb(pid_t pid)
{
	char	path[64], line[256];
	long	kb = -1;
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "VmHWM:", 6) == 0)
			kb = atol(line + 6);
	fclose(f);
	return kb;
}

static void
test_big_body_streamed(void **state)
{
	static struct rd	r;
	static char		chunk[1 << 16];
	const uint64_t		total = 100ULL * 1024 * 1024;
	struct msg		m;
	char			head[256];
	uint64_t		sent;
	long			kb;

	(void)state;
	memset(chunk, 'u', sizeof(chunk));
	r.fd = tcp_connect(router_port);
	r.off = r.len = 0;
	snprintf(head, sizeof(head), "POST /sink HTTP/1.1\r\nHost: hello.test\r\n"
	    "Content-Length: %llu\r\n\r\n", (unsigned long long)total);
	assert_int_equal(write_all(r.fd, head, strlen(head)), 0);
	for (sent = 0; sent < total; sent += sizeof(chunk))
		assert_int_equal(write_all(r.fd, chunk, sizeof(chunk)), 0);
	assert_int_equal(resp_read(&r, &m), 0);
	assert_int_equal(m.status, 200);
	assert_int_equal(strtoull(m.body.p, NULL, 10), total);
	msg_release(&m);
	/* and 100 MB down */
	assert_int_equal(send_str(r.fd, "GET /big/104857600 HTTP/1.1\r\n"
	    "Host: hello.test\r\n\r\n"), 0);
	msg_init(&m);
	assert_int_equal(msg_read_head(&r, &m), 0);
	assert_int_equal(m.cl, total);
	assert_int_equal(rd_n(&r, NULL, total), 0);
	close(r.fd);
	kb = rss_kb(router_pid);
	print_message("router peak RSS after 2 x 100 MB: %ld kB\n", kb);
	/* under memcheck the peak is valgrind's own (shadow memory) */
	assert_true(kb > 0 && (kb < 40 * 1024 || getenv("PAAS_VALGRIND")));
}

static void
test_slow_app_and_slow_client(void **state)
{
	struct msg	m;
	uint64_t	t0 = now_ms();
	int		fd;

	(void)state;
	/* first byte timeout (1 s here): 503, H12 */
	assert_int_equal(fetch("GET /slow HTTP/1.1\r\nHost: hello.test\r\n\r\n",
	    &m), 503);
	assert_true(now_ms() - t0 < 2500);
	msg_release(&m);
	/* slowloris: a head that never ends is cut after 1 s */
	fd = tcp_connect(router_port);
	assert_int_equal(send_str(fd, "GET / HTTP/1.1\r\nHost: hel"), 0);
	assert_true(closed_within(fd, 2500));
	close(fd);
}

static void
test_app_dies(void **state)
{
	struct msg	m;
	static struct rd r;

	(void)state;
	assert_int_equal(fetch("GET /die-head HTTP/1.1\r\nHost: hello.test\r\n"
	    "\r\n", &m), 502);
	msg_release(&m);
	assert_int_equal(fetch("GET /bad HTTP/1.1\r\nHost: hello.test\r\n\r\n",
	    &m), 502);
	msg_release(&m);
	/* mid-body: the client sees the connection end, no hang */
	r.fd = tcp_connect(router_port);
	r.off = r.len = 0;
	assert_int_equal(send_str(r.fd, "GET /die-body HTTP/1.1\r\nHost: "
	    "hello.test\r\n\r\n"), 0);
	msg_init(&m);
	assert_int_equal(msg_read_head(&r, &m), 0);
	assert_int_equal(m.cl, 100);
	assert_int_equal(rd_n(&r, NULL, 100), -1);
	close(r.fd);
	msg_release(&m);
	/* and the router still serves */
	assert_int_equal(fetch("GET /ok HTTP/1.1\r\nHost: hello.test\r\n\r\n",
	    &m), 200);
	msg_release(&m);
}

static void
test_retry_on_connect_failure(void **state)
{
	struct msg	m;
	int		i;

	(void)state;
	/* two.test: web.1 is a dead port, web.2 is backend 1 */
	for (i = 0; i < 10; i++) {
		assert_int_equal(fetch("GET /r HTTP/1.1\r\nHost: two.test\r\n\r\n",
		    &m), 200);
		assert_string_equal(m.body.p, "backend 1 /r");
		msg_release(&m);
	}
}

static void
test_reload_under_load(void **state)
{
	char	apps[2048];
	pid_t	pid;
	int	i, status, sw;

	(void)state;
	snprintf(apps, sizeof(apps), "\"flip\":{\"domains\":[\"flip.test\"],"
	    "\"instances\":[{\"dyno\":\"web.1\",\"address\":"
	    "\"127.0.0.1:%d\"}]}", back_port[2]);
	routes_write(apps);
	usleep(200000);
	pid = fork();
	if (pid == 0) {
		struct msg m;
		int fails = 0;

		alarm(30);
		for (i = 0; i < 400; i++) {
			if (fetch("GET /l HTTP/1.1\r\nHost: flip.test\r\n\r\n",
			    &m) != 200)
				fails++;
			msg_release(&m);
		}
		if (fails > 0)
			fprintf(stderr, "reload: %d of 400 failed\n", fails);
		_exit(fails > 0 ? 1 : 0);
	}
	for (sw = 0; sw < 40; sw++) {
		snprintf(apps, sizeof(apps),
		    "\"flip\":{\"domains\":[\"flip.test\"],\"instances\":["
		    "{\"dyno\":\"web.1\",\"address\":\"127.0.0.1:%d\"}]},"
		    "\"other%d\":{\"domains\":[\"o%d.test\"],\"instances\":[]}",
		    back_port[sw % 2 ? 1 : 2], sw, sw);
		routes_write(apps);
		usleep(20000);
		/* a broken file in between is ignored */
		if (sw == 20)
			write_file(routes_path, "{ not json");
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	routes_default();
}

static void
test_smuggling_rejected(void **state)
{
	static const char *vec[] = {
		"POST / HTTP/1.1\r\nHost: hello.test\r\nContent-Length: 44\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: hello.test\r\nContent-Length: 5\r\n"
		    "Content-Length: 44\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: hello.test\r\n"
		    "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: hello.test\r\nTransfer-Encoding:\r\n"
		    " chunked\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: hello.test\r\nTransfer-Encoding : "
		    "chunked\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.0\r\nHost: hello.test\r\nTransfer-Encoding: "
		    "chunked\r\n\r\n0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: hello.test\nX: y\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: hello.test\r\nHost: two.test\r\n\r\n",
		"GET / HTTP/1.1\r\nX: y\r\n\r\n",
		"GET http://two.test/ HTTP/1.1\r\nHost: hello.test\r\n\r\n",
		"GET / HTTP/2.0\r\nHost: hello.test\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: hello.test\r\n: empty\r\n\r\n",
		"POST /chunk HTTP/1.1\r\nHost: hello.test\r\nTransfer-Encoding: "
		    "chunked\r\n\r\n3x\r\nabc\r\n0\r\n\r\n",
	};
	static const char smuggled[] = "GET /smuggled HTTP/1.1\r\n"
	    "Host: hello.test\r\n\r\n";
	char	raw[1024];
	size_t	i;
	int	fd;

	(void)state;
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		struct msg	m;
		static struct rd r;

		snprintf(raw, sizeof(raw), "%s%s", vec[i], smuggled);
		r.fd = fd = tcp_connect(router_port);
		r.off = r.len = 0;
		assert_int_equal(write_all(fd, raw, strlen(raw)), 0);
		assert_int_equal(resp_read(&r, &m), 0);
		if (m.status != 400)
			fail_msg("vector %zu: status %d", i, m.status);
		assert_true(m.conn_close);
		msg_release(&m);
		assert_true(closed_within(fd, 2000));
		close(fd);
	}
	usleep(100000);
	assert_int_equal(belog_count("/smuggled"), 0);
	/* only the body-level case may have reached the app, once */
	assert_true(belog_count("POST /chunk ") <= 1);
}

static void
test_limits(void **state)
{
	struct msg	m;
	struct buf	b = BUF_INIT;
	int		i;

	(void)state;
	buf_adds(&b, "GET /");
	for (i = 0; i < 8200; i++)
		buf_addch(&b, 'a');
	buf_adds(&b, " HTTP/1.1\r\nHost: hello.test\r\n\r\n");
	assert_int_equal(fetch(b.p, &m), 414);
	assert_true(m.conn_close);
	msg_release(&m);
	buf_reset(&b);
	buf_adds(&b, "GET / HTTP/1.1\r\nHost: hello.test\r\nX: ");
	for (i = 0; i < 8200; i++)
		buf_addch(&b, 'a');
	buf_adds(&b, "\r\n\r\n");
	assert_int_equal(fetch(b.p, &m), 431);
	msg_release(&m);
	buf_reset(&b);
	buf_adds(&b, "GET / HTTP/1.1\r\nHost: hello.test\r\n");
	for (i = 0; i < 120; i++)
		buf_addf(&b, "X-%d: 1\r\n", i);
	buf_adds(&b, "\r\n");
	assert_int_equal(fetch(b.p, &m), 431);
	msg_release(&m);
	assert_int_equal(fetch("POST /echo HTTP/1.1\r\nHost: small.test\r\n"
	    "Content-Length: 11\r\n\r\nhello world", &m), 413);
	msg_release(&m);
	assert_int_equal(fetch("POST /echo HTTP/1.1\r\nHost: small.test\r\n"
	    "Transfer-Encoding: chunked\r\n\r\nb\r\nhello world\r\n0\r\n\r\n",
	    &m), 413);
	msg_release(&m);
	assert_int_equal(fetch("POST /echo HTTP/1.1\r\nHost: small.test\r\n"
	    "Content-Length: 10\r\n\r\nhelloworld", &m), 200);
	assert_string_equal(m.body.p, "helloworld");
	msg_release(&m);
	buf_release(&b);
}

static void
test_websocket_relay(void **state)
{
	static struct rd	r;
	struct msg		m;
	char			b[64];

	(void)state;
	r.fd = tcp_connect(router_port);
	r.off = r.len = 0;
	assert_int_equal(send_str(r.fd, "GET /ws HTTP/1.1\r\nHost: hello.test\r\n"
	    "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\nearly"), 0);
	assert_int_equal(resp_read(&r, &m), 0);
	assert_int_equal(m.status, 101);
	assert_string_equal(msg_header(&m, "upgrade"), "websocket");
	msg_release(&m);
	assert_int_equal(rd_n(&r, NULL, 0), 0);
	buf_init(&m.body);
	assert_int_equal(rd_n(&r, &m.body, 5), 0);
	assert_string_equal(m.body.p, "early");
	assert_int_equal(send_str(r.fd, "ping-pong"), 0);
	buf_reset(&m.body);
	assert_int_equal(rd_n(&r, &m.body, 9), 0);
	assert_string_equal(m.body.p, "ping-pong");
	buf_release(&m.body);
	(void)b;
	close(r.fd);
}

static void
test_expect_and_pipelining(void **state)
{
	static struct rd	r;
	struct msg		m;
	char			line[256];

	(void)state;
	r.fd = tcp_connect(router_port);
	r.off = r.len = 0;
	assert_int_equal(send_str(r.fd, "POST /echo HTTP/1.1\r\nHost: hello.test"
	    "\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"), 0);
	assert_int_equal(rd_line(&r, line, sizeof(line)), 0);
	assert_string_equal(line, "HTTP/1.1 100 Continue");
	assert_int_equal(rd_line(&r, line, sizeof(line)), 0);
	assert_int_equal(send_str(r.fd, "body"), 0);
	assert_int_equal(resp_read(&r, &m), 0);
	assert_int_equal(m.status, 200);
	assert_string_equal(m.body.p, "body");
	msg_release(&m);
	/* three requests in one write, answered in order */
	assert_int_equal(send_str(r.fd,
	    "GET /p1 HTTP/1.1\r\nHost: hello.test\r\n\r\n"
	    "GET /p2 HTTP/1.1\r\nHost: nope.test\r\n\r\n"
	    "GET /p3 HTTP/1.1\r\nHost: two.test\r\n\r\n"), 0);
	assert_int_equal(resp_read(&r, &m), 0);
	assert_string_equal(m.body.p, "backend 0 /p1");
	msg_release(&m);
	assert_int_equal(resp_read(&r, &m), 0);
	assert_int_equal(m.status, 404);
	msg_release(&m);
	assert_int_equal(resp_read(&r, &m), 0);
	assert_string_equal(m.body.p, "backend 1 /p3");
	msg_release(&m);
	close(r.fd);
}

/* children of ours named paas-router other than pid (an upgrade's) */
static pid_t
find_router_child(pid_t not)
{
	char		 path[300], buf[512], comm[64];
	struct dirent	*de;
	DIR		*d = opendir("/proc");
	pid_t		 found = -1;
	FILE		*f;
	int		 ppid;

	while (d != NULL && found < 0 && (de = readdir(d)) != NULL) {
		if (atoi(de->d_name) <= 1 || atoi(de->d_name) == not)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		ppid = 0;
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    sscanf(buf, "%*d (%63[^)]) %*c %d", comm, &ppid) == 2 &&
		    ppid == (int)getpid() && strcmp(comm, "paas-router") == 0)
			found = atoi(de->d_name);
		fclose(f);
	}
	if (d != NULL)
		closedir(d);
	return found;
}

static void
test_binary_upgrade(void **state)
{
	pid_t	old = router_pid, loader, fresh = -1;
	int	status, i;

	(void)state;
	/* kill(-1) would signal every process there is */
	assert_true(old > 0);
	/* orphans of ours (the new router, once the old exits) come to us */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	loader = fork();
	if (loader == 0) {
		struct msg m;
		int fails = 0;

		alarm(30);
		for (i = 0; i < 600; i++) {
			if (fetch("GET /u HTTP/1.1\r\nHost: hello.test\r\n\r\n",
			    &m) != 200)
				fails++;
			msg_release(&m);
		}
		if (fails > 0)
			fprintf(stderr, "upgrade: %d of 600 failed\n", fails);
		_exit(fails > 0 ? 1 : 0);
	}
	usleep(100000);
	assert_int_equal(kill(old, SIGUSR2), 0);
	/* the old router drains and exits 0 once the new one took over */
	assert_int_equal(waitpid(old, &status, 0), old);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	for (i = 0; i < 100 && fresh < 0; i++) {
		fresh = find_router_child(old);
		if (fresh < 0)
			usleep(10000);
	}
	assert_true(fresh > 0);
	router_pid = fresh;
	assert_int_equal(waitpid(loader, &status, 0), loader);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}

static void
test_metrics_and_graceful_stop(void **state)
{
	static struct rd	r;
	struct msg		m;
	int			status;

	(void)state;
	assert_int_equal(fetch("GET / HTTP/1.1\r\nHost: hello.test\r\n\r\n", &m),
	    200);
	msg_release(&m);
	r.fd = tcp_connect(admin_port);
	r.off = r.len = 0;
	assert_true(r.fd >= 0);
	assert_int_equal(send_str(r.fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
	assert_int_equal(resp_read(&r, &m), 0);
	close(r.fd);
	assert_int_equal(m.status, 200);
	assert_non_null(strstr(m.body.p, "paas_router_requests_total{app=\"hello\","
	    "class=\"2xx\"} "));
	assert_non_null(strstr(m.body.p, "paas_router_active_connections "));
	msg_release(&m);
	/* a slow request in flight finishes during the graceful stop */
	r.fd = tcp_connect(router_port);
	r.off = r.len = 0;
	assert_int_equal(send_str(r.fd, "GET /slowish HTTP/1.1\r\nHost: "
	    "hello.test\r\n\r\n"), 0);
	usleep(100000);
	status = router_stop();
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(resp_read(&r, &m), 0);
	assert_int_equal(m.status, 200);
	assert_string_equal(m.body.p, "slowish");
	assert_true(m.conn_close);
	msg_release(&m);
	close(r.fd);
	assert_int_equal(router_start(default_config), 0);
}


/* datagrams waiting on the log socket that contain needle */
static int
log_count(const char *needle)
{
	char	d[8192];
	ssize_t	n;
	int	count = 0;

	while ((n = recv(logfd, d, sizeof(d) - 1, MSG_DONTWAIT)) > 0) {
		d[n] = '\0';
		count += strstr(d, needle) != NULL;
	}
	return count;
}

/*
 * The cap is the router's, not a worker's: with 2 workers, one instance
 * sees at most 50 requests at once (the app holds each for 3 s, so the
 * requests it logged in the first 700 ms are the concurrent ones), 50
 * more wait in the queue, and every one beyond gets 503 + H11 at once.
 */
static void
test_backlog_h11(void **state)
{
	enum { N = 260 };
	static int	fds[N];
	struct pollfd	pfd[N];
	char		b[512];
	int		i, fast503 = 0, answered = 0, seen, h11, late = 0;
	uint64_t	t0;

	(void)state;
	/* the app holds each request 3 s: no first-byte timeout here */
	assert_int_equal(router_stop(), 0);
	assert_int_equal(router_start("{\"first_byte_timeout_ms\":10000,"
	    "\"linger_ms\":300,\"drain_timeout_ms\":2000}"), 0);
	log_count("");
	for (i = 0; i < N; i++) {
		fds[i] = tcp_connect(router_port);
		assert_true(fds[i] >= 0);
	}
	t0 = now_ms();
	for (i = 0; i < N; i++)
		assert_int_equal(send_str(fds[i], "GET /slowcap HTTP/1.1\r\n"
		    "Host: hello.test\r\n\r\n"), 0);
	/* over 50 in flight + 50 queued, whichever worker: 503 H11 at once */
	while (now_ms() - t0 < 700) {
		for (i = 0; i < N; i++) {
			pfd[i].fd = fds[i];
			pfd[i].events = POLLIN;
		}
		if (poll(pfd, N, 50) <= 0)
			continue;
		for (i = 0; i < N; i++) {
			if (!(pfd[i].revents & POLLIN) || fds[i] < 0)
				continue;
			if (read(fds[i], b, sizeof(b) - 1) > 12 &&
			    strncmp(b, "HTTP/1.1 503", 12) == 0)
				fast503++;
			answered++;
			close(fds[i]);
			fds[i] = -1;
		}
	}
	seen = belog_count("/slowcap");
	/*
	 * The queued 50 are served once the first 50 end (3 s), whichever
	 * worker holds them: a slot given back in one worker wakes the
	 * queue of the other.
	 */
	while (now_ms() - t0 < 8000 && late < 100) {
		for (i = 0; i < N; i++) {
			pfd[i].fd = fds[i];
			pfd[i].events = POLLIN;
		}
		if (poll(pfd, N, 100) <= 0)
			continue;
		for (i = 0; i < N; i++) {
			if (!(pfd[i].revents & POLLIN) || fds[i] < 0)
				continue;
			if (read(fds[i], b, sizeof(b) - 1) > 12 &&
			    strncmp(b, "HTTP/1.1 200", 12) == 0)
				late++;
			close(fds[i]);
			fds[i] = -1;
		}
	}
	for (i = 0; i < N; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	print_message("H11 at once: %d, app saw %d, then served %d\n",
	    fast503, seen, late);
	assert_int_equal(late, 50 + 50);
	assert_int_equal(router_stop(), 0);
	assert_int_equal(router_start(default_config), 0);
	assert_int_equal(fast503, answered);
	assert_int_equal(fast503, N - 50 - 50);
	assert_int_equal(seen, 50);
	/* lines beyond the socket's queue are dropped (and counted) */
	h11 = log_count("code=H11 desc=\"Backlog too deep\"");
	assert_true(h11 >= 1 && h11 <= N - 50 - 50);
	usleep(1500000);
}

/* conns connections at once, reqs keep-alive requests on each: all 200 */
static void
load_ok(int conns, int reqs)
{
	static struct rd	r[20];
	struct msg		m;
	char			req[128];
	int			i, j;

	assert_true(conns <= 20);
	for (i = 0; i < conns; i++) {
		r[i].fd = tcp_connect(router_port);
		r[i].off = r[i].len = 0;
		assert_true(r[i].fd >= 0);
	}
	for (j = 0; j < reqs; j++)
		for (i = 0; i < conns; i++) {
			snprintf(req, sizeof(req), "GET /n%d-%d HTTP/1.1\r\n"
			    "Host: hello.test\r\n\r\n", i, j);
			assert_int_equal(send_str(r[i].fd, req), 0);
		}
	for (i = 0; i < conns; i++) {
		for (j = 0; j < reqs; j++) {
			snprintf(req, sizeof(req), "backend 0 /n%d-%d", i, j);
			assert_int_equal(resp_read(&r[i], &m), 0);
			assert_int_equal(m.status, 200);
			assert_string_equal(m.body.p, req);
			msg_release(&m);
		}
		close(r[i].fd);
	}
}

/*
 * --accept handoff (one accept loop handing sockets to 2 workers) and
 * --workers 1 (the worker on the main thread) serve, keep alive,
 * pipeline and stop cleanly like the default.
 */
static void
test_accept_modes(void **state)
{
	static const char *const modes[][2] = {
		{ "2", "handoff" }, { "1", "reuseport" }, { "1", "handoff" },
	};
	size_t	i;
	int	status;

	(void)state;
	assert_int_equal(router_stop(), 0);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		router_workers = modes[i][0];
		router_accept = modes[i][1];
		assert_int_equal(router_start(default_config), 0);
		load_ok(20, 5);
		status = router_stop();
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	router_workers = "2";
	router_accept = "reuseport";
	assert_int_equal(router_start(default_config), 0);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_proxy_basic_and_headers, each),
		cmocka_unit_test_setup(test_router_pages, each),
		cmocka_unit_test_setup(test_keepalive_reuse, each),
		cmocka_unit_test_setup(test_chunked_both_ways, each),
		cmocka_unit_test_setup(test_big_body_streamed, each),
		cmocka_unit_test_setup(test_slow_app_and_slow_client, each),
		cmocka_unit_test_setup(test_app_dies, each),
		cmocka_unit_test_setup(test_retry_on_connect_failure, each),
		cmocka_unit_test_setup(test_reload_under_load, each),
		cmocka_unit_test_setup(test_smuggling_rejected, each),
		cmocka_unit_test_setup(test_limits, each),
		cmocka_unit_test_setup(test_websocket_relay, each),
		cmocka_unit_test_setup(test_expect_and_pipelining, each),
		cmocka_unit_test_setup(test_backlog_h11, each),
		cmocka_unit_test_setup(test_accept_modes, each),
		cmocka_unit_test_setup(test_binary_upgrade, each),
		cmocka_unit_test_setup(test_metrics_and_graceful_stop, each),
	};
	int rc;

	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && strcmp(argv[1], "backend") == 0) {
		/* for debugging by hand: one test backend on a port */
		snprintf(belog_path, sizeof(belog_path), "/dev/null");
		back_pid[0] = backend_start(0, atoi(argv[2]));
		waitpid(back_pid[0], NULL, 0);
		return 0;
	}
	rc = cmocka_run_group_tests(tests, setup, teardown);
	return rc != 0 || vg_failed ? 1 : 0;
}
