#ifndef PAAS_ATOMIC_H
#define PAAS_ATOMIC_H

#include <sys/types.h>

#include <stddef.h>

/*
 * atomic_write() replaces path with data: a sibling "PATH.new" is made
 * afresh (O_EXCL, O_NOFOLLOW: a symlink planted there is removed, never
 * followed), written, given mode (past the umask), fsync'd and renamed
 * over path, so readers see the old file or the new one, never a part.
 * Returns 0 or a negative errno; on failure path is unchanged.
 */
int	atomic_write(const char *path, const void *data, size_t len,
	    mode_t mode);

#endif
