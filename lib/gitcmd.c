#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "atomic.h"
#include "gitcmd.h"
#include "parse.h"
#include "valid.h"

static int
fits(int n, size_t size)
{
	return n >= 0 && (size_t)n < size;
}

int
gitcmd_init(struct gitcmd *g, const char *data_dir, const char *app,
    enum gitcmd_service svc, int stateless, int advertise,
    unsigned long long max_bytes)
{
	int i = 0;

	memset(g, 0, sizeof(*g));
	if (valid_app_name(app, strlen(app), NULL) != 0)
		return -EINVAL;
	if (!fits(snprintf(g->repo, sizeof(g->repo), "%s/repos/%s.git",
	    data_dir, app), sizeof(g->repo)) ||
	    !fits(snprintf(g->hooks, sizeof(g->hooks),
	    "core.hooksPath=%s/hooks", data_dir), sizeof(g->hooks)) ||
	    !fits(snprintf(g->data, sizeof(g->data), "PAAS_DATA=%s",
	    data_dir), sizeof(g->data)))
		return -EINVAL;
	snprintf(g->maxin, sizeof(g->maxin), "receive.maxInputSize=%llu",
	    max_bytes ? max_bytes : GITCMD_PACK_MAX_BYTES);
	snprintf(g->app, sizeof(g->app), "PAAS_APP=%s", app);
	g->argv[i++] = GITCMD_GIT;
	g->argv[i++] = "-c";
	g->argv[i++] = "receive.fsckObjects=true";
	g->argv[i++] = "-c";
	g->argv[i++] = "transfer.fsckObjects=true";
	g->argv[i++] = "-c";
	g->argv[i++] = g->maxin;
	g->argv[i++] = "-c";
	g->argv[i++] = "receive.denyDeletes=true";
	g->argv[i++] = "-c";
	g->argv[i++] = "receive.denyNonFastForwards=false";
	g->argv[i++] = "-c";
	g->argv[i++] = g->hooks;
	g->argv[i++] = "-c";
	g->argv[i++] = "uploadpack.allowFilter=false";
	g->argv[i++] = svc == GITCMD_RECEIVE ? "receive-pack" : "upload-pack";
	if (stateless)
		g->argv[i++] = "--stateless-rpc";
	if (advertise)
		g->argv[i++] = "--advertise-refs";
	g->argv[i++] = "--end-of-options";
	g->argv[i++] = g->repo;
	g->argv[i] = NULL;
	i = 0;
	g->envp[i++] = "PATH=/usr/local/bin:/usr/bin:/bin";
	g->envp[i++] = "HOME=/nonexistent";
	g->envp[i++] = "GIT_CONFIG_NOSYSTEM=1";
	g->envp[i++] = "GIT_CONFIG_GLOBAL=/dev/null";
	g->envp[i++] = g->app;
	g->envp[i++] = g->data;
	g->envp[i] = NULL;
	return 0;
}

int
gitcmd_limit_write(const char *data_dir, unsigned long long max_bytes)
{
	char	path[400], line[32];
	int	n;

	n = snprintf(line, sizeof(line), "%llu\n", max_bytes);
	if (!fits(snprintf(path, sizeof(path), "%s/%s", data_dir,
	    GITCMD_LIMIT_FILE), sizeof(path)))
		return -ENAMETOOLONG;
	return atomic_write(path, line, (size_t)n, 0644);
}

unsigned long long
gitcmd_limit_read(const char *data_dir)
{
	char		path[400], line[32];
	uint64_t	v;
	ssize_t		n;
	int		fd;

	if (!fits(snprintf(path, sizeof(path), "%s/%s", data_dir,
	    GITCMD_LIMIT_FILE), sizeof(path)))
		return GITCMD_PACK_MAX_BYTES;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return GITCMD_PACK_MAX_BYTES;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 1 || line[n - 1] != '\n' ||
	    parse_u64(line, (size_t)n - 1, 1, UINT64_MAX, &v) != 0)
		return GITCMD_PACK_MAX_BYTES;
	return v;
}
