#ifndef PAAS_GITCMD_H
#define PAAS_GITCMD_H

#include <stddef.h>

/*
 * gitcmd: how the platform runs git on an app's repository, the same for
 * smart HTTP (paasd) and SSH (paas-git-shell): /usr/bin/git with
 * platform-owned settings on the command line (fsck on, an input size
 * cap, deletes refused, hooks from DATA/hooks), --end-of-options before
 * the path, and a clean environment.
 */
#define GITCMD_GIT		"/usr/bin/git"
#define GITCMD_PACK_MAX_BYTES	(1024ULL * 1024 * 1024)	/* receive.maxInputSize */
#define GITCMD_LIMIT_FILE	"push-max-bytes"	/* DATA/...: paasd's
							   --max-push-size */
#define GITCMD_ARGV_MAX		32
#define GITCMD_ENVP_MAX		10

enum gitcmd_service {
	GITCMD_RECEIVE,		/* git receive-pack */
	GITCMD_UPLOAD,		/* git upload-pack */
};

/* Storage for the strings that argv and envp point into. */
struct gitcmd {
	char	*argv[GITCMD_ARGV_MAX];
	char	*envp[GITCMD_ENVP_MAX];
	char	 repo[512], hooks[560], maxin[64], app[64], data[300];
};

/*
 * gitcmd_init() fills g for app's repository under data_dir. stateless
 * adds --stateless-rpc (smart HTTP), advertise --advertise-refs;
 * max_bytes is receive.maxInputSize (0: GITCMD_PACK_MAX_BYTES).
 * Returns 0, or -EINVAL for a bad app name or a path too long.
 */
int	gitcmd_init(struct gitcmd *g, const char *data_dir, const char *app,
	    enum gitcmd_service, int stateless, int advertise,
	    unsigned long long max_bytes);

/*
 * The push limit paasd runs with, for paas-git-shell: written to
 * DATA/GITCMD_LIMIT_FILE at start-up (atomically), read back here;
 * a missing or bad file reads as GITCMD_PACK_MAX_BYTES.
 */
int	gitcmd_limit_write(const char *data_dir, unsigned long long max_bytes);
unsigned long long gitcmd_limit_read(const char *data_dir);

#endif
