#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "buf.h"
#include "oci.h"

struct fx {
	char	dir[64];
	char	src[96];
	char	store[96];
};

static void
sh(const char *fmt, ...)
{
	struct buf	b = BUF_INIT;
	va_list		ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (system(b.p) != 0)
		fail_msg("command failed: %s", b.p);
	buf_release(&b);
}

static void
put(const char *dir, const char *rel, const char *s, mode_t mode)
{
	char	p[256];
	int	fd;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static int
setup(void **state)
{
	struct fx	*f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/paas-test-oci-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->src, sizeof(f->src), "%s/app", f->dir);
	snprintf(f->store, sizeof(f->store), "%s/images", f->dir);
	assert_int_equal(mkdir(f->src, 0755), 0);
	assert_int_equal(mkdir(strcat(strcpy((char[128]){0}, f->src),
	    "/bin"), 0755), 0);
	put(f->src, "Procfile", "web: ./bin/web\n", 0644);
	put(f->src, "bin/web", "#!/bin/sh\necho hi\n", 0755);
	put(f->src, "suid", "x", 04755);
	put(f->src, "b", "bbb", 0644);
	sh("ln %s/b %s/bin/b-link && ln -s ../Procfile %s/bin/pf && "
	    "mkfifo %s/fifo", f->src, f->src, f->src, f->src);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;

	sh("chmod -R u+w %s 2>/dev/null; rm -rf %s", f->dir, f->dir);
	free(f);
	return 0;
}

static void
write_layer(struct fx *f, enum oci_compress c, struct oci_layer *l)
{
	struct oci_layer_opts	o;
	struct perr		err = PERR_INIT;

	oci_layer_opts_default(&o);
	o.compress = c;
	o.mtime = 1700000000;
	if (oci_layer_write(f->store, f->src, &o, l, &err) != 0)
		fail_msg("layer: %s", err.msg);
}

static void
test_layer_is_deterministic_and_clean(void **state)
{
	struct fx		*f = *state;
	struct oci_layer	 a, b, z;
	struct archive		*ar;
	struct archive_entry	*e;
	char			 path[512];
	const char		*want[] = { "app/", "app/Procfile", "app/b",
				    "app/bin/", "app/bin/b-link", "app/bin/pf",
				    "app/bin/web", "app/suid" };
	size_t			 n = 0;

	write_layer(f, OCI_COMPRESS_GZIP, &a);
	assert_int_equal(a.skipped, 1);
	assert_string_equal(a.desc.media_type, OCI_MT_LAYER_GZ);
	sleep(1);
	sh("touch %s/b %s/bin && chown -h 12345:12345 %s/bin/web",
	    f->src, f->src, f->src);
	write_layer(f, OCI_COMPRESS_GZIP, &b);
	assert_string_equal(a.desc.digest, b.desc.digest);
	assert_string_equal(a.diff_id, b.diff_id);
	assert_int_equal(a.desc.size, b.desc.size);
	write_layer(f, OCI_COMPRESS_ZSTD, &z);
	assert_string_equal(z.diff_id, a.diff_id);
	assert_string_not_equal(z.desc.digest, a.desc.digest);
	assert_string_equal(z.desc.media_type, OCI_MT_LAYER_ZS);

	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", f->store,
	    a.desc.digest + 7);
	ar = archive_read_new();
	archive_read_support_filter_all(ar);
	archive_read_support_format_all(ar);
	assert_int_equal(archive_read_open_filename(ar, path, 10240),
	    ARCHIVE_OK);
	while (archive_read_next_header(ar, &e) == ARCHIVE_OK) {
		assert_true(n < sizeof(want) / sizeof(want[0]));
		assert_string_equal(archive_entry_pathname(e), want[n]);
		assert_int_equal(archive_entry_mtime(e), 1700000000);
		assert_int_equal(archive_entry_uid(e), 0);
		assert_int_equal(archive_entry_gid(e), 0);
		assert_true(archive_entry_uname(e) == NULL ||
		    archive_entry_uname(e)[0] == 0);
		assert_true(archive_entry_gname(e) == NULL ||
		    archive_entry_gname(e)[0] == 0);
		assert_int_equal(archive_entry_mode(e) & 07000, 0);
		if (strcmp(want[n], "app/bin/b-link") == 0)
			assert_string_equal(archive_entry_hardlink(e),
			    "app/b");
		if (strcmp(want[n], "app/bin/pf") == 0)
			assert_string_equal(archive_entry_symlink(e),
			    "../Procfile");
		if (strcmp(want[n], "app/bin/web") == 0)
			assert_int_equal(archive_entry_perm(e), 0755);
		n++;
	}
	assert_int_equal(n, 8);
	archive_read_free(ar);
}

