#ifndef PAAS_OCI_H
#define PAAS_OCI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "perr.h"

/*
 * The image store: one OCI image layout (image-spec v1.0) under a root
 * directory, shared by every app: "oci-layout", "index.json" and
 * content-addressed "blobs/sha256/HEX". Blobs are written to a temp file
 * in blobs/sha256/, fsynced and renamed into place (the directory is
 * fsynced too), so a blob either is whole or is not there; writing an
 * existing blob replaces it with the same bytes and refreshes its mtime.
 * index.json is rewritten the same way under flock() on the root, with
 * one entry per ref ("org.opencontainers.image.ref.name"); paas-build
 * names refs "APP-vN". paas-build writes, paasd unpacks and collects.
 * Directories are created 0700: builds run as app users and must not
 * read other apps' slugs from the store.
 */

#define OCI_DIGEST_LEN		72	/* "sha256:" + 64 hex + NUL */
#define OCI_MEDIA_LEN		64
#define OCI_REF_MAX		128
#define OCI_LAYER_MAX_ENTRIES	1000000
#define OCI_LAYER_MAX_BYTES	(1024ULL * 1024 * 1024)
#define OCI_UNPACK_MAX_RATIO	100
#define OCI_JSON_MAX_BYTES	(1024 * 1024)	/* manifest, config, index */

#define OCI_MT_MANIFEST	"application/vnd.oci.image.manifest.v1+json"
#define OCI_MT_CONFIG	"application/vnd.oci.image.config.v1+json"
#define OCI_MT_INDEX	"application/vnd.oci.image.index.v1+json"
#define OCI_MT_LAYER	"application/vnd.oci.image.layer.v1.tar"
#define OCI_MT_LAYER_GZ	"application/vnd.oci.image.layer.v1.tar+gzip"
#define OCI_MT_LAYER_ZS	"application/vnd.oci.image.layer.v1.tar+zstd"

enum oci_compress {
	OCI_COMPRESS_NONE,
	OCI_COMPRESS_GZIP,
	OCI_COMPRESS_ZSTD,
};

struct oci_desc {
	char		media_type[OCI_MEDIA_LEN];
	char		digest[OCI_DIGEST_LEN];
	uint64_t	size;		/* bytes of the blob */
};

struct oci_layer {
	struct oci_desc	desc;			/* the (compressed) blob */
	char		diff_id[OCI_DIGEST_LEN];	/* sha256 of the tar */
	uint64_t	tar_bytes;		/* uncompressed size */
	uint64_t	entries;		/* entries written */
	uint64_t	skipped;		/* devices, fifos, sockets */
};

struct oci_layer_opts {
	enum oci_compress	 compress;
	int			 level;		/* 0: the filter's default */
	int64_t			 mtime;		/* every entry's mtime */
	const char		*prefix;	/* entries are PREFIX/...; "app" */
	uint64_t		 max_entries;
	uint64_t		 max_bytes;	/* file bytes, uncompressed */
	int			 check_owner;	/* see below */
	uid_t			 owner;
};

/*
 * oci_layer_write() packs the tree under srcdir as a layer blob: pax tar,
 * each directory's entries sorted by name (bytes), every mtime =
 * opts->mtime, uid/gid 0 and no user/group names, permissions masked to
 * 0777 (no setuid, setgid or sticky bit), hardlinks kept as links.
 * Device nodes, fifos and sockets are skipped and counted. Symlinks are
 * stored, never followed. With check_owner, a file with more than one
 * link that is not owned by owner is refused (a build could hardlink a
 * host file it cannot read into its slug). Both digests are computed as
 * the bytes stream out. The same tree and options give the same digest.
 */
int	oci_layer_write(const char *root, const char *srcdir,
	    const struct oci_layer_opts *opts, struct oci_layer *out,
	    struct perr *err);
void	oci_layer_opts_default(struct oci_layer_opts *);

int	oci_layout_init(const char *root, struct perr *err);
int	oci_blob_write(const char *root, const char *media_type,
	    const void *p, size_t len, struct oci_desc *out, struct perr *err);
/* oci_blob_read() reads a whole blob of at most max bytes, checking it */
int	oci_blob_read(const char *root, const char *digest, size_t max,
	    char **out, size_t *outlen, struct perr *err);

struct oci_kv {
	const char	*key;
	const char	*value;
};

struct oci_image {
	const char		*const *env;	/* "KEY=value" */
	size_t			 nenv;
	const char		*user;		/* "1000:1000" or NULL */
	const char		*workdir;	/* "/app" */
	const struct oci_kv	*labels;
	size_t			 nlabels;
	int64_t			 created;	/* seconds since the epoch */
	const struct oci_layer	*layers;
	size_t			 nlayers;
};

/*
 * oci_image_write() writes the image config (architecture amd64, os
 * linux) and the manifest as blobs, as canonical JSON (sorted keys,
 * compact), and returns the manifest's descriptor.
 */
int	oci_image_write(const char *root, const struct oci_image *img,
	    struct oci_desc *manifest, struct perr *err);
/* oci_ref_set() points ref at manifest in index.json, replacing it */
int	oci_ref_set(const char *root, const char *ref,
	    const struct oci_desc *manifest, struct perr *err);
int	oci_ref_get(const char *root, const char *ref, struct oci_desc *out,
	    struct perr *err);
/* oci_ref_valid(): 1..128 of [A-Za-z0-9._-], starting alphanumeric */
int	oci_ref_valid(const char *ref);

struct oci_unpack_limits {
	uint64_t	max_entries;
	uint64_t	max_bytes;	/* uncompressed file bytes in total */
	unsigned	max_ratio;	/* uncompressed : compressed */
};

/*
 * oci_layer_unpack() extracts a layer blob (tar, tar+gzip or tar+zstd)
 * into dest, which must not exist: in a forked child chdir'd into a
 * fresh temp dir beside dest, with libarchive's secure flags (no "..",
 * no absolute paths, no writing through symlinks), permissions masked
 * to 0755 (no setuid/setgid/sticky, no group/other write), owners not
 * restored, only files, dirs, symlinks and hardlinks, and the limits
 * checked; then the temp dir is renamed to dest. If dest appeared
 * meanwhile (another unpack won), the result is the same and 0 is
 * returned. A NULL lim means the OCI_* defaults.
 */
int	oci_layer_unpack(const char *root, const char *digest,
	    const char *dest, const struct oci_unpack_limits *lim,
	    struct perr *err);

struct oci_gc_stats {
	uint64_t	kept;		/* blobs kept */
	uint64_t	removed;	/* blobs removed */
	uint64_t	bytes_freed;
	uint64_t	refs_dropped;	/* index.json entries dropped */
};

/*
 * oci_gc() keeps the given manifests (digests), their configs and their
 * layers; it drops index.json refs to any other manifest and removes
 * every other blob (and stale temp file) whose mtime is at least
 * min_age_sec old, so that a build writing its blobs right now is safe.
 */
int	oci_gc(const char *root, const char *const *keep, size_t nkeep,
	    int64_t min_age_sec, struct oci_gc_stats *st, struct perr *err);

#endif
