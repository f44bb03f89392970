#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <uv.h>

#include "api.h"
#include "applog.h"
#include "build.h"
#include "container.h"
#include "dyno.h"
#include "gitcmd.h"
#include "gitsrv.h"
#include "http.h"
#include "log.h"
#include "paasd.h"
#include "parse.h"
#include "proc.h"
#include "routerctl.h"
#include "routes.h"
#include "runapi.h"
#include "store.h"
#include "valid.h"

#define API_MAX	4

struct options {
	const char	*data_dir;
	const char	*api[API_MAX];
	int		 napi;
	int		 http_port;
	const char	*domain;
	const char	*log_file;
	int		 keep_apps;	/* a stop leaves the apps running */
	int		 userns;	/* apps in user namespaces */
	int		 no_router;	/* tests: no paas-router */
	int		 no_netpolicy;
	int		 check_only;
	int		 verbose;
	int		 builds;	/* builds at a time; 0: the cores */
	uint64_t	 push_max;	/* bytes */
};

static struct paasd		 pd;
static int			 keep_apps;
static int			 router_on;
static int			 netpolicy_on;
static struct http_server	*server;
static uv_signal_t		 sig_term, sig_int, sig_hup;
static const char		*log_file;

static void
usage(void)
{
	fprintf(stderr, "usage: paasd [--data-dir DIR] [--api unix:PATH|"
	    "tcp:HOST:PORT]... [--http-port N]\n"
	    "             [--domain BASE] [--log-file FILE] [--keep-apps]\n"
	    "             [--builds N] [--max-push-size SIZE] [--userns]\n"
	    "             [--no-netpolicy] [--no-router] [-n] [-v]\n");
	exit(2);
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "data-dir",	required_argument, NULL, 'd' },
		{ "api",	required_argument, NULL, 'a' },
		{ "http-port",	required_argument, NULL, 'p' },
		{ "domain",	required_argument, NULL, 'D' },
		{ "log-file",	required_argument, NULL, 'l' },
		{ "keep-apps",	no_argument,	   NULL, 'k' },
		{ "builds",	required_argument, NULL, 'b' },
		{ "max-push-size", required_argument, NULL, 'm' },
		{ "no-netpolicy", no_argument,	   NULL, 'N' },
		{ "no-router",	no_argument,	   NULL, 'R' },
		{ "userns",	no_argument,	   NULL, 'U' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->data_dir = PAASD_DEFAULT_DATA;
	o->http_port = PAASD_DEFAULT_HTTP_PORT;
	o->domain = PAASD_DEFAULT_DOMAIN;
	o->push_max = PAASD_PUSH_MAX_BYTES;
	while ((ch = getopt_long(argc, argv, "nv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			o->data_dir = optarg;
			break;
		case 'a':
			if (o->napi == API_MAX)
				fatalx("at most %d --api options", API_MAX);
			o->api[o->napi++] = optarg;
			break;
		case 'p':
			if (parse_int(optarg, 1, 65535, &o->http_port) != 0)
				fatalx("invalid --http-port '%s'", optarg);
			break;
		case 'D':
			o->domain = optarg;
			break;
		case 'l':
			o->log_file = optarg;
			break;
		case 'n':
			o->check_only = 1;
			break;
		case 'k':
			o->keep_apps = 1;
			break;
		case 'b':
			if (parse_int(optarg, 1, PAASD_BUILDS_MAX,
			    &o->builds) != 0)
				fatalx("invalid --builds '%s': 1 to %d", optarg,
				    PAASD_BUILDS_MAX);
			break;
		case 'm':
			if (parse_size(optarg, 1024 * 1024, 1ULL << 40,
			    &o->push_max) != 0)
				fatalx("invalid --max-push-size '%s': a size "
				    "like 1G or 500M, 1M to 1024G", optarg);
			break;
		case 'N':
			o->no_netpolicy = 1;
			break;
		case 'R':
			o->no_router = 1;
			break;
		case 'U':
			o->userns = 1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (valid_hostname(o->domain, strlen(o->domain), 0, NULL) != 0)
		fatalx("invalid --domain '%s'", o->domain);
	if (o->data_dir[0] != '/')
		fatalx("--data-dir must be an absolute path");
	if (strlen(o->data_dir) > 200)
		fatalx("--data-dir is too long");
}

/* parse_api() splits "tcp:HOST:PORT" (HOST may be [v6]) or "unix:PATH". */
static int
parse_api(const char *spec, char *host, size_t hostlen, int *port,
    const char **path)
{
	const char	*h, *colon;
	size_t		 len;

	*path = NULL;
	if (strncmp(spec, "unix:", 5) == 0) {
		*path = spec + 5;
		return (*path)[0] == '/' ? 0 : -EINVAL;
	}
	if (strncmp(spec, "tcp:", 4) != 0)
		return -EINVAL;
	h = spec + 4;
	colon = strrchr(h, ':');
	if (colon == NULL)
		return -EINVAL;
	len = (size_t)(colon - h);
	if (len >= 2 && h[0] == '[' && h[len - 1] == ']') {
		h++;
		len -= 2;
	}
	if (len == 0 || len >= hostlen)
		return -EINVAL;
	memcpy(host, h, len);
	host[len] = '\0';
	return parse_int(colon + 1, 1, 65535, port);
}

static void
mkdir_or_die(const char *path, mode_t mode)
{
	if (mkdir(path, mode) != 0 && errno != EEXIST)
		fatal("mkdir %s", path);
}

static void
data_dir_init(const char *dir)
{
	static const char *const subdirs[] = { "repos", "images", "cache",
	    "instances", "logs", "router", "builds" };
	char	path[1024];
	size_t	i;

	/*
	 * 0711 (set explicitly, past the umask): builds run as each app's
	 * user and must reach their work dir below; nobody may list.
	 */
	mkdir_or_die(dir, 0711);
	if (chmod(dir, 0711) != 0)
		fatal("chmod %s", dir);
	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, subdirs[i]);
		mkdir_or_die(path, 0711);
	}
}

static int
token_valid(const char *t, size_t len)
{
	size_t i;

	if (len != PAASD_TOKEN_BYTES * 2)
		return 0;
	for (i = 0; i < len; i++)
		if (!((t[i] >= '0' && t[i] <= '9') ||
		    (t[i] >= 'a' && t[i] <= 'f')))
			return 0;
	return 1;
}

/* The admin token: read it, or make one (0600, fsynced) on first start. */
static void
token_init(const char *dir, char *token)
{
	unsigned char	raw[PAASD_TOKEN_BYTES];
	char		path[1024];
	ssize_t		n;
	size_t		i;
	int		fd;

	snprintf(path, sizeof(path), "%s/admin-token", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		n = read(fd, token, PAASD_TOKEN_BYTES * 2 + 1);
		close(fd);
		if (n > 0 && token[n - 1] == '\n')
			n--;
		if (n < 0 || !token_valid(token, (size_t)n))
			fatalx("%s is not a valid token; remove it to make a "
			    "new one", path);
		token[n] = '\0';
		return;
	}
	if (errno != ENOENT)
		fatal("open %s", path);
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		fatal("getrandom");
	for (i = 0; i < sizeof(raw); i++) {
		token[2 * i] = "0123456789abcdef"[raw[i] >> 4];
		token[2 * i + 1] = "0123456789abcdef"[raw[i] & 15];
	}
	token[2 * sizeof(raw)] = '\0';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0)
		fatal("create %s", path);
	if (write(fd, token, strlen(token)) != (ssize_t)strlen(token) ||
	    write(fd, "\n", 1) != 1 || fsync(fd) != 0)
		fatal("write %s", path);
	close(fd);
	log_info("created admin token in %s", path);
}

