#ifndef TEST_PACKRUN_H
#define TEST_PACKRUN_H

#include <stddef.h>

#include "buf.h"

/*
 * Helpers for the buildpack script tests: fixtures in temp dirs and one
 * way to run PACK/bin/SCRIPT. The packs are found in $PAAS_SRC/buildpacks,
 * else ./buildpacks (make runs the tests from the top of the tree).
 */

/* packrun_init() finds the packs; 0, or -1 with a message on stderr. */
int	packrun_init(void);

/*
 * packrun_fixture() makes a temp dir (its path in dir) holding the
 * space-separated files, empty, parents created. 0 or -1.
 */
int	packrun_fixture(char *dir, size_t dirlen, const char *files);

/* packrun_write() writes text to dir/name (parents must exist). */
int	packrun_write(const char *dir, const char *name, const char *text);

/*
 * packrun_copy() copies the built-in pack to the path to, for scripts
 * that write into their own directory (bin/compile's `export`).
 */
int	packrun_copy(const char *pack, const char *to);

/* packrun_rm() removes the tree at dir. */
void	packrun_rm(const char *dir);

/*
 * packrun() runs PACK/bin/SCRIPT (PACK: a built-in's name, or the
 * absolute path of a pack directory) with args (NULL-terminated, after the
 * program name) and envp (NULL: inherit), stdout into out and stderr
 * into err (either may be NULL). Returns the exit status, -1 when it did
 * not exit normally.
 */
int	packrun(const char *pack, const char *script, const char *const *args,
	    char *const *envp, struct buf *out, struct buf *err);

#endif
