#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "buf.h"
#include "checkout.h"
#include "fsutil.h"
#include "slugignore.h"

#define CLIMB_NONE	(-(1 << 30))

/* what a tree holds below it, independent of where it sits */
struct tstat {
	uint64_t	entries;
	uint64_t	bytes;
	uint32_t	depth;		/* components of its longest path */
	uint32_t	pathlen;	/* bytes of its longest path */
	int32_t		climb;		/* ".." levels a link needs above it */
};

struct memo_slot {
	git_oid		id;
	int		used;
	struct tstat	st;
};

struct scan {
	git_repository		*repo;
	git_odb			*odb;
	const struct checkout_limits *lim;
	struct memo_slot	*slots;
	size_t			 cap, n;
	struct perr		*err;
};

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static size_t
memo_hash(const git_oid *id, size_t cap)
{
	size_t	h;

	memcpy(&h, id->id, sizeof(h));
	return h & (cap - 1);
}

static struct memo_slot *
memo_find(struct scan *sc, const git_oid *id)
{
	size_t	i;

	for (i = memo_hash(id, sc->cap); sc->slots[i].used;
	    i = (i + 1) & (sc->cap - 1))
		if (git_oid_equal(&sc->slots[i].id, id))
			return &sc->slots[i];
	return NULL;
}

static int
memo_put(struct scan *sc, const git_oid *id, const struct tstat *st)
{
	struct memo_slot	*old = sc->slots, *ns;
	size_t			 oldcap = sc->cap, i, j;

	if (sc->n >= sc->lim->max_entries)
		return perr_set(sc->err, -E2BIG, "checkout: more than %llu "
		    "distinct objects", (unsigned long long)sc->lim->max_entries);
	if ((sc->n + 1) * 2 > sc->cap) {
		ns = calloc(oldcap * 2, sizeof(*ns));
		if (ns == NULL)
			return perr_set(sc->err, -ENOMEM, "checkout: out of "
			    "memory");
		sc->slots = ns;
		sc->cap = oldcap * 2;
		for (i = 0; i < oldcap; i++) {
			if (!old[i].used)
				continue;
			for (j = memo_hash(&old[i].id, sc->cap); ns[j].used;
			    j = (j + 1) & (sc->cap - 1))
				;
			ns[j] = old[i];
		}
		free(old);
	}
	for (i = memo_hash(id, sc->cap); sc->slots[i].used;
	    i = (i + 1) & (sc->cap - 1))
		;
	git_oid_cpy(&sc->slots[i].id, id);
	sc->slots[i].used = 1;
	sc->slots[i].st = *st;
	sc->n++;
	return 0;
}

static int
git_fail(struct perr *err, int code, const char *what)
{
	const git_error	*e = git_error_last();

	return perr_set(err, code, "%s: %s", what,
	    e && e->message ? e->message : "libgit2 error");
}

static int
name_ok(const char *name)
{
	if (name[0] == '\0' || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0 || strchr(name, '/') != NULL ||
	    strcasecmp(name, ".git") == 0)
		return 0;
	return 1;
}

/*
 * A link target must be relative and of the form (../)*rest with no ".."
 * in rest: then it resolves, through real directories only, to a place
 * at most its leading ".." count above the link. Returns that count, or
 * -1 when the target is refused.
 */
static int
link_climb(const char *t, size_t len)
{
	size_t	i = 0, start, clen;
	int	climb = 0, rest = 0;

	if (len == 0 || t[0] == '/' || memchr(t, '\0', len) != NULL)
		return -1;
	while (i < len) {
		start = i;
		while (i < len && t[i] != '/')
			i++;
		clen = i - start;
		if (clen == 2 && t[start] == '.' && t[start + 1] == '.') {
			if (rest)
				return -1;
			climb++;
		} else if (clen > 0 && !(clen == 1 && t[start] == '.')) {
			rest = 1;
		}
		i++;
	}
	return climb;
}

