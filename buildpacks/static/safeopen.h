#ifndef STATIC_SAFEOPEN_H
#define STATIC_SAFEOPEN_H

/*
 * How a path under the site root is resolved. SAFEOPEN_BENEATH uses
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS): symlinks are followed
 * as long as they stay inside the root. SAFEOPEN_WALK opens one component
 * at a time with O_NOFOLLOW: no symlink is followed at all. SAFEOPEN_AUTO
 * uses BENEATH and falls back to WALK, for good, when the kernel (or a
 * seccomp filter) refuses openat2.
 */
enum safeopen_mode {
	SAFEOPEN_AUTO,
	SAFEOPEN_BENEATH,
	SAFEOPEN_WALK,
};

/*
 * safeopen() opens rel ("" for the root itself, components separated by
 * single slashes, no "." or "..", as urlpath_normalize() makes them)
 * under the directory rootfd, with flags plus O_CLOEXEC|O_NOCTTY.
 * Returns the fd, or a negative errno: -ELOOP/-EXDEV/-ENOTDIR when a
 * symlink or a non-directory is in the way, -ENOENT, -EACCES...
 */
int	safeopen(int rootfd, const char *rel, int flags,
	    enum safeopen_mode mode);

#endif
