#ifndef STATIC_URLPATH_H
#define STATIC_URLPATH_H

#include <stddef.h>

#include "slice.h"

/*
 * urlpath_normalize() turns an origin-form request target ("/a/b?q") into
 * a path relative to the site root: the query is dropped, %XX escapes are
 * decoded, "." segments and repeated slashes vanish. out receives "" for
 * the root, never a leading slash; *dirp is 1 when the target ended in
 * '/'. Returns 0, -EINVAL for a target that is not origin-form, has a bad
 * escape, a NUL or a ".." segment (also when spelled %2e%2e), -ENOENT for
 * a hidden segment (".env", ".git"; ".well-known" is allowed), and
 * -ENAMETOOLONG when the result does not fit in outlen bytes with its NUL.
 */
int	urlpath_normalize(struct slice target, char *out, size_t outlen,
	    int *dirp);

/*
 * urlpath_escape() writes "/" + path with every byte outside
 * [A-Za-z0-9-._~/] percent-encoded, for a Location header. Returns the
 * length, or -ENAMETOOLONG when it does not fit in outlen with its NUL.
 */
int	urlpath_escape(const char *path, char *out, size_t outlen);

#endif