static int
scan_blob_size(struct scan *sc, const git_oid *id, uint64_t *size)
{
	struct memo_slot	*m;
	struct tstat		 st;
	size_t			 len;
	git_object_t		 type;

	m = memo_find(sc, id);
	if (m != NULL) {
		*size = m->st.bytes;
		return 0;
	}
	if (git_odb_read_header(&len, &type, sc->odb, id) != 0)
		return git_fail(sc->err, -EIO, "checkout: read blob header");
	memset(&st, 0, sizeof(st));
	st.bytes = len;
	*size = len;
	return memo_put(sc, id, &st);
}

static int
scan_link(struct scan *sc, const git_tree_entry *e, int32_t *climb)
{
	git_blob	*b = NULL;
	int		 c;

	if (git_blob_lookup(&b, sc->repo, git_tree_entry_id(e)) != 0)
		return git_fail(sc->err, -EIO, "checkout: read symlink");
	if (git_blob_rawsize(b) > CHECKOUT_MAX_LINK)
		c = -1;
	else
		c = link_climb(git_blob_rawcontent(b),
		    (size_t)git_blob_rawsize(b));
	git_blob_free(b);
	if (c < 0)
		return perr_set(sc->err, -EPERM, "checkout: symlink '%s' "
		    "points outside the app", git_tree_entry_name(e));
	*climb = c;
	return 0;
}

static int scan_tree(struct scan *sc, const git_oid *id, uint32_t level,
    struct tstat *out);

static int
scan_entry(struct scan *sc, const git_tree_entry *e, uint32_t level,
    struct tstat *st)
{
	struct tstat	 c;
	const char	*name = git_tree_entry_name(e);
	uint32_t	 nlen = (uint32_t)strlen(name);
	uint64_t	 size = 0;
	int32_t		 climb = 0;
	int		 rc;

	if (!name_ok(name))
		return perr_set(sc->err, -EPERM, "checkout: refusing path "
		    "component '%.100s'", name);
	st->entries = sat_add(st->entries, 1);
	switch (git_tree_entry_filemode(e)) {
	case GIT_FILEMODE_TREE:
		if ((rc = scan_tree(sc, git_tree_entry_id(e), level + 1, &c)))
			return rc;
		st->entries = sat_add(st->entries, c.entries);
		st->bytes = sat_add(st->bytes, c.bytes);
		if (c.depth + 1 > st->depth)
			st->depth = c.depth + 1;
		if (nlen + 1 + c.pathlen > st->pathlen)
			st->pathlen = nlen + 1 + c.pathlen;
		if (c.climb != CLIMB_NONE && c.climb - 1 > st->climb)
			st->climb = c.climb - 1;
		return 0;
	case GIT_FILEMODE_BLOB:
	case GIT_FILEMODE_BLOB_EXECUTABLE:
		if ((rc = scan_blob_size(sc, git_tree_entry_id(e), &size)))
			return rc;
		st->bytes = sat_add(st->bytes, size);
		break;
	case GIT_FILEMODE_LINK:
		if ((rc = scan_link(sc, e, &climb)))
			return rc;
		if (climb > st->climb)
			st->climb = climb;
		break;
	case GIT_FILEMODE_COMMIT:
		return 0;
	default:
		return perr_set(sc->err, -EPERM, "checkout: '%.100s' has an "
		    "unknown mode", name);
	}
	if (st->depth < 1)
		st->depth = 1;
	if (nlen > st->pathlen)
		st->pathlen = nlen;
	return 0;
}