/* The directory of our own executable: paas-git-shell lives there too. */
static void
bin_dir_init(char *out, size_t outlen)
{
	char	exe[PATH_MAX];
	ssize_t	n;
	char	*slash;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		fatal("readlink /proc/self/exe");
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	if (strlen(exe) >= outlen)
		fatalx("install path too long: %s", exe);
	memcpy(out, exe, strlen(exe) + 1);
}

static void
on_signal_closed(uv_handle_t *h)
{
	(void)h;
}

/* Requests whose bodies stream: git pushes and paas run. */
static int
head_handler(void *arg, const struct http_req *req, struct http_sink *sink)
{
	return runapi_head(arg, req, sink) || gitsrv_head(arg, req, sink);
}

/* Every instance is stopped (or left running): close what is left. */
static void
on_supervisor_done(void)
{
	applog_free(pd.applog);
	pd.applog = NULL;
	proc_shutdown();
}

static void
on_term(uv_signal_t *s, int signum)
{
	(void)s;
	log_info("received %s, shutting down%s", strsignal(signum),
	    keep_apps ? " (apps keep running)" : "");
	build_cancel_all();
	http_server_close(server);
	if (router_on && !keep_apps)
		routerctl_stop(&pd);
	dyno_shutdown(keep_apps, on_supervisor_done);
	uv_close((uv_handle_t *)&sig_term, on_signal_closed);
	uv_close((uv_handle_t *)&sig_int, on_signal_closed);
	uv_close((uv_handle_t *)&sig_hup, on_signal_closed);
}

static void
on_hup(uv_signal_t *s, int signum)
{
	(void)s;
	(void)signum;
	if (log_reopen(log_file) != 0)
		log_warn("reopen %s", log_file);
	else
		log_info("logs reopened");
}

static void
listen_all(const struct options *o)
{
	char		 sock[1024], host[256];
	const char	*path;
	int		 i, port, rc;

	snprintf(sock, sizeof(sock), "%s/paasd.sock", pd.data_dir);
	if ((rc = http_listen_unix(server, sock)) != 0)
		fatalx("listen on %s: %s", sock, uv_strerror(rc));
	for (i = 0; i < o->napi; i++) {
		if (parse_api(o->api[i], host, sizeof(host), &port, &path) != 0)
			fatalx("invalid --api '%s': use unix:PATH or "
			    "tcp:HOST:PORT", o->api[i]);
		if (path && strcmp(path, sock) == 0)
			continue;
		rc = path ? http_listen_unix(server, path) :
		    http_listen_tcp(server, host, port);
		if (rc != 0)
			fatalx("listen on %s: %s", o->api[i], uv_strerror(rc));
		if (!path && pd.git_base[0] == '\0')
			snprintf(pd.git_base, sizeof(pd.git_base),
			    strchr(host, ':') ? "http://[%s]:%d" :
			    "http://%s:%d", strcmp(host, "0.0.0.0") == 0 ?
			    "127.0.0.1" : host, port);
	}
}

