#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "paas_static.h"
#include "safeopen.h"

static int openat2_refused;	/* openat2 gave ENOSYS/EPERM once */

static int
open_beneath(int rootfd, const char *rel, int flags)
{
	struct open_how	how;
	long		fd;

	memset(&how, 0, sizeof(how));
	how.flags = (unsigned long long)(flags | O_CLOEXEC | O_NOCTTY);
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	fd = syscall(SYS_openat2, rootfd, *rel ? rel : ".", &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

static int
open_walk(int rootfd, const char *rel, int flags)
{
	char		 comp[STATIC_PATH_MAX_BYTES];
	const char	*p = rel, *slash;
	size_t		 len;
	int		 dfd = rootfd, fd;

	if (*rel == '\0') {
		fd = openat(rootfd, ".", flags | O_CLOEXEC | O_NOCTTY);
		return fd < 0 ? -errno : fd;
	}
	for (;;) {
		slash = strchr(p, '/');
		len = slash ? (size_t)(slash - p) : strlen(p);
		if (len == 0 || len >= sizeof(comp)) {
			fd = len ? -ENAMETOOLONG : -EINVAL;
			break;
		}
		memcpy(comp, p, len);
		comp[len] = '\0';
		if (slash == NULL) {
			fd = openat(dfd, comp, flags | O_NOFOLLOW | O_CLOEXEC |
			    O_NOCTTY);
			fd = fd < 0 ? -errno : fd;
			break;
		}
		fd = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd < 0) {
			fd = -errno;
			break;
		}
		if (dfd != rootfd)
			close(dfd);
		dfd = fd;
		p = slash + 1;
	}
	if (dfd != rootfd)
		close(dfd);
	return fd;
}

int
safeopen(int rootfd, const char *rel, int flags, enum safeopen_mode mode)
{
	int	fd;

	if (mode == SAFEOPEN_WALK || (mode == SAFEOPEN_AUTO && openat2_refused))
		return open_walk(rootfd, rel, flags);
	fd = open_beneath(rootfd, rel, flags);
	if (mode == SAFEOPEN_AUTO && (fd == -ENOSYS || fd == -EPERM)) {
		openat2_refused = 1;
		return open_walk(rootfd, rel, flags);
	}
	return fd;
}