static void
test_hardlink_to_foreign_file_refused(void **state)
{
	struct fx		*f = *state;
	struct oci_layer_opts	 o;
	struct oci_layer	 l;
	struct perr		 err = PERR_INIT;

	oci_layer_opts_default(&o);
	o.check_owner = 1;
	o.owner = 4242;
	assert_int_equal(oci_layer_write(f->store, f->src, &o, &l, &err),
	    -EPERM);
	assert_non_null(strstr(err.msg, "hard link"));
	assert_non_null(strstr(err.msg, "app/b"));
}

static void
make_image(struct fx *f, const char *ref, struct oci_layer *l,
    struct oci_desc *m)
{
	const char	*env[] = { "PATH=/usr/local/bin:/usr/bin:/bin",
			    "HOME=/app" };
	struct oci_kv	 labels[] = { { "paas.commit", "abc" },
			    { "paas.process_types", "{\"web\":\"./bin/web\"}" } };
	struct oci_image img = { env, 2, "1000:1000", "/app", labels, 2,
			    1700000000, l, 1 };
	struct perr	 err = PERR_INIT;

	if (oci_image_write(f->store, &img, m, &err) != 0 ||
	    oci_ref_set(f->store, ref, m, &err) != 0)
		fail_msg("image: %s", err.msg);
}

static void
test_image_and_refs(void **state)
{
	struct fx	*f = *state;
	struct oci_layer l;
	struct oci_desc	 m1, m2, got;
	struct perr	 err = PERR_INIT;
	json_t		*idx;
	char		 p[256];

	write_layer(f, OCI_COMPRESS_GZIP, &l);
	make_image(f, "hello-v2", &l, &m1);
	make_image(f, "hello-v2", &l, &m2);
	assert_string_equal(m1.digest, m2.digest);
	make_image(f, "hello-v3", &l, &m2);
	assert_int_equal(oci_ref_get(f->store, "hello-v2", &got, &err), 0);
	assert_string_equal(got.digest, m1.digest);
	assert_string_equal(got.media_type, OCI_MT_MANIFEST);
	assert_int_equal(oci_ref_get(f->store, "nope", &got, &err), -ENOENT);
	snprintf(p, sizeof(p), "%s/index.json", f->store);
	idx = json_load_file(p, 0, NULL);
	assert_non_null(idx);
	assert_int_equal(json_array_size(json_object_get(idx, "manifests")), 2);
	json_decref(idx);
	assert_int_equal(oci_ref_set(f->store, "../x", &m1, &err), -EINVAL);
	assert_false(oci_ref_valid("-x"));
	assert_true(oci_ref_valid("my-app-v12"));
	if (system("command -v skopeo >/dev/null 2>&1") == 0)
		sh("skopeo inspect oci:%s:hello-v2 | grep -q paas.commit",
		    f->store);
	if (system("command -v umoci >/dev/null 2>&1") == 0)
		sh("umoci stat --image %s:hello-v3 >/dev/null", f->store);
}

