#ifndef PAAS_BUILDER_BUILDPACK_H
#define PAAS_BUILDER_BUILDPACK_H

#include "build.h"

/*
 * The classic Heroku buildpack API. buildpack_select() fills b->packs:
 * the --buildpack specs, else the app's .buildpacks file, else
 * BUILDPACK_URL from ENV_DIR, else the first built-in (nodejs, python,
 * go, c, static, procfile, in --buildpacks-dir) whose bin/detect passes.
 * A spec is a built-in NAME (or heroku/NAME), an absolute local path, or
 * a git URL with an optional #ref, cloned with libgit2 as the build user
 * under the build deadline. Each pack is copied to WORK/buildpacks/N,
 * owned by the build user, so that it can write its export file.
 * buildpack_compile_all() runs every pack's bin/compile with the exports
 * of the packs before it sourced; buildpack_release() reads the last
 * pack's bin/release. Every step runs through sandbox_run().
 */
int	buildpack_select(struct build *b, struct perr *err);
int	buildpack_compile_all(struct build *b, struct perr *err);
int	buildpack_release(struct build *b, struct perr *err);
/* buildpack_spec_kind() is pure: 'n'ame, 'p'ath, 'u'rl or 0 (invalid) */
int	buildpack_spec_kind(const char *spec);
/* buildpack_env() builds the step environment (NULL-terminated) */
char	**buildpack_env(const struct build *b);
void	buildpack_env_free(char **env);
void	buildpack_release_all(struct build *b);

#endif
