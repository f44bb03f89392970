#ifndef PAAS_BUILDER_FSUTIL_H
#define PAAS_BUILDER_FSUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "perr.h"

/*
 * Filesystem helpers for paas-build. None follows a symlink: trees are
 * walked with nftw(FTW_PHYS) and symlinks are handled as links.
 */

/* fsutil_rm_rf() removes path and everything below; a missing path is 0 */
int	fsutil_rm_rf(const char *path, struct perr *err);
/* fsutil_chown_r() gives path and everything below to uid:gid */
int	fsutil_chown_r(const char *path, uid_t uid, gid_t gid,
	    struct perr *err);
/*
 * fsutil_sanitize() clears setuid/setgid bits and removes device nodes,
 * fifos and sockets below path; *bytes gets the size of what is left.
 */
int	fsutil_sanitize(const char *path, uint64_t *bytes, struct perr *err);
/* fsutil_read_at() reads a regular file (no symlink) of at most max bytes */
int	fsutil_read_at(int dirfd, const char *name, size_t max, char **out,
	    size_t *outlen, struct perr *err);
/* fsutil_copy_tree() copies src to dst (must not exist), links as links */
int	fsutil_copy_tree(const char *src, const char *dst, struct perr *err);

#endif
