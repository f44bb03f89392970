/*
 * The shim's outside: DIR/state.json and the control socket DIR/shim.sock
 * ("status", "stop [GRACE]", "wait"; see docs/RUNTIME.md).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "parse.h"
#include "shim.h"

static const char *const state_names[] = {
	[SHIM_RUNNING] = "running", [SHIM_STOPPING] = "stopping",
	[SHIM_EXITED] = "exited",
};

long
shim_ctl_app_pid(const struct shim *s)
{
	char path[64], text[64];
	ssize_t n;
	int fd;

	if (s->state == SHIM_EXITED || s->pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children",
	    (long)s->pid, (long)s->pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	return atol(text);
}

static void
state_json(const struct shim *s, struct buf *b)
{
	buf_adds(b, "{\"id\":");
	buf_add_json_str(b, s->req.id, strlen(s->req.id));
	buf_adds(b, ",\"app\":");
	buf_add_json_str(b, s->req.app, strlen(s->req.app));
	buf_adds(b, ",\"dyno\":");
	buf_add_json_str(b, s->req.dyno, strlen(s->req.dyno));
	buf_addf(b, ",\"state\":\"%s\",\"shim_pid\":%ld,\"pid\":%ld,"
	    "\"app_pid\":%ld,\"started_at\":\"%s\"", state_names[s->state],
	    (long)getpid(), (long)s->pid, shim_ctl_app_pid(s), s->started_at);
	if (s->state == SHIM_EXITED) {
		buf_addf(b, ",\"finished_at\":\"%s\",\"exit_status\":%d,"
		    "\"signal\":", s->finished_at, s->exit_status);
		if (s->signal)
			buf_addf(b, "%d", s->signal);
		else
			buf_adds(b, "null");
		buf_addf(b, ",\"oom\":%s", s->oom ? "true" : "false");
	} else
		buf_adds(b, ",\"finished_at\":null,\"exit_status\":null,"
		    "\"signal\":null,\"oom\":false");
	buf_addf(b, ",\"dropped_lines\":%llu}",
	    (unsigned long long)s->logw.dropped_total);
}

/* state.json, replaced atomically */
int
shim_ctl_state_write(struct shim *s)
{
	struct buf b = BUF_INIT;
	int fd, rc = 0;

	state_json(s, &b);
	buf_addch(&b, '\n');
	fd = openat(s->dirfd, "state.json.tmp", O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, 0644);
	/*
	 * No fsync: readers are paasd and tests on this running kernel;
	 * after a power loss there is no instance left to describe.
	 */
	if (fd == -1 || write(fd, b.p, b.len) != (ssize_t)b.len)
		rc = -errno;
	if (fd != -1)
		close(fd);
	if (rc == 0 && renameat(s->dirfd, "state.json.tmp", s->dirfd,
	    "state.json") == -1)
		rc = -errno;
	if (rc < 0)
		log_warnx("id=%s write state.json: %s", s->req.id,
		    strerror(-rc));
	buf_release(&b);
	return rc;
}

int
shim_ctl_listen(struct shim *s, struct perr *err)
{
	struct sockaddr_un sa;
	int n;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/shim.sock",
	    s->req.dir);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return perr_set(err, -ENAMETOOLONG, "instance dir too long "
		    "for a unix socket");
	(void)unlinkat(s->dirfd, "shim.sock", 0);
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (s->lfd == -1 || bind(s->lfd, (struct sockaddr *)&sa,
	    sizeof(sa)) == -1 || fchmodat(s->dirfd, "shim.sock", 0600, 0) ==
	    -1 || listen(s->lfd, 8) == -1)
		return perr_set(err, -errno, "listen on '%s': %s", sa.sun_path,
		    strerror(errno));
	return 0;
}

static void
client_close(struct shim_client *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->len = 0;
	c->waiting = 0;
}

void
shim_ctl_reply(struct shim *s, struct shim_client *c)
{
	struct buf b = BUF_INIT;

	state_json(s, &b);
	buf_addch(&b, '\n');
	(void)!write(c->fd, b.p, b.len);
	buf_release(&b);
	client_close(c);
}

static void
client_command(struct shim *s, struct shim_client *c)
{
	uint64_t grace = s->req.grace_s;

	c->cmd[c->len] = '\0';
	if (strcmp(c->cmd, "status") == 0) {
		shim_ctl_reply(s, c);
	} else if (strcmp(c->cmd, "wait") == 0) {
		c->waiting = 1;
		if (s->state == SHIM_EXITED)
			shim_ctl_reply(s, c);
	} else if (strncmp(c->cmd, "stop", 4) == 0 && (c->cmd[4] == '\0' ||
	    (c->cmd[4] == ' ' && parse_u64(c->cmd + 5, strlen(c->cmd + 5), 0,
	    SHIM_GRACE_MAX_S, &grace) == 0))) {
		shim_stop_begin(s, (unsigned)grace);
		shim_ctl_reply(s, c);
	} else {
		(void)!write(c->fd, "{\"error\":\"unknown command\"}\n", 28);
		client_close(c);
	}
}

void
shim_ctl_read(struct shim *s, struct shim_client *c)
{
	char *nl;
	ssize_t n;

	n = read(c->fd, c->cmd + c->len, sizeof(c->cmd) - 1 - c->len);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(c);
		return;
	}
	c->len += (size_t)n;
	c->cmd[c->len] = '\0';
	if ((nl = memchr(c->cmd, '\n', c->len)) != NULL) {
		*nl = '\0';
		c->len = (size_t)(nl - c->cmd);
		client_command(s, c);
	} else if (c->len == sizeof(c->cmd) - 1)
		client_close(c);
}

/* root, or our own uid, only (SO_PEERCRED) */
void
shim_ctl_accept(struct shim *s)
{
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	size_t i;
	int fd;

	fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd == -1)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == -1 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		close(fd);
		return;
	}
	for (i = 0; i < SHIM_CLIENTS_MAX; i++)
		if (s->clients[i].fd == -1) {
			s->clients[i].fd = fd;
			return;
		}
	close(fd);
}