static void
test_concurrent_ref_updates_lose_nothing(void **state)
{
	struct fx	*f = *state;
	struct oci_layer l;
	struct oci_desc	 m;
	json_t		*idx;
	char		 p[256], ref[32];
	pid_t		 kids[2];
	int		 k, i, st;

	write_layer(f, OCI_COMPRESS_GZIP, &l);
	make_image(f, "base", &l, &m);
	for (k = 0; k < 2; k++) {
		kids[k] = fork();
		assert_true(kids[k] >= 0);
		if (kids[k] == 0) {
			struct perr err = PERR_INIT;

			for (i = 0; i < 40; i++) {
				snprintf(ref, sizeof(ref), "app%d-v%d", k, i);
				if (oci_ref_set(f->store, ref, &m, &err) != 0)
					_exit(1);
			}
			_exit(0);
		}
	}
	for (k = 0; k < 2; k++) {
		assert_int_equal(waitpid(kids[k], &st, 0), kids[k]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	snprintf(p, sizeof(p), "%s/index.json", f->store);
	idx = json_load_file(p, 0, NULL);
	assert_non_null(idx);
	assert_int_equal(json_array_size(json_object_get(idx, "manifests")),
	    81);
	json_decref(idx);
}

static void
test_unpack_round_trip(void **state)
{
	struct fx	*f = *state;
	struct oci_layer l;
	struct perr	 err = PERR_INIT;
	struct stat	 st;
	char		 dest[128], p[256], t[64];
	ssize_t		 n;

	write_layer(f, OCI_COMPRESS_ZSTD, &l);
	snprintf(dest, sizeof(dest), "%s/slug", f->dir);
	if (oci_layer_unpack(f->store, l.desc.digest, dest, NULL, &err) != 0)
		fail_msg("unpack: %s", err.msg);
	snprintf(p, sizeof(p), "%s/app/bin/web", dest);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mode, S_IFREG | 0755);
	snprintf(p, sizeof(p), "%s/app/suid", dest);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mode & 07000, 0);
	snprintf(p, sizeof(p), "%s/app/bin/b-link", dest);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_nlink, 2);
	snprintf(p, sizeof(p), "%s/app/bin/pf", dest);
	n = readlink(p, t, sizeof(t) - 1);
	assert_int_equal(n, 11);
	/* a second unpack finds dest there and agrees */
	assert_int_equal(oci_layer_unpack(f->store, l.desc.digest, dest, NULL,
	    &err), 0);
	assert_int_equal(oci_layer_unpack(f->store, "sha256:00", dest, NULL,
	    &err), -EINVAL);
}

/* writes a hostile gzip tar blob into the store and returns its digest */
static void
hostile_blob(struct fx *f, const char *const *paths, const char *link,
    size_t zeros, char *digest)
{
	struct archive		*a;
	struct archive_entry	*e;
	struct oci_desc		 d;
	struct perr		 err = PERR_INIT;
	char			*buf, *z;
	size_t			 used = 0, i;

	buf = malloc(zeros + 65536);
	z = calloc(1, zeros + 1);
	a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_add_filter_gzip(a);
	assert_int_equal(archive_write_open_memory(a, buf, zeros + 65536,
	    &used), ARCHIVE_OK);
	for (i = 0; paths[i] != NULL; i++) {
		e = archive_entry_new();
		archive_entry_set_pathname(e, paths[i]);
		if (link != NULL && i == 0) {
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, link);
		} else {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, (la_int64_t)zeros);
		}
		archive_entry_set_perm(e, 0644);
		archive_write_header(a, e);
		if (link == NULL || i > 0)
			archive_write_data(a, z, zeros);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	assert_int_equal(oci_blob_write(f->store, OCI_MT_LAYER_GZ, buf, used,
	    &d, &err), 0);
	strcpy(digest, d.digest);
	free(buf);
	free(z);
}

static void
expect_unpack_fails(struct fx *f, const char *digest,
    const struct oci_unpack_limits *lim, const char *needle)
{
	struct perr	err = PERR_INIT;
	struct stat	st;
	char		dest[128];

	snprintf(dest, sizeof(dest), "%s/bad", f->dir);
	assert_int_not_equal(oci_layer_unpack(f->store, digest, dest, lim,
	    &err), 0);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("error '%s' lacks '%s'", err.msg, needle);
	assert_int_equal(lstat(dest, &st), -1);
	sh("! ls -d %s/bad.tmp-* 2>/dev/null", f->dir);
}

/* symlink "s" -> outside dir, then hardlink "h" -> "s/target" */
static void
hardlink_via_symlink_blob(struct fx *f, const char *outside, char *digest)
{
	struct archive		*a;
	struct archive_entry	*e;
	struct oci_desc		 d;
	struct perr		 err = PERR_INIT;
	char			 buf[65536];
	size_t			 used = 0;

	a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_memory(a, buf, sizeof(buf),
	    &used), ARCHIVE_OK);
	e = archive_entry_new();
	archive_entry_set_pathname(e, "s");
	archive_entry_set_filetype(e, AE_IFLNK);
	archive_entry_set_symlink(e, outside);
	archive_entry_set_perm(e, 0777);
	archive_write_header(a, e);
	archive_entry_clear(e);
	archive_entry_set_pathname(e, "h");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_hardlink(e, "s/target");
	archive_entry_set_perm(e, 0644);
	archive_write_header(a, e);
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
	assert_int_equal(oci_blob_write(f->store, OCI_MT_LAYER, buf, used,
	    &d, &err), 0);
	strcpy(digest, d.digest);
}