static int
scan_check(struct scan *sc, const struct tstat *st, uint32_t level)
{
	const struct checkout_limits *lim = sc->lim;

	if (st->entries > lim->max_entries)
		return perr_set(sc->err, -E2BIG, "checkout: more than %llu "
		    "files", (unsigned long long)lim->max_entries);
	if (st->bytes > lim->max_bytes)
		return perr_set(sc->err, -E2BIG, "checkout: more than %llu "
		    "bytes", (unsigned long long)lim->max_bytes);
	if (st->depth + level > lim->max_depth)
		return perr_set(sc->err, -E2BIG, "checkout: paths deeper than "
		    "%u directories", lim->max_depth);
	if (st->pathlen > lim->max_path)
		return perr_set(sc->err, -ENAMETOOLONG, "checkout: a path is "
		    "longer than %u bytes", lim->max_path);
	return 0;
}

static int
scan_tree(struct scan *sc, const git_oid *id, uint32_t level,
    struct tstat *out)
{
	struct memo_slot	*m;
	git_tree		*t = NULL;
	struct tstat		 st;
	size_t			 i, n;
	int			 rc = 0;

	if (level > sc->lim->max_depth)
		return perr_set(sc->err, -E2BIG, "checkout: paths deeper than "
		    "%u directories", sc->lim->max_depth);
	m = memo_find(sc, id);
	if (m != NULL) {
		*out = m->st;
		return scan_check(sc, out, level);
	}
	if (git_tree_lookup(&t, sc->repo, id) != 0)
		return git_fail(sc->err, -EIO, "checkout: read tree");
	memset(&st, 0, sizeof(st));
	st.climb = CLIMB_NONE;
	n = git_tree_entrycount(t);
	for (i = 0; i < n && rc == 0; i++) {
		rc = scan_entry(sc, git_tree_entry_byindex(t, i), level, &st);
		if (rc == 0)
			rc = scan_check(sc, &st, level);
	}
	git_tree_free(t);
	if (rc == 0)
		rc = memo_put(sc, id, &st);
	*out = st;
	return rc;
}

struct writer {
	git_repository		*repo;
	const struct checkout_opts *opts;
	const struct slugignore	*ignore;
	struct buf		 path;
	uint64_t		 ignored;
	struct perr		*err;
};

static int
sys_fail(struct writer *w, const char *what)
{
	int	e = errno ? errno : EIO;

	return perr_set(w->err, -e, "checkout: %s '%.150s': %s", what,
	    w->path.p, strerror(e));
}

static int
write_blob(struct writer *w, int dirfd, const git_tree_entry *e)
{
	git_blob	*b = NULL;
	const char	*p;
	mode_t		 mode;
	size_t		 left;
	ssize_t		 n;
	int		 fd = -1, rc = 0;

	mode = git_tree_entry_filemode(e) == GIT_FILEMODE_BLOB_EXECUTABLE ?
	    0755 : 0644;
	if (git_blob_lookup(&b, w->repo, git_tree_entry_id(e)) != 0)
		return git_fail(w->err, -EIO, "checkout: read blob");
	fd = openat(dirfd, git_tree_entry_name(e), O_WRONLY | O_CREAT |
	    O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = sys_fail(w, "create");
		goto out;
	}
	p = git_blob_rawcontent(b);
	left = (size_t)git_blob_rawsize(b);
	while (left > 0) {
		n = write(fd, p, left);
		if (n <= 0) {
			rc = sys_fail(w, "write");
			goto out;
		}
		p += n;
		left -= (size_t)n;
	}
	if (fchmod(fd, mode) != 0 || (w->opts->chown &&
	    fchown(fd, w->opts->uid, w->opts->gid) != 0))
		rc = sys_fail(w, "chmod");
out:
	if (fd >= 0)
		close(fd);
	git_blob_free(b);
	return rc;
}

static int
write_link(struct writer *w, int dirfd, const git_tree_entry *e)
{
	git_blob	*b = NULL;
	char		 target[CHECKOUT_MAX_LINK + 1];
	size_t		 len;
	int		 rc = 0;

	if (git_blob_lookup(&b, w->repo, git_tree_entry_id(e)) != 0)
		return git_fail(w->err, -EIO, "checkout: read symlink");
	len = (size_t)git_blob_rawsize(b);
	if (len > CHECKOUT_MAX_LINK)
		len = CHECKOUT_MAX_LINK;
	memcpy(target, git_blob_rawcontent(b), len);
	target[len] = '\0';
	git_blob_free(b);
	if (symlinkat(target, dirfd, git_tree_entry_name(e)) != 0 ||
	    (w->opts->chown && fchownat(dirfd, git_tree_entry_name(e),
	    w->opts->uid, w->opts->gid, AT_SYMLINK_NOFOLLOW) != 0))
		rc = sys_fail(w, "symlink");
	return rc;
}

