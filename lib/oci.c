#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "buf.h"
#include "oci.h"

#define OCI_IO_CHUNK		(256 * 1024)
#define OCI_MAX_DEPTH		256
#define OCI_HARDLINKS_MAX	65536

/* ------------------------------------------------------------ helpers */

static void
hex_digest(EVP_MD_CTX *md, char out[OCI_DIGEST_LEN])
{
	unsigned char	h[EVP_MAX_MD_SIZE];
	unsigned int	n = 0, i;

	EVP_DigestFinal_ex(md, h, &n);
	memcpy(out, "sha256:", 7);
	for (i = 0; i < n && i < 32; i++)
		(void)snprintf(out + 7 + 2 * i, 3, "%02x", h[i]);
}

static int
digest_hex_ok(const char *d)
{
	size_t	i;

	if (strncmp(d, "sha256:", 7) != 0 || strlen(d) != 71)
		return 0;
	for (i = 7; i < 71; i++)
		if (!((d[i] >= '0' && d[i] <= '9') ||
		    (d[i] >= 'a' && d[i] <= 'f')))
			return 0;
	return 1;
}

static int
blob_path(struct buf *b, const char *root, const char *digest)
{
	if (!digest_hex_ok(digest))
		return -EINVAL;
	buf_reset(b);
	buf_addf(b, "%s/blobs/sha256/%s", root, digest + 7);
	return 0;
}

