#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <jansson.h>

#include "applog.h"
#include "cgroup.h"
#include "dyno.h"
#include "health.h"
#include "portown.h"
#include "log.h"
#include "oci.h"
#include "proc.h"
#include "routes.h"
#include "store.h"
#include "super.h"
#include "valid.h"

#define DYNO_PLAN_EVERY_MS	1000	/* plan at least this often */
#define DYNO_ACTIONS_MAX	256
#define DYNO_AWAIT_MS		(SUPER_BOOT_TIMEOUT_MS + 30000)
#define DYNO_CMD_MAX		4096

/* A web instance's health checks, run once it accepts on $PORT. */
struct hprobe {
	struct health_conf	 conf;
	size_t			 idx;		/* check being run */
	int			 attempt;	/* attempts made of it */
	uint64_t		 next_at;	/* start the next attempt at */
	uint64_t		 deadline;	/* of the attempt in flight */
	int			 fd;		/* -1: no attempt in flight */
	char			 req[HEALTH_REQ_MAX];
	size_t			 reqlen, sent;
	struct health_resp	 resp;
};

struct dyno {
	struct super_inst	 s;
	char			 iid[72];	/* instance id, dir name */
	char			 dir[400];
	char			 command[DYNO_CMD_MAX];
	int			 port;		/* web: $PORT, else 0 */
	pid_t			 shim_pid;
	int			 pidfd;		/* the shim's, -1 until known */
	int			 pid_polled;	/* no pidfd: kill(pid, 0) */
	pid_t			 app_pid;
	char			 started_at[48];
	struct proc		*spawn;		/* foreground paas-shim */
	int			 stale;		/* ps:restart: replace me */
	int			 stop_sent;
	uint64_t		 drain_at;	/* STOPPING: stop the shim at */
	uint64_t		 boot_deadline;
	int			 boot_failed;
	int			 boot_timeout_s;
	int			 bound;		/* web: accepted on $PORT */
	int			 squatted;	/* web: $PORT held by another */
	struct hprobe		*hp;		/* web: its checks, or NULL */
	char			 why[240];	/* why it failed to boot */
	int			 oneoff;	/* release phase or run: not planned */
	struct dyno_client	*client;	/* paas run: attached client */
	int			 run;		/* paas run (attached or not) */
	int			 pending_start;	/* run: waits for its slug */
	int			 run_exited;	/* run: ended, output draining */
	int			 kill_on_start;	/* run: its client left early */
	int			 exit_status;	/* at exit, from state.json */
	struct dyno		*next;
};

struct dyno_client {
	dyno_run_out_cb		*out;
	dyno_run_exit_cb	*exit;
	void			*arg;
	struct buf		 stdin_buf;	/* body before the container */
	int			 stdin_done;
	struct dyno		*d;
	int			 tty;		/* a pty: see dyno_run_tty() */
	unsigned		 rows, cols;
	char			 term[64];
};

struct unpack {
	char		 dest[500];
	struct proc	*proc;
	struct unpack	*next;
};

enum phase {
	PHASE_NONE,		/* no release type, or it succeeded */
	PHASE_WAITING,		/* to be started */
	PHASE_RUNNING,		/* the release.1 one-off runs */
};

struct await {
	char		 app[32];
	long long	 version;
	enum phase	 phase;
	uint64_t	 phase_dyno;	/* id of the release.1 dyno */
	dyno_release_cb	*cb;
	void		*arg;
	uint64_t	 deadline;
	struct await	*next;
};

static int	hprobe_load(struct dyno *, const char *slug, struct perr *);

static struct paasd	*pd;
static uv_loop_t	*loop;
static uv_timer_t	 tick;
static int		 ticking;
static struct dyno	*dynos;
static struct unpack	*unpacks;
static struct await	*awaits;
static uint64_t		 next_id = 1;
static uint64_t		 last_plan;
static int		 dirty = 1;
static int		 routes_dirty = 1;
static int		 shutting_down;
static int		 last_port = DYNO_PORT_LO;
static void		(*shutdown_done)(void);

static void
tick_closed(uv_handle_t *h)
{
	(void)h;
	if (shutdown_done)
		shutdown_done();
}

/* ---------------------------------------------------------------- helpers */

static uint64_t
now_ms(void)
{
	return uv_now(loop);
}

static void
dyno_name(const struct dyno *d, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s.%d", d->s.type, d->s.index);
}

static void
event(const struct dyno *d, const char *fmt, const char *a, const char *b)
{
	char name[80];

	dyno_name(d, name, sizeof(name));
	applog_event(pd->applog, d->s.app, name, fmt, a, b);
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	(void)(flag == FTW_DP ? rmdir(path) : unlink(path));
	return 0;
}