static void
test_unpack_refuses_hardlink_through_symlink(void **state)
{
	struct fx	*f = *state;
	char		 d[OCI_DIGEST_LEN], p[512];
	struct stat	 st;

	oci_layout_init(f->store, NULL);
	snprintf(p, sizeof(p), "%s/outside", f->dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/outside/target", f->dir);
	put(f->dir, "outside/target", "secret", 0600);
	snprintf(p, sizeof(p), "%s/outside", f->dir);
	hardlink_via_symlink_blob(f, p, d);
	expect_unpack_fails(f, d, NULL, "symlink");
	snprintf(p, sizeof(p), "%s/outside/target", f->dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_nlink, 1);
}

static void
test_unpack_refuses_hostile_layers(void **state)
{
	struct fx			*f = *state;
	struct oci_unpack_limits	 small = { 100, 1024 * 1024, 100 };
	const char			*dotdot[] = { "a/../../evil", NULL };
	const char			*abs[] = { "/tmp/evil-abs", NULL };
	const char			*via[] = { "s", "s/evil", NULL };
	const char			*big[] = { "zeros", NULL };
	char				 d[OCI_DIGEST_LEN], p[512];
	struct stat			 st;

	oci_layout_init(f->store, NULL);
	hostile_blob(f, dotdot, NULL, 10, d);
	expect_unpack_fails(f, d, NULL, "refusing path");
	hostile_blob(f, abs, NULL, 10, d);
	expect_unpack_fails(f, d, NULL, "refusing path");
	snprintf(p, sizeof(p), "%s/outside", f->dir);
	assert_int_equal(mkdir(p, 0755), 0);
	hostile_blob(f, via, p, 10, d);
	expect_unpack_fails(f, d, NULL, "symlink");
	snprintf(p, sizeof(p), "%s/outside/evil", f->dir);
	assert_int_equal(lstat(p, &st), -1);
	hostile_blob(f, big, NULL, 2 * 1024 * 1024, d);
	expect_unpack_fails(f, d, &small, "too large");
	small.max_bytes = 64 * 1024 * 1024;
	hostile_blob(f, big, NULL, 8 * 1024 * 1024, d);
	expect_unpack_fails(f, d, &small, "ratio");
}

static void
test_gc_keeps_what_is_referenced(void **state)
{
	struct fx		*f = *state;
	struct oci_layer	 l1, l2;
	struct oci_desc		 m1, m2, got;
	struct oci_gc_stats	 st;
	struct perr		 err = PERR_INIT;
	const char		*keep[1];
	char			 p[512];
	struct stat		 sb;

	write_layer(f, OCI_COMPRESS_GZIP, &l1);
	make_image(f, "a-v1", &l1, &m1);
	put(f->src, "new", "new file", 0644);
	write_layer(f, OCI_COMPRESS_GZIP, &l2);
	make_image(f, "a-v2", &l2, &m2);
	keep[0] = m2.digest;
	assert_int_equal(oci_gc(f->store, keep, 1, 3600, &st, &err), 0);
	assert_int_equal(st.removed, 0);
	assert_int_equal(st.refs_dropped, 1);
	assert_int_equal(oci_gc(f->store, keep, 1, 0, &st, &err), 0);
	assert_int_equal(st.kept, 3);
	assert_int_equal(st.removed, 3);
	assert_int_equal(oci_ref_get(f->store, "a-v1", &got, &err), -ENOENT);
	assert_int_equal(oci_ref_get(f->store, "a-v2", &got, &err), 0);
	snprintf(p, sizeof(p), "%s/blobs/sha256/%s", f->store,
	    l1.desc.digest + 7);
	assert_int_equal(stat(p, &sb), -1);
	snprintf(p, sizeof(p), "%s/blobs/sha256/%s", f->store,
	    l2.desc.digest + 7);
	assert_int_equal(stat(p, &sb), 0);
	keep[0] = "sha256:0000000000000000000000000000000000000000000000000"
	    "000000000000000";
	assert_int_not_equal(oci_gc(f->store, keep, 1, 0, &st, &err), 0);
	assert_int_equal(stat(p, &sb), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_layer_is_deterministic_and_clean),
		T(test_hardlink_to_foreign_file_refused),
		T(test_image_and_refs),
		T(test_concurrent_ref_updates_lose_nothing),
		T(test_unpack_round_trip),
		T(test_unpack_refuses_hostile_layers),
		T(test_unpack_refuses_hardlink_through_symlink),
		T(test_gc_keeps_what_is_referenced),
	};

	alarm(120);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
