#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slug.h"

json_t *
slug_process_types(const struct procfile *pf)
{
	json_t	*o = json_object();
	size_t	 i;

	for (i = 0; i < pf->n; i++)
		json_object_set_new(o, pf->v[i].type,
		    json_string(pf->v[i].command));
	return o;
}

json_t *
slug_buildpacks(const struct build *b)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; i < b->npacks; i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "url",
		    b->packs[i].spec, "name", b->packs[i].name));
	return a;
}

static char *
dump(json_t *j)
{
	char	*s;

	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

static void
ref_name(struct build *b)
{
	if (b->ref != NULL)
		(void)snprintf(b->refname, sizeof(b->refname), "%s", b->ref);
	else if (b->release_version > 0)
		(void)snprintf(b->refname, sizeof(b->refname), "%s-v%u",
		    b->app, b->release_version);
	else
		(void)snprintf(b->refname, sizeof(b->refname), "%s-%s",
		    b->app, b->co.commit);
}

static void
human_size(uint64_t n, char *out, size_t outlen)
{
	if (n >= 1024 * 1024)
		(void)snprintf(out, outlen, "%.1fM", (double)n / 1048576.0);
	else
		(void)snprintf(out, outlen, "%.1fK", (double)n / 1024.0);
}

int
slug_image(struct build *b, struct perr *err)
{
	struct oci_layer_opts	 lo;
	struct buf		 path = BUF_INIT, stack = BUF_INIT;
	struct buf		 user = BUF_INIT;
	char			*types = NULL, *packs = NULL, size[32];
	const char		*env[3];
	struct oci_kv		 labels[7];
	struct oci_image	 img;
	int			 rc;

	oci_layer_opts_default(&lo);
	lo.compress = b->compress;
	lo.level = b->level;
	lo.mtime = b->epoch >= 0 ? b->epoch : b->co.commit_time;
	lo.max_bytes = BUILD_SLUG_MAX_BYTES;
	lo.check_owner = b->drop;
	lo.owner = b->uid;
	say_step("Compressing...");
	if ((rc = oci_layer_write(b->images, b->app_dir.p, &lo, &b->layer,
	    err)) != 0)
		goto out;
	human_size(b->layer.desc.size, size, sizeof(size));
	say_info("Done: %s", size);
	if (b->layer.skipped > 0)
		say_warn(b, "special files left out of the slug (devices, "
		    "fifos, sockets): %llu",
		    (unsigned long long)b->layer.skipped);
	buf_addf(&path, "PATH=%s", BUILD_PATH);
	buf_addf(&stack, "STACK=%s", b->stack);
	env[0] = path.p;
	env[1] = "HOME=/app";
	env[2] = stack.p;
	types = dump(slug_process_types(&b->procs));
	packs = dump(slug_buildpacks(b));
	labels[0] = (struct oci_kv){ "org.opencontainers.image.revision",
	    b->co.commit };
	labels[1] = (struct oci_kv){ "paas.app", b->app };
	labels[2] = (struct oci_kv){ "paas.buildpacks", packs };
	labels[3] = (struct oci_kv){ "paas.commit", b->co.commit };
	labels[4] = (struct oci_kv){ "paas.process_types", types };
	labels[5] = (struct oci_kv){ "paas.stack", b->stack };
	if (b->drop)
		buf_addf(&user, "%u:%u", (unsigned)b->uid, (unsigned)b->gid);
	else
		buf_adds(&user, "1000:1000");
	memset(&img, 0, sizeof(img));
	img.env = env;
	img.nenv = 3;
	img.user = user.p;
	img.workdir = "/app";
	img.labels = labels;
	img.nlabels = 6;
	img.created = lo.mtime;
	img.layers = &b->layer;
	img.nlayers = 1;
	if ((rc = oci_image_write(b->images, &img, &b->manifest, err)) != 0)
		goto out;
	ref_name(b);
	rc = oci_ref_set(b->images, b->refname, &b->manifest, err);
out:
	free(types);
	free(packs);
	buf_release(&path);
	buf_release(&stack);
	buf_release(&user);
	return rc;
}
