#include <errno.h>
#include <glob.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "harness.h"

extern char **environ;

#define TRACKED_MAX	16

/* Children a test started, killed if the test dies on its alarm. */
static volatile pid_t	tracked[TRACKED_MAX];

void
harness_track(pid_t pid)
{
	int i;

	for (i = 0; i < TRACKED_MAX; i++)
		if (tracked[i] == 0) {
			tracked[i] = pid;
			return;
		}
}

void
harness_untrack(pid_t pid)
{
	int i;

	for (i = 0; i < TRACKED_MAX; i++)
		if (tracked[i] == pid)
			tracked[i] = 0;
}

static void
on_alarm(int sig)
{
	static const char msg[] = "test timed out; killing its children\n";
	int i;

	(void)sig;
	for (i = 0; i < TRACKED_MAX; i++)
		if (tracked[i] > 0)
			kill(tracked[i], SIGKILL);
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(124);
}

void
harness_alarm(unsigned seconds)
{
	signal(SIGALRM, on_alarm);
	alarm(seconds);
}

const char *
harness_bin(const char *name, char *out, size_t outlen)
{
	const char *dir = getenv("PAAS_BIN");

	snprintf(out, outlen, "%s/%s", dir ? dir : "bin", name);
	return out;
}

void
harness_tmpdir(char *out, size_t outlen, const char *tag)
{
	snprintf(out, outlen, "/tmp/paas-it-%s-XXXXXX", tag);
	if (mkdtemp(out) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
}

void
harness_rm_rf(const char *path)
{
	char	*argv[] = { "rm", "-rf", "--one-file-system", "--",
	    (char *)path, NULL };
	pid_t	 pid;
	int	 st;

	if (path == NULL || path[0] != '/' || strncmp(path, "/tmp/", 5) != 0)
		return;
	if (posix_spawnp(&pid, "rm", NULL, NULL, argv, environ) == 0)
		waitpid(pid, &st, 0);
}

int
harness_free_port(void)
{
	struct sockaddr_in	sa;
	socklen_t		len = sizeof(sa);
	int			fd, port = -1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void
msleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int
harness_memcheck(const char **argv, char *opt, size_t optlen,
    const char *logprefix)
{
	int i = 0;

	if (getenv("PAAS_VALGRIND") == NULL)
		return 0;
	snprintf(opt, optlen, "--log-file=%s.vg.%%p", logprefix);
	argv[i++] = "/usr/bin/valgrind";
	argv[i++] = "-q";
	argv[i++] = "--leak-check=full";
	argv[i++] = "--errors-for-leak-kinds=definite,indirect";
	argv[i++] = "--error-exitcode=99";
	argv[i++] = opt;
	return i;
}

int
harness_paasd_start(struct daemon_proc *d)
{
	char			 bin[512], api[64], port[16], vglog[400];
	char			*argv[24];
	posix_spawn_file_actions_t fa;
	struct buf		 out = BUF_INIT;
	int			 i, rc;
	FILE			*f;

	if (d->api_port == 0)
		d->api_port = harness_free_port();
	if (d->http_port == 0)
		d->http_port = harness_free_port();
	snprintf(d->sock, sizeof(d->sock), "%s/paasd.sock", d->data);
	snprintf(d->log, sizeof(d->log), "%s.log", d->data);
	snprintf(api, sizeof(api), "tcp:127.0.0.1:%d", d->api_port);
	snprintf(port, sizeof(port), "%d", d->http_port);
	/* PAAS_VALGRIND=1: run paasd under memcheck; a leak fails the stop */
	i = harness_memcheck((const char **)argv, vglog, sizeof(vglog),
	    d->data);
	argv[i++] = (char *)harness_bin("paasd", bin, sizeof(bin));
	argv[i++] = "--data-dir";
	argv[i++] = d->data;
	argv[i++] = "--api";
	argv[i++] = api;
	argv[i++] = "--http-port";
	argv[i++] = port;
	argv[i++] = "--domain";
	argv[i++] = "localhost";
	if (!d->router)
		argv[i++] = "--no-router";
	if (!d->netpolicy)
		argv[i++] = "--no-netpolicy";
	for (rc = 0; rc < 4 && d->extra[rc]; rc++)
		argv[i++] = (char *)d->extra[rc];
	argv[i] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 2, d->log,
	    O_WRONLY | O_CREAT | O_APPEND, 0644);
	rc = posix_spawn(&d->pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -rc;
	harness_track(d->pid);
	for (i = 0; i < 3000; i++) {
		if (harness_http(0, d->sock, "GET", "/apps", NULL, NULL,
		    &out) == 200)
			break;
		msleep(10);
	}
	buf_release(&out);
	if (i == 3000)
		return -ETIMEDOUT;
	snprintf(bin, sizeof(bin), "%s/admin-token", d->data);
	f = fopen(bin, "r");
	if (f == NULL || fgets(d->token, sizeof(d->token), f) == NULL) {
		if (f)
			fclose(f);
		return -EIO;
	}
	fclose(f);
	d->token[strcspn(d->token, "\n")] = '\0';
	return 0;
}

int
harness_paasd_stop(struct daemon_proc *d)
{
	int st, i;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, SIGTERM);
	for (i = 0; i < 3000; i++) {
		if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
			harness_untrack(d->pid);
			d->pid = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		}
		msleep(10);
	}
	kill(d->pid, SIGKILL);
	waitpid(d->pid, &st, 0);
	harness_untrack(d->pid);
	d->pid = 0;
	return -1;
}