static void
rm_tree(const char *path)
{
	if (access(path, F_OK) == 0)
		(void)nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static json_t *
load_json(const char *dir, const char *file)
{
	char path[500];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
}

static int
write_json(const char *dir, const char *file, json_t *o)
{
	char path[500], tmp[520];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (json_dump_file(o, tmp, JSON_COMPACT | JSON_SORT_KEYS) != 0)
		return -EIO;
	return rename(tmp, path) == 0 ? 0 : -errno;
}

static void
hprobe_free(struct dyno *d)
{
	if (d->hp == NULL)
		return;
	if (d->hp->fd >= 0) {
		close(d->hp->fd);
		health_resp_release(&d->hp->resp);
	}
	free(d->hp);
	d->hp = NULL;
}

static void
dyno_free(struct dyno *d)
{
	struct dyno **pp;

	for (pp = &dynos; *pp; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	if (d->pidfd >= 0)
		close(d->pidfd);
	if (d->spawn)
		proc_detach(d->spawn);
	if (d->client) {
		buf_release(&d->client->stdin_buf);
		free(d->client);
	}
	hprobe_free(d);
	free(d);
}

static struct dyno *
dyno_by_id(uint64_t id)
{
	struct dyno *d;

	for (d = dynos; d; d = d->next)
		if (d->s.id == id)
			return d;
	return NULL;
}

static void
set_state(struct dyno *d, enum super_state next)
{
	if (d->s.state == next)
		return;
	if (d->s.state == SUPER_UP || next == SUPER_UP ||
	    d->s.state == SUPER_CRASHED || next == SUPER_CRASHED)
		routes_dirty = 1;
	/* "stopping" is ours; Heroku's users see up -> down */
	if (next != SUPER_STOPPING)
		event(d, "State changed from %s to %s",
		    d->s.state == SUPER_STOPPING ? "up" :
		    super_state_name(d->s.state), super_state_name(next));
	d->s.state = next;
	d->s.since_ms = now_ms();
	dirty = 1;
}

/*
 * One command to a shim over its unix socket (docs/RUNTIME.md), with a
 * short timeout: a shim answers at once.
 */
static int
shim_command(const struct dyno *d, const char *cmd, char *ans, size_t anslen)
{
	struct sockaddr_un	sa;
	struct timeval		tv = { 1, 0 };
	ssize_t			n;
	int			fd, rc = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/shim.sock",
	    d->dir) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		rc = -errno;
	if (rc == 0 && ans) {
		n = read(fd, ans, anslen - 1);
		ans[n > 0 ? n : 0] = '\0';
	}
	close(fd);
	return rc;
}

/*
 * Does something accept TCP on 127.0.0.1:port? On loopback the answer
 * (SYN-ACK or RST) is immediate; SO_SNDTIMEO bounds the rare dropped SYN.
 */
static int
port_ready(int port)
{
	struct sockaddr_in	sa;
	struct timeval		tv = { 0, 200000 };
	int			fd, ok;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/*
 * Is whatever accepts on d's port d's own? Another app could have bound
 * the port first (apps share the host's network): then d is not up, and
 * no route may point there.
 */
static int
port_owned(struct dyno *d)
{
	struct cgroup	cg;
	pid_t		pids[256];
	size_t		n = 0;
	int		fd, rc = 0;

	fd = open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && cgroup_init(&cg, fd, d->s.app, d->iid, NULL) == 0 &&
	    cgroup_pids(&cg, pids, sizeof(pids) / sizeof(pids[0]), &n) == 0)
		rc = portown_check(d->port, pids, n);
	if (fd >= 0)
		close(fd);
	if (rc != 1 && !d->squatted) {
		char name[80];

		d->squatted = 1;
		dyno_name(d, name, sizeof(name));
		log_warnx("app=%s %s: port %d is held by a process outside "
		    "the dyno", d->s.app, name, d->port);
		applog_event(pd->applog, d->s.app, name, "Error: $PORT (%d) "
		    "is held by another process; not routing to it",
		    d->port);
	}
	return rc == 1;
}

/* Is the port free on this host right now (nobody else listens)? */
static int
port_free(int port)
{
	struct sockaddr_in	sa;
	int			fd, ok;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static int
pick_port(void)
{
	int	 used[DYNO_MAX], n = 0, port, tries;
	struct dyno *d;

	for (d = dynos; d && n < DYNO_MAX; d = d->next)
		if (d->port)
			used[n++] = d->port;
	for (tries = 0; tries < 64; tries++) {
		port = super_port_pick(used, (size_t)n, DYNO_PORT_LO,
		    DYNO_PORT_HI, last_port + 1);
		if (port == 0)
			return 0;
		last_port = port;
		if (port_free(port))
			return port;
		if (n < DYNO_MAX)
			used[n++] = port;
	}
	return 0;
}

/* ---------------------------------------------------------------- slugs */

/* The layer of a release's image, from its manifest. */
static int
layer_of(const char *image, char *layer, size_t layerlen, struct perr *err)
{
	char		 root[300], *text = NULL;
	size_t		 len = 0;
	json_t		*m, *l;
	const char	*dg;
	int		 rc = 0;

	snprintf(root, sizeof(root), "%s/images", pd->data_dir);
	if ((rc = oci_blob_read(root, image, OCI_JSON_MAX_BYTES, &text, &len,
	    err)) != 0)
		return rc;
	m = json_loadb(text, len, 0, NULL);
	free(text);
	l = json_array_get(json_object_get(m, "layers"), 0);
	dg = json_string_value(json_object_get(l, "digest"));
	if (dg == NULL || strncmp(dg, "sha256:", 7) != 0 ||
	    strlen(dg) != 71 || strlen(dg) >= layerlen)
		rc = perr_set(err, -EPROTO, "image %.19s has no layer", image);
	else
		memcpy(layer, dg, strlen(dg) + 1);
	json_decref(m);
	return rc;
}

static void
on_unpack_exit(struct proc *p, int status)
{
	struct unpack	*u = proc_arg(p), **pp;

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		log_warnx("unpack into %s failed", u->dest);
	for (pp = &unpacks; *pp; pp = &(*pp)->next)
		if (*pp == u) {
			*pp = u->next;
			break;
		}
	free(u);
	dirty = 1;
}

static void
on_unpack_err(struct proc *p, const char *data, size_t len)
{
	char esc[300];

	(void)p;
	log_warnx("unpack: %s", log_escape(esc, sizeof(esc), data, len));
}

/*
 * The release's slug dir, shared read-only by its instances; 1 when it
 * is there, 0 while it is being unpacked, <0 on error.
 */
static int
slug_ready(const char *app, const char *image, int uid, char *dir,
    size_t dirlen, struct perr *err)
{
	struct proc_opts	 o;
	struct unpack		*u;
	struct stat		 sb;
	char			 layer[80], images[300], bin[300], uids[16];
	char			 parent[400];
	char			*argv[8];
	char			*envp[] = { "PATH=/usr/bin:/bin", NULL };
	int			 rc;

	if ((rc = layer_of(image, layer, sizeof(layer), err)) != 0)
		return rc;
	snprintf(parent, sizeof(parent), "%s/slugs/%s", pd->data_dir, app);
	snprintf(dir, dirlen, "%s/%s", parent, layer + 7);
	if (stat(dir, &sb) == 0)
		return 1;
	for (u = unpacks; u; u = u->next)
		if (strcmp(u->dest, dir) == 0)
			return 0;
	snprintf(images, sizeof(images), "%s/slugs", pd->data_dir);
	(void)mkdir(images, 0711);
	(void)chmod(images, 0711);
	(void)mkdir(parent, 0711);
	(void)chmod(parent, 0711);
	snprintf(images, sizeof(images), "%s/images", pd->data_dir);
	snprintf(bin, sizeof(bin), "%s/paas-build", pd->bin_dir);
	snprintf(uids, sizeof(uids), "%d", uid);
	u = calloc(1, sizeof(*u));
	if (u == NULL)
		abort();
	snprintf(u->dest, sizeof(u->dest), "%s", dir);
	argv[0] = bin;
	argv[1] = "unpack";
	argv[2] = images;
	argv[3] = layer;
	argv[4] = u->dest;
	argv[5] = uids;
	argv[6] = uids;
	argv[7] = NULL;
	memset(&o, 0, sizeof(o));
	o.argv = argv;
	o.envp = envp;
	o.on_stderr = on_unpack_err;
	o.on_exit = on_unpack_exit;
	o.arg = u;
	if ((rc = proc_spawn(loop, &o, &u->proc)) != 0) {
		free(u);
		return perr_set(err, rc, "start unpack: %s", strerror(-rc));
	}
	u->next = unpacks;
	unpacks = u;
	return 0;
}

/* ---------------------------------------------------------------- start */

static void
on_shim_err(struct proc *p, const char *data, size_t len)
{
	struct dyno	*d = proc_arg(p);
	char		 esc[400];

	log_escape(esc, sizeof(esc), data, len);
	log_warnx("app=%s dyno=%s.%d %s", d->s.app, d->s.type, d->s.index,
	    esc);
	event(d, "Error starting process: %s%s", esc, "");
}

/* Learn the shim's pid and watch it through a pidfd. */
static int
shim_watch(struct dyno *d)
{
	json_t		*st;
	FILE		*f;
	char		 path[500];
	int		 pid = 0;

	snprintf(path, sizeof(path), "%s/shim.pid", d->dir);
	f = fopen(path, "re");
	if (f == NULL || fscanf(f, "%d", &pid) != 1 || pid <= 1) {
		if (f)
			fclose(f);
		return -ENOENT;
	}
	fclose(f);
	d->shim_pid = pid;
	d->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	/* no pidfds (old kernel, valgrind): watch the pid itself */
	if (d->pidfd < 0 && errno == ENOSYS && kill(pid, 0) == 0)
		d->pid_polled = 1;
	st = load_json(d->dir, "state.json");
	d->app_pid = (pid_t)json_integer_value(json_object_get(st, "app_pid"));
	snprintf(d->started_at, sizeof(d->started_at), "%s",
	    json_string_value(json_object_get(st, "started_at")) ?
	    json_string_value(json_object_get(st, "started_at")) : "");
	json_decref(st);
	return d->pidfd >= 0 || d->pid_polled ? 0 : -ESRCH;
}

static void
on_shim_exit(struct proc *p, int status)
{
	struct dyno *d = proc_arg(p);

	d->spawn = NULL;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    shim_watch(d) != 0) {
		/* nothing was left running: a crash at start */
		d->s.crashes++;
		d->s.retry_ms = now_ms() + super_backoff_ms(d->s.crashes);
		set_state(d, SUPER_CRASHED);
		return;
	}
	if (d->port == 0)
		set_state(d, SUPER_UP);
	dirty = 1;
}

/* ---------------------------------------------------------------- runs */

static void
on_run_stdout(struct proc *p, const char *data, size_t len)
{
	struct dyno *d = proc_arg(p);

	if (d->client)
		d->client->out(d->client->arg, 1, data, len);
}

static void
on_run_stderr(struct proc *p, const char *data, size_t len)
{
	struct dyno *d = proc_arg(p);

	if (d->client)
		d->client->out(d->client->arg, 2, data, len);
}

static void	run_finish(struct dyno *);
static void	run_fail(struct dyno *, const char *);

/*
 * The foreground shim of an attached run: it exits once the container
 * runs, but its stdio pipes stay open in the container, so this fires
 * when the app's output is all read. The shim itself is found and
 * watched through its dir by the tick, as for any instance.
 */
static void
on_run_shim_exit(struct proc *p, int status)
{
	struct dyno *d = proc_arg(p);

	proc_close_stdin(p);	/* kept open for the background shim */
	d->spawn = NULL;
	if (d->run_exited) {
		run_finish(d);
		return;
	}
	if ((!WIFEXITED(status) || WEXITSTATUS(status) != 0) &&
	    d->pidfd < 0 && !d->pid_polled)
		run_fail(d, "paas run: the container did not start");
}

static void
client_flush_stdin(struct dyno *d)
{
	struct dyno_client *c = d->client;

	if (c == NULL || d->spawn == NULL)
		return;
	if (c->stdin_buf.len) {
		proc_write(d->spawn, c->stdin_buf.p, c->stdin_buf.len, NULL);
		buf_reset(&c->stdin_buf);
	}
	if (c->stdin_done)
		proc_close_stdin(d->spawn);
}

static json_t *
string_array(char *const *v, size_t n)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *
dyno_env(const struct dyno *d, json_t *config)
{
	const char	*k;
	json_t		*v, *env = json_array();
	char		 line[VALID_KEY_MAX + VALID_VALUE_MAX + 2];
	char		 name[80];

	dyno_name(d, name, sizeof(name));
	json_object_foreach(config, k, v)
		if (json_is_string(v)) {
			snprintf(line, sizeof(line), "%s=%s", k,
			    json_string_value(v));
			json_array_append_new(env, json_string(line));
		}
	json_array_append_new(env, json_string("PATH=/app/bin:/app/.venv/bin:"
	    "/usr/local/bin:/usr/bin:/bin"));
	json_array_append_new(env, json_string("HOME=/app"));
	json_array_append_new(env, json_string("LANG=C.UTF-8"));
	snprintf(line, sizeof(line), "DYNO=%s", name);
	json_array_append_new(env, json_string(line));
	snprintf(line, sizeof(line), "PS=%s", name);
	json_array_append_new(env, json_string(line));
	if (d->port) {
		snprintf(line, sizeof(line), "PORT=%d", d->port);
		json_array_append_new(env, json_string(line));
	}
	return env;
}

/*
 * Heroku's run contract: every .profile.d script, then .profile, then
 * exec the Procfile command, in /app.
 */
static const char run_prefix[] =
    "cd /app; for f in /app/.profile.d/*.sh; do [ -r \"$f\" ] && . \"$f\"; "
    "done; [ -r /app/.profile ] && . /app/.profile\n";

/* paas run on a pty: the shim makes it; its size and TERM come along */
static void
run_tty_req(const struct dyno_client *c, json_t *req)
{
	char term[80];

	json_object_set_new(req, "stdio", json_string("pty"));
	json_object_set_new(req, "tty_rows", json_integer(c->rows));
	json_object_set_new(req, "tty_cols", json_integer(c->cols));
	snprintf(term, sizeof(term), "TERM=%s", c->term);
	json_array_append_new(json_object_get(req, "env"), json_string(term));
}

static int
start_shim(struct dyno *d, const struct app *a, json_t *config,
    const char *slug, struct perr *err)
{
	struct proc_opts	 o;
	json_t			*req, *meta;
	char			 init[300], log[400], shim[300], reqpath[500];
	char			 cmd[DYNO_CMD_MAX + sizeof(run_prefix)];
	char			*argv[] = { shim, reqpath, NULL };
	char			*envp[] = { "PATH=/usr/bin:/bin", NULL };
	char			*sh[] = { "/bin/sh", "-c", cmd };
	char			 name[80];
	mode_t			 old;
	int			 rc;

	dyno_name(d, name, sizeof(name));
	snprintf(init, sizeof(init), "%s/paas-init", pd->bin_dir);
	snprintf(shim, sizeof(shim), "%s/paas-shim", pd->bin_dir);
	snprintf(log, sizeof(log), "%s/logs/%s/log", pd->data_dir, a->name);
	snprintf(cmd, sizeof(cmd), "%s%s", run_prefix, d->command);
	if (mkdir(d->dir, 0700) != 0)
		return perr_set(err, -errno, "mkdir %s: %s", d->dir,
		    strerror(errno));
	req = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, "
	    "s:[s], s:o, s:o, s:s}", "stdio", d->client ? "inherit" : "log",
	    "id", d->iid, "app", a->name,
	    "dyno", name, "dir", d->dir, "log", log, "init", init,
	    "size", d->s.size, "uid", a->uid, "gid", a->uid, "layers", slug,
	    "argv", string_array(sh, 3), "env", dyno_env(d, config),
	    "cwd", "/app");
	json_object_set_new(req, "grace_s", json_integer(a->grace_s));
	if (d->client && d->client->tty)
		run_tty_req(d->client, req);
	if (pd->userns)
		json_object_set_new(req, "userns", json_true());
	meta = json_pack("{s:s, s:s, s:i, s:I, s:s, s:i, s:i, s:s}",
	    "app", a->name, "type", d->s.type, "index", d->s.index,
	    "release", (json_int_t)d->s.release, "size", d->s.size,
	    "port", d->port, "crashes", d->s.crashes, "command", d->command);
	rc = write_json(d->dir, "req.json", req);
	if (rc == 0)
		rc = write_json(d->dir, "paasd.json", meta);
	json_decref(req);
	json_decref(meta);
	if (rc != 0)
		return perr_set(err, rc, "write %s/req.json", d->dir);
	snprintf(reqpath, sizeof(reqpath), "%s/req.json", d->dir);
	memset(&o, 0, sizeof(o));
	o.argv = argv;
	o.envp = envp;
	o.on_stderr = on_shim_err;
	o.on_exit = on_shim_exit;
	o.arg = d;
	if (d->client) {
		/* paas run: the container's stdio are these pipes */
		o.want_stdin = 1;
		o.keep_stdin = 1;
		o.on_stdout = on_run_stdout;
		o.on_stderr = on_run_stderr;
		o.on_exit = on_run_shim_exit;
	}
	/*
	 * paasd's own umask (077) must not reach the container: the nodes
	 * and dirs the launcher makes there are for the app's user.
	 */
	old = umask(022);
	rc = proc_spawn(loop, &o, &d->spawn);
	umask(old);
	if (rc != 0)
		return perr_set(err, rc, "start paas-shim: %s", strerror(-rc));
	client_flush_stdin(d);
	return 0;
}