static int write_tree(struct writer *w, const git_oid *id, int dirfd);

static int
write_dir(struct writer *w, int dirfd, const git_tree_entry *e)
{
	const char	*name = git_tree_entry_name(e);
	int		 fd, rc;

	if (mkdirat(dirfd, name, 0755) != 0)
		return sys_fail(w, "mkdir");
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0)
		return sys_fail(w, "open");
	if (fchmod(fd, 0755) != 0 || (w->opts->chown &&
	    fchown(fd, w->opts->uid, w->opts->gid) != 0))
		rc = sys_fail(w, "chmod");
	else
		rc = write_tree(w, git_tree_entry_id(e), fd);
	close(fd);
	return rc;
}

static int
write_entry(struct writer *w, int dirfd, const git_tree_entry *e)
{
	git_filemode_t	mode = git_tree_entry_filemode(e);
	size_t		mark = w->path.len;
	int		rc = 0;

	if (mark > 0)
		buf_addch(&w->path, '/');
	buf_adds(&w->path, git_tree_entry_name(e));
	if (mode != GIT_FILEMODE_COMMIT && slugignore_match(w->ignore,
	    w->path.p, mode == GIT_FILEMODE_TREE)) {
		w->ignored++;
	} else if (mode == GIT_FILEMODE_TREE) {
		rc = write_dir(w, dirfd, e);
	} else if (mode == GIT_FILEMODE_BLOB ||
	    mode == GIT_FILEMODE_BLOB_EXECUTABLE) {
		rc = write_blob(w, dirfd, e);
	} else if (mode == GIT_FILEMODE_LINK) {
		rc = write_link(w, dirfd, e);
	}
	buf_truncate(&w->path, mark);
	return rc;
}

static int
write_tree(struct writer *w, const git_oid *id, int dirfd)
{
	git_tree	*t = NULL;
	size_t		 i, n;
	int		 rc = 0;

	if (git_tree_lookup(&t, w->repo, id) != 0)
		return git_fail(w->err, -EIO, "checkout: read tree");
	n = git_tree_entrycount(t);
	for (i = 0; i < n && rc == 0; i++)
		rc = write_entry(w, dirfd, git_tree_entry_byindex(t, i));
	git_tree_free(t);
	return rc;
}

static int
load_slugignore(git_repository *repo, git_tree *root, struct slugignore *si,
    struct perr *err)
{
	const git_tree_entry	*e;
	git_blob		*b = NULL;
	int			 rc;

	e = git_tree_entry_byname(root, ".slugignore");
	if (e == NULL || (git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB &&
	    git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB_EXECUTABLE))
		return 0;
	if (git_blob_lookup(&b, repo, git_tree_entry_id(e)) != 0)
		return git_fail(err, -EIO, "checkout: read .slugignore");
	rc = slugignore_parse(git_blob_rawcontent(b),
	    (size_t)git_blob_rawsize(b), si, err);
	git_blob_free(b);
	return rc;
}

void
checkout_opts_default(struct checkout_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->lim.max_entries = CHECKOUT_MAX_ENTRIES;
	o->lim.max_bytes = CHECKOUT_MAX_BYTES;
	o->lim.max_path = CHECKOUT_MAX_PATH;
	o->lim.max_depth = CHECKOUT_MAX_DEPTH;
}