static int
sync_dir(const char *path)
{
	int	fd, rc = 0;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int
mkdir_p(const char *path, mode_t mode)
{
	if (mkdir(path, mode) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int
oci_layout_init(const char *root, struct perr *err)
{
	struct buf	p = BUF_INIT;
	int		fd = -1, rc = 0;
	const char	*layout = "{\"imageLayoutVersion\":\"1.0.0\"}";

	buf_addf(&p, "%s/blobs", root);
	if ((rc = mkdir_p(root, 0700)) != 0 || (rc = mkdir_p(p.p, 0700)) ||
	    (buf_adds(&p, "/sha256"), rc = mkdir_p(p.p, 0700)) != 0) {
		perr_set(err, rc, "create image store '%s': %s", root,
		    strerror(-rc));
		goto out;
	}
	buf_reset(&p);
	buf_addf(&p, "%s/oci-layout", root);
	fd = open(p.p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST)
		goto out;
	if (fd < 0 || write(fd, layout, strlen(layout)) !=
	    (ssize_t)strlen(layout) || fsync(fd) != 0) {
		rc = perr_set(err, -errno, "write '%s': %s", p.p,
		    strerror(errno));
		goto out;
	}
	(void)sync_dir(root);
out:
	if (fd >= 0)
		close(fd);
	buf_release(&p);
	return rc;
}

/* ------------------------------------------------------ blob writing */

struct blobw {
	const char	*root;
	struct buf	 tmp;		/* temp file path */
	int		 fd;
	EVP_MD_CTX	*md;
	uint64_t	 size;
	int		 failed;	/* errno of a failed write */
};

static int
blobw_open(struct blobw *w, const char *root, struct perr *err)
{
	int	e;

	memset(w, 0, sizeof(*w));
	w->root = root;
	w->fd = -1;
	buf_init(&w->tmp);
	buf_addf(&w->tmp, "%s/blobs/sha256/.tmp-XXXXXX", root);
	w->md = EVP_MD_CTX_new();
	if (w->md == NULL || EVP_DigestInit_ex(w->md, EVP_sha256(), NULL) != 1)
		return perr_set(err, -ENOMEM, "sha256: init failed");
	w->fd = mkostemp(w->tmp.p, O_CLOEXEC);
	if (w->fd < 0) {
		e = errno;
		buf_reset(&w->tmp);
		return perr_set(err, -e, "create blob in '%s': %s", root,
		    strerror(e));
	}
	(void)fchmod(w->fd, 0644);
	return 0;
}

static int
blobw_write(struct blobw *w, const void *p, size_t len)
{
	const char	*c = p;
	ssize_t		 n;

	if (w->failed)
		return -w->failed;
	EVP_DigestUpdate(w->md, p, len);
	w->size += len;
	while (len > 0) {
		n = write(w->fd, c, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			w->failed = n < 0 ? errno : EIO;
			return -w->failed;
		}
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

/* blobw_commit() fsyncs and renames the temp file to its digest */
static int
blobw_commit(struct blobw *w, const char *media_type, struct oci_desc *d,
    struct perr *err)
{
	struct buf	dst = BUF_INIT, dir = BUF_INIT;
	int		rc = 0;

	if (w->failed)
		return perr_set(err, -w->failed, "write blob: %s",
		    strerror(w->failed));
	hex_digest(w->md, d->digest);
	d->size = w->size;
	(void)snprintf(d->media_type, sizeof(d->media_type), "%s", media_type);
	blob_path(&dst, w->root, d->digest);
	buf_addf(&dir, "%s/blobs/sha256", w->root);
	if (fsync(w->fd) != 0 || close(w->fd) != 0 ||
	    (w->fd = -1, rename(w->tmp.p, dst.p)) != 0)
		rc = perr_set(err, -errno, "store blob '%s': %s", dst.p,
		    strerror(errno));
	else
		buf_reset(&w->tmp);
	w->fd = -1;
	if (rc == 0 && (rc = sync_dir(dir.p)) != 0)
		perr_set(err, rc, "sync '%s': %s", dir.p, strerror(-rc));
	buf_release(&dst);
	buf_release(&dir);
	return rc;
}

static void
blobw_release(struct blobw *w)
{
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp.len > 0)
		(void)unlink(w->tmp.p);
	buf_release(&w->tmp);
	EVP_MD_CTX_free(w->md);
	w->md = NULL;
}

int
oci_blob_write(const char *root, const char *media_type, const void *p,
    size_t len, struct oci_desc *out, struct perr *err)
{
	struct blobw	w;
	int		rc;

	rc = blobw_open(&w, root, err);
	if (rc == 0)
		(void)blobw_write(&w, p, len);
	if (rc == 0)
		rc = blobw_commit(&w, media_type, out, err);
	blobw_release(&w);
	return rc;
}

int
oci_blob_read(const char *root, const char *digest, size_t max, char **out,
    size_t *outlen, struct perr *err)
{
	struct buf	 path = BUF_INIT;
	struct stat	 st;
	EVP_MD_CTX	*md = NULL;
	char		*p = NULL, got[OCI_DIGEST_LEN];
	size_t		 have = 0;
	ssize_t		 n;
	int		 fd = -1, rc;

	if (blob_path(&path, root, digest) != 0) {
		rc = perr_set(err, -EINVAL, "bad digest '%.80s'", digest);
		goto out;
	}
	fd = open(path.p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = perr_set(err, -errno, "read blob %s: %s", digest,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		rc = perr_set(err, -E2BIG, "blob %s is larger than %zu bytes",
		    digest, max);
		goto out;
	}
	p = malloc((size_t)st.st_size + 1);
	md = EVP_MD_CTX_new();
	if (p == NULL || md == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		rc = perr_set(err, -ENOMEM, "read blob: out of memory");
		goto out;
	}
	while (have < (size_t)st.st_size &&
	    (n = read(fd, p + have, (size_t)st.st_size - have)) > 0)
		have += (size_t)n;
	EVP_DigestUpdate(md, p, have);
	hex_digest(md, got);
	if (have != (size_t)st.st_size || strcmp(got, digest) != 0) {
		rc = perr_set(err, -EIO, "blob %s is corrupt", digest);
		goto out;
	}
	p[have] = '\0';
	*out = p;
	*outlen = have;
	p = NULL;
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	free(p);
	if (fd >= 0)
		close(fd);
	buf_release(&path);
	return rc;
}

/* ------------------------------------------------------ layer writing */

struct hlink {
	dev_t	 dev;
	ino_t	 ino;
	char	*path;
};

struct packer {
	const struct oci_layer_opts *opts;
	struct archive		*tar;	/* pax writer, no filter */
	struct archive		*zip;	/* raw writer + filter, or NULL */
	struct blobw		 blob;
	EVP_MD_CTX		*diff;
	uint64_t		 tar_bytes;
	uint64_t		 entries, file_bytes, skipped;
	struct hlink		*links;
	size_t			 nlinks;
	struct buf		 path;
	char			*io;
	struct perr		*err;
	int			 failed;	/* rc already in err */
};

static la_ssize_t
zip_out(struct archive *a, void *arg, const void *p, size_t len)
{
	struct packer	*k = arg;

	(void)a;
	if (blobw_write(&k->blob, p, len) != 0)
		return -1;
	return (la_ssize_t)len;
}

static la_ssize_t
tar_out(struct archive *a, void *arg, const void *p, size_t len)
{
	struct packer	*k = arg;

	(void)a;
	EVP_DigestUpdate(k->diff, p, len);
	k->tar_bytes += len;
	if (k->zip == NULL)
		return blobw_write(&k->blob, p, len) == 0 ?
		    (la_ssize_t)len : -1;
	if (archive_write_data(k->zip, p, len) != (la_ssize_t)len)
		return -1;
	return (la_ssize_t)len;
}

static int
pack_fail(struct packer *k, int code, const char *what)
{
	if (!k->failed) {
		k->failed = 1;
		perr_set(k->err, code, "pack '%.150s': %s", k->path.p, what);
	}
	return code;
}

static int
arch_fail(struct packer *k, struct archive *a)
{
	if (k->blob.failed)
		return pack_fail(k, -k->blob.failed, strerror(k->blob.failed));
	return pack_fail(k, -EIO, archive_error_string(a) ?
	    archive_error_string(a) : "libarchive error");
}

static int
pack_data(struct packer *k, int dirfd, const char *name, uint64_t size)
{
	uint64_t	left = size;
	ssize_t		n;
	int		fd, rc = 0;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK);
	if (fd < 0)
		return pack_fail(k, -errno, strerror(errno));
	while (left > 0 && rc == 0) {
		n = read(fd, k->io, left < OCI_IO_CHUNK ? left : OCI_IO_CHUNK);
		if (n <= 0)
			rc = pack_fail(k, -EIO, "file shrank while packing");
		else if (archive_write_data(k->tar, k->io, (size_t)n) != n)
			rc = arch_fail(k, k->tar);
		else
			left -= (uint64_t)n;
	}
	close(fd);
	return rc;
}

static const char *
hlink_seen(struct packer *k, const struct stat *st)
{
	struct hlink	*v;
	size_t		 i;

	for (i = 0; i < k->nlinks; i++)
		if (k->links[i].dev == st->st_dev &&
		    k->links[i].ino == st->st_ino)
			return k->links[i].path;
	if (k->nlinks >= OCI_HARDLINKS_MAX)
		return NULL;
	v = realloc(k->links, (k->nlinks + 1) * sizeof(*v));
	if (v == NULL)
		return NULL;
	k->links = v;
	v[k->nlinks].dev = st->st_dev;
	v[k->nlinks].ino = st->st_ino;
	v[k->nlinks].path = strdup(k->path.p);
	if (v[k->nlinks].path != NULL)
		k->nlinks++;
	return NULL;
}

static int pack_dir(struct packer *k, int dirfd, int depth);

static int
pack_entry(struct packer *k, int dirfd, const char *name, int depth)
{
	struct archive_entry	*e = NULL;
	struct stat		 st;
	const char		*first = NULL;
	char			 target[4097];
	ssize_t			 n;
	int			 rc = 0, fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return pack_fail(k, -errno, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) &&
	    !S_ISLNK(st.st_mode)) {
		k->skipped++;
		return 0;
	}
	if (++k->entries > k->opts->max_entries)
		return pack_fail(k, -E2BIG, "too many files");
	e = archive_entry_new();
	archive_entry_set_pathname(e, k->path.p);
	archive_entry_set_mtime(e, (time_t)k->opts->mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_perm(e, st.st_mode & 0777);
	if (S_ISREG(st.st_mode)) {
		if (st.st_nlink > 1 && k->opts->check_owner &&
		    st.st_uid != k->opts->owner) {
			rc = pack_fail(k, -EPERM, "hard link to a file the "
			    "build does not own");
			goto out;
		}
		if (st.st_nlink > 1)
			first = hlink_seen(k, &st);
		archive_entry_set_filetype(e, AE_IFREG);
		if (first != NULL) {
			archive_entry_set_hardlink(e, first);
			archive_entry_set_size(e, 0);
		} else {
			k->file_bytes += (uint64_t)st.st_size;
			if (k->file_bytes > k->opts->max_bytes) {
				rc = pack_fail(k, -E2BIG, "slug too large");
				goto out;
			}
			archive_entry_set_size(e, st.st_size);
		}
	} else if (S_ISLNK(st.st_mode)) {
		n = readlinkat(dirfd, name, target, sizeof(target) - 1);
		if (n < 0) {
			rc = pack_fail(k, -errno, strerror(errno));
			goto out;
		}
		target[n] = '\0';
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_symlink(e, target);
	} else {
		archive_entry_set_filetype(e, AE_IFDIR);
	}
	if (archive_write_header(k->tar, e) != ARCHIVE_OK) {
		rc = arch_fail(k, k->tar);
		goto out;
	}
	if (S_ISREG(st.st_mode) && first == NULL && st.st_size > 0)
		rc = pack_data(k, dirfd, name, (uint64_t)st.st_size);
	else if (S_ISDIR(st.st_mode)) {
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd < 0)
			rc = pack_fail(k, -errno, strerror(errno));
		else {
			rc = pack_dir(k, fd, depth + 1);
			close(fd);
		}
	}
out:
	archive_entry_free(e);
	return rc;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* pack_dir() reads all names first: sorted output, one fd per level */
static int
pack_dir(struct packer *k, int dirfd, int depth)
{
	DIR		*d;
	struct dirent	*de;
	char		**names = NULL, **nv;
	size_t		 n = 0, i, mark = k->path.len;
	int		 fd, rc = 0;

	if (depth > OCI_MAX_DEPTH)
		return pack_fail(k, -ELOOP, "tree too deep");
	if ((fd = dup(dirfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return pack_fail(k, -errno, strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		nv = realloc(names, (n + 1) * sizeof(*names));
		if (nv == NULL || (nv[n] = strdup(de->d_name)) == NULL) {
			names = nv ? nv : names;
			rc = pack_fail(k, -ENOMEM, "out of memory");
			break;
		}
		names = nv;
		n++;
		if (n > k->opts->max_entries) {
			rc = pack_fail(k, -E2BIG, "too many files");
			break;
		}
	}
	closedir(d);
	if (rc == 0 && n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n && rc == 0; i++) {
		buf_addf(&k->path, "/%s", names[i]);
		rc = pack_entry(k, dirfd, names[i], depth);
		buf_truncate(&k->path, mark);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int
zip_open(struct packer *k)
{
	const struct oci_layer_opts *o = k->opts;
	struct archive_entry	*e;
	char			 lvl[16];
	int			 r;

	k->zip = archive_write_new();
	if (k->zip == NULL)
		return pack_fail(k, -ENOMEM, "out of memory");
	r = archive_write_set_format_raw(k->zip);
	if (r == ARCHIVE_OK)
		r = o->compress == OCI_COMPRESS_GZIP ?
		    archive_write_add_filter_gzip(k->zip) :
		    archive_write_add_filter_zstd(k->zip);
	if (r == ARCHIVE_OK && o->level > 0) {
		(void)snprintf(lvl, sizeof(lvl), "%d", o->level);
		r = archive_write_set_filter_option(k->zip, NULL,
		    "compression-level", lvl);
	}
	if (r == ARCHIVE_OK && o->compress == OCI_COMPRESS_GZIP)
		r = archive_write_set_filter_option(k->zip, "gzip",
		    "timestamp", NULL);
	if (r == ARCHIVE_OK)
		r = archive_write_set_bytes_in_last_block(k->zip, 1);
	if (r == ARCHIVE_OK)
		r = archive_write_open2(k->zip, k, NULL, zip_out, NULL, NULL);
	if (r != ARCHIVE_OK)
		return arch_fail(k, k->zip);
	e = archive_entry_new();
	archive_entry_set_pathname(e, "layer.tar");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	r = archive_write_header(k->zip, e);
	archive_entry_free(e);
	return r == ARCHIVE_OK ? 0 : arch_fail(k, k->zip);
}

static int
packer_open(struct packer *k, const char *root)
{
	int	rc;

	if ((rc = blobw_open(&k->blob, root, k->err)) != 0) {
		k->failed = 1;
		return rc;
	}
	k->diff = EVP_MD_CTX_new();
	k->io = malloc(OCI_IO_CHUNK);
	if (k->diff == NULL || k->io == NULL ||
	    EVP_DigestInit_ex(k->diff, EVP_sha256(), NULL) != 1)
		return pack_fail(k, -ENOMEM, "out of memory");
	if (k->opts->compress != OCI_COMPRESS_NONE &&
	    (rc = zip_open(k)) != 0)
		return rc;
	k->tar = archive_write_new();
	if (k->tar == NULL ||
	    archive_write_set_format_pax_restricted(k->tar) != ARCHIVE_OK ||
	    archive_write_open2(k->tar, k, NULL, tar_out, NULL, NULL) !=
	    ARCHIVE_OK)
		return arch_fail(k, k->tar);
	return 0;
}

static int
packer_close(struct packer *k, struct oci_layer *out)
{
	const char	*mt;

	if (archive_write_close(k->tar) != ARCHIVE_OK)
		return arch_fail(k, k->tar);
	if (k->zip != NULL && archive_write_close(k->zip) != ARCHIVE_OK)
		return arch_fail(k, k->zip);
	mt = k->opts->compress == OCI_COMPRESS_GZIP ? OCI_MT_LAYER_GZ :
	    k->opts->compress == OCI_COMPRESS_ZSTD ? OCI_MT_LAYER_ZS :
	    OCI_MT_LAYER;
	hex_digest(k->diff, out->diff_id);
	out->tar_bytes = k->tar_bytes;
	out->entries = k->entries;
	out->skipped = k->skipped;
	if (blobw_commit(&k->blob, mt, &out->desc, k->err) != 0) {
		k->failed = 1;
		return k->err->code;
	}
	return 0;
}

void
oci_layer_opts_default(struct oci_layer_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->compress = OCI_COMPRESS_GZIP;
	o->level = 1;
	o->prefix = "app";
	o->max_entries = OCI_LAYER_MAX_ENTRIES;
	o->max_bytes = OCI_LAYER_MAX_BYTES;
}

int
oci_layer_write(const char *root, const char *srcdir,
    const struct oci_layer_opts *opts, struct oci_layer *out,
    struct perr *err)
{
	struct packer	k;
	size_t		i;
	int		dfd = -1, rc;

	memset(&k, 0, sizeof(k));
	k.opts = opts;
	k.err = err;
	k.blob.fd = -1;
	buf_init(&k.path);
	buf_adds(&k.path, opts->prefix);
	if ((rc = oci_layout_init(root, err)) != 0)
		return rc;
	dfd = open(srcdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		rc = perr_set(err, -errno, "open '%s': %s", srcdir,
		    strerror(errno));
		goto out;
	}
	if ((rc = packer_open(&k, root)) != 0)
		goto out;
	rc = pack_entry(&k, AT_FDCWD, srcdir, 0);
	if (rc == 0)
		rc = packer_close(&k, out);
out:
	if (dfd >= 0)
		close(dfd);
	if (k.tar != NULL)
		archive_write_free(k.tar);
	if (k.zip != NULL)
		archive_write_free(k.zip);
	blobw_release(&k.blob);
	EVP_MD_CTX_free(k.diff);
	for (i = 0; i < k.nlinks; i++)
		free(k.links[i].path);
	free(k.links);
	free(k.io);
	buf_release(&k.path);
	return rc;
}

/* ------------------------------------------------- image and index */

static json_t *
desc_json(const struct oci_desc *d)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", d->media_type,
	    "digest", d->digest, "size", (json_int_t)d->size);
}

static int
json_blob(const char *root, const char *media_type, json_t *j,
    struct oci_desc *out, struct perr *err)
{
	char	*s;
	int	 rc;

	if (j == NULL)
		return perr_set(err, -ENOMEM, "build %s: out of memory",
		    media_type);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	if (s == NULL)
		return perr_set(err, -ENOMEM, "encode %s: out of memory",
		    media_type);
	rc = oci_blob_write(root, media_type, s, strlen(s), out, err);
	free(s);
	return rc;
}

static void
iso8601(int64_t t, char *out, size_t outlen)
{
	time_t		tt = (time_t)t;
	struct tm	tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(out, outlen, "1970-01-01T00:00:00Z");
}

static json_t *
config_json(const struct oci_image *img)
{
	json_t	*env, *labels, *diffs, *cfg;
	char	 created[32];
	size_t	 i;

	env = json_array();
	labels = json_object();
	diffs = json_array();
	for (i = 0; i < img->nenv; i++)
		json_array_append_new(env, json_string(img->env[i]));
	for (i = 0; i < img->nlabels; i++)
		json_object_set_new(labels, img->labels[i].key,
		    json_string(img->labels[i].value));
	for (i = 0; i < img->nlayers; i++)
		json_array_append_new(diffs,
		    json_string(img->layers[i].diff_id));
	cfg = json_pack("{s:o, s:s, s:o}", "Env", env, "WorkingDir",
	    img->workdir ? img->workdir : "/app", "Labels", labels);
	if (cfg != NULL && img->user != NULL)
		json_object_set_new(cfg, "User", json_string(img->user));
	iso8601(img->created, created, sizeof(created));
	return json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:o}, s:[{s:s, s:s}]}",
	    "architecture", "amd64", "os", "linux", "created", created,
	    "config", cfg, "rootfs", "type", "layers", "diff_ids", diffs,
	    "history", "created", created, "created_by", "paas-build");
}

int
oci_image_write(const char *root, const struct oci_image *img,
    struct oci_desc *manifest, struct perr *err)
{
	struct oci_desc	 cfg;
	json_t		*layers, *m;
	size_t		 i;
	int		 rc;

	if ((rc = oci_layout_init(root, err)) != 0)
		return rc;
	if ((rc = json_blob(root, OCI_MT_CONFIG, config_json(img), &cfg,
	    err)) != 0)
		return rc;
	layers = json_array();
	for (i = 0; i < img->nlayers; i++)
		json_array_append_new(layers, desc_json(&img->layers[i].desc));
	m = json_pack("{s:i, s:s, s:o, s:o}", "schemaVersion", 2,
	    "mediaType", OCI_MT_MANIFEST, "config", desc_json(&cfg),
	    "layers", layers);
	return json_blob(root, OCI_MT_MANIFEST, m, manifest, err);
}

int
oci_ref_valid(const char *ref)
{
	size_t	i, n = strlen(ref);

	if (n == 0 || n > OCI_REF_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = ref[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9'))
			continue;
		if (i > 0 && (c == '.' || c == '_' || c == '-'))
			continue;
		return 0;
	}
	return 1;
}

static int
lock_root(const char *root, struct perr *err)
{
	int	fd;

	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return perr_set(err, -errno, "open '%s': %s", root,
		    strerror(errno));
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			close(fd);
			return perr_set(err, -errno, "lock '%s': %s", root,
			    strerror(errno));
		}
	}
	return fd;
}

static json_t *
index_load(const char *root, struct perr *err)
{
	struct buf	 p = BUF_INIT;
	json_error_t	 je;
	json_t		*j;
	struct stat	 st;

	buf_addf(&p, "%s/index.json", root);
	if (stat(p.p, &st) != 0 && errno == ENOENT) {
		buf_release(&p);
		return json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2,
		    "mediaType", OCI_MT_INDEX, "manifests");
	}
	j = json_load_file(p.p, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL || !json_is_array(json_object_get(j, "manifests"))) {
		perr_set(err, -EINVAL, "read '%s': %s", p.p,
		    j ? "no manifests array" : je.text);
		json_decref(j);
		j = NULL;
	}
	buf_release(&p);
	return j;
}

static int
index_store(const char *root, json_t *j, struct perr *err)
{
	struct buf	 tmp = BUF_INIT, dst = BUF_INIT;
	char		*s = NULL;
	size_t		 len;
	int		 fd = -1, rc = 0;

	buf_addf(&tmp, "%s/.index.json.XXXXXX", root);
	buf_addf(&dst, "%s/index.json", root);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	if (s == NULL) {
		rc = perr_set(err, -ENOMEM, "encode index: out of memory");
		goto out;
	}
	len = strlen(s);
	fd = mkostemp(tmp.p, O_CLOEXEC);
	if (fd < 0 || fchmod(fd, 0644) != 0 ||
	    write(fd, s, len) != (ssize_t)len || fsync(fd) != 0 ||
	    rename(tmp.p, dst.p) != 0) {
		rc = perr_set(err, -errno, "write '%s': %s", dst.p,
		    strerror(errno));
		if (fd >= 0)
			(void)unlink(tmp.p);
		goto out;
	}
	(void)sync_dir(root);
out:
	if (fd >= 0)
		close(fd);
	free(s);
	buf_release(&tmp);
	buf_release(&dst);
	return rc;
}

static const char *
entry_ref(json_t *e)
{
	return json_string_value(json_object_get(json_object_get(e,
	    "annotations"), "org.opencontainers.image.ref.name"));
}

int
oci_ref_set(const char *root, const char *ref,
    const struct oci_desc *manifest, struct perr *err)
{
	json_t		*idx = NULL, *arr, *e;
	const char	*r;
	size_t		 i;
	int		 lfd, rc;

	if (!oci_ref_valid(ref))
		return perr_set(err, -EINVAL, "invalid image ref '%.130s'",
		    ref);
	if ((rc = oci_layout_init(root, err)) != 0)
		return rc;
	if ((lfd = lock_root(root, err)) < 0)
		return lfd;
	if ((idx = index_load(root, err)) == NULL) {
		rc = err->code;
		goto out;
	}
	arr = json_object_get(idx, "manifests");
	for (i = 0; i < json_array_size(arr); i++) {
		r = entry_ref(json_array_get(arr, i));
		if (r != NULL && strcmp(r, ref) == 0)
			json_array_remove(arr, i--);
	}
	e = desc_json(manifest);
	json_object_set_new(e, "annotations", json_pack("{s:s}",
	    "org.opencontainers.image.ref.name", ref));
	json_array_append_new(arr, e);
	rc = index_store(root, idx, err);
out:
	json_decref(idx);
	close(lfd);
	return rc;
}

int
oci_ref_get(const char *root, const char *ref, struct oci_desc *out,
    struct perr *err)
{
	json_t		*idx, *arr, *e;
	const char	*r;
	size_t		 i;
	int		 rc = -ENOENT;

	if ((idx = index_load(root, err)) == NULL)
		return err->code;
	arr = json_object_get(idx, "manifests");
	json_array_foreach(arr, i, e) {
		r = entry_ref(e);
		if (r == NULL || strcmp(r, ref) != 0 ||
		    !json_is_string(json_object_get(e, "digest")))
			continue;
		(void)snprintf(out->digest, sizeof(out->digest), "%s",
		    json_string_value(json_object_get(e, "digest")));
		(void)snprintf(out->media_type, sizeof(out->media_type), "%s",
		    json_string_value(json_object_get(e, "mediaType")) ?
		    json_string_value(json_object_get(e, "mediaType")) : "");
		out->size = (uint64_t)json_integer_value(json_object_get(e,
		    "size"));
		rc = 0;
		break;
	}
	json_decref(idx);
	if (rc != 0)
		perr_set(err, rc, "image ref '%.130s' not found", ref);
	return rc;
}

/* ------------------------------------------------------ unpacking */

static int
rm_tree_at(int at, const char *name, int depth)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd;

	if (unlinkat(at, name, 0) == 0 || errno == ENOENT)
		return 0;
	if ((errno != EISDIR && errno != EPERM) || depth > OCI_MAX_DEPTH + 8)
		return -errno;
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			(void)rm_tree_at(dirfd(d), de->d_name, depth + 1);
	closedir(d);
	return unlinkat(at, name, AT_REMOVEDIR) == 0 ? 0 : -errno;
}

static int
path_safe(const char *p)
{
	const char	*c = p;
	size_t		 n;

	if (p == NULL || p[0] == '\0' || p[0] == '/' || strlen(p) > 4096)
		return 0;
	while (*c != '\0') {
		n = strcspn(c, "/");
		if (n == 2 && c[0] == '.' && c[1] == '.')
			return 0;
		c += n;
		if (*c == '/')
			c++;
	}
	return 1;
}

struct unpacker {
	struct archive			*in, *disk;
	const struct oci_unpack_limits	*lim;
	uint64_t			 entries, bytes;
	char				*msg;
	size_t				 msglen;
};

static int
unpack_say(struct unpacker *u, const char *what, const char *path)
{
	(void)snprintf(u->msg, u->msglen, "unpack layer: %s%s%.200s%s", what,
	    path ? " '" : "", path ? path : "", path ? "'" : "");
	return -1;
}

static int
unpack_data(struct unpacker *u, const char *path)
{
	const void	*p;
	size_t		 len;
	la_int64_t	 off;
	int		 r;

	for (;;) {
		r = archive_read_data_block(u->in, &p, &len, &off);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r != ARCHIVE_OK)
			return unpack_say(u, archive_error_string(u->in), path);
		u->bytes += len;
		if (u->bytes > u->lim->max_bytes)
			return unpack_say(u, "layer too large at", path);
		if (u->bytes > (uint64_t)u->lim->max_ratio *
		    (uint64_t)archive_filter_bytes(u->in, -1) + 1024 * 1024)
			return unpack_say(u, "compression ratio too high at",
			    path);
		if (archive_write_data_block(u->disk, p, len, off) !=
		    ARCHIVE_OK)
			return unpack_say(u, archive_error_string(u->disk),
			    path);
	}
}