static void
act_start(const struct super_action *a)
{
	struct perr	 err = PERR_INIT;
	struct release	 rel;
	struct app	 app;
	struct dyno	*d;
	json_t		*cmd;
	char		 slug[500];
	unsigned char	 rnd[3];
	int		 rc, i;

	memset(&rel, 0, sizeof(rel));
	if (store_app_get(pd->store, a->app, &app, &err) != 0 ||
	    store_release_get(pd->store, a->app, a->release, &rel, &err) != 0)
		goto fail;
	cmd = json_object_get(rel.process_types, a->type);
	if (rel.image == NULL || !json_is_string(cmd)) {
		perr_set(&err, -ENOENT, "release v%lld has no %s process",
		    a->release, a->type);
		goto fail;
	}
	if ((rc = slug_ready(a->app, rel.image, app.uid, slug, sizeof(slug),
	    &err)) <= 0) {
		if (rc < 0)
			goto fail;
		release_release(&rel);
		return;		/* being unpacked; the next plan starts it */
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		abort();
	memcpy(d->s.app, a->app, sizeof(d->s.app));
	memcpy(d->s.type, a->type, sizeof(d->s.type));
	memcpy(d->s.size, a->size, sizeof(d->s.size));
	d->s.index = a->index;
	d->s.release = a->release;
	d->s.crashes = a->crashes;
	d->s.state = SUPER_STARTING;
	d->s.since_ms = now_ms();
	d->s.id = next_id++;
	d->pidfd = -1;
	snprintf(d->command, sizeof(d->command), "%s", json_string_value(cmd));
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	snprintf(d->iid, sizeof(d->iid), "%.40s.%d-%02x%02x%02x", a->type,
	    a->index, rnd[0], rnd[1], rnd[2]);
	for (i = 0; d->iid[i]; i++)
		if (d->iid[i] == '_')
			d->iid[i] = '-';
	snprintf(d->dir, sizeof(d->dir), "%s/instances/%s", pd->data_dir,
	    d->iid);
	if (strcmp(a->type, "web") == 0 && (d->port = pick_port()) == 0) {
		free(d);
		perr_set(&err, -EADDRINUSE, "no free port for %s", a->type);
		goto fail;
	}
	d->boot_deadline = now_ms() + (uint64_t)app.boot_timeout_s * 1000;
	d->boot_timeout_s = app.boot_timeout_s;
	d->next = dynos;
	dynos = d;
	if (d->port && hprobe_load(d, slug, &err) != 0) {
		char name[80];

		dyno_name(d, name, sizeof(name));
		applog_event(pd->applog, d->s.app, name, "Error: the health "
		    "checks cannot be used: %s", err.msg);
		snprintf(d->why, sizeof(d->why), "%.20s not started: %.200s",
		    name, err.msg);
		d->s.crashes++;
		d->s.retry_ms = now_ms() + super_backoff_ms(d->s.crashes);
		set_state(d, SUPER_CRASHED);
	} else if (start_shim(d, &app, rel.config, slug, &err) != 0) {
		log_warnx("app=%s %s", a->app, err.msg);
		event(d, "Error starting process: %s%s", err.msg, "");
		d->s.crashes++;
		d->s.retry_ms = now_ms() + super_backoff_ms(d->s.crashes);
		set_state(d, SUPER_CRASHED);
	}
	release_release(&rel);
	return;
fail:
	log_warnx("app=%s start %s.%d: %s", a->app, a->type, a->index,
	    err.msg);
	release_release(&rel);
}

/* ---------------------------------------------------------------- stop */

static void
act_stop(struct dyno *d)
{
	if (d->s.state == SUPER_STOPPING)
		return;
	/* out of the routes first; the shim gets its stop after the drain */
	d->drain_at = now_ms() + (d->s.state == SUPER_UP && d->port ?
	    DYNO_DRAIN_MS : 0);
	d->stop_sent = 0;
	set_state(d, SUPER_STOPPING);
	routes_dirty = 1;
}

static void
act_forget(struct dyno *d)
{
	rm_tree(d->dir);
	dyno_free(d);
}

/* The shim is gone: how did its container end? */
static void
on_exited(struct dyno *d)
{
	json_t		*st = load_json(d->dir, "state.json");
	const char	*state = json_string_value(json_object_get(st, "state"));

	d->exit_status = state != NULL && strcmp(state, "exited") == 0 ?
	    (int)json_integer_value(json_object_get(st, "exit_status")) : 137;
	if (state == NULL || strcmp(state, "exited") != 0) {
		struct cgroup	cg;
		int		fd = open("/sys/fs/cgroup", O_RDONLY |
		    O_DIRECTORY | O_CLOEXEC);

		/* the shim was killed: its container went with it */
		if (fd >= 0 && cgroup_init(&cg, fd, d->s.app, d->iid,
		    NULL) == 0) {
			(void)cgroup_kill(&cg, NULL);
			(void)cgroup_remove(&cg, NULL);
		}
		if (fd >= 0)
			close(fd);
	}
	json_decref(st);
	if (d->pidfd >= 0)
		close(d->pidfd);
	d->pidfd = -1;
	d->pid_polled = 0;
	d->shim_pid = 0;
	d->app_pid = 0;
	if (d->s.state == SUPER_STOPPING) {
		set_state(d, SUPER_DOWN);
		return;
	}
	if (d->oneoff) {
		/* a one-off that ends has done its job: the await reads it */
		event(d, "State changed from %s to %s",
		    super_state_name(d->s.state), "complete");
		d->s.state = SUPER_CRASHED;
		dirty = 1;
		if (d->run) {
			d->run_exited = 1;
			if (d->spawn == NULL)	/* else: once output is drained */
				run_finish(d);
		}
		return;
	}
	d->s.crashes++;
	d->s.retry_ms = now_ms() + super_backoff_ms(d->s.crashes);
	set_state(d, SUPER_CRASHED);
}

/* ---------------------------------------------------------------- gc */

#define DYNO_GC_KEEP		10	/* releases' images kept per app */
#define DYNO_GC_MIN_AGE_S	600	/* blobs younger than this stay */

static void
on_gc_out(struct proc *p, const char *data, size_t len)
{
	char esc[300];

	(void)p;
	log_info("%s", log_escape(esc, sizeof(esc), data, len));
}

static void
on_gc_exit(struct proc *p, int status)
{
	(void)p;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		log_warnx("image gc failed");
}

/* An image's layer is kept if the image is, or a dyno runs it. */
static int
layer_kept(json_t *layers, const char *hex)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(layers, i, v)
		if (strcmp(json_string_value(v) + 7, hex) == 0)
			return 1;
	return 0;
}