static int
open_commit(const char *repo_path, const char *objects, const char *rev,
    git_repository **repo, git_commit **commit, struct perr *err)
{
	git_object	*obj = NULL;
	git_odb		*odb = NULL;
	int		 rc;

	if (git_repository_open_bare(repo, repo_path) != 0 &&
	    git_repository_open(repo, repo_path) != 0)
		return git_fail(err, -ENOENT, "checkout: open repository");
	/*
	 * During a push the new objects sit in git's quarantine directory
	 * until the pre-receive hook accepts them: read it as an alternate.
	 */
	if (objects != NULL) {
		rc = git_repository_odb(&odb, *repo);
		if (rc == 0)
			rc = git_odb_add_disk_alternate(odb, objects);
		git_odb_free(odb);
		if (rc != 0)
			return git_fail(err, -ENOENT, "checkout: add object "
			    "directory");
	}
	if (git_revparse_single(&obj, *repo, rev) != 0)
		return git_fail(err, -ENOENT, "checkout: find commit");
	rc = git_object_peel((git_object **)commit, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	if (rc != 0)
		return git_fail(err, -ENOENT, "checkout: not a commit");
	return 0;
}

int
checkout_commit(const char *repo_path, const char *rev, const char *dest,
    const struct checkout_opts *opts, struct checkout_result *res,
    struct perr *err)
{
	git_repository		*repo = NULL;
	git_commit		*commit = NULL;
	git_tree		*root = NULL;
	struct slugignore	 si = SLUGIGNORE_INIT;
	struct scan		 sc;
	struct writer		 w;
	struct tstat		 st;
	struct perr		 rmerr;
	int			 dfd = -1, made = 0, rc;

	memset(&sc, 0, sizeof(sc));
	memset(&w, 0, sizeof(w));
	buf_init(&w.path);
	git_libgit2_init();
	if ((rc = open_commit(repo_path, opts->objects, rev, &repo, &commit,
	    err)) != 0)
		goto out;
	if (git_commit_tree(&root, commit) != 0 ||
	    git_repository_odb(&sc.odb, repo) != 0) {
		rc = git_fail(err, -EIO, "checkout: read commit tree");
		goto out;
	}
	sc.repo = repo;
	sc.lim = &opts->lim;
	sc.err = err;
	sc.cap = 1024;
	sc.slots = calloc(sc.cap, sizeof(*sc.slots));
	if (sc.slots == NULL) {
		rc = perr_set(err, -ENOMEM, "checkout: out of memory");
		goto out;
	}
	if ((rc = scan_tree(&sc, git_tree_id(root), 0, &st)) != 0)
		goto out;
	if (st.climb > 0) {
		rc = perr_set(err, -EPERM, "checkout: a symlink points "
		    "outside the app");
		goto out;
	}
	if ((rc = load_slugignore(repo, root, &si, err)) != 0)
		goto out;
	if (mkdir(dest, 0755) != 0 || (made = 1, dfd = open(dest, O_RDONLY |
	    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    fchmod(dfd, 0755) != 0 || (opts->chown &&
	    fchown(dfd, opts->uid, opts->gid) != 0)) {
		rc = perr_set(err, -errno, "checkout: create '%s': %s", dest,
		    strerror(errno));
		goto out;
	}
	w.repo = repo;
	w.opts = opts;
	w.ignore = &si;
	w.err = err;
	if ((rc = write_tree(&w, git_tree_id(root), dfd)) != 0)
		goto out;
	res->entries = st.entries;
	res->bytes = st.bytes;
	res->ignored = w.ignored;
	res->commit_time = (int64_t)git_commit_time(commit);
	git_oid_tostr(res->commit, sizeof(res->commit), git_commit_id(commit));
out:
	if (dfd >= 0)
		close(dfd);
	if (rc != 0 && made)
		(void)fsutil_rm_rf(dest, &rmerr);
	buf_release(&w.path);
	slugignore_release(&si);
	free(sc.slots);
	git_odb_free(sc.odb);
	git_tree_free(root);
	git_commit_free(commit);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}