int
main(int argc, char **argv)
{
	struct options	 o;
	struct perr	 err = PERR_INIT;
	char		 dbpath[1024];
	uv_loop_t	*loop = uv_default_loop();
	int		 rc;

	parse_options(argc, argv, &o);
	log_init("paasd", o.verbose);
	log_file = o.log_file;
	if (log_file && log_reopen(log_file) != 0)
		fatal("open %s", log_file);
	if (o.check_only) {
		printf("configuration OK\n");
		return 0;
	}
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	snprintf(pd.data_dir, sizeof(pd.data_dir), "%s", o.data_dir);
	snprintf(pd.domain, sizeof(pd.domain), "%s", o.domain);
	pd.http_port = o.http_port;
	pd.push_max_bytes = o.push_max;
	if ((pd.builds_max = o.builds) == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		pd.builds_max = n < 1 ? 1 : n > PAASD_BUILDS_MAX ?
		    PAASD_BUILDS_MAX : (int)n;
	}
	bin_dir_init(pd.bin_dir, sizeof(pd.bin_dir));
	data_dir_init(pd.data_dir);
	if ((rc = gitcmd_limit_write(pd.data_dir, pd.push_max_bytes)) != 0)
		fatalx("write %s/%s: %s", pd.data_dir, GITCMD_LIMIT_FILE,
		    strerror(-rc));
	token_init(pd.data_dir, pd.token);
	keep_apps = o.keep_apps;
	if (o.userns && container_userns_probe(&err) != 0)
		fatalx("--userns: %s", err.msg);
	pd.userns = o.userns;
	/* nft runs in a child: before the database is open */
	if (!o.no_netpolicy) {
		if (container_netpolicy_apply(CONTAINER_NFT_TABLE,
		    CONTAINER_APP_UID_MIN, CONTAINER_APP_UID_MAX, &err) != 0)
			log_warnx("network policy not installed: %s", err.msg);
		else
			netpolicy_on = 1;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/paas.db", pd.data_dir);
	if (store_open(dbpath, &pd.store, &err) != 0)
		fatalx("%s", err.msg);
	git_libgit2_init();
	if (applog_new(pd.data_dir, loop, &pd.applog) != 0)
		fatalx("out of memory");
	snprintf(dbpath, sizeof(dbpath), "%s/router/log.sock", pd.data_dir);
	if ((rc = applog_listen_router(pd.applog, dbpath)) != 0)
		fatalx("listen on %s: %s", dbpath, strerror(-rc));
	build_recover(&pd);
	if ((rc = gitsrv_install_hooks(pd.data_dir)) != 0)
		fatalx("install git hooks: %s", strerror(-rc));
	if ((rc = proc_init(loop)) != 0)
		fatalx("SIGCHLD handler: %s", uv_strerror(rc));
	if (http_server_new(loop, api_handle, &pd, &server) != 0)
		fatalx("out of memory");
	http_server_set_head_handler(server, head_handler);
	listen_all(&o);
	if ((rc = dyno_init(&pd, loop)) != 0)
		fatalx("supervisor: %s", uv_strerror(rc));
	if (!o.no_router) {
		char listen[64];

		snprintf(listen, sizeof(listen), "0.0.0.0:%d", pd.http_port);
		if ((rc = routerctl_start(&pd, listen)) != 0)
			log_warnx("start paas-router: %s", strerror(-rc));
		else
			router_on = 1;
	}
	uv_signal_init(loop, &sig_term);
	uv_signal_init(loop, &sig_int);
	uv_signal_init(loop, &sig_hup);
	uv_signal_start(&sig_term, on_term, SIGTERM);
	uv_signal_start(&sig_int, on_term, SIGINT);
	uv_signal_start(&sig_hup, on_hup, SIGHUP);
	log_info("ready data=%s domain=%s http-port=%d api=%s%s", pd.data_dir,
	    pd.domain, pd.http_port, pd.git_base[0] ? pd.git_base : "unix",
	    "");
	rc = uv_run(loop, UV_RUN_DEFAULT);
	if (uv_loop_close(loop) != 0)
		log_warnx("event loop closed with handles open");
	store_close(pd.store);
	git_libgit2_shutdown();
	/* apps left running keep their fence; else it goes (nft forks) */
	if (netpolicy_on && !keep_apps &&
	    container_netpolicy_remove(CONTAINER_NFT_TABLE, &err) != 0)
		log_warnx("%s", err.msg);
	log_info("stopped");
	return rc == 0 ? 0 : 1;
}