static void
gc_slugs(json_t *layers)
{
	struct dirent	*a, *l;
	char		 root[300], dir[600], path[900];
	DIR		*ad, *ld;

	snprintf(root, sizeof(root), "%s/slugs", pd->data_dir);
	if ((ad = opendir(root)) == NULL)
		return;
	while ((a = readdir(ad)) != NULL) {
		if (a->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", root, a->d_name);
		if ((ld = opendir(dir)) == NULL)
			continue;
		while ((l = readdir(ld)) != NULL) {
			/* 64 hex: a finished unpack; anything else is in flight */
			if (strlen(l->d_name) != 64 || layer_kept(layers,
			    l->d_name))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, l->d_name);
			rm_tree(path);
		}
		closedir(ld);
	}
	closedir(ad);
}

/*
 * Garbage collection after a deploy: the images of each app's last
 * DYNO_GC_KEEP releases and of every running dyno stay, with their
 * unpacked slugs; paas-build gc removes the other blobs.
 */
static void
gc(void)
{
	struct proc_opts	 o;
	struct proc		*p;
	struct dyno		*d;
	json_t			*keep = NULL, *layers = json_array(), *v;
	char			 bin[300], images[300], age[16], layer[80];
	char			**argv;
	char			*envp[] = { "PATH=/usr/bin:/bin", NULL };
	size_t			 i, n;

	if (store_images_kept(pd->store, DYNO_GC_KEEP, &keep, NULL) != 0) {
		json_decref(layers);
		return;
	}
	for (d = dynos; d; d = d->next) {
		struct release rel;

		if (store_release_get(pd->store, d->s.app, d->s.release, &rel,
		    NULL) != 0)
			continue;
		if (rel.image)
			json_array_append_new(keep, json_string(rel.image));
		release_release(&rel);
	}
	json_array_foreach(keep, i, v)
		if (layer_of(json_string_value(v), layer, sizeof(layer),
		    NULL) == 0)
			json_array_append_new(layers, json_string(layer));
	gc_slugs(layers);
	n = json_array_size(keep);
	argv = calloc(n + 6, sizeof(*argv));
	if (argv == NULL)
		abort();
	snprintf(bin, sizeof(bin), "%s/paas-build", pd->bin_dir);
	snprintf(images, sizeof(images), "%s/images", pd->data_dir);
	/* tests set PAAS_GC_MIN_AGE_S=0 to see the collection at once */
	snprintf(age, sizeof(age), "%d", getenv("PAAS_GC_MIN_AGE_S") ?
	    atoi(getenv("PAAS_GC_MIN_AGE_S")) : DYNO_GC_MIN_AGE_S);
	argv[0] = bin;
	argv[1] = "gc";
	argv[2] = images;
	argv[3] = age;
	for (i = 0; i < n; i++)
		argv[4 + i] = (char *)json_string_value(json_array_get(keep, i));
	memset(&o, 0, sizeof(o));
	o.argv = argv;
	o.envp = envp;
	o.on_stdout = on_gc_out;
	o.on_stderr = on_gc_out;
	o.on_exit = on_gc_exit;
	if (proc_spawn(loop, &o, &p) == 0)
		proc_detach(p);
	free(argv);
	json_decref(keep);
	json_decref(layers);
}

/* ---------------------------------------------------------------- plan */

struct wantset {
	struct super_want	*w;
	size_t			 n, cap;
};

static void
want_add(struct wantset *ws, const struct super_want *w)
{
	if (ws->n == ws->cap) {
		ws->cap = ws->cap ? ws->cap * 2 : 16;
		ws->w = realloc(ws->w, ws->cap * sizeof(*ws->w));
		if (ws->w == NULL)
			abort();
	}
	ws->w[ws->n++] = *w;
}

