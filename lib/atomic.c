#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"

int
atomic_write(const char *path, const void *data, size_t len, mode_t mode)
{
	const char	*p = data;
	char		 tmp[4096 + 8];
	ssize_t		 n;
	size_t		 off = 0;
	int		 fd, rc = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    mode & 07777);
	if (fd < 0)
		return -errno;
	while (rc == 0 && off < len) {
		n = write(fd, p + off, len - off);
		if (n > 0)
			off += (size_t)n;
		else if (n < 0 && errno != EINTR)
			rc = -errno;
		else if (n == 0)
			rc = -EIO;
	}
	if (rc == 0 && (fchmod(fd, mode & 07777) != 0 || fsync(fd) != 0))
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		(void)unlink(tmp);
	return rc;
}
