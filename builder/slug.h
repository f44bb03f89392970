#ifndef PAAS_BUILDER_SLUG_H
#define PAAS_BUILDER_SLUG_H

#include <jansson.h>

#include "build.h"

/*
 * slug_image() packs BUILD_DIR (the future /app) as one OCI layer and
 * writes the image and its ref into the store. The image config has
 * Env (PATH, HOME=/app, STACK), WorkingDir /app, User uid:gid (the build
 * user, or 1000:1000) and labels paas.app, paas.commit, paas.stack,
 * paas.process_types (JSON object), paas.buildpacks (JSON array) and
 * org.opencontainers.image.revision. The ref is --ref, else APP-vN with
 * --release-version N, else APP-COMMIT.
 */
int	slug_image(struct build *b, struct perr *err);
/* slug_process_types() is {"type": "command", ...} in Procfile order */
json_t	*slug_process_types(const struct procfile *pf);
json_t	*slug_buildpacks(const struct build *b);

#endif
