#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "routerctl.h"

extern char **environ;

static pid_t router_pid;

/* Is pid a live paas-router (not a recycled pid)? */
static int
is_router(pid_t pid)
{
	char	path[64], cmd[256];
	ssize_t	n;
	int	fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, cmd, sizeof(cmd) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	cmd[n] = '\0';
	return strstr(cmd, "paas-router") != NULL;
}

static pid_t
pidfile_read(const char *path)
{
	FILE	*f = fopen(path, "re");
	int	 pid = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid > 1 ? (pid_t)pid : 0;
}

int
routerctl_start(struct paasd *pd, const char *listen)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 at;
	char				 bin[300], routes[320], sock[320];
	char				 logf[320], pidf[320], dir[280];
	char				*argv[12];
	FILE				*f;
	pid_t				 pid;
	int				 rc, i = 0;

	snprintf(dir, sizeof(dir), "%s/router", pd->data_dir);
	snprintf(pidf, sizeof(pidf), "%s/router.pid", dir);
	/* the router reads its table as nobody and watches this dir */
	(void)chmod(dir, 0755);
	pid = pidfile_read(pidf);
	if (pid > 0 && is_router(pid)) {
		router_pid = pid;
		log_info("router pid=%d adopted", (int)pid);
		return 0;
	}
	snprintf(bin, sizeof(bin), "%s/paas-router", pd->bin_dir);
	snprintf(routes, sizeof(routes), "%s/routes.json", dir);
	snprintf(sock, sizeof(sock), "%s/log.sock", dir);
	snprintf(logf, sizeof(logf), "%s/router.log", dir);
	argv[i++] = bin;
	argv[i++] = "--listen";
	argv[i++] = (char *)listen;
	argv[i++] = "--routes";
	argv[i++] = routes;
	argv[i++] = "--log-socket";
	argv[i++] = sock;
	argv[i++] = "--user";
	argv[i++] = "nobody";
	argv[i] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, logf, O_WRONLY | O_CREAT |
	    O_APPEND, 0640);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	posix_spawnattr_init(&at);
	/* its own session: signals to paasd's group never reach it */
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID);
	rc = posix_spawn(&pid, bin, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0)
		return -rc;
	router_pid = pid;
	f = fopen(pidf, "we");
	if (f) {
		fprintf(f, "%d\n", (int)pid);
		fclose(f);
	}
	log_info("router pid=%d listening on %s", (int)pid, listen);
	return 0;
}

void
routerctl_stop(struct paasd *pd)
{
	char pidf[300];

	if (router_pid <= 0 || !is_router(router_pid))
		return;
	kill(router_pid, SIGTERM);
	snprintf(pidf, sizeof(pidf), "%s/router/router.pid", pd->data_dir);
	(void)unlink(pidf);
	log_info("router pid=%d stopped", (int)router_pid);
	router_pid = 0;
}
