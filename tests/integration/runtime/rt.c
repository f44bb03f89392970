#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt.h"

int
rt_scratch(char *out, size_t outlen)
{
	if (snprintf(out, outlen, "/tmp/paas-rt.XXXXXX") >= (int)outlen)
		return -1;
	return mkdtemp(out) == NULL ? -1 : 0;
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_DP)
		return rmdir(p) == -1 && errno != ENOENT ? -1 : 0;
	return unlink(p) == -1 && errno != ENOENT ? -1 : 0;
}

int
rt_rmrf(const char *path)
{
	if (path == NULL || path[0] == '\0')
		return 0;
	return nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

int
rt_mkdirs(const char *path)
{
	char tmp[1024], *p;

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -1;
	for (p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(tmp, 0755) == -1 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(tmp, 0755) == -1 && errno != EEXIST ? -1 : 0;
}

int
rt_write(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd, rc;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		return -1;
	rc = write(fd, text, len) == (ssize_t)len ? 0 : -1;
	close(fd);
	return rc;
}

ssize_t
rt_read(const char *path, char *out, size_t outlen)
{
	ssize_t n;
	int fd;

	out[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, out, outlen - 1);
	close(fd);
	if (n >= 0)
		out[n] = '\0';
	return n;
}

const char *
rt_bin(void)
{
	static char abs[4096];
	const char *b = getenv("PAAS_BIN");

	if (abs[0] == '\0' && realpath(b != NULL ? b : "bin", abs) == NULL)
		snprintf(abs, sizeof(abs), "%s", b != NULL ? b : "bin");
	return abs;
}

size_t
rt_drain(int fd, char *out, size_t outlen)
{
	size_t len = 0;
	ssize_t n;
	char junk[4096];

	for (;;) {
		if (len < outlen - 1)
			n = read(fd, out + len, outlen - 1 - len);
		else
			n = read(fd, junk, sizeof(junk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len < outlen - 1)
			len += (size_t)n;
	}
	out[len] = '\0';
	return len;
}