static int
in_release_phase(const char *app, long long version)
{
	struct await *w;

	for (w = awaits; w; w = w->next)
		if (strcmp(w->app, app) == 0 && w->version == version &&
		    w->phase != PHASE_NONE)
			return 1;
	return 0;
}

static void
wants_of_app(const struct app *a, struct wantset *ws)
{
	struct formation	*f = NULL;
	struct release		 rel;
	size_t			 n = 0, i;

	if (store_release_target(pd->store, a->name, &rel, NULL) != 0)
		return;
	/* nothing of a release goes live before its release phase passed */
	if (strcmp(rel.status, "pending") == 0 &&
	    in_release_phase(a->name, rel.version)) {
		release_release(&rel);
		if (store_release_get(pd->store, a->name, 0, &rel, NULL) != 0)
			return;
	}
	if (rel.image != NULL &&
	    store_formation_list(pd->store, a->name, &f, &n, NULL) == 0) {
		for (i = 0; i < n; i++) {
			struct super_want w;

			if (json_object_get(rel.process_types, f[i].type) ==
			    NULL)
				continue;
			memset(&w, 0, sizeof(w));
			memcpy(w.app, a->name, sizeof(w.app));
			snprintf(w.type, sizeof(w.type), "%s", f[i].type);
			snprintf(w.size, sizeof(w.size), "%s", f[i].size);
			w.quantity = f[i].quantity;
			w.release = rel.version;
			want_add(ws, &w);
		}
		free(f);
	}
	release_release(&rel);
}

static int
await_count(const struct await *w, int *up, int *failed, char *why,
    size_t whylen)
{
	struct formation	*f = NULL;
	struct dyno		*d;
	size_t			 n = 0, i;
	int			 want = 0;

	*up = 0;
	*failed = 0;
	if (store_formation_list(pd->store, w->app, &f, &n, NULL) == 0) {
		for (i = 0; i < n; i++)
			if (strcmp(f[i].type, "web") == 0)
				want = f[i].quantity;
		free(f);
	}
	for (d = dynos; d; d = d->next) {
		if (strcmp(d->s.app, w->app) != 0 || d->s.release != w->version)
			continue;
		if (strcmp(d->s.type, "web") == 0 && d->s.state == SUPER_UP)
			(*up)++;
		if (d->s.state == SUPER_CRASHED) {
			(*failed)++;
			if (d->why[0])
				snprintf(why, whylen, "%.*s", (int)whylen - 1,
				    d->why);
			else
				snprintf(why, whylen, "%s.%d crashed while "
				    "booting", d->s.type, d->s.index);
		}
	}
	return want;
}

static int
release_has_web(const char *app, long long version)
{
	struct release	rel;
	int		has = 0;

	if (store_release_get(pd->store, app, version, &rel, NULL) == 0) {
		has = json_object_get(rel.process_types, "web") != NULL;
		release_release(&rel);
	}
	return has;
}

/*
 * The release phase: the release type runs once, as release.1, before
 * anything of the release goes live. 1 while it runs, 0 when it passed
 * (or there is none), -1 when it failed (why says how).
 */
static int
release_phase(struct await *w, char *why, size_t whylen)
{
	struct super_action	 a;
	struct dyno		*d;
	int			 status;

	if (w->phase == PHASE_NONE)
		return 0;
	if (w->phase == PHASE_WAITING) {
		memset(&a, 0, sizeof(a));
		a.kind = SUPER_START;
		snprintf(a.app, sizeof(a.app), "%s", w->app);
		snprintf(a.type, sizeof(a.type), "release");
		snprintf(a.size, sizeof(a.size), "basic");
		a.index = 1;
		a.release = w->version;
		d = dynos;
		act_start(&a);
		if (dynos == d)
			return 1;	/* the slug is being unpacked */
		dynos->oneoff = 1;
		w->phase_dyno = dynos->s.id;
		w->phase = PHASE_RUNNING;
		applog_event(pd->applog, w->app, "release.1", "Release phase "
		    "of v%lld started", w->version);
		return 1;
	}
	if ((d = dyno_by_id(w->phase_dyno)) == NULL) {
		snprintf(why, whylen, "the release phase did not run");
		return -1;
	}
	if (d->s.state != SUPER_CRASHED && d->s.state != SUPER_DOWN)
		return 1;
	status = d->s.state == SUPER_DOWN ? -1 : d->exit_status;
	act_forget(d);
	w->phase_dyno = 0;
	if (status != 0) {
		snprintf(why, whylen, "the release phase (release.1) exited "
		    "with status %d; see paas logs --dyno release.1", status);
		return -1;
	}
	w->phase = PHASE_NONE;
	applog_event(pd->applog, w->app, "release.1", "Release phase of "
	    "v%lld succeeded", w->version);
	dirty = 1;
	return 1;
}

/* Deploys waiting for their release: done, failed, or still booting. */
static void
check_awaits(void)
{
	struct await	*w, *next, **pp = &awaits;
	struct dyno	*d;
	char		 why[200];
	int		 up, failed, want, ok = -1, ph;

	for (w = awaits; w; w = next) {
		next = w->next;
		why[0] = '\0';
		ph = release_phase(w, why, sizeof(why));
		if (ph == 1 && now_ms() <= w->deadline) {
			pp = &w->next;
			continue;
		}
		if (ph != 0) {
			if (ph == 1)
				snprintf(why, sizeof(why), "the release phase "
				    "did not finish in time");
			ok = 0;
			goto done;
		}
		want = await_count(w, &up, &failed, why, sizeof(why));
		if (!release_has_web(w->app, w->version))
			want = 0;
		if (failed)
			ok = 0;
		else if (up >= want)
			ok = 1;
		else if (now_ms() > w->deadline) {
			ok = 0;
			snprintf(why, sizeof(why), "the new web processes did "
			    "not come up in time");
		} else {
			pp = &w->next;
			continue;
		}
done:
		if (w->phase_dyno && (d = dyno_by_id(w->phase_dyno)) != NULL) {
			d->oneoff = 0;		/* the plan stops and forgets it */
			d->stale = 1;
		}
		*pp = next;
		(void)store_release_set_status(pd->store, w->app, w->version,
		    ok ? "succeeded" : "failed", NULL);
		dirty = 1;
		w->cb(w->arg, ok, why);
		free(w);
		if (ok)
			gc();
	}
}

static void
plan(void)
{
	struct super_action	 act[DYNO_ACTIONS_MAX];
	struct super_inst	*in;
	struct wantset		 ws = { NULL, 0, 0 };
	struct app		*apps = NULL;
	struct dyno		*d, *next;
	size_t			 napps = 0, ni = 0, na, i;

	check_awaits();
	if (!shutting_down && store_app_list(pd->store, &apps, &napps,
	    NULL) == 0) {
		for (i = 0; i < napps; i++)
			wants_of_app(&apps[i], &ws);
		free(apps);
	}
	for (d = dynos; d; d = d->next)
		ni++;
	in = calloc(ni + 1, sizeof(*in));
	if (in == NULL)
		abort();
	ni = 0;
	for (d = dynos; d; d = d->next) {
		if (d->oneoff)
			continue;	/* the release phase is the await's */
		in[ni] = d->s;
		if (d->stale)
			in[ni].release = -1;	/* not current: replace */
		ni++;
	}
	na = super_plan(ws.w, ws.n, in, ni, now_ms(), act, DYNO_ACTIONS_MAX);
	free(in);
	free(ws.w);
	for (i = 0; i < na; i++) {
		if (act[i].kind == SUPER_START) {
			act_start(&act[i]);
			continue;
		}
		if ((d = dyno_by_id(act[i].id)) == NULL)
			continue;
		if (act[i].kind == SUPER_STOP)
			act_stop(d);
		else
			act_forget(d);
	}
	/* a stopped instance whose shim is gone is forgotten */
	for (d = dynos; d; d = next) {
		next = d->next;
		if (d->s.state == SUPER_DOWN && d->pidfd < 0 &&
		    !d->pid_polled && !d->spawn &&
		    (!d->oneoff || shutting_down))
			act_forget(d);
	}
	last_plan = now_ms();
	dirty = 0;
}

/* ---------------------------------------------------------------- routes */