static int
unpack_entry(struct unpacker *u, struct archive_entry *e)
{
	const char	*path = archive_entry_pathname(e);
	const char	*link = archive_entry_hardlink(e);
	const char	*base;
	mode_t		 type = archive_entry_filetype(e);

	if (!path_safe(path) || (link != NULL && !path_safe(link)))
		return unpack_say(u, "refusing path", path);
	if (++u->entries > u->lim->max_entries)
		return unpack_say(u, "too many entries", NULL);
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (strncmp(base, ".wh.", 4) == 0 || (link == NULL &&
	    type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK))
		return archive_read_data_skip(u->in) == ARCHIVE_OK ? 0 :
		    unpack_say(u, archive_error_string(u->in), path);
	archive_entry_set_perm(e, archive_entry_perm(e) & 0755);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	if (archive_write_header(u->disk, e) != ARCHIVE_OK)
		return unpack_say(u, archive_error_string(u->disk), path);
	if (link == NULL && type == AE_IFREG && unpack_data(u, path) != 0)
		return -1;
	if (archive_write_finish_entry(u->disk) != ARCHIVE_OK)
		return unpack_say(u, archive_error_string(u->disk), path);
	return 0;
}

/* runs in the child, whose cwd is the temp dir */
static int
unpack_run(const char *blob, const struct oci_unpack_limits *lim, char *msg,
    size_t msglen)
{
	struct unpacker		 u;
	struct archive_entry	*e;
	int			 r, rc = 0;

	memset(&u, 0, sizeof(u));
	u.lim = lim;
	u.msg = msg;
	u.msglen = msglen;
	u.in = archive_read_new();
	u.disk = archive_write_disk_new();
	if (u.in == NULL || u.disk == NULL)
		return unpack_say(&u, "out of memory", NULL);
	archive_read_support_filter_gzip(u.in);
	archive_read_support_filter_zstd(u.in);
	archive_read_support_format_tar(u.in);
	archive_write_disk_set_options(u.disk,
	    ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
	    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_PERM |
	    ARCHIVE_EXTRACT_TIME);
	if (archive_read_open_filename(u.in, blob, 65536) != ARCHIVE_OK) {
		rc = unpack_say(&u, archive_error_string(u.in), NULL);
		goto out;
	}
	while (rc == 0) {
		r = archive_read_next_header(u.in, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK)
			rc = unpack_say(&u, archive_error_string(u.in), NULL);
		else
			rc = unpack_entry(&u, e);
	}
	if (rc == 0 && archive_write_close(u.disk) != ARCHIVE_OK)
		rc = unpack_say(&u, archive_error_string(u.disk), NULL);
out:
	archive_read_free(u.in);
	archive_write_free(u.disk);
	return rc;
}

