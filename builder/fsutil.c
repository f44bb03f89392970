#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

#define FSUTIL_NFTW_FDS		64
#define FSUTIL_COPY_MAX_DEPTH	256

/* nftw() has no user pointer: paas-build is single-threaded */
static uid_t	 walk_uid;
static gid_t	 walk_gid;
static uint64_t	 walk_bytes;
static int	 walk_errno;
static char	 walk_path[256];

static void
walk_fail(const char *path)
{
	if (walk_errno == 0) {
		walk_errno = errno ? errno : EIO;
		(void)strncpy(walk_path, path, sizeof(walk_path) - 1);
		walk_path[sizeof(walk_path) - 1] = '\0';
	}
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) != 0 &&
	    errno != ENOENT)
		walk_fail(path);
	return 0;
}

int
fsutil_rm_rf(const char *path, struct perr *err)
{
	struct stat	st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : perr_set(err, -errno,
		    "remove '%s': %s", path, strerror(errno));
	walk_errno = 0;
	if (nftw(path, rm_one, FSUTIL_NFTW_FDS, FTW_DEPTH | FTW_PHYS) != 0)
		walk_fail(path);
	if (walk_errno != 0)
		return perr_set(err, -walk_errno, "remove '%s': %s",
		    walk_path, strerror(walk_errno));
	return 0;
}

static int
chown_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (lchown(path, walk_uid, walk_gid) != 0)
		walk_fail(path);
	return 0;
}

int
fsutil_chown_r(const char *path, uid_t uid, gid_t gid, struct perr *err)
{
	walk_uid = uid;
	walk_gid = gid;
	walk_errno = 0;
	if (nftw(path, chown_one, FSUTIL_NFTW_FDS, FTW_PHYS) != 0)
		walk_fail(path);
	if (walk_errno != 0)
		return perr_set(err, -walk_errno, "chown '%s': %s", walk_path,
		    strerror(walk_errno));
	return 0;
}

static int
sanitize_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_SL || flag == FTW_SLN)
		return 0;
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) ||
	    S_ISFIFO(st->st_mode) || S_ISSOCK(st->st_mode)) {
		if (unlink(path) != 0)
			walk_fail(path);
		return 0;
	}
	if ((st->st_mode & (S_ISUID | S_ISGID)) &&
	    fchmodat(AT_FDCWD, path, st->st_mode & 01777, 0) != 0)
		walk_fail(path);
	if (S_ISREG(st->st_mode))
		walk_bytes += (uint64_t)st->st_size;
	return 0;
}

int
fsutil_sanitize(const char *path, uint64_t *bytes, struct perr *err)
{
	walk_errno = 0;
	walk_bytes = 0;
	if (nftw(path, sanitize_one, FSUTIL_NFTW_FDS, FTW_PHYS) != 0)
		walk_fail(path);
	*bytes = walk_bytes;
	if (walk_errno != 0)
		return perr_set(err, -walk_errno, "sanitize '%s': %s",
		    walk_path, strerror(walk_errno));
	return 0;
}

int
fsutil_read_at(int dirfd, const char *name, size_t max, char **out,
    size_t *outlen, struct perr *err)
{
	struct stat	 st;
	char		*p = NULL;
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd, rc;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK);
	if (fd < 0)
		return perr_set(err, -errno, "open '%s': %s", name,
		    errno == ELOOP ? "is a symlink" : strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = perr_set(err, -EINVAL, "'%s' is not a regular file", name);
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		rc = perr_set(err, -E2BIG, "'%s' is larger than %zu bytes",
		    name, max);
		goto out;
	}
	p = malloc(max + 1);
	if (p == NULL) {
		rc = perr_set(err, -ENOMEM, "read '%s': out of memory", name);
		goto out;
	}
	while (got <= max && (n = read(fd, p + got, max + 1 - got)) > 0)
		got += (size_t)n;
	if (got > max) {
		rc = perr_set(err, -E2BIG, "'%s' is larger than %zu bytes",
		    name, max);
		goto out;
	}
	p[got] = '\0';
	*out = p;
	*outlen = got;
	p = NULL;
	rc = 0;
out:
	free(p);
	close(fd);
	return rc;
}

static int copy_dir(int sfd, int dfd, int depth, struct perr *err);

static int
copy_file(int sfd, int dfd, const char *name, mode_t mode, struct perr *err)
{
	char	buf[65536];
	ssize_t	n;
	int	in, outfd = -1, rc = 0;

	in = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return perr_set(err, -errno, "copy '%s': %s", name,
		    strerror(errno));
	outfd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, mode & 0755);
	if (outfd < 0)
		rc = -errno;
	while (rc == 0 && (n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 || write(outfd, buf, (size_t)n) != n)
			rc = -(errno ? errno : EIO);
	}
	if (rc == 0 && fchmod(outfd, mode & 0755) != 0)
		rc = -errno;
	if (outfd >= 0 && close(outfd) != 0 && rc == 0)
		rc = -errno;
	close(in);
	if (rc != 0)
		perr_set(err, rc, "copy '%s': %s", name, strerror(-rc));
	return rc;
}

static int
copy_entry(int sfd, int dfd, const char *name, int depth, struct perr *err)
{
	struct stat	st;
	char		target[4097];
	ssize_t		n;
	int		s2, d2, rc;

	if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return perr_set(err, -errno, "copy '%s': %s", name,
		    strerror(errno));
	if (S_ISREG(st.st_mode))
		return copy_file(sfd, dfd, name, st.st_mode, err);
	if (S_ISLNK(st.st_mode)) {
		n = readlinkat(sfd, name, target, sizeof(target) - 1);
		if (n < 0)
			return perr_set(err, -errno, "copy '%s': %s", name,
			    strerror(errno));
		target[n] = '\0';
		if (symlinkat(target, dfd, name) != 0)
			return perr_set(err, -errno, "copy '%s': %s", name,
			    strerror(errno));
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return 0;
	if (mkdirat(dfd, name, 0755) != 0)
		return perr_set(err, -errno, "copy '%s': %s", name,
		    strerror(errno));
	s2 = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	d2 = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s2 < 0 || d2 < 0)
		rc = perr_set(err, -errno, "copy '%s': %s", name,
		    strerror(errno));
	else
		rc = copy_dir(s2, d2, depth + 1, err);
	if (s2 >= 0)
		close(s2);
	if (d2 >= 0)
		close(d2);
	return rc;
}

static int
copy_dir(int sfd, int dfd, int depth, struct perr *err)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd, rc = 0;

	if (depth > FSUTIL_COPY_MAX_DEPTH)
		return perr_set(err, -ELOOP, "copy: tree deeper than %d",
		    FSUTIL_COPY_MAX_DEPTH);
	fd = dup(sfd);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return perr_set(err, -errno, "copy: %s", strerror(errno));
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		rc = copy_entry(sfd, dfd, de->d_name, depth, err);
	}
	closedir(d);
	return rc;
}

int
fsutil_copy_tree(const char *src, const char *dst, struct perr *err)
{
	int	sfd = -1, dfd = -1, rc;

	sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0)
		return perr_set(err, -errno, "open '%s': %s", src,
		    strerror(errno));
	if (mkdir(dst, 0755) != 0 || (dfd = open(dst, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) < 0) {
		rc = perr_set(err, -errno, "create '%s': %s", dst,
		    strerror(errno));
		goto out;
	}
	rc = copy_dir(sfd, dfd, 0, err);
out:
	close(sfd);
	if (dfd >= 0)
		close(dfd);
	return rc;
}