static void
write_routes(void)
{
	struct routes_backend	*be;
	struct perr		 err = PERR_INIT;
	struct dyno		*d;
	char			 path[400];
	size_t			 n = 0;

	for (d = dynos; d; d = d->next)
		n++;
	be = calloc(n + 1, sizeof(*be));
	if (be == NULL)
		abort();
	n = 0;
	for (d = dynos; d; d = d->next) {
		int crashed = d->s.state == SUPER_CRASHED && !d->oneoff &&
		    strcmp(d->s.type, "web") == 0;

		if (!crashed && (d->s.state != SUPER_UP || d->port == 0))
			continue;
		memcpy(be[n].app, d->s.app, sizeof(be[n].app));
		dyno_name(d, be[n].dyno, sizeof(be[n].dyno));
		if (!crashed)
			snprintf(be[n].address, sizeof(be[n].address),
			    "127.0.0.1:%d", d->port);
		be[n].crashed = crashed;
		n++;
	}
	snprintf(path, sizeof(path), "%s/router/routes.json", pd->data_dir);
	if (routes_write(pd->store, path, be, n, &err) != 0)
		log_warnx("route table: %s", err.msg);
	free(be);
	routes_dirty = 0;
}

/* ---------------------------------------------------------------- tick */

/* ---------------------------------------------------------------- health */

static void	await_extend(const char *app, long long release, uint64_t until);

/*
 * Read the release's declared health checks (app.json, CHECKS) for a web
 * instance about to start. 0: none or loaded; <0: the declaration is
 * bad, and err says why.
 */
