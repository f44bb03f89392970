#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "packrun.h"

extern char	**environ;

static char	packs[PATH_MAX];

int
packrun_init(void)
{
	const char	*src = getenv("PAAS_SRC");
	char		 probe[PATH_MAX + 32];

	snprintf(packs, sizeof(packs), "%s/buildpacks", src ? src : ".");
	snprintf(probe, sizeof(probe), "%s/nodejs/bin/detect", packs);
	if (access(probe, X_OK) < 0) {
		fprintf(stderr, "no buildpacks in %s (run from the top of the "
		    "tree or set PAAS_SRC)\n", packs);
		return -1;
	}
	return 0;
}

int
packrun_fixture(char *dir, size_t dirlen, const char *files)
{
	char	 list[512], path[PATH_MAX + 512], *tok, *save, *slash;
	int	 fd;

	snprintf(dir, dirlen, "/tmp/paas-packs-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(list, sizeof(list), "%s", files);
	for (tok = strtok_r(list, " ", &save); tok;
	    tok = strtok_r(NULL, " ", &save)) {
		snprintf(path, sizeof(path), "%s/%s", dir, tok);
		for (slash = strchr(path + strlen(dir) + 1, '/'); slash;
		    slash = strchr(slash + 1, '/')) {
			*slash = '\0';
			mkdir(path, 0755);
			*slash = '/';
		}
		if ((fd = open(path, O_WRONLY | O_CREAT, 0755)) < 0)
			return -1;
		close(fd);
	}
	return 0;
}

int
packrun_write(const char *dir, const char *name, const char *text)
{
	char	 path[PATH_MAX + 256];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -1;
}

static int
rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

int
packrun_copy(const char *pack, const char *to)
{
	char	 from[PATH_MAX + 64];
	char	*argv[] = { "/bin/cp", "-a", from, (char *)to, NULL };
	pid_t	 pid;
	int	 st;

	snprintf(from, sizeof(from), "%s/%s", packs, pack);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		execve(argv[0], argv, environ);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st) == 0 ? 0 : -1;
}

void
packrun_rm(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Read both pipes until both close; poll so neither can fill and block. */
static void
drain(int ofd, int efd, struct buf *out, struct buf *err)
{
	struct pollfd	 p[2] = { { ofd, POLLIN, 0 }, { efd, POLLIN, 0 } };
	struct buf	*dst[2] = { out, err };
	char		 chunk[4096];
	ssize_t		 n;
	int		 i, open = 2;

	while (open > 0 && poll(p, 2, -1) > 0) {
		for (i = 0; i < 2; i++) {
			if (p[i].fd < 0 || p[i].revents == 0)
				continue;
			if ((n = read(p[i].fd, chunk, sizeof(chunk))) <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
				open--;
				continue;
			}
			if (dst[i])
				buf_add(dst[i], chunk, (size_t)n);
		}
	}
}

int
packrun(const char *pack, const char *script, const char *const *args,
    char *const *envp, struct buf *out, struct buf *err)
{
	char	 prog[PATH_MAX + 64];
	char	*argv[8];
	int	 o[2], e[2], st;
	size_t	 i;
	pid_t	 pid;

	if (pack[0] == '/')
		snprintf(prog, sizeof(prog), "%s/bin/%s", pack, script);
	else
		snprintf(prog, sizeof(prog), "%s/%s/bin/%s", packs, pack,
		    script);
	argv[0] = prog;
	for (i = 0; args && args[i] && i < 6; i++)
		argv[i + 1] = (char *)args[i];
	argv[i + 1] = NULL;
	if (out)
		buf_reset(out);
	if (err)
		buf_reset(err);
	if (pipe(o) < 0 || pipe(e) < 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		dup2(o[1], 1);
		dup2(e[1], 2);
		close(o[0]);
		close(o[1]);
		close(e[0]);
		close(e[1]);
		execve(prog, argv, envp ? envp : environ);
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	drain(o[0], e[0], out, err);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}