static int
unpack_fork(const char *blob, const char *tmp,
    const struct oci_unpack_limits *lim, struct perr *err)
{
	char	msg[256];
	ssize_t	n;
	size_t	got = 0;
	pid_t	pid;
	int	p[2], status, rc;

	if (pipe2(p, O_CLOEXEC) != 0)
		return perr_set(err, -errno, "unpack: pipe: %s",
		    strerror(errno));
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(p[0]);
		close(p[1]);
		return perr_set(err, rc, "unpack: fork: %s", strerror(-rc));
	}
	if (pid == 0) {
		close(p[0]);
		msg[0] = '\0';
		if (chdir(tmp) != 0)
			(void)snprintf(msg, sizeof(msg), "unpack: chdir: %s",
			    strerror(errno));
		else if (unpack_run(blob, lim, msg, sizeof(msg)) == 0)
			_exit(0);
		(void)!write(p[1], msg, strlen(msg));
		_exit(1);
	}
	close(p[1]);
	while (got < sizeof(msg) - 1 &&
	    (n = read(p[0], msg + got, sizeof(msg) - 1 - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		got += (size_t)n;
	}
	msg[got] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return perr_set(err, -EINVAL, "%s", got ? msg :
	    "unpack layer: extractor died");
}

int
oci_layer_unpack(const char *root, const char *digest, const char *dest,
    const struct oci_unpack_limits *lim, struct perr *err)
{
	static const struct oci_unpack_limits def = { OCI_LAYER_MAX_ENTRIES,
	    OCI_LAYER_MAX_BYTES, OCI_UNPACK_MAX_RATIO };
	struct buf	blob = BUF_INIT, tmp = BUF_INIT;
	struct stat	st;
	int		rc;

	if (lim == NULL)
		lim = &def;
	if (blob_path(&blob, root, digest) != 0) {
		rc = perr_set(err, -EINVAL, "bad digest '%.80s'", digest);
		goto out;
	}
	if (lstat(blob.p, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = perr_set(err, -ENOENT, "layer %s not in '%s'", digest,
		    root);
		goto out;
	}
	buf_addf(&tmp, "%s.tmp-XXXXXX", dest);
	if (mkdtemp(tmp.p) == NULL) {
		rc = perr_set(err, -errno, "unpack: create '%s': %s", tmp.p,
		    strerror(errno));
		buf_reset(&tmp);
		goto out;
	}
	if ((rc = unpack_fork(blob.p, tmp.p, lim, err)) != 0)
		goto out;
	if (chmod(tmp.p, 0755) != 0 || rename(tmp.p, dest) != 0) {
		if (errno == EEXIST || errno == ENOTEMPTY)
			goto out;
		rc = perr_set(err, -errno, "unpack: rename to '%s': %s", dest,
		    strerror(errno));
		goto out;
	}
	buf_reset(&tmp);
out:
	if (tmp.len > 0)
		(void)rm_tree_at(AT_FDCWD, tmp.p, 0);
	buf_release(&blob);
	buf_release(&tmp);
	return rc;
}

/* --------------------------------------------------------------- gc */

struct keepset {
	char	**v;
	size_t	 n;
};

static void
keep_add(struct keepset *k, const char *d)
{
	char	**v;

	if (d == NULL || !digest_hex_ok(d))
		return;
	v = realloc(k->v, (k->n + 1) * sizeof(*v));
	if (v == NULL)
		abort();
	k->v = v;
	k->v[k->n] = strdup(d);
	if (k->v[k->n] == NULL)
		abort();
	k->n++;
}

static int
keep_has(const struct keepset *k, const char *d)
{
	return bsearch(&d, k->v, k->n, sizeof(*k->v), name_cmp) != NULL;
}

static int
keep_manifest(const char *root, struct keepset *k, const char *digest,
    struct perr *err)
{
	json_error_t	 je;
	json_t		*m, *l;
	char		*s = NULL;
	size_t		 len, i;
	int		 rc;

	if ((rc = oci_blob_read(root, digest, OCI_JSON_MAX_BYTES, &s, &len,
	    err)) != 0)
		return rc;
	m = json_loadb(s, len, 0, &je);
	free(s);
	if (m == NULL)
		return perr_set(err, -EINVAL, "manifest %s: %s", digest,
		    je.text);
	keep_add(k, digest);
	keep_add(k, json_string_value(json_object_get(json_object_get(m,
	    "config"), "digest")));
	json_array_foreach(json_object_get(m, "layers"), i, l)
		keep_add(k, json_string_value(json_object_get(l, "digest")));
	json_decref(m);
	return 0;
}

static int
gc_index(const char *root, const struct keepset *k, struct oci_gc_stats *st,
    struct perr *err)
{
	json_t		*idx, *arr;
	const char	*d;
	size_t		 i, before;
	int		 rc = 0;

	if ((idx = index_load(root, err)) == NULL)
		return err->code;
	arr = json_object_get(idx, "manifests");
	before = json_array_size(arr);
	for (i = 0; i < json_array_size(arr); i++) {
		d = json_string_value(json_object_get(json_array_get(arr, i),
		    "digest"));
		if (d == NULL || !keep_has(k, d))
			json_array_remove(arr, i--);
	}
	st->refs_dropped = before - json_array_size(arr);
	if (st->refs_dropped > 0)
		rc = index_store(root, idx, err);
	json_decref(idx);
	return rc;
}

static void
gc_blobs(const char *root, const struct keepset *k, int64_t min_age,
    struct oci_gc_stats *st)
{
	struct buf	 dir = BUF_INIT;
	char		 dg[OCI_DIGEST_LEN];
	struct stat	 sb;
	struct dirent	*de;
	DIR		*d;
	time_t		 now = time(NULL);
	int		 tmp;

	buf_addf(&dir, "%s/blobs/sha256", root);
	d = opendir(dir.p);
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' && strncmp(de->d_name, ".tmp-", 5))
			continue;
		tmp = de->d_name[0] == '.';
		if (!tmp && strlen(de->d_name) != 64)
			continue;
		memcpy(dg, "sha256:", 7);
		memcpy(dg + 7, de->d_name, tmp ? 0 : 65);
		if (!tmp && !digest_hex_ok(dg))
			continue;
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW))
			continue;
		if (!tmp && keep_has(k, dg)) {
			st->kept++;
			continue;
		}
		if ((int64_t)(now - sb.st_mtime) < min_age)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0) {
			st->removed++;
			st->bytes_freed += (uint64_t)sb.st_size;
		}
	}
	if (d != NULL)
		closedir(d);
	buf_release(&dir);
}

int
oci_gc(const char *root, const char *const *keep, size_t nkeep,
    int64_t min_age_sec, struct oci_gc_stats *st, struct perr *err)
{
	struct keepset	k = { NULL, 0 };
	size_t		i;
	int		lfd, rc = 0;

	memset(st, 0, sizeof(*st));
	if ((lfd = lock_root(root, err)) < 0)
		return lfd;
	for (i = 0; i < nkeep && rc == 0; i++)
		rc = keep_manifest(root, &k, keep[i], err);
	if (rc == 0 && k.n > 1)
		qsort(k.v, k.n, sizeof(*k.v), name_cmp);
	if (rc == 0)
		rc = gc_index(root, &k, st, err);
	if (rc == 0)
		gc_blobs(root, &k, min_age_sec, st);
	for (i = 0; i < k.n; i++)
		free(k.v[i]);
	free(k.v);
	close(lfd);
	return rc;
}
