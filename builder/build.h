#ifndef PAAS_BUILDER_BUILD_H
#define PAAS_BUILDER_BUILD_H

#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "checkout.h"
#include "oci.h"
#include "perr.h"
#include "procfile.h"
#include "release.h"

/* paas-build: program-wide limits and the one context, struct build */

#define BUILD_TIMEOUT_SEC	(15 * 60)
#define BUILD_MAX_PACKS		16
#define BUILD_LOG_MAX_BYTES	(300ULL * 1024 * 1024)
#define BUILD_CACHE_MAX_BYTES	(1024ULL * 1024 * 1024)
#define BUILD_SLUG_MAX_BYTES	(1024ULL * 1024 * 1024)
#define BUILD_FILE_MAX_BYTES	(64 * 1024)	/* .buildpacks, Procfile */
#define BUILD_ENV_MAX_BYTES	(32 * 1024)	/* one ENV_DIR file */
#define BUILD_DETECT_MAX_BYTES	200		/* the name detect prints */
#define BUILD_CLONE_TIMEOUT_SEC	300
#define BUILD_DEFAULT_STACK	"heroku-22"
#define BUILD_PATH		"/usr/local/sbin:/usr/local/bin:" \
				"/usr/sbin:/usr/bin:/sbin:/bin"

struct sandbox;

struct pack {
	char	*spec;		/* as given: NAME, /path or URL[#ref] */
	char	*src;		/* where it was found (built-in dir, path) */
	char	*dir;		/* the build's own copy, WORK/buildpacks/N */
	char	*name;		/* what bin/detect printed */
};

struct build {
	/* command line */
	const char		*repo;
	const char		*objects;	/* push quarantine, or NULL */
	const char		*commit;
	const char		*app;
	const char		*images;
	const char		*cache;
	const char		*work;
	const char		*env_dir;
	const char		*buildpacks_dir;
	const char		*specs[BUILD_MAX_PACKS];
	size_t			 nspecs;
	int			 drop;		/* run steps as uid:gid */
	uid_t			 uid;
	gid_t			 gid;
	unsigned		 timeout_sec;
	unsigned		 release_version;	/* 0: none given */
	const char		*ref;
	const char		*stack;
	enum oci_compress	 compress;
	int			 level;
	int64_t			 epoch;		/* -1: the commit's time */
	int			 keep_work;
	int			 userns;	/* steps in their own user ns */
	uint64_t		 memory_bytes;	/* build cgroup; 0: default */
	uint64_t		 pids;		/* build cgroup; 0: default */
	const char		*init;		/* paas-init, or NULL */

	/* derived */
	struct buf		 app_dir;	/* WORK/app = BUILD_DIR */
	struct buf		 cache_dir;	/* WORK/cache = CACHE_DIR */
	struct buf		 envcopy;	/* WORK/env = ENV_DIR */
	struct buf		 packs_dir;	/* WORK/buildpacks */
	struct buf		 tmp_dir;	/* WORK/tmp = TMPDIR */
	char			*abs_work;	/* work, made absolute */
	char			*abs_packs;	/* buildpacks_dir, ditto */
	struct buf		 sandbox_dir;	/* WORK/sandbox */
	struct sandbox		*sandbox;	/* where the steps run */
	int			 cache_taken;	/* cache moved into WORK */
	int64_t			 deadline_ms;
	uint64_t		 log_bytes;	/* buildpack output so far */
	struct checkout_result	 co;
	struct pack		 packs[BUILD_MAX_PACKS];
	size_t			 npacks;
	struct release_info	 rel;		/* the last pack's */
	struct procfile		 procs;		/* what the release runs */
	int			 from_procfile;
	struct oci_layer	 layer;
	struct oci_desc		 manifest;
	char			 refname[OCI_REF_MAX + 1];
	char			*warnings[8];
	size_t			 nwarnings;
};

/* the build log on stdout, Heroku style */
void	say_step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	say_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	say_warn(struct build *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	say_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	say_line(const char *line, size_t len);
/* say_result() prints the final machine-readable line */
void	say_result(const char *json);

#endif
