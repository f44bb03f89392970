#ifndef PAAS_BUILDER_CHECKOUT_H
#define PAAS_BUILDER_CHECKOUT_H

#include <stdint.h>
#include <sys/types.h>

#include "perr.h"

/*
 * checkout_commit() writes the tree of a commit of a (bare) repository
 * into dest, a directory it creates (it must not exist), without .git.
 *
 * First the whole tree is scanned, writing nothing: entry count, total
 * blob bytes, the longest path and the deepest nesting are computed per
 * distinct tree object and memoised by object id, so a "git bomb" (a few
 * KB of trees naming 10^9 paths) is refused after visiting each distinct
 * object once, in memory bounded by the number of distinct objects. The
 * scan also refuses names that are empty, ".", "..", contain '/', or are
 * ".git" in any case, and symlinks whose target is absolute, contains a
 * ".." after a normal component, or climbs above the tree root. Only
 * then is anything written: directories 0755, files 0644 or 0755,
 * through openat(O_NOFOLLOW|O_EXCL) under directory fds; submodules are
 * skipped; paths matched by the commit's .slugignore are not written.
 * With owner set, everything is chowned to uid:gid. On failure dest is
 * removed.
 */
#define CHECKOUT_MAX_ENTRIES	1000000
#define CHECKOUT_MAX_BYTES	(1024ULL * 1024 * 1024)
#define CHECKOUT_MAX_PATH	4096
#define CHECKOUT_MAX_DEPTH	256
#define CHECKOUT_MAX_LINK	4096	/* bytes of a symlink target */

struct checkout_limits {
	uint64_t	max_entries;
	uint64_t	max_bytes;
	uint32_t	max_path;	/* bytes of a path below the root */
	uint32_t	max_depth;	/* components of a path */
};

struct checkout_opts {
	struct checkout_limits	 lim;
	const char		*objects;	/* extra object dir, or NULL:
						   git's quarantine during a push */
	int			 chown;		/* give files to uid:gid */
	uid_t			 uid;
	gid_t			 gid;
};

struct checkout_result {
	uint64_t	entries;	/* tree entries, with multiplicity */
	uint64_t	bytes;		/* blob bytes, with multiplicity */
	int64_t		commit_time;	/* seconds since the epoch */
	char		commit[41];	/* full hex id */
	uint64_t	ignored;	/* entries dropped by .slugignore */
};

void	checkout_opts_default(struct checkout_opts *);
int	checkout_commit(const char *repo, const char *rev, const char *dest,
	    const struct checkout_opts *, struct checkout_result *,
	    struct perr *err);

#endif