static int
hprobe_load(struct dyno *d, const char *slug, struct perr *err)
{
	struct health_conf	conf;
	char			appdir[600];
	int			fd, rc;

	snprintf(appdir, sizeof(appdir), "%s/app", slug);
	fd = open(appdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;	/* an empty slug declares nothing */
	rc = health_load(fd, &conf, err);
	close(fd);
	if (rc != 0 || conf.n == 0)
		return rc;
	d->hp = calloc(1, sizeof(*d->hp));
	if (d->hp == NULL)
		abort();
	d->hp->conf = conf;
	d->hp->fd = -1;
	return 0;
}

/* Start an attempt: connect (non-blocking) and queue the request. */
static int
hprobe_begin(struct dyno *d, uint64_t now, char *why, size_t whylen)
{
	struct hprobe		*h = d->hp;
	const struct health_check *c = &h->conf.c[h->idx];
	struct sockaddr_in	 sa;
	char			 host[300];
	int			 n;

	snprintf(host, sizeof(host), "%s.%s", d->s.app, pd->domain);
	if ((n = health_request(c, host, h->req, sizeof(h->req))) < 0) {
		snprintf(why, whylen, "request too long");
		return -1;
	}
	h->reqlen = (size_t)n;
	h->sent = 0;
	h->deadline = now + (uint64_t)c->timeout_s * 1000;
	h->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->fd < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	health_resp_init(&h->resp);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)d->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(h->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 &&
	    errno != EINPROGRESS) {
		snprintf(why, whylen, "connect: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Move the attempt in flight along without blocking: 1 when it has an
 * answer (a complete response, or the app closed), 0 while pending,
 * -1 on a failure (why says which).
 */
static int
hprobe_io(struct hprobe *h, char *why, size_t whylen)
{
	struct pollfd	p = { h->fd, POLLOUT, 0 };
	char		rbuf[16384];
	socklen_t	sl = sizeof(int);
	ssize_t		n;
	int		soerr = 0, rc;

	if (h->sent < h->reqlen) {
		if (poll(&p, 1, 0) <= 0)
			return 0;
		if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
		    soerr != 0) {
			snprintf(why, whylen, "connect: %s", strerror(soerr));
			return -1;
		}
		n = send(h->fd, h->req + h->sent, h->reqlen - h->sent,
		    MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN) {
			snprintf(why, whylen, "send: %s", strerror(errno));
			return -1;
		}
		if (n > 0)
			h->sent += (size_t)n;
		if (h->sent < h->reqlen)
			return 0;
	}
	for (;;) {
		n = recv(h->fd, rbuf, sizeof(rbuf), 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			snprintf(why, whylen, "recv: %s", strerror(errno));
			return -1;
		}
		rc = health_resp_feed(&h->resp, rbuf, (size_t)n);
		if (rc == 1 || rc == -EPIPE)
			return 1;
		if (rc < 0) {
			snprintf(why, whylen, "not a valid HTTP response");
			return -1;
		}
	}
}

static void
hprobe_step(struct dyno *d, uint64_t now)
{
	struct hprobe		*h = d->hp;
	const struct health_check *c = &h->conf.c[h->idx];
	char			 why[200], name[80];
	int			 rc;

	dyno_name(d, name, sizeof(name));
	if (h->fd < 0) {
		if (now < h->next_at)
			return;
		rc = hprobe_begin(d, now, why, sizeof(why));
	} else
		rc = 0;
	if (rc == 0 && (rc = hprobe_io(h, why, sizeof(why))) == 0) {
		if (now < h->deadline)
			return;
		snprintf(why, sizeof(why), "no answer within %d s",
		    c->timeout_s);
		rc = -1;
	}
	if (rc == 1)
		rc = health_verdict(&h->resp, c, why, sizeof(why)) == 0 ? 1 :
		    -1;
	if (h->fd >= 0) {
		close(h->fd);
		h->fd = -1;
		health_resp_release(&h->resp);
	}
	h->attempt++;
	if (rc == 1) {
		applog_event(pd->applog, d->s.app, name, "Health check GET %s "
		    "passed (%s)", c->path, why);
		h->idx++;
		h->attempt = 0;
		if (h->idx == h->conf.n) {
			set_state(d, SUPER_UP);
			return;
		}
		h->next_at = now + (uint64_t)h->conf.c[h->idx].delay_s * 1000;
		return;
	}
	if (h->attempt < c->attempts) {
		applog_event(pd->applog, d->s.app, name, "Health check GET %s "
		    "failed (attempt %d of %d): %s; next in %d s", c->path,
		    h->attempt, c->attempts, why, c->wait_s);
		h->next_at = now + (uint64_t)c->wait_s * 1000;
		return;
	}
	applog_event(pd->applog, d->s.app, name, "Error: health check GET %s "
	    "failed %d times, last: %s", c->path, c->attempts, why);
	applog_event(pd->applog, d->s.app, name, "Stopping process with "
	    "SIGKILL");
	snprintf(d->why, sizeof(d->why), "%.20s failed its health check (GET "
	    "%.60s: %.100s, %d attempt%s)", name, c->path, why, c->attempts,
	    c->attempts == 1 ? "" : "s");
	d->boot_failed = 1;
	(void)shim_command(d, "stop 0\n", NULL, 0);
}

/* The web instance accepts on $PORT: up, or on to its health checks. */
static void
on_bound(struct dyno *d, uint64_t now)
{
	char name[80];

	d->bound = 1;
	if (d->hp == NULL) {
		set_state(d, SUPER_UP);
		return;
	}
	dyno_name(d, name, sizeof(name));
	applog_event(pd->applog, d->s.app, name, "Running %zu health "
	    "check%s from %s", d->hp->conf.n, d->hp->conf.n == 1 ? "" : "s",
	    d->hp->conf.source);
	d->hp->next_at = now + (uint64_t)d->hp->conf.c[0].delay_s * 1000;
	await_extend(d->s.app, d->s.release, now +
	    health_budget_ms(&d->hp->conf) + 5000);
	hprobe_step(d, now);
}

static void	run_try_start(struct dyno *);

static void
watch(struct dyno *d, uint64_t now)
{
	struct pollfd p = { d->pidfd, POLLIN, 0 };

	if (d->pending_start) {
		run_try_start(d);
		return;
	}
	/* an attached run: its shim is known once it wrote its pid */
	if (d->run && (d->client || d->kill_on_start) && d->pidfd < 0 &&
	    !d->pid_polled && !d->run_exited && shim_watch(d) == 0) {
		set_state(d, SUPER_UP);
		if (d->kill_on_start)
			(void)shim_command(d, "stop 0\n", NULL, 0);
	}
	if ((d->pidfd >= 0 && poll(&p, 1, 0) > 0) ||
	    (d->pid_polled && kill(d->shim_pid, 0) != 0 && errno == ESRCH)) {
		on_exited(d);
		return;
	}
	if (d->s.state == SUPER_STARTING && d->port && d->shim_pid &&
	    !d->boot_failed) {
		if (d->bound) {
			hprobe_step(d, now);
			return;
		}
		if (port_ready(d->port) && port_owned(d)) {
			on_bound(d, now);
			return;
		}
		if (now > d->boot_deadline) {
			char name[80];

			dyno_name(d, name, sizeof(name));
			applog_event(pd->applog, d->s.app, name, "Error R10 "
			    "(Boot timeout) -> Web process failed to bind to "
			    "$PORT within %d seconds of launch",
			    d->boot_timeout_s ? d->boot_timeout_s :
			    SUPER_BOOT_TIMEOUT_MS / 1000);
			applog_event(pd->applog, d->s.app, name, "Stopping "
			    "process with SIGKILL");
			snprintf(d->why, sizeof(d->why), "%s did not bind to "
			    "$PORT within the boot timeout (R10)", name);
			d->boot_failed = 1;
			(void)shim_command(d, "stop 0\n", NULL, 0);
		}
	}
	if (d->s.state == SUPER_STOPPING && !d->stop_sent &&
	    now >= d->drain_at) {
		d->stop_sent = 1;
		if ((d->pidfd >= 0 || d->pid_polled) &&
		    shim_command(d, "stop\n", NULL, 0) != 0)
			log_warnx("app=%s instance=%s stop: no shim", d->s.app,
			    d->iid);
		if (d->pidfd < 0 && !d->pid_polled && !d->spawn)
			set_state(d, SUPER_DOWN);
	}
}

static void
on_tick(uv_timer_t *t)
{
	struct dyno	*d, *next;
	uint64_t	 now = now_ms();

	(void)t;
	for (d = dynos; d; d = next) {
		next = d->next;
		watch(d, now);
	}
	if (dirty || now - last_plan >= DYNO_PLAN_EVERY_MS)
		plan();
	if (routes_dirty)
		write_routes();
	if (shutting_down && dynos == NULL && unpacks == NULL) {
		uv_timer_stop(&tick);
		uv_close((uv_handle_t *)&tick, tick_closed);
		ticking = 0;
	}
}

/* ---------------------------------------------------------------- adopt */

static void
adopt_one(const char *iid)
{
	struct dyno	*d;
	json_t		*meta;
	char		 dir[400];
	const char	*s;

	if (strlen(iid) >= sizeof(d->iid) || (size_t)snprintf(dir,
	    sizeof(dir), "%s/instances/%s", pd->data_dir, iid) >= sizeof(dir))
		return;
	meta = load_json(dir, "paasd.json");
	if (meta == NULL) {
		rm_tree(dir);
		return;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		abort();
	d->pidfd = -1;
	memcpy(d->iid, iid, strlen(iid) + 1);
	memcpy(d->dir, dir, strlen(dir) + 1);
	if ((s = json_string_value(json_object_get(meta, "app"))))
		snprintf(d->s.app, sizeof(d->s.app), "%s", s);
	if ((s = json_string_value(json_object_get(meta, "type"))))
		snprintf(d->s.type, sizeof(d->s.type), "%s", s);
	if ((s = json_string_value(json_object_get(meta, "size"))))
		snprintf(d->s.size, sizeof(d->s.size), "%s", s);
	if ((s = json_string_value(json_object_get(meta, "command"))))
		snprintf(d->command, sizeof(d->command), "%s", s);
	d->s.index = (int)json_integer_value(json_object_get(meta, "index"));
	d->s.release = json_integer_value(json_object_get(meta, "release"));
	d->s.crashes = (int)json_integer_value(json_object_get(meta,
	    "crashes"));
	d->port = (int)json_integer_value(json_object_get(meta, "port"));
	d->s.id = next_id++;
	d->s.since_ms = now_ms();
	d->boot_deadline = now_ms() + SUPER_BOOT_TIMEOUT_MS;
	json_decref(meta);
	if (valid_app_name(d->s.app, strlen(d->s.app), NULL) != 0 ||
	    valid_process_type(d->s.type, strlen(d->s.type), NULL) != 0) {
		free(d);
		rm_tree(dir);
		return;
	}
	d->next = dynos;
	dynos = d;
	if (shim_watch(d) == 0) {
		/* still running: up if it serves (or is a worker) */
		d->s.state = d->port == 0 || port_ready(d->port) ? SUPER_UP :
		    SUPER_STARTING;
		log_info("app=%s instance=%s re-adopted pid=%d", d->s.app, iid,
		    (int)d->shim_pid);
		return;
	}
	/* it ended while we were away */
	d->s.state = SUPER_UP;
	on_exited(d);
}

static void
adopt_all(void)
{
	struct dirent	*de;
	char		 dir[400];
	DIR		*dd;

	snprintf(dir, sizeof(dir), "%s/instances", pd->data_dir);
	dd = opendir(dir);
	if (dd == NULL)
		return;
	while ((de = readdir(dd)) != NULL)
		if (de->d_name[0] != '.')
			adopt_one(de->d_name);
	closedir(dd);
}

/* ---------------------------------------------------------------- api */

int
dyno_init(struct paasd *p, uv_loop_t *l)
{
	struct perr err = PERR_INIT;

	pd = p;
	loop = l;
	/*
	 * Ports are handed out round robin from a random point of the
	 * range: a restarted paasd (or a second one on the host, as in
	 * tests) does not hand out the ports just used first.
	 */
	{
		unsigned int r;

		if (getrandom(&r, sizeof(r), 0) == sizeof(r))
			last_port = DYNO_PORT_LO + (int)(r % (unsigned int)
			    (DYNO_PORT_HI - DYNO_PORT_LO + 1));
	}
	if (store_release_fail_pending(pd->store, &err) != 0)
		log_warnx("%s", err.msg);
	adopt_all();
	uv_timer_init(loop, &tick);
	ticking = 1;
	return uv_timer_start(&tick, on_tick, DYNO_TICK_MS, DYNO_TICK_MS);
}

void
dyno_shutdown(int keep, void (*done)(void))
{
	struct dyno	*d, *next;
	struct await	*w;

	shutting_down = 1;
	shutdown_done = done;
	while ((w = awaits) != NULL) {
		awaits = w->next;
		w->cb(w->arg, 0, "paasd is shutting down");
		free(w);
	}
	for (d = dynos; d; d = next) {
		next = d->next;
		if (keep) {
			dyno_free(d);
			continue;
		}
		d->drain_at = 0;
		act_stop(d);
	}
	if (!ticking) {
		if (done)
			done();
		return;
	}
	if (keep && unpacks == NULL) {
		uv_timer_stop(&tick);
		uv_close((uv_handle_t *)&tick, tick_closed);
		ticking = 0;
	}
}

void
dyno_poke(void)
{
	dirty = 1;
	routes_dirty = 1;
}

json_t *
dyno_list(const char *app)
{
	struct dyno	*d;
	json_t		*arr = json_array();
	char		 name[80], addr[64];

	for (d = dynos; d; d = d->next) {
		json_t *o;

		if (strcmp(d->s.app, app) != 0)
			continue;
		dyno_name(d, name, sizeof(name));
		snprintf(addr, sizeof(addr), "127.0.0.1:%d", d->port);
		o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:i, s:I}",
		    "name", name, "type", d->s.type,
		    "state", d->s.state == SUPER_STOPPING ? "down" :
		    super_state_name(d->s.state), "id", d->iid,
		    "release", (json_int_t)d->s.release, "size", d->s.size,
		    "command", d->command, "pid", (int)d->app_pid,
		    "uptime_s", (json_int_t)((now_ms() - d->s.since_ms) /
		    1000));
		json_object_set_new(o, "address", d->port ?
		    json_string(addr) : json_null());
		json_object_set_new(o, "started_at", d->started_at[0] ?
		    json_string(d->started_at) : json_null());
		if (d->s.state == SUPER_CRASHED)
			json_object_set_new(o, "restart_in_s", json_integer(
			    d->s.retry_ms > now_ms() ?
			    (json_int_t)((d->s.retry_ms - now_ms()) / 1000) :
			    0));
		json_array_append_new(arr, o);
	}
	return arr;
}

static int
matches(const struct dyno *d, const char *app, const char *what)
{
	char name[80];

	if (strcmp(d->s.app, app) != 0)
		return 0;
	if (what == NULL || strcmp(d->s.type, what) == 0)
		return 1;
	dyno_name(d, name, sizeof(name));
	return strcmp(name, what) == 0;
}

int
dyno_restart(const char *app, const char *what, struct perr *err)
{
	struct dyno	*d;
	int		 n = 0;

	for (d = dynos; d; d = d->next)
		if (matches(d, app, what) && d->s.state != SUPER_STOPPING &&
		    d->s.state != SUPER_DOWN) {
			d->stale = 1;
			d->s.crashes = 0;
			d->s.retry_ms = 0;
			n++;
		}
	if (n == 0)
		return perr_set(err, -ENOENT, "no dyno of '%s' matches '%s'",
		    app, what ? what : "*");
	applog_event(pd->applog, app, "api", "Restart %s", what ? what :
	    "all dynos");
	dirty = 1;
	return 0;
}

int
dyno_stop(const char *app, const char *name, struct perr *err)
{
	struct dyno	*d;
	int		 n = 0;

	for (d = dynos; d; d = d->next)
		if (matches(d, app, name) && strchr(name, '.') != NULL &&
		    d->s.state != SUPER_STOPPING && d->s.state != SUPER_DOWN) {
			act_stop(d);
			n++;
		}
	if (n == 0)
		return perr_set(err, -ENOENT, "no running dyno '%s' on '%s'",
		    name, app);
	applog_event(pd->applog, app, "api", "Stop %s", name);
	return 0;
}

void
dyno_await(const char *app, long long version, dyno_release_cb *cb,
    void *arg)
{
	struct await *w = calloc(1, sizeof(*w));

	if (w == NULL)
		abort();
	snprintf(w->app, sizeof(w->app), "%s", app);
	w->version = version;
	w->cb = cb;
	w->arg = arg;
	w->deadline = now_ms() + DYNO_AWAIT_MS;
	{
		struct release	rel;
		struct app	a;

		if (store_app_get(pd->store, app, &a, NULL) == 0)
			w->deadline = now_ms() + (uint64_t)a.boot_timeout_s *
			    1000 + 30000;

		if (store_release_get(pd->store, app, version, &rel,
		    NULL) == 0) {
			if (json_object_get(rel.process_types, "release"))
				w->phase = PHASE_WAITING;
			release_release(&rel);
		}
	}
	w->next = awaits;
	awaits = w;
	dirty = 1;
}

/* A release's instances need until `until` (their health checks). */
static void
await_extend(const char *app, long long release, uint64_t until)
{
	struct await *w;

	for (w = awaits; w; w = w->next)
		if (w->version == release && strcmp(w->app, app) == 0 &&
		    w->deadline < until)
			w->deadline = until;
}

void
dyno_await_cancel(void *arg)
{
	struct await *w, **pp;

	for (pp = &awaits; (w = *pp) != NULL; pp = &w->next)
		if (w->arg == arg) {
			*pp = w->next;
			free(w);
			return;
		}
}

/* ---------------------------------------------------------------- paas run */

static int	run_counter;

static void
run_finish(struct dyno *d)
{
	struct dyno_client *c = d->client;

	d->client = NULL;
	if (c) {
		c->exit(c->arg, d->exit_status);
		buf_release(&c->stdin_buf);
		free(c);
	}
	act_forget(d);
}

static void
run_fail(struct dyno *d, const char *why)
{
	struct dyno_client *c = d->client;

	event(d, "Error starting process: %s%s", why, "");
	d->client = NULL;
	if (c) {
		c->out(c->arg, 2, why, strlen(why));
		c->out(c->arg, 2, "\n", 1);
		c->exit(c->arg, 127);
		buf_release(&c->stdin_buf);
		free(c);
	}
	act_forget(d);
}

static void
run_try_start(struct dyno *d)
{
	struct perr	 err = PERR_INIT;
	struct release	 rel;
	struct app	 app;
	char		 slug[500];
	int		 rc;

	memset(&rel, 0, sizeof(rel));
	if (store_app_get(pd->store, d->s.app, &app, &err) != 0 ||
	    store_release_get(pd->store, d->s.app, d->s.release, &rel,
	    &err) != 0 || rel.image == NULL) {
		release_release(&rel);
		run_fail(d, "the app has no release to run");
		return;
	}
	rc = slug_ready(d->s.app, rel.image, app.uid, slug, sizeof(slug), &err);
	if (rc == 0) {
		release_release(&rel);
		return;			/* being unpacked */
	}
	d->pending_start = 0;
	if (rc < 0 || start_shim(d, &app, rel.config, slug, &err) != 0) {
		release_release(&rel);
		run_fail(d, err.msg);
		return;
	}
	release_release(&rel);
}

int
dyno_run(const char *app, const char *command, const char *size,
    dyno_run_out_cb *out, dyno_run_exit_cb *exitcb, void *arg,
    struct dyno_client **clientp, char *name, size_t namelen,
    struct perr *err)
{
	struct release	 rel;
	struct dyno	*d;
	int		 n;

	if (store_release_get(pd->store, app, 0, &rel, err) != 0)
		return err->code;
	if (rel.image == NULL) {
		release_release(&rel);
		return perr_set(err, -EINVAL, "%s has no code yet: git push "
		    "first", app);
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		abort();
	n = 1000 + (run_counter++ * 7919 + (int)(now_ms() % 9000)) % 9000;
	snprintf(d->s.app, sizeof(d->s.app), "%s", app);
	snprintf(d->s.type, sizeof(d->s.type), "run");
	snprintf(d->s.size, sizeof(d->s.size), "%s", size);
	d->s.index = n;
	d->s.release = rel.version;
	d->s.state = SUPER_STARTING;
	d->s.since_ms = now_ms();
	d->s.id = next_id++;
	d->pidfd = -1;
	d->oneoff = 1;
	d->run = 1;
	d->pending_start = 1;
	snprintf(d->command, sizeof(d->command), "%s", command);
	snprintf(d->iid, sizeof(d->iid), "run.%d-%04x", n,
	    (unsigned)(next_id & 0xffff));
	snprintf(d->dir, sizeof(d->dir), "%s/instances/%s", pd->data_dir,
	    d->iid);
	release_release(&rel);
	if (out != NULL) {
		d->client = calloc(1, sizeof(*d->client));
		if (d->client == NULL)
			abort();
		d->client->out = out;
		d->client->exit = exitcb;
		d->client->arg = arg;
		d->client->d = d;
		buf_init(&d->client->stdin_buf);
	}
	if (clientp)
		*clientp = d->client;
	d->next = dynos;
	dynos = d;
	snprintf(name, namelen, "run.%d", n);
	applog_event(pd->applog, app, "api", "Starting process with command "
	    "`%s` by run.%d", command, n);
	return 0;
}

void
dyno_run_tty(struct dyno_client *c, unsigned rows, unsigned cols,
    const char *term)
{
	c->tty = 1;
	c->rows = rows;
	c->cols = cols;
	snprintf(c->term, sizeof(c->term), "%s", term);
}

void
dyno_run_stdin(struct dyno_client *c, const char *data, size_t len)
{
	if (c->d->spawn && !c->stdin_done)
		proc_write(c->d->spawn, data, len, NULL);
	else if (c->stdin_buf.len + len <= DYNO_RUN_STDIN_MAX)
		buf_add(&c->stdin_buf, data, len);
}

void
dyno_run_stdin_end(struct dyno_client *c)
{
	c->stdin_done = 1;
	if (c->d->spawn)
		proc_close_stdin(c->d->spawn);
}

/* The client went away: the run goes too. */
void
dyno_run_detach(struct dyno_client *c)
{
	struct dyno *d = c->d;

	d->client = NULL;
	buf_release(&c->stdin_buf);
	free(c);
	if (d->pending_start) {
		act_forget(d);
		return;
	}
	if (d->pidfd >= 0 || d->pid_polled)
		(void)shim_command(d, "stop 0\n", NULL, 0);
	else
		d->kill_on_start = 1;	/* stopped as soon as it is known */
}