void
harness_paasd_kill9(struct daemon_proc *d)
{
	int st;

	if (d->pid <= 0)
		return;
	kill(d->pid, SIGKILL);
	waitpid(d->pid, &st, 0);
	harness_untrack(d->pid);
	d->pid = 0;
}

static int
dial(int port, const char *sock)
{
	int fd;

	if (port > 0) {
		struct sockaddr_in sa;

		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_port = htons((uint16_t)port);
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			close(fd);
			return -1;
		}
	} else {
		struct sockaddr_un sa;

		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

static int
exchange(int fd, const char *req, size_t reqlen, struct buf *out)
{
	struct buf	 resp = BUF_INIT;
	char		 chunk[65536];
	const char	*body;
	size_t		 off = 0;
	ssize_t		 n;
	int		 status = -1;
	struct pollfd	 p = { fd, POLLIN, 0 };

	while (off < reqlen) {
		n = send(fd, req + off, reqlen - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	while (poll(&p, 1, 10000) > 0 &&
	    (n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(&resp, chunk, (size_t)n);
	if (resp.len > 12 && memcmp(resp.p, "HTTP/1.1 ", 9) == 0)
		status = atoi(resp.p + 9);
	body = strstr(resp.p, "\r\n\r\n");
	if (out) {
		buf_reset(out);
		if (body)
			buf_adds(out, body + 4);
	}
	buf_release(&resp);
	return status;
}

int
harness_http(int port, const char *sock, const char *method,
    const char *path, const char *token, const char *body, struct buf *out)
{
	struct buf	req = BUF_INIT;
	int		fd, status;

	fd = dial(port, sock);
	if (fd < 0)
		return -1;
	buf_addf(&req, "%s %s HTTP/1.1\r\nHost: paas\r\nConnection: close\r\n",
	    method, path);
	if (token)
		buf_addf(&req, "Authorization: Bearer %s\r\n", token);
	if (body)
		buf_addf(&req, "Content-Type: application/json\r\n"
		    "Content-Length: %zu\r\n", strlen(body));
	buf_adds(&req, "\r\n");
	if (body)
		buf_adds(&req, body);
	status = exchange(fd, req.p, req.len, out);
	buf_release(&req);
	close(fd);
	return status;
}

int
harness_http_raw(int port, const char *raw, size_t rawlen, struct buf *out)
{
	int fd, status;

	fd = dial(port, NULL);
	if (fd < 0)
		return -1;
	status = exchange(fd, raw, rawlen, out);
	close(fd);
	return status;
}

static void
drain(int fd, struct buf *b)
{
	char	chunk[4096];
	ssize_t	n;

	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (b)
			buf_add(b, chunk, (size_t)n);
}

int
harness_run(char *const argv[], char *const env[], const char *in,
    struct buf *out, struct buf *err)
{
	posix_spawn_file_actions_t	 fa;
	char				**envp;
	char				 tmpl[] = "/tmp/paas-it-out-XXXXXX";
	int				 pin[2], fout, ferr, st, rc;
	size_t				 n = 0, m = 0, i;
	pid_t				 pid;

	while (environ[n])
		n++;
	while (env && env[m])
		m++;
	envp = calloc(n + m + 1, sizeof(*envp));
	for (i = 0; i < m; i++)
		envp[i] = env[i];
	for (i = 0; i < n; i++)
		envp[m + i] = environ[i];
	if (pipe2(pin, O_CLOEXEC) != 0)
		return -1;
	fout = mkstemp(tmpl);
	unlink(tmpl);
	strcpy(tmpl, "/tmp/paas-it-err-XXXXXX");
	ferr = mkstemp(tmpl);
	unlink(tmpl);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
	posix_spawn_file_actions_adddup2(&fa, fout, 1);
	posix_spawn_file_actions_adddup2(&fa, ferr, 2);
	rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	free(envp);
	close(pin[0]);
	if (rc == 0 && in)
		(void)!write(pin[1], in, strlen(in));
	close(pin[1]);
	st = -1;
	if (rc == 0)
		waitpid(pid, &st, 0);
	lseek(fout, 0, SEEK_SET);
	lseek(ferr, 0, SEEK_SET);
	if (out)
		buf_reset(out);
	if (err)
		buf_reset(err);
	drain(fout, out);
	drain(ferr, err);
	close(fout);
	close(ferr);
	if (rc != 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/*
 * Instances outlive paasd by design: a test that ends with paasd killed
 * must stop their shims itself (stop 0: SIGKILL to the container, then
 * the shim removes its cgroup and dirs and exits).
 */
static void
stop_shims(const char *data)
{
	char	pattern[400], *dir;
	glob_t	g;
	size_t	i;
	int	pids[256], n = 0, tries;

	snprintf(pattern, sizeof(pattern), "%s/instances/*/shim.pid", data);
	if (glob(pattern, 0, NULL, &g) != 0)
		return;
	for (i = 0; i < g.gl_pathc && n < 256; i++) {
		struct sockaddr_un	sa;
		FILE			*f = fopen(g.gl_pathv[i], "re");
		int			 pid = 0, fd;

		if (f == NULL)
			continue;
		if (fscanf(f, "%d", &pid) != 1)
			pid = 0;
		fclose(f);
		if (pid <= 1 || kill(pid, 0) != 0)
			continue;
		pids[n++] = pid;
		dir = g.gl_pathv[i];
		*strrchr(dir, '/') = '\0';
		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/shim.sock", dir);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa,
		    sizeof(sa)) == 0)
			(void)!write(fd, "stop 0\n", 7);
		else
			kill(pid, SIGTERM);
		if (fd >= 0)
			close(fd);
	}
	globfree(&g);
	for (tries = 0; tries < 500; tries++) {
		int alive = 0;

		for (i = 0; i < (size_t)n; i++)
			alive += pids[i] > 0 && kill(pids[i], 0) == 0;
		if (alive == 0)
			return;
		msleep(10);
	}
	for (i = 0; i < (size_t)n; i++)
		kill(pids[i], SIGKILL);
}

void
harness_paasd_cleanup(struct daemon_proc *d)
{
	char	pattern[400];
	glob_t	g;
	size_t	i;

	if (d->pid > 0)
		harness_paasd_kill9(d);
	stop_shims(d->data);
	/* a router outlives paasd by design: end the one this test made */
	snprintf(pattern, sizeof(pattern), "%s/router/router.pid", d->data);
	{
		FILE	*f = fopen(pattern, "re");
		int	 pid = 0;

		if (f != NULL) {
			if (fscanf(f, "%d", &pid) == 1 && pid > 1)
				kill(pid, SIGKILL);
			fclose(f);
		}
	}
	harness_rm_rf(d->data);
	unlink(d->log);
	/* the table paasd installs is machine-wide: never leave it behind */
	if (d->netpolicy) {
		char	*argv[] = { "/usr/sbin/nft", "delete", "table", "inet",
		    "paas", NULL };
		pid_t	 pid;
		int	 st;
		posix_spawn_file_actions_t fa;

		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY,
		    0);
		if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) == 0)
			waitpid(pid, &st, 0);
		posix_spawn_file_actions_destroy(&fa);
	}
	snprintf(pattern, sizeof(pattern), "%s.vg.*", d->data);
	if (glob(pattern, 0, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc; i++) {
			struct stat sb;

			/* a non-empty memcheck log is worth showing */
			if (stat(g.gl_pathv[i], &sb) == 0 && sb.st_size > 0) {
				char	*argv[] = { "cat", g.gl_pathv[i], NULL };
				pid_t	 pid;
				int	 st;

				if (posix_spawnp(&pid, "cat", NULL, NULL, argv,
				    environ) == 0)
					waitpid(pid, &st, 0);
			}
			unlink(g.gl_pathv[i]);
		}
		globfree(&g);
	}
}

int
harness_port_open(int port)
{
	int fd = dial(port, NULL);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

int
harness_script(const char *script, struct buf *out, struct buf *err)
{
	char	*argv[] = { "/bin/sh", "-ec", (char *)script, NULL };
	int	 rc;

	rc = harness_run(argv, NULL, NULL, out, err);
	if (rc != 0) {
		fprintf(stderr, "script failed (%d):\n", rc);
		fputs(script, stderr);
		fputs("\n--- stdout:\n", stderr);
		fputs(out->p ? out->p : "", stderr);
		fputs("--- stderr:\n", stderr);
		fputs(err->p ? err->p : "", stderr);
	}
	return rc;
}
