/*
 * Built-in buildpacks end to end, without paasd: for each one, copy the
 * pack and its example into a temp dir, run bin/detect, bin/compile BUILD
 * CACHE ENV and bin/release as paas-build would, then start the web
 * process type the way the runtime does (source .profile.d scripts, exec the
 * command) and ask it for a page over HTTP on a free port. The app runs
 * from the build dir with HOME set to it: the packs only use $HOME and
 * relative paths at run time, so that stands in for /app. One failing
 * build per pack checks the error message.
 *
 * Needs PAAS_SRC (the tree) and PAAS_BIN (where paas-static is); `make
 * integration` sets both. The Go cases skip when the host has no go.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"

#define STACK_PATH	"/usr/local/bin:/usr/bin:/bin"
#define STEP_TIMEOUT_S	240	/* one detect/compile/release */
#define BOOT_TIMEOUT_MS	20000	/* for the web process to answer */

static const char	*src, *bindir;

/* What a test made; the teardown undoes all of it, pass or fail. */
static struct {
	char	tmp[64];
	pid_t	procs[4];	/* process group leaders we started */
	int	nprocs;
} ctx;

/* ------------------------------------------------------------ helpers */

static void
path(char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
path(char *out, size_t len, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < len);
}

static void
write_file(const char *p, const char *text)
{
	FILE	*f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void
read_file(const char *p, struct buf *b)
{
	char	chunk[4096];
	FILE	*f;
	size_t	n;

	buf_reset(b);
	if ((f = fopen(p, "r")) == NULL)
		return;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(b, chunk, n);
	fclose(f);
}

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Run argv in dir with envp, stdout and stderr to files under ctx.tmp,
 * read back into out/err (either may be NULL). Returns the exit status,
 * or -1 when it did not exit on its own within STEP_TIMEOUT_S (it is
 * killed, with its whole process group).
 */
static int
run(char *const argv[], char *const envp[], const char *dir, struct buf *out,
    struct buf *err)
{
	char	op[PATH_MAX], ep[PATH_MAX];
	double	deadline = now_s() + STEP_TIMEOUT_S;
	pid_t	pid;
	int	st, fd;

	path(op, sizeof(op), "%s/run.out", ctx.tmp);
	path(ep, sizeof(ep), "%s/run.err", ctx.tmp);
	if ((pid = fork()) == 0) {
		setpgid(0, 0);
		if (chdir(dir) < 0)
			_exit(126);
		fd = open(op, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		fd = open(ep, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 2);
		fd = open("/dev/null", O_RDONLY);
		dup2(fd, 0);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	assert_true(pid > 0);
	for (;;) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		if (now_s() > deadline) {
			kill(-pid, SIGKILL);
			waitpid(pid, &st, 0);
			st = -1;
			break;
		}
		usleep(20000);
	}
	kill(-pid, SIGKILL);	/* stragglers a build left behind */
	if (out)
		read_file(op, out);
	if (err)
		read_file(ep, err);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void
cp_r(const char *from, const char *to)
{
	char *const	argv[] = { "/bin/cp", "-a", (char *)from, (char *)to, NULL };
	char *const	envp[] = { "PATH=" STACK_PATH, NULL };

	assert_int_equal(run(argv, envp, "/", NULL, NULL), 0);
}

static int
rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static int
setup(void **state)
{
	(void)state;
	memset(&ctx, 0, sizeof(ctx));
	snprintf(ctx.tmp, sizeof(ctx.tmp), "/tmp/paas-bp-it-XXXXXX");
	if (mkdtemp(ctx.tmp) == NULL)
		return -1;
	alarm(600);
	return 0;
}

static int
teardown(void **state)
{
	int	i, st;

	(void)state;
	for (i = 0; i < ctx.nprocs; i++) {
		kill(-ctx.procs[i], SIGKILL);
		waitpid(ctx.procs[i], &st, 0);
	}
	ctx.nprocs = 0;
	if (ctx.tmp[0])
		nftw(ctx.tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	ctx.tmp[0] = '\0';
	return 0;
}

/* ------------------------------------------------------------ the build */

struct build {
	char	bp[PATH_MAX];		/* our copy of the buildpack */
	char	dir[PATH_MAX];		/* BUILD_DIR, then where the slug runs */
	char	built[PATH_MAX];	/* where it was compiled */
	char	cache[PATH_MAX];
	char	env[PATH_MAX];
	char	path_env[PATH_MAX + 8];	/* PATH=... for the steps */
	char	home_env[PATH_MAX + 8];
	char	static_env[PATH_MAX + 32];
	char	*envp[4];
};

/*
 * Copy pack and (when non-NULL) examples/example into ctx.tmp/PREFIX-*;
 * config is "K=V" strings written to ENV_DIR, NULL-terminated.
 */
static void
build_init(struct build *b, const char *prefix, const char *pack,
    const char *example, const char *const *config)
{
	char	from[PATH_MAX], file[PATH_MAX * 2];
	size_t	i;

	path(b->bp, sizeof(b->bp), "%s/%s-bp", ctx.tmp, prefix);
	path(b->dir, sizeof(b->dir), "%s/%s-build", ctx.tmp, prefix);
	path(b->cache, sizeof(b->cache), "%s/%s-cache", ctx.tmp, prefix);
	path(b->env, sizeof(b->env), "%s/%s-env", ctx.tmp, prefix);
	path(from, sizeof(from), "%s/buildpacks/%s", src, pack);
	cp_r(from, b->bp);
	if (example) {
		path(from, sizeof(from), "%s/examples/%s", src, example);
		cp_r(from, b->dir);
	} else {
		assert_int_equal(mkdir(b->dir, 0755), 0);
	}
	if (access(b->cache, F_OK) < 0)
		assert_int_equal(mkdir(b->cache, 0755), 0);
	if (access(b->env, F_OK) < 0)
		assert_int_equal(mkdir(b->env, 0755), 0);
	for (i = 0; config && config[i]; i++) {
		const char *eq = strchr(config[i], '=');

		assert_non_null(eq);
		path(file, sizeof(file), "%s/%.*s", b->env,
		    (int)(eq - config[i]), config[i]);
		write_file(file, eq + 1);
	}
	path(b->path_env, sizeof(b->path_env), "PATH=%s", STACK_PATH);
	path(b->home_env, sizeof(b->home_env), "HOME=%s", b->dir);
	path(b->static_env, sizeof(b->static_env), "PAAS_STATIC_BIN=%s/paas-static",
	    bindir);
	b->envp[0] = b->path_env;
	b->envp[1] = b->home_env;
	b->envp[2] = b->static_env;
	b->envp[3] = NULL;
}

static void
add_file(const struct build *b, const char *name, const char *text)
{
	char	p[PATH_MAX * 2];

	path(p, sizeof(p), "%s/%s", b->dir, name);
	write_file(p, text);
}

static int
step(const struct build *b, const char *which, struct buf *out,
    struct buf *err)
{
	char	prog[PATH_MAX + 16];
	char	*argv[] = { prog, (char *)b->dir, (char *)b->cache,
	    (char *)b->env, NULL };

	path(prog, sizeof(prog), "%s/bin/%s", b->bp, which);
	if (strcmp(which, "compile") != 0)
		argv[2] = NULL;
	return run(argv, b->envp, b->dir, out, err);
}

/* npm's words for "no network": the node tests skip instead of failing. */
static int
npm_offline(const struct buf *out)
{
	static const char *const codes[] = {
		"code ENOTFOUND", "code EAI_AGAIN", "code ECONNREFUSED",
		"code ETIMEDOUT", "code ENETUNREACH",
	};
	size_t	i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strstr(out->p, codes[i]))
			return 1;
	return 0;
}

/* detect must say name; compile must succeed (its log is shown if not). */
static void
detect_and_compile(const struct build *b, const char *name)
{
	struct buf	out = BUF_INIT, err = BUF_INIT;
	char		want[64];
	int		rc;

	assert_int_equal(step(b, "detect", &out, &err), 0);
	path(want, sizeof(want), "%s\n", name);
	assert_string_equal(out.p, want);
	rc = step(b, "compile", &out, &err);
	if (rc != 0 && npm_offline(&out)) {
		print_message("the npm registry is unreachable: skipped\n");
		buf_release(&out);
		buf_release(&err);
		skip();
	}
	if (rc != 0)
		fail_msg("compile exit %d\nstdout:\n%s\nstderr:\n%s", rc, out.p,
		    err.p);
	assert_non_null(strstr(out.p, "-----> "));
	buf_release(&out);
	buf_release(&err);
}

/* The value of "  web: " in release's YAML, or of "web:" in the Procfile. */
static void
web_command(const struct build *b, const struct buf *yaml, char *cmd,
    size_t len)
{
	struct buf	 procfile = BUF_INIT;
	char		 p[PATH_MAX * 2];
	const char	*s, *e;

	path(p, sizeof(p), "%s/Procfile", b->dir);
	read_file(p, &procfile);
	if (procfile.len > 0) {
		s = strncmp(procfile.p, "web:", 4) == 0 ? procfile.p :
		    strstr(procfile.p, "\nweb:");
		assert_non_null(s);
		s += s[0] == '\n' ? 5 : 4;
	} else {
		s = strstr(yaml->p, "\n  web: ");
		assert_non_null(s);
		s += 8;
	}
	while (*s == ' ')
		s++;
	e = strchr(s, '\n');
	path(cmd, len, "%.*s", e ? (int)(e - s) : (int)strlen(s), s);
	buf_release(&procfile);
}

static int
free_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

/*
 * Start cmd as the runtime would: cwd and HOME = the build dir,
 * .profile.d scripts sourced, then exec. extra is one more "K=V" or NULL.
 * Output goes to ctx.tmp/LOG.
 */
static pid_t
start_proc(const struct build *b, const char *cmd, const char *dyno,
    int port, const char *extra, const char *log)
{
	char	script[PATH_MAX + 256], portenv[32], dynoenv[64];
	char	logp[PATH_MAX];
	char	*argv[] = { "/bin/sh", "-c", script, NULL };
	char	*envp[] = { (char *)b->path_env, (char *)b->home_env, portenv,
	    dynoenv, (char *)extra, NULL };
	pid_t	pid;
	int	fd;

	path(script, sizeof(script), "for f in .profile.d/*.sh; do "
	    "[ -f \"$f\" ] && . \"./$f\"; done; exec %s", cmd);
	path(portenv, sizeof(portenv), "PORT=%d", port);
	path(dynoenv, sizeof(dynoenv), "DYNO=%s", dyno);
	path(logp, sizeof(logp), "%s/%s", ctx.tmp, log);
	assert_true(ctx.nprocs < 4);
	if ((pid = fork()) == 0) {
		setpgid(0, 0);
		if (chdir(b->dir) < 0)
			_exit(126);
		fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		fd = open("/dev/null", O_RDONLY);
		dup2(fd, 0);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	assert_true(pid > 0);
	setpgid(pid, pid);
	ctx.procs[ctx.nprocs++] = pid;
	return pid;
}

static int
connect_port(int port)
{
	struct sockaddr_in	sin;
	struct timeval		tv = { 5, 0 };
	int			fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * GET target with extra header lines; the whole response in resp.
 * Retries the connection until the app listens (BOOT_TIMEOUT_MS).
 * Returns the status code, or -1.
 */
static int
http_get(int port, const char *target, const char *headers, struct buf *resp)
{
	char	req[1024], chunk[4096];
	double	deadline = now_s() + BOOT_TIMEOUT_MS / 1000.0;
	ssize_t	n;
	int	fd, len;

	while ((fd = connect_port(port)) < 0) {
		if (now_s() > deadline)
			return -1;
		usleep(100000);
	}
	len = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost\r\n"
	    "Connection: close\r\n%s\r\n", target, headers ? headers : "");
	buf_reset(resp);
	if (write(fd, req, (size_t)len) != len) {
		close(fd);
		return -1;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(resp, chunk, (size_t)n);
	close(fd);
	if (resp->len < 12 || strncmp(resp->p, "HTTP/1.", 7) != 0)
		return -1;
	return atoi(resp->p + 9);
}

static void
show_log(const char *log)
{
	struct buf	b = BUF_INIT;
	char		p[PATH_MAX];

	path(p, sizeof(p), "%s/%s", ctx.tmp, log);
	read_file(p, &b);
	print_message("%s:\n%s\n", log, b.p);
	buf_release(&b);
}

/*
 * The whole path for one example: detect, compile, release (whose YAML
 * must contain yaml_has, when non-NULL), start web, GET / must answer
 * 200 with body_has in it.
 */
static void
deploy(struct build *b, const char *name, const char *yaml_has,
    const char *body_has)
{
	struct buf	 yaml = BUF_INIT, resp = BUF_INIT;
	char		 cmd[512];
	int		 port, status;

	detect_and_compile(b, name);
	assert_int_equal(step(b, "release", &yaml, NULL), 0);
	assert_true(strncmp(yaml.p, "---", 3) == 0);
	if (yaml_has && strstr(yaml.p, yaml_has) == NULL)
		fail_msg("release YAML lacks '%s':\n%s", yaml_has, yaml.p);
	web_command(b, &yaml, cmd, sizeof(cmd));
	/*
	 * Run the slug somewhere else than where it was built, as the
	 * runtime runs it at /app: nothing may depend on the build path.
	 */
	path(b->built, sizeof(b->built), "%s", b->dir);
	path(b->dir, sizeof(b->dir), "%s-slug", b->built);
	assert_int_equal(rename(b->built, b->dir), 0);
	path(b->home_env, sizeof(b->home_env), "HOME=%s", b->dir);
	port = free_port();
	start_proc(b, cmd, "web.1", port, NULL, "web.log");
	status = http_get(port, "/", NULL, &resp);
	if (status != 200 || strstr(resp.p, body_has) == NULL) {
		show_log("web.log");
		fail_msg("'%s' answered %d:\n%s", cmd, status, resp.p);
	}
	buf_release(&yaml);
	buf_release(&resp);
}

/* compile must fail with exit 1 and a "!     " line containing why. */
static void
compile_fails(const struct build *b, const char *why)
{
	struct buf	out = BUF_INIT, err = BUF_INIT;
	int		rc;

	rc = step(b, "compile", &out, &err);
	if (rc != 1 || strstr(err.p, "!     ") == NULL ||
	    strstr(err.p, why) == NULL)
		fail_msg("want exit 1 and '%s', got %d\nstdout:\n%s\nstderr:\n%s",
		    why, rc, out.p, err.p);
	buf_release(&out);
	buf_release(&err);
}

static int
have_go(void)
{
	return access("/usr/bin/go", X_OK) == 0 ||
	    access("/usr/local/bin/go", X_OK) == 0;
}

/* ------------------------------------------------------------ nodejs */

static void
test_nodejs_example(void **state)
{
	struct build	 b;
	struct buf	 exp = BUF_INIT;
	char		 p[PATH_MAX + 16];

	(void)state;
	build_init(&b, "node", "nodejs", "node", NULL);
	deploy(&b, "Node.js", "  web: npm start\n", "hello from node (express)");
	path(p, sizeof(p), "%s/node_modules/express/package.json", b.dir);
	assert_int_equal(access(p, F_OK), 0);
	path(p, sizeof(p), "%s/.npm", b.cache);
	assert_int_equal(access(p, F_OK), 0);
	/* export, for the next pack of a multi-buildpack build */
	path(p, sizeof(p), "%s/export", b.bp);
	read_file(p, &exp);
	assert_non_null(strstr(exp.p, "/node_modules/.bin"));
	buf_release(&exp);
}

/*
 * The second push reuses ~/.npm from CACHE_DIR: it must succeed with npm
 * forbidden to touch the network (NPM_CONFIG_OFFLINE=true), which proves
 * the cache alone is enough. Both times are printed for the record; they
 * are not compared, because on a loaded machine wall time is noise.
 */
static void
test_nodejs_cache_serves_second_compile(void **state)
{
	static const char *const offline_npm[] = {
		"NPM_CONFIG_OFFLINE=true", NULL,
	};
	struct build	 b;
	double		 t0, first, second;

	(void)state;
	build_init(&b, "n1", "nodejs", "node", NULL);
	t0 = now_s();
	detect_and_compile(&b, "Node.js");
	first = now_s() - t0;
	/* a fresh checkout, the same cache: the second push */
	nftw(b.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	build_init(&b, "n1", "nodejs", "node", offline_npm);
	t0 = now_s();
	detect_and_compile(&b, "Node.js");
	second = now_s() - t0;
	print_message("node compile: first %.2fs (empty cache), second %.2fs "
	    "(cache only, npm offline)\n", first, second);
}

static void
test_nodejs_package_json_not_json(void **state)
{
	struct build	b;

	(void)state;
	build_init(&b, "nbad", "nodejs", NULL, NULL);
	add_file(&b, "package.json", "{ \"name\": \"broken\", }\n");
	compile_fails(&b, "package.json is not valid JSON");
}

/* ------------------------------------------------------------ python */

static const char *const offline[] = { "PIP_NO_INDEX=1", NULL };

static void
test_python_example(void **state)
{
	struct build	b;
	char		p[PATH_MAX + 16];

	(void)state;
	build_init(&b, "py", "python", "python", offline);
	deploy(&b, "Python", "  web: python app.py\n",
	    "hello from python (wsgiref)");
	path(p, sizeof(p), "%s/.venv/bin/python", b.dir);
	assert_int_equal(access(p, X_OK), 0);
}

static void
test_python_vendored_wheel_offline(void **state)
{
	struct build	 b;
	struct buf	 pip = BUF_INIT;
	char		 p[PATH_MAX + 16];

	(void)state;
	build_init(&b, "pyv", "python", "python-vendored", offline);
	deploy(&b, "Python", NULL, "vendored paas-greeting wheel");
	/* console scripts no longer name the build dir, and run elsewhere */
	path(p, sizeof(p), "%s/.venv/bin/pip", b.dir);
	read_file(p, &pip);
	assert_true(pip.len > 0);
	assert_null(strstr(pip.p, b.built));
	{
		char	*argv[] = { p, "--version", NULL };

		assert_int_equal(run(argv, b.envp, b.dir, &pip, NULL), 0);
		assert_non_null(strstr(pip.p, b.dir));
	}
	buf_release(&pip);
}

static void
test_python_missing_package(void **state)
{
	struct build	b;

	(void)state;
	build_init(&b, "pybad", "python", NULL, offline);
	add_file(&b, "requirements.txt", "paas-no-such-package==9.9.9\n");
	add_file(&b, "app.py", "print('never runs')\n");
	compile_fails(&b, "pip install -r requirements.txt failed");
}

static void
test_python_needs_procfile_when_ambiguous(void **state)
{
	struct build	b;

	(void)state;
	build_init(&b, "pyamb", "python", NULL, offline);
	add_file(&b, "requirements.txt", "\n");
	add_file(&b, "app.py", "\n");
	add_file(&b, "manage.py", "\n");
	compile_fails(&b, "a Procfile is required");
}

/* ------------------------------------------------------------ go */

static void
test_go_example(void **state)
{
	struct build	b;

	(void)state;
	if (!have_go())
		skip();
	build_init(&b, "go", "go", "go", NULL);
	deploy(&b, "Go", "  web: bin/hello-go\n", "hello from go");
}

static void
test_go_build_fails(void **state)
{
	struct build	b;

	(void)state;
	if (!have_go())
		skip();
	build_init(&b, "gobad", "go", NULL, NULL);
	add_file(&b, "go.mod", "module example.com/broken\n\ngo 1.19\n");
	add_file(&b, "main.go", "package main\n\nfunc main() {\n");
	compile_fails(&b, "go build failed");
}

/* A stack without go: PATH holds only the few tools the pack needs. */
static void
test_go_missing_toolchain(void **state)
{
	static const char *const tools[] = {
		"sh", "sed", "cat", "mkdir", "dirname", "cut", "head",
	};
	struct build	 b;
	char		 fake[PATH_MAX], link[PATH_MAX + 16], target[64];
	size_t		 i;

	(void)state;
	build_init(&b, "gonone", "go", "go", NULL);
	path(fake, sizeof(fake), "%s/fakebin", ctx.tmp);
	assert_int_equal(mkdir(fake, 0755), 0);
	for (i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		path(link, sizeof(link), "%s/%s", fake, tools[i]);
		path(target, sizeof(target), "/bin/%s", tools[i]);
		assert_int_equal(symlink(target, link), 0);
	}
	path(b.path_env, sizeof(b.path_env), "PATH=%s", fake);
	compile_fails(&b, "no Go toolchain");
}

/* ------------------------------------------------------------ c */

static void
test_c_example(void **state)
{
	struct build	b;

	(void)state;
	build_init(&b, "c", "c", "c", NULL);
	deploy(&b, "C", NULL, "hello from c");
}

static void
test_c_make_fails(void **state)
{
	struct build	b;

	(void)state;
	build_init(&b, "cbad", "c", NULL, NULL);
	add_file(&b, "Makefile", "all:\n\t@echo compiling broken.c\n\t@exit 3\n");
	add_file(&b, "Procfile", "web: ./server\n");
	compile_fails(&b, "make failed");
}

static void
test_c_configure_then_make(void **state)
{
	struct build	 b;
	struct buf	 out = BUF_INIT, err = BUF_INIT;
	char		 p[PATH_MAX + 16];

	(void)state;
	build_init(&b, "cconf", "c", NULL, NULL);
	add_file(&b, "configure", "#!/bin/sh\necho \"PREFIX=${1#--prefix=}\" "
	    "> config.mk\n");
	path(p, sizeof(p), "%s/configure", b.dir);
	assert_int_equal(chmod(p, 0755), 0);
	add_file(&b, "Makefile", "include config.mk\nall:\n"
	    "\t@echo configured for $(PREFIX)\n");
	add_file(&b, "Procfile", "web: ./server\n");
	assert_int_equal(step(&b, "detect", &out, &err), 0);
	assert_int_equal(step(&b, "compile", &out, &err), 0);
	assert_non_null(strstr(out.p, "-----> Configuring (./configure "
	    "--prefix=/app)\n"));
	assert_non_null(strstr(out.p, "       configured for /app\n"));
	buf_release(&out);
	buf_release(&err);
}

static void
test_c_needs_procfile(void **state)
{
	struct build	b;

	(void)state;
	build_init(&b, "cnoproc", "c", NULL, NULL);
	add_file(&b, "Makefile", "all:\n\ttrue\n");
	compile_fails(&b, "needs a Procfile");
}

/* ------------------------------------------------------------ static */

static char *
header_value(const struct buf *resp, const char *name, char *out, size_t len)
{
	const char	*s = strcasestr(resp->p, name), *e;

	if (s == NULL)
		return NULL;
	s += strlen(name);
	while (*s == ' ')
		s++;
	e = strstr(s, "\r\n");
	snprintf(out, len, "%.*s", e ? (int)(e - s) : 0, s);
	return out;
}

/* Send raw bytes, read the answer until the server closes. */
static void
exchange(int port, const char *data, size_t len, struct buf *resp)
{
	char	chunk[4096];
	ssize_t	n;
	int	fd;

	buf_reset(resp);
	assert_true((fd = connect_port(port)) >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(resp, chunk, (size_t)n);
	close(fd);
}

static size_t
count(const char *hay, const char *needle)
{
	size_t	n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay++;
	}
	return n;
}

static void
test_static_example(void **state)
{
	struct build	 b;
	static const char pipelined[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
	    "HEAD /css/site.css HTTP/1.1\r\nHost: a\r\n\r\n"
	    "GET /missing HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
	struct buf	 resp = BUF_INIT;
	char		 etag[128], hdr[160];
	int		 port = 0, slow;

	(void)state;
	build_init(&b, "st", "static", "static", NULL);
	deploy(&b, "Static",
	    "  web: bin/paas-static --root public --port $PORT\n",
	    "hello from static");
	/* deploy() started the only web process: find its port again */
	{
		char	cmd[512];
		struct buf yaml = BUF_INIT;

		assert_int_equal(step(&b, "release", &yaml, NULL), 0);
		web_command(&b, &yaml, cmd, sizeof(cmd));
		buf_release(&yaml);
		port = free_port();
		start_proc(&b, cmd, "web.2", port, NULL, "web2.log");
	}
	assert_int_equal(http_get(port, "/", NULL, &resp), 200);
	assert_non_null(header_value(&resp, "\r\nETag:", etag, sizeof(etag)));
	snprintf(hdr, sizeof(hdr), "If-None-Match: %s\r\n", etag);
	assert_int_equal(http_get(port, "/", hdr, &resp), 304);
	assert_int_equal(http_get(port, "/css/site.css",
	    "Accept-Encoding: gzip\r\n", &resp), 200);
	assert_non_null(strstr(resp.p, "\r\nContent-Encoding: gzip\r\n"));
	assert_non_null(strstr(resp.p, "\r\nContent-Type: text/css"));
	assert_int_equal(http_get(port, "/missing", NULL, &resp), 404);
	assert_non_null(strstr(resp.p, "static example has no such page"));
	assert_int_equal(http_get(port, "/%2e%2e/%2e%2e/etc/passwd", NULL,
	    &resp), 400);
	assert_int_equal(http_get(port, "/../bin/paas-static", NULL, &resp),
	    400);
	/* pipelined requests, answered in order on one connection */
	exchange(port, pipelined, strlen(pipelined), &resp);
	assert_int_equal(count(resp.p, "HTTP/1.1 200 OK\r\n"), 2);
	assert_int_equal(count(resp.p, "HTTP/1.1 404 Not Found\r\n"), 1);
	/* a head over the limit: 431, delivered before the close */
	{
		char	big[10000];

		memset(big, 'a', sizeof(big));
		memcpy(big, "GET /", 5);
		exchange(port, big, sizeof(big), &resp);
		assert_non_null(strstr(resp.p, "HTTP/1.1 431 "));
	}
	assert_int_equal(http_get(port, "/", "Content-Length: 3\r\n", &resp),
	    400);
	/* a client that never finishes its head does not block others */
	slow = connect_port(port);
	assert_true(slow >= 0);
	assert_int_equal(write(slow, "GET / HTTP/1.1\r\nHo", 18), 18);
	assert_int_equal(http_get(port, "/", NULL, &resp), 200);
	close(slow);
	buf_release(&resp);
}

/*
 * Without PAAS_STATIC_BIN: a copy of the pack (what paas-build runs) uses
 * the vendor/paas-static that `make` put in the pack, and the pack run in
 * place finds it too.
 */
static void
test_static_finds_server_without_env(void **state)
{
	struct build	 b;
	struct buf	 out = BUF_INIT, err = BUF_INIT;
	char		 vendored[PATH_MAX], prog[PATH_MAX];
	char		 *argv[] = { prog, b.dir, b.cache, b.env, NULL };
	char		 *envp[] = { b.path_env, b.home_env, NULL };
	int		 rc;

	(void)state;
	path(vendored, sizeof(vendored), "%s/buildpacks/static/vendor/paas-static",
	    src);
	if (access(vendored, X_OK) < 0)
		skip();
	build_init(&b, "stv", "static", "static", NULL);
	path(prog, sizeof(prog), "%s/bin/compile", b.bp);
	rc = run(argv, envp, b.dir, &out, &err);
	if (rc != 0)
		fail_msg("compile exit %d\n%s%s", rc, out.p, err.p);
	path(prog, sizeof(prog), "%s/bin/paas-static", b.dir);
	assert_int_equal(access(prog, X_OK), 0);
	assert_int_equal(unlink(prog), 0);
	path(prog, sizeof(prog), "%s/buildpacks/static/bin/compile", src);
	assert_int_equal(run(argv, envp, b.dir, &out, &err), 0);
	path(prog, sizeof(prog), "%s/bin/paas-static", b.dir);
	assert_int_equal(access(prog, X_OK), 0);
	buf_release(&out);
	buf_release(&err);
}

static void
test_static_without_server_fails(void **state)
{
	struct build	b;

	(void)state;
	build_init(&b, "stbad", "static", "static", NULL);
	path(b.static_env, sizeof(b.static_env),
	    "PAAS_STATIC_BIN=%s/no-such-paas-static", ctx.tmp);
	compile_fails(&b, "paas-static not found");
}

/* ------------------------------------------------------------ procfile */

static void
test_procfile_multi_example(void **state)
{
	struct build	 b;
	struct buf	 out = BUF_INIT, log = BUF_INIT;
	char		 marker[PATH_MAX + 32], p[PATH_MAX], *argv[4];
	char		 script[256];
	int		 i;

	(void)state;
	build_init(&b, "multi", "procfile", "multi", NULL);
	deploy(&b, "Procfile", "---", "hello from multi (web)");
	/* release phase: runs to completion and leaves its marker */
	path(marker, sizeof(marker), "RELEASE_MARKER=%s/release-ran", ctx.tmp);
	path(script, sizeof(script), "for f in .profile.d/*.sh; do "
	    "[ -f \"$f\" ] && . \"./$f\"; done; exec sh release.sh");
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = script;
	argv[3] = NULL;
	{
		char *envp[] = { b.path_env, b.home_env, marker, NULL };

		assert_int_equal(run(argv, envp, b.dir, &out, NULL), 0);
	}
	assert_non_null(strstr(out.p, "release phase ran"));
	path(p, sizeof(p), "%s/release-ran", ctx.tmp);
	assert_int_equal(access(p, F_OK), 0);
	/* worker: writes to its log every interval */
	start_proc(&b, "sh worker.sh", "worker.1", 0, "WORKER_INTERVAL=0.2",
	    "worker.log");
	path(p, sizeof(p), "%s/worker.log", ctx.tmp);
	for (i = 0; i < 100; i++) {
		read_file(p, &log);
		if (strstr(log.p, "worker worker.1: tick 3"))
			break;
		usleep(100000);
	}
	assert_non_null(strstr(log.p, "worker worker.1: tick 3"));
	buf_release(&out);
	buf_release(&log);
}

static void
test_procfile_missing(void **state)
{
	struct build	b;

	(void)state;
	build_init(&b, "pnone", "procfile", NULL, NULL);
	add_file(&b, "run.sh", "echo hi\n");
	compile_fails(&b, "no Procfile");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_nodejs_example),
		T(test_nodejs_cache_serves_second_compile),
		T(test_nodejs_package_json_not_json),
		T(test_python_example),
		T(test_python_vendored_wheel_offline),
		T(test_python_missing_package),
		T(test_python_needs_procfile_when_ambiguous),
		T(test_go_example),
		T(test_go_build_fails),
		T(test_go_missing_toolchain),
		T(test_c_example),
		T(test_c_make_fails),
		T(test_c_configure_then_make),
		T(test_c_needs_procfile),
		T(test_static_example),
		T(test_static_finds_server_without_env),
		T(test_static_without_server_fails),
		T(test_procfile_multi_example),
		T(test_procfile_missing),
#undef T
	};

	src = getenv("PAAS_SRC");
	bindir = getenv("PAAS_BIN");
	if (src == NULL || bindir == NULL) {
		fprintf(stderr, "test_buildpacks: set PAAS_SRC and PAAS_BIN "
		    "(make integration does)\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
