#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <sqlite3.h>

#include "paasd.h"
#include "store.h"

struct store {
	sqlite3	*db;
};

/*
 * Forward migrations: index i takes the schema from version i to i + 1.
 * Never edit a migration that has shipped; add a new one.
 */
const char *const store_migrations[] = {
	/* 0 -> 1: apps, config and releases */
	"CREATE TABLE apps ("
	"  id TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL,"
	"  maintenance INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE config_vars ("
	"  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (app_id, key));"
	"CREATE TABLE releases ("
	"  id TEXT PRIMARY KEY,"
	"  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,"
	"  version INTEGER NOT NULL,"
	"  description TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  created_at TEXT NOT NULL,"
	"  config TEXT NOT NULL,"
	"  process_types TEXT NOT NULL DEFAULT '{}',"
	"  image TEXT,"
	"  commit_sha TEXT,"
	"  UNIQUE (app_id, version));",
	/* 1 -> 2: formation and domains */
	"CREATE TABLE formation ("
	"  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,"
	"  type TEXT NOT NULL,"
	"  quantity INTEGER NOT NULL CHECK (quantity BETWEEN 0 AND 100),"
	"  size TEXT NOT NULL DEFAULT 'basic',"
	"  updated_at TEXT NOT NULL,"
	"  PRIMARY KEY (app_id, type));"
	"CREATE TABLE domains ("
	"  id TEXT PRIMARY KEY,"
	"  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,"
	"  hostname TEXT NOT NULL UNIQUE,"
	"  kind TEXT NOT NULL,"
	"  created_at TEXT NOT NULL);",
	/* 2 -> 3: each app gets its own unprivileged uid */
	"ALTER TABLE apps ADD COLUMN uid INTEGER;"
	"UPDATE apps SET uid = 10000 + rowid;"
	"CREATE UNIQUE INDEX apps_uid ON apps(uid);",
	/* 3 -> 4: SSH keys for git push over ssh */
	"CREATE TABLE ssh_keys ("
	"  id TEXT PRIMARY KEY,"
	"  fingerprint TEXT NOT NULL UNIQUE,"
	"  type TEXT NOT NULL,"
	"  blob TEXT NOT NULL,"
	"  comment TEXT NOT NULL,"
	"  created_at TEXT NOT NULL);",
	/* 4 -> 5: builds */
	"CREATE TABLE builds ("
	"  id TEXT PRIMARY KEY,"
	"  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,"
	"  commit_sha TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  release_version INTEGER,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL);"
	"CREATE INDEX builds_app ON builds(app_id, created_at);",
	/* 5 -> 6: the buildpacks an app asks for (buildpacks:set/add) */
	"ALTER TABLE apps ADD COLUMN buildpacks TEXT NOT NULL DEFAULT '[]';",
	/* 6 -> 7: per-app boot timeout and stop grace, in seconds */
	"ALTER TABLE apps ADD COLUMN boot_timeout_s INTEGER NOT NULL "
	"DEFAULT 60;"
	"ALTER TABLE apps ADD COLUMN grace_s INTEGER NOT NULL DEFAULT 30;",
	/* 7 -> 8: the branch a push must update to deploy */
	"ALTER TABLE apps ADD COLUMN deploy_branch TEXT NOT NULL "
	"DEFAULT 'main';",
	/* 8 -> 9: deploy tokens, each good for one app's git only */
	"CREATE TABLE tokens ("
	"  id TEXT PRIMARY KEY,"
	"  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,"
	"  hash TEXT NOT NULL UNIQUE,"
	"  hint TEXT NOT NULL,"
	"  created_at TEXT NOT NULL);"
	"CREATE INDEX tokens_app ON tokens(app_id);",
};
const int store_schema_latest =
    (int)(sizeof(store_migrations) / sizeof(store_migrations[0]));

void
store_now(char out[STORE_TIME_LEN + 1])
{
	time_t		now = time(NULL);
	struct tm	tm;

	gmtime_r(&now, &tm);
	strftime(out, STORE_TIME_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
store_uuid(char out[STORE_ID_LEN + 1])
{
	unsigned char	r[16];
	size_t		got = 0;

	while (got < sizeof(r)) {
		ssize_t n = getrandom(r + got, sizeof(r) - got, 0);

		if (n > 0)
			got += (size_t)n;
		else if (errno != EINTR)
			abort();
	}
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	snprintf(out, STORE_ID_LEN + 1,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5],
	    r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
}

static int
db_fail(struct store *st, struct perr *err, const char *what)
{
	return perr_set(err, -EIO, "%s: %s", what, sqlite3_errmsg(st->db));
}

static int
exec_sql(struct store *st, const char *sql, struct perr *err)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		perr_set(err, -EIO, "database: %s", msg ? msg : "error");
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

static int
tx_begin(struct store *st, struct perr *err)
{
	return exec_sql(st, "BEGIN IMMEDIATE", err);
}

static int
tx_end(struct store *st, int rc, struct perr *err)
{
	if (rc == 0)
		return exec_sql(st, "COMMIT", err);
	(void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/*
 * prep() prepares sql and binds text arguments from a NULL-free list
 * of count strings; the statement is the caller's to finalize.
 */
static sqlite3_stmt *
prep(struct store *st, const char *sql, int count, ...)
{
	sqlite3_stmt	*q = NULL;
	va_list		 ap;
	int		 i;

	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
		return NULL;
	va_start(ap, count);
	for (i = 0; i < count; i++) {
		const char *s = va_arg(ap, const char *);

		if (sqlite3_bind_text(q, i + 1, s, -1, SQLITE_TRANSIENT) !=
		    SQLITE_OK) {
			sqlite3_finalize(q);
			q = NULL;
			break;
		}
	}
	va_end(ap);
	return q;
}

static void
col_copy(char *dst, size_t dstlen, sqlite3_stmt *q, int col)
{
	const unsigned char *s = sqlite3_column_text(q, col);

	snprintf(dst, dstlen, "%s", s ? (const char *)s : "");
}

static char *
col_dup(sqlite3_stmt *q, int col)
{
	const unsigned char *s = sqlite3_column_text(q, col);

	if (s == NULL)
		return NULL;
	s = (const unsigned char *)strdup((const char *)s);
	if (s == NULL)
		abort();
	return (char *)s;
}

int
store_schema_version(struct store *st, int *version, struct perr *err)
{
	sqlite3_stmt	*q;
	int		 rc = 0;

	q = prep(st, "SELECT version FROM schema_version", 0);
	if (q == NULL)
		return db_fail(st, err, "read schema version");
	if (sqlite3_step(q) == SQLITE_ROW)
		*version = sqlite3_column_int(q, 0);
	else
		rc = db_fail(st, err, "read schema version");
	sqlite3_finalize(q);
	return rc;
}

int
store_migrate_to(struct store *st, int target, struct perr *err)
{
	int	version, rc;
	char	sql[96];

	if (target > store_schema_latest)
		return perr_set(err, -EINVAL, "schema version %d is unknown",
		    target);
	rc = exec_sql(st, "CREATE TABLE IF NOT EXISTS schema_version "
	    "(version INTEGER NOT NULL);"
	    "INSERT INTO schema_version SELECT 0 WHERE NOT EXISTS "
	    "(SELECT 1 FROM schema_version);", err);
	if (rc)
		return rc;
	if ((rc = store_schema_version(st, &version, err)) != 0)
		return rc;
	if (version > store_schema_latest)
		return perr_set(err, -EINVAL, "database schema v%d is newer "
		    "than this paasd (v%d)", version, store_schema_latest);
	while (version < target) {
		if ((rc = tx_begin(st, err)) != 0)
			return rc;
		rc = exec_sql(st, store_migrations[version], err);
		snprintf(sql, sizeof(sql),
		    "UPDATE schema_version SET version = %d", version + 1);
		if (rc == 0)
			rc = exec_sql(st, sql, err);
		if ((rc = tx_end(st, rc, err)) != 0)
			return rc;
		version++;
	}
	return 0;
}

int
store_open(const char *path, struct store **out, struct perr *err)
{
	return store_open_version(path, store_schema_latest, out, err);
}

int
store_open_version(const char *path, int version, struct store **out,
    struct perr *err)
{
	struct store	*st;
	int		 rc;

	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return perr_set(err, -ENOMEM, "open database: out of memory");
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = perr_set(err, -EIO, "open database '%s': %s", path,
		    st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, PAASD_DB_BUSY_MS);
	rc = exec_sql(st, "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=FULL;"
	    "PRAGMA foreign_keys=ON;"
	    "PRAGMA secure_delete=ON;", err);
	if (rc == 0)
		rc = store_migrate_to(st, version, err);
	if (rc)
		goto fail;
	*out = st;
	return 0;
fail:
	store_close(st);
	return rc;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	sqlite3_close(st->db);
	free(st);
}

int
store_integrity_ok(struct store *st)
{
	sqlite3_stmt	*q;
	int		 ok = 0;

	q = prep(st, "PRAGMA integrity_check", 0);
	if (q && sqlite3_step(q) == SQLITE_ROW)
		ok = strcmp((const char *)sqlite3_column_text(q, 0), "ok") == 0;
	sqlite3_finalize(q);
	return ok;
}

/*
 * rows_collect() steps q to its end into a malloc'd array of size-byte
 * elements, each filled by row(). On a read error the elements filled so
 * far go to drop() (if any) and nothing is returned. q may be NULL (a
 * failed prep) and is always finalized.
 */
static int
rows_collect(struct store *st, sqlite3_stmt *q, size_t size,
    void (*row)(sqlite3_stmt *, void *), void (*drop)(void *),
    void **out, size_t *n, const char *what, struct perr *err)
{
	char	*v = NULL;
	size_t	 len = 0;
	int	 step;

	if (q == NULL)
		return db_fail(st, err, what);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		char *nv = realloc(v, (len + 1) * size);

		if (nv == NULL)
			abort();
		v = nv;
		row(q, v + len++ * size);
	}
	sqlite3_finalize(q);
	if (step != SQLITE_DONE) {
		while (drop != NULL && len > 0)
			drop(v + --len * size);
		free(v);
		return db_fail(st, err, what);
	}
	*out = v;
	*n = len;
	return 0;
}

/* ---------------------------------------------------------------- apps */

#define APP_COLS "a.id, a.name, a.created_at, a.updated_at, a.maintenance, " \
	"a.uid, (SELECT max(version) FROM releases r WHERE r.app_id = a.id " \
	"AND r.status = 'succeeded'), a.boot_timeout_s, a.grace_s, " \
	"a.deploy_branch"

static void
app_row(sqlite3_stmt *q, void *p)
{
	struct app *a = p;

	memset(a, 0, sizeof(*a));
	col_copy(a->id, sizeof(a->id), q, 0);
	col_copy(a->name, sizeof(a->name), q, 1);
	col_copy(a->created_at, sizeof(a->created_at), q, 2);
	col_copy(a->updated_at, sizeof(a->updated_at), q, 3);
	a->maintenance = sqlite3_column_int(q, 4);
	a->uid = sqlite3_column_int(q, 5);
	a->release_version = sqlite3_column_int64(q, 6);
	a->boot_timeout_s = sqlite3_column_int(q, 7);
	a->grace_s = sqlite3_column_int(q, 8);
	col_copy(a->deploy_branch, sizeof(a->deploy_branch), q, 9);
}

static int
app_lookup(struct store *st, const char *name, struct app *a,
    struct perr *err)
{
	sqlite3_stmt	*q;
	int		 rc, step;

	q = prep(st, "SELECT " APP_COLS " FROM apps a WHERE a.name = ?", 1,
	    name);
	if (q == NULL)
		return db_fail(st, err, "look up app");
	step = sqlite3_step(q);
	if (step == SQLITE_ROW) {
		app_row(q, a);
		rc = 0;
	} else if (step == SQLITE_DONE)
		rc = perr_set(err, -ENOENT, "app '%s' not found", name);
	else
		rc = db_fail(st, err, "look up app");
	sqlite3_finalize(q);
	return rc;
}

static int
step_done(struct store *st, sqlite3_stmt *q, const char *what,
    struct perr *err)
{
	int rc = 0;

	if (q == NULL)
		return db_fail(st, err, what);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_fail(st, err, what);
	sqlite3_finalize(q);
	return rc;
}

static int
release_insert_status(struct store *st, const char *app_id,
    long long version, const char *status, const char *desc,
    const char *config, const char *ptypes, const char *image,
    const char *commit, struct perr *err);

static int
release_insert(struct store *st, const char *app_id, long long version,
    const char *desc, const char *config, const char *ptypes,
    const char *image, const char *commit, struct perr *err)
{
	return release_insert_status(st, app_id, version, "succeeded", desc,
	    config, ptypes, image, commit, err);
}

static int
release_insert_status(struct store *st, const char *app_id,
    long long version, const char *status, const char *desc,
    const char *config, const char *ptypes, const char *image,
    const char *commit, struct perr *err)
{
	sqlite3_stmt	*q;
	char		 id[STORE_ID_LEN + 1], now[STORE_TIME_LEN + 1];

	store_uuid(id);
	store_now(now);
	q = prep(st, "INSERT INTO releases (id, app_id, version, description, "
	    "status, created_at, config, process_types, image, commit_sha) "
	    "VALUES (?1, ?2, ?3, ?4, ?10, ?5, ?6, ?7, ?8, ?9)", 0);
	if (q == NULL)
		return db_fail(st, err, "add release");
	if (sqlite3_bind_text(q, 1, id, -1, SQLITE_TRANSIENT) ||
	    sqlite3_bind_text(q, 2, app_id, -1, SQLITE_TRANSIENT) ||
	    sqlite3_bind_int64(q, 3, version) ||
	    sqlite3_bind_text(q, 4, desc, -1, SQLITE_TRANSIENT) ||
	    sqlite3_bind_text(q, 5, now, -1, SQLITE_TRANSIENT) ||
	    sqlite3_bind_text(q, 6, config, -1, SQLITE_TRANSIENT) ||
	    sqlite3_bind_text(q, 7, ptypes, -1, SQLITE_TRANSIENT) ||
	    sqlite3_bind_text(q, 8, image, -1, SQLITE_TRANSIENT) ||
	    sqlite3_bind_text(q, 9, commit, -1, SQLITE_TRANSIENT) ||
	    sqlite3_bind_text(q, 10, status, -1, SQLITE_TRANSIENT)) {
		sqlite3_finalize(q);
		return db_fail(st, err, "add release");
	}
	return step_done(st, q, "add release", err);
}

static int
domain_insert(struct store *st, const char *app_id, const char *host,
    const char *kind, struct domain *d, struct perr *err)
{
	sqlite3_stmt	*q;
	int		 step, rc = 0;

	memset(d, 0, sizeof(*d));
	store_uuid(d->id);
	store_now(d->created_at);
	snprintf(d->hostname, sizeof(d->hostname), "%s", host);
	snprintf(d->kind, sizeof(d->kind), "%s", kind);
	q = prep(st, "INSERT INTO domains (id, app_id, hostname, kind, "
	    "created_at) VALUES (?, ?, ?, ?, ?)", 5, d->id, app_id, host,
	    kind, d->created_at);
	if (q == NULL)
		return db_fail(st, err, "add domain");
	step = sqlite3_step(q);
	if (step == SQLITE_CONSTRAINT)
		rc = perr_set(err, -EEXIST, "domain '%s' is already taken",
		    host);
	else if (step != SQLITE_DONE)
		rc = db_fail(st, err, "add domain");
	sqlite3_finalize(q);
	return rc;
}

int
store_app_create(struct store *st, const char *name, const char *host,
    struct app *a, struct perr *err)
{
	sqlite3_stmt	*q = NULL;
	struct domain	 d;
	char		 id[STORE_ID_LEN + 1], now[STORE_TIME_LEN + 1];
	int		 rc, step;

	if ((rc = tx_begin(st, err)) != 0)
		return rc;
	store_uuid(id);
	store_now(now);
	q = prep(st, "INSERT INTO apps (id, name, created_at, updated_at, uid) "
	    "VALUES (?, ?, ?, ?, (SELECT coalesce(max(uid), "
	    "10000) + 1 FROM apps))", 4, id, name, now, now);
	if (q == NULL) {
		rc = db_fail(st, err, "create app");
		goto out;
	}
	step = sqlite3_step(q);
	if (step == SQLITE_CONSTRAINT)
		rc = perr_set(err, -EEXIST, "app '%s' already exists", name);
	else if (step != SQLITE_DONE)
		rc = db_fail(st, err, "create app");
	if (rc)
		goto out;
	rc = domain_insert(st, id, host, "default", &d, err);
	if (rc == 0)
		rc = release_insert(st, id, 1, "Initial release", "{}", "{}",
		    NULL, NULL, err);
	if (rc == 0)
		rc = app_lookup(st, name, a, err);
out:
	sqlite3_finalize(q);
	return tx_end(st, rc, err);
}

int
store_app_get(struct store *st, const char *name, struct app *a,
    struct perr *err)
{
	return app_lookup(st, name, a, err);
}

int
store_app_list(struct store *st, struct app **out, size_t *n,
    struct perr *err)
{
	sqlite3_stmt	*q;
	void	*v;
	int		 rc;

	q = prep(st, "SELECT " APP_COLS " FROM apps a ORDER BY a.name", 0);
	rc = rows_collect(st, q, sizeof(**out), app_row, NULL, &v, n,
	    "list apps", err);
	if (rc == 0)
		*out = v;
	return rc;
}

int
store_app_delete(struct store *st, const char *name, struct perr *err)
{
	struct app	a;
	int		rc;

	if ((rc = tx_begin(st, err)) != 0)
		return rc;
	rc = app_lookup(st, name, &a, err);
	if (rc == 0)
		rc = step_done(st, prep(st, "DELETE FROM apps WHERE id = ?", 1,
		    a.id), "delete app", err);
	return tx_end(st, rc, err);
}

static int
app_touch(struct store *st, const char *app_id, struct perr *err)
{
	char now[STORE_TIME_LEN + 1];

	store_now(now);
	return step_done(st, prep(st, "UPDATE apps SET updated_at = ? "
	    "WHERE id = ?", 2, now, app_id), "update app", err);
}

int
store_app_set_maintenance(struct store *st, const char *name, int on,
    struct perr *err)
{
	struct app	a;
	int		rc;

	if ((rc = tx_begin(st, err)) != 0)
		return rc;
	rc = app_lookup(st, name, &a, err);
	if (rc == 0)
		rc = step_done(st, prep(st, on ? "UPDATE apps SET "
		    "maintenance = 1 WHERE id = ?" : "UPDATE apps SET "
		    "maintenance = 0 WHERE id = ?", 1, a.id),
		    "update app", err);
	if (rc == 0)
		rc = app_touch(st, a.id, err);
	return tx_end(st, rc, err);
}

/* ---------------------------------------------------------------- config */

static int
config_load(struct store *st, const char *app_id, json_t **out,
    struct perr *err)
{
	sqlite3_stmt	*q;
	json_t		*obj;
	int		 step;

	q = prep(st, "SELECT key, value FROM config_vars WHERE app_id = ? "
	    "ORDER BY key", 1, app_id);
	if (q == NULL)
		return db_fail(st, err, "read config");
	obj = json_object();
	while ((step = sqlite3_step(q)) == SQLITE_ROW)
		json_object_set_new(obj,
		    (const char *)sqlite3_column_text(q, 0),
		    json_stringn((const char *)sqlite3_column_text(q, 1),
		    (size_t)sqlite3_column_bytes(q, 1)));
	sqlite3_finalize(q);
	if (step != SQLITE_DONE) {
		json_decref(obj);
		return db_fail(st, err, "read config");
	}
	*out = obj;
	return 0;
}

int
store_config_get(struct store *st, const char *app, json_t **config,
    struct perr *err)
{
	struct app	a;
	int		rc;

	if ((rc = app_lookup(st, app, &a, err)) != 0)
		return rc;
	return config_load(st, a.id, config, err);
}

static size_t
config_bytes(json_t *config)
{
	const char	*k;
	json_t		*v;
	size_t		 n = 0;

	json_object_foreach(config, k, v)
		n += strlen(k) + json_string_length(v);
	return n;
}

static void
add_names(char *out, size_t outlen, size_t *used, json_t *names)
{
	size_t	i, n = json_array_size(names);
	int	w;

	for (i = 0; i < n; i++) {
		const char *sep = i == 0 ? "" : i + 1 == n ? " and " : ", ";

		if (n > 2 && i + 1 == n)
			sep = ", and ";
		w = snprintf(out + *used, outlen - *used, "%s%s", sep,
		    json_string_value(json_array_get(names, i)));
		if (w < 0 || (size_t)w >= outlen - *used) {
			*used = outlen - 1;
			return;
		}
		*used += (size_t)w;
	}
}

void
store_release_describe(json_t *patch, char *out, size_t outlen)
{
	json_t		*set = json_array(), *unset = json_array(), *v;
	const char	*k;
	size_t		 used = 0;

	json_object_foreach(patch, k, v)
		json_array_append_new(json_is_null(v) ? unset : set,
		    json_string(k));
	out[0] = '\0';
	if (json_array_size(set)) {
		used += (size_t)snprintf(out, outlen, "Set ");
		add_names(out, outlen, &used, set);
	}
	if (json_array_size(unset) && used < outlen - 1) {
		used += (size_t)snprintf(out + used, outlen - used, "%s",
		    used ? " and unset " : "Unset ");
		if (used < outlen - 1)
			add_names(out, outlen, &used, unset);
	}
	if (used < outlen - 1)
		snprintf(out + used, outlen - used, " config vars");
	json_decref(set);
	json_decref(unset);
}

/* The current release's process types, image and commit, for copying. */
struct release_base {
	char	*ptypes;
	char	*image;
	char	*commit;
	long long max_version;
};

static int
release_base_load(struct store *st, const char *app_id,
    struct release_base *b, struct perr *err)
{
	sqlite3_stmt	*q;
	int		 step;

	memset(b, 0, sizeof(*b));
	q = prep(st, "SELECT process_types, image, commit_sha, "
	    "(SELECT max(version) FROM releases WHERE app_id = ?1) "
	    "FROM releases WHERE app_id = ?1 AND status = 'succeeded' "
	    "ORDER BY version DESC LIMIT 1", 1, app_id);
	if (q == NULL)
		return db_fail(st, err, "read current release");
	step = sqlite3_step(q);
	if (step == SQLITE_ROW) {
		b->ptypes = col_dup(q, 0);
		b->image = col_dup(q, 1);
		b->commit = col_dup(q, 2);
		b->max_version = sqlite3_column_int64(q, 3);
	}
	sqlite3_finalize(q);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return db_fail(st, err, "read current release");
	return 0;
}

static void
release_base_free(struct release_base *b)
{
	free(b->ptypes);
	free(b->image);
	free(b->commit);
}

static int
release_fetch(struct store *st, const char *app_id, long long version,
    struct release *r, struct perr *err);

static int
config_apply(struct store *st, const char *app_id, json_t *patch,
    int *changed, struct perr *err)
{
	const char	*k;
	json_t		*v;
	int		 rc = 0;

	*changed = 0;
	json_object_foreach(patch, k, v) {
		sqlite3_stmt *q;

		if (json_is_null(v))
			q = prep(st, "DELETE FROM config_vars WHERE app_id = ? "
			    "AND key = ?", 2, app_id, k);
		else
			q = prep(st, "INSERT INTO config_vars (app_id, key, "
			    "value) VALUES (?1, ?2, ?3) ON CONFLICT (app_id, "
			    "key) DO UPDATE SET value = ?3 WHERE value IS NOT "
			    "?3", 3, app_id, k, json_string_value(v));
		if ((rc = step_done(st, q, "write config", err)) != 0)
			return rc;
		if (sqlite3_changes(st->db) > 0)
			*changed = 1;
	}
	return rc;
}

int
store_config_patch(struct store *st, const char *app, json_t *patch,
    size_t max_bytes, struct release *rel, struct perr *err)
{
	struct release_base	 base;
	struct app		 a;
	json_t			*config = NULL;
	char			*text = NULL, desc[256];
	int			 rc, changed = 0;

	memset(rel, 0, sizeof(*rel));
	memset(&base, 0, sizeof(base));
	if ((rc = tx_begin(st, err)) != 0)
		return rc;
	if ((rc = app_lookup(st, app, &a, err)) != 0)
		goto out;
	if ((rc = config_apply(st, a.id, patch, &changed, err)) != 0 ||
	    !changed)
		goto out;
	if ((rc = config_load(st, a.id, &config, err)) != 0)
		goto out;
	if (config_bytes(config) > max_bytes) {
		rc = perr_set(err, -E2BIG, "config vars of '%s' would take "
		    "%zu bytes, at most %zu are allowed", app,
		    config_bytes(config), max_bytes);
		goto out;
	}
	if ((rc = release_base_load(st, a.id, &base, err)) != 0)
		goto out;
	text = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);
	store_release_describe(patch, desc, sizeof(desc));
	rc = release_insert(st, a.id, base.max_version + 1, desc, text,
	    base.ptypes ? base.ptypes : "{}", base.image, base.commit, err);
	if (rc == 0)
		rc = app_touch(st, a.id, err);
	if (rc == 0)
		rc = release_fetch(st, a.id, base.max_version + 1, rel, err);
out:
	free(text);
	json_decref(config);
	release_base_free(&base);
	return tx_end(st, rc, err);
}

/* ---------------------------------------------------------------- releases */

#define REL_COLS "r.id, r.version, r.description, r.status, r.created_at, " \
	"r.version = (SELECT max(version) FROM releases x WHERE " \
	"x.app_id = r.app_id AND x.status = 'succeeded'), r.config, " \
	"r.process_types, r.image, r.commit_sha"

void
release_release(struct release *r)
{
	json_decref(r->config);
	json_decref(r->process_types);
	free(r->image);
	free(r->commit);
	memset(r, 0, sizeof(*r));
}

static void
release_drop(void *p)
{
	release_release(p);
}

static void
release_row(sqlite3_stmt *q, void *p)
{
	struct release *r = p;

	memset(r, 0, sizeof(*r));
	col_copy(r->id, sizeof(r->id), q, 0);
	r->version = sqlite3_column_int64(q, 1);
	col_copy(r->description, sizeof(r->description), q, 2);
	col_copy(r->status, sizeof(r->status), q, 3);
	col_copy(r->created_at, sizeof(r->created_at), q, 4);
	r->current = sqlite3_column_int(q, 5);
	r->config = json_loads((const char *)sqlite3_column_text(q, 6), 0,
	    NULL);
	r->process_types = json_loads(
	    (const char *)sqlite3_column_text(q, 7), 0, NULL);
	if (r->config == NULL)
		r->config = json_object();
	if (r->process_types == NULL)
		r->process_types = json_object();
	r->image = col_dup(q, 8);
	r->commit = col_dup(q, 9);
}

static int
release_fetch(struct store *st, const char *app_id, long long version,
    struct release *r, struct perr *err)
{
	sqlite3_stmt	*q;
	int		 rc, step;

	q = prep(st, "SELECT " REL_COLS " FROM releases r WHERE r.app_id = ? "
	    "AND r.version = ?", 1, app_id);
	if (q == NULL || sqlite3_bind_int64(q, 2, version) != SQLITE_OK) {
		sqlite3_finalize(q);
		return db_fail(st, err, "read release");
	}
	step = sqlite3_step(q);
	if (step == SQLITE_ROW) {
		release_row(q, r);
		rc = 0;
	} else if (step == SQLITE_DONE)
		rc = perr_set(err, -ENOENT, "release v%lld not found", version);
	else
		rc = db_fail(st, err, "read release");
	sqlite3_finalize(q);
	return rc;
}

int
store_release_list(struct store *st, const char *app,
    struct release **out, size_t *n, struct perr *err)
{
	sqlite3_stmt	*q;
	void	*v;
	struct app	 a;
	int		 rc;

	if ((rc = app_lookup(st, app, &a, err)) != 0)
		return rc;
	q = prep(st, "SELECT " REL_COLS " FROM releases r WHERE r.app_id = ? "
	    "ORDER BY r.version DESC", 1, a.id);
	rc = rows_collect(st, q, sizeof(**out), release_row,
	    release_drop, &v, n, "list releases", err);
	if (rc == 0)
		*out = v;
	return rc;
}

int
store_release_get(struct store *st, const char *app, long long version,
    struct release *r, struct perr *err)
{
	struct app	a;
	int		rc;

	if ((rc = app_lookup(st, app, &a, err)) != 0)
		return rc;
	if (version == 0)
		version = a.release_version;
	return release_fetch(st, a.id, version, r, err);
}

static int
config_replace(struct store *st, const char *app_id, json_t *config,
    struct perr *err)
{
	const char	*k;
	json_t		*v;
	int		 rc;

	rc = step_done(st, prep(st, "DELETE FROM config_vars WHERE app_id = ?",
	    1, app_id), "write config", err);
	json_object_foreach(config, k, v) {
		if (rc || !json_is_string(v))
			break;
		rc = step_done(st, prep(st, "INSERT INTO config_vars (app_id, "
		    "key, value) VALUES (?, ?, ?)", 3, app_id, k,
		    json_string_value(v)), "write config", err);
	}
	return rc;
}

int
store_release_rollback(struct store *st, const char *app, long long version,
    struct release *rel, struct perr *err)
{
	struct release_base	 base;
	struct release		 old;
	struct app		 a;
	char			*config = NULL, *ptypes = NULL, desc[64];
	int			 rc;

	memset(rel, 0, sizeof(*rel));
	memset(&old, 0, sizeof(old));
	memset(&base, 0, sizeof(base));
	if ((rc = tx_begin(st, err)) != 0)
		return rc;
	if ((rc = app_lookup(st, app, &a, err)) != 0)
		goto out;
	if ((rc = release_fetch(st, a.id, version, &old, err)) != 0)
		goto out;
	if (strcmp(old.status, "succeeded") != 0) {
		rc = perr_set(err, -EINVAL, "release v%lld is %s and cannot "
		    "be rolled back to", version, old.status);
		goto out;
	}
	if ((rc = release_base_load(st, a.id, &base, err)) != 0)
		goto out;
	config = json_dumps(old.config, JSON_COMPACT | JSON_SORT_KEYS);
	ptypes = json_dumps(old.process_types, JSON_COMPACT | JSON_SORT_KEYS);
	snprintf(desc, sizeof(desc), "Rollback to v%lld", version);
	rc = config_replace(st, a.id, old.config, err);
	if (rc == 0)
		rc = release_insert(st, a.id, base.max_version + 1, desc,
		    config, ptypes, old.image, old.commit, err);
	if (rc == 0)
		rc = app_touch(st, a.id, err);
	if (rc == 0)
		rc = release_fetch(st, a.id, base.max_version + 1, rel, err);
out:
	free(config);
	free(ptypes);
	release_release(&old);
	release_base_free(&base);
	return tx_end(st, rc, err);
}

/* ---------------------------------------------------------------- formation */

static void
formation_row(sqlite3_stmt *q, void *p)
{
	struct formation *f = p;

	memset(f, 0, sizeof(*f));
	col_copy(f->type, sizeof(f->type), q, 0);
	f->quantity = sqlite3_column_int(q, 1);
	col_copy(f->size, sizeof(f->size), q, 2);
	col_copy(f->updated_at, sizeof(f->updated_at), q, 3);
}

int
store_formation_list(struct store *st, const char *app,
    struct formation **out, size_t *n, struct perr *err)
{
	sqlite3_stmt		*q;
	void		*v;
	struct app		 a;
	int			 rc;

	if ((rc = app_lookup(st, app, &a, err)) != 0)
		return rc;
	q = prep(st, "SELECT type, quantity, size, updated_at FROM formation "
	    "WHERE app_id = ? ORDER BY type", 1, a.id);
	rc = rows_collect(st, q, sizeof(**out), formation_row, NULL, &v, n,
	    "list formation", err);
	if (rc == 0)
		*out = v;
	return rc;
}

static int
formation_apply(struct store *st, const char *app_id,
    const struct formation_update *u, struct perr *err)
{
	sqlite3_stmt	*q;
	char		 now[STORE_TIME_LEN + 1];
	int		 rc;

	store_now(now);
	/* Upsert: a missing field keeps its value, or its default. */
	q = prep(st, "INSERT INTO formation (app_id, type, quantity, size, "
	    "updated_at) VALUES (?1, ?2, coalesce(?3, 0), coalesce(?4, "
	    "'basic'), ?5) ON CONFLICT (app_id, type) DO UPDATE SET "
	    "quantity = coalesce(?3, quantity), size = coalesce(?4, size), "
	    "updated_at = ?5", 2, app_id, u->type);
	if (q == NULL)
		return db_fail(st, err, "update formation");
	if ((u->quantity >= 0 ? sqlite3_bind_int(q, 3, u->quantity) :
	    sqlite3_bind_null(q, 3)) != SQLITE_OK ||
	    (u->size[0] ? sqlite3_bind_text(q, 4, u->size, -1,
	    SQLITE_TRANSIENT) : sqlite3_bind_null(q, 4)) != SQLITE_OK ||
	    sqlite3_bind_text(q, 5, now, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		sqlite3_finalize(q);
		return db_fail(st, err, "update formation");
	}
	rc = step_done(st, q, "update formation", err);
	return rc;
}

int
store_formation_update(struct store *st, const char *app,
    const struct formation_update *u, size_t n, struct perr *err)
{
	struct app	a;
	size_t		i;
	int		rc;

	if ((rc = tx_begin(st, err)) != 0)
		return rc;
	rc = app_lookup(st, app, &a, err);
	for (i = 0; rc == 0 && i < n; i++)
		rc = formation_apply(st, a.id, &u[i], err);
	if (rc == 0)
		rc = app_touch(st, a.id, err);
	return tx_end(st, rc, err);
}

/* ---------------------------------------------------------------- domains */

static void
domain_row(sqlite3_stmt *q, void *p)
{
	struct domain *d = p;

	memset(d, 0, sizeof(*d));
	col_copy(d->id, sizeof(d->id), q, 0);
	col_copy(d->hostname, sizeof(d->hostname), q, 1);
	col_copy(d->kind, sizeof(d->kind), q, 2);
	col_copy(d->created_at, sizeof(d->created_at), q, 3);
}

int
store_domain_list(struct store *st, const char *app, struct domain **out,
    size_t *n, struct perr *err)
{
	sqlite3_stmt	*q;
	void	*v;
	struct app	 a;
	int		 rc;

	if ((rc = app_lookup(st, app, &a, err)) != 0)
		return rc;
	q = prep(st, "SELECT id, hostname, kind, created_at FROM domains "
	    "WHERE app_id = ? ORDER BY kind = 'custom', hostname", 1, a.id);
	rc = rows_collect(st, q, sizeof(**out), domain_row, NULL, &v, n,
	    "list domains", err);
	if (rc == 0)
		*out = v;
	return rc;
}

int
store_domain_add(struct store *st, const char *app, const char *host,
    struct domain *d, struct perr *err)
{
	struct app	a;
	int		rc;

	if ((rc = tx_begin(st, err)) != 0)
		return rc;
	rc = app_lookup(st, app, &a, err);
	if (rc == 0)
		rc = domain_insert(st, a.id, host, "custom", d, err);
	if (rc == 0)
		rc = app_touch(st, a.id, err);
	return tx_end(st, rc, err);
}

int
store_domain_remove(struct store *st, const char *app, const char *host,
    struct domain *d, struct perr *err)
{
	sqlite3_stmt	*q = NULL;
	struct app	 a;
	int		 rc, step;

	if ((rc = tx_begin(st, err)) != 0)
		return rc;
	if ((rc = app_lookup(st, app, &a, err)) != 0)
		goto out;
	q = prep(st, "SELECT id, hostname, kind, created_at FROM domains "
	    "WHERE app_id = ? AND hostname = ?", 2, a.id, host);
	if (q == NULL) {
		rc = db_fail(st, err, "remove domain");
		goto out;
	}
	step = sqlite3_step(q);
	if (step == SQLITE_ROW)
		domain_row(q, d);
	else if (step == SQLITE_DONE)
		rc = perr_set(err, -ENOENT, "domain '%s' not found on '%s'",
		    host, app);
	else
		rc = db_fail(st, err, "remove domain");
	if (rc == 0 && strcmp(d->kind, "default") == 0)
		rc = perr_set(err, -EPERM, "domain '%s' is the app's default "
		    "domain and cannot be removed", host);
	if (rc == 0)
		rc = step_done(st, prep(st, "DELETE FROM domains WHERE id = ?",
		    1, d->id), "remove domain", err);
	if (rc == 0)
		rc = app_touch(st, a.id, err);
out:
	sqlite3_finalize(q);
	return tx_end(st, rc, err);
}

/* ---------------------------------------------------------------- keys */

static void
key_row(sqlite3_stmt *q, void *p)
{
	struct store_key *k = p;

	memset(k, 0, sizeof(*k));
	col_copy(k->id, sizeof(k->id), q, 0);
	col_copy(k->fingerprint, sizeof(k->fingerprint), q, 1);
	col_copy(k->type, sizeof(k->type), q, 2);
	k->blob = col_dup(q, 3);
	col_copy(k->comment, sizeof(k->comment), q, 4);
	col_copy(k->created_at, sizeof(k->created_at), q, 5);
}

void
store_key_release(struct store_key *k)
{
	free(k->blob);
	k->blob = NULL;
}

static void
key_drop(void *p)
{
	store_key_release(p);
}

int
store_key_add(struct store *st, const char *fp, const char *type,
    const char *blob, const char *comment, struct store_key *k,
    struct perr *err)
{
	sqlite3_stmt	*q;
	char		 id[STORE_ID_LEN + 1], now[STORE_TIME_LEN + 1];
	int		 rc, step;

	if ((rc = tx_begin(st, err)) != 0)
		return rc;
	store_uuid(id);
	store_now(now);
	q = prep(st, "INSERT INTO ssh_keys (id, fingerprint, type, blob, "
	    "comment, created_at) VALUES (?, ?, ?, ?, ?, ?)", 6, id, fp, type,
	    blob, comment, now);
	if (q == NULL)
		rc = db_fail(st, err, "add key");
	else if ((step = sqlite3_step(q)) == SQLITE_CONSTRAINT)
		rc = perr_set(err, -EEXIST, "key %s is already added", fp);
	else if (step != SQLITE_DONE)
		rc = db_fail(st, err, "add key");
	sqlite3_finalize(q);
	if (rc == 0) {
		memset(k, 0, sizeof(*k));
		snprintf(k->id, sizeof(k->id), "%s", id);
		snprintf(k->fingerprint, sizeof(k->fingerprint), "%s", fp);
		snprintf(k->type, sizeof(k->type), "%s", type);
		snprintf(k->comment, sizeof(k->comment), "%s", comment);
		snprintf(k->created_at, sizeof(k->created_at), "%s", now);
	}
	return tx_end(st, rc, err);
}

int
store_key_list(struct store *st, struct store_key **out, size_t *n,
    struct perr *err)
{
	sqlite3_stmt		*q;
	void		*v;
	int			 rc;

	q = prep(st, "SELECT id, fingerprint, type, blob, comment, created_at "
	    "FROM ssh_keys ORDER BY created_at, id", 0);
	rc = rows_collect(st, q, sizeof(**out), key_row, key_drop, &v, n,
	    "list keys", err);
	if (rc == 0)
		*out = v;
	return rc;
}

int
store_key_remove(struct store *st, const char *id, struct store_key *k,
    struct perr *err)
{
	sqlite3_stmt	*q;
	int		 rc, step;

	if ((rc = tx_begin(st, err)) != 0)
		return rc;
	q = prep(st, "SELECT id, fingerprint, type, blob, comment, created_at "
	    "FROM ssh_keys WHERE id = ?", 1, id);
	if (q == NULL)
		rc = db_fail(st, err, "remove key");
	else if ((step = sqlite3_step(q)) == SQLITE_ROW)
		key_row(q, k);
	else if (step == SQLITE_DONE)
		rc = perr_set(err, -ENOENT, "key '%.40s' not found", id);
	else
		rc = db_fail(st, err, "remove key");
	sqlite3_finalize(q);
	if (rc == 0) {
		rc = step_done(st, prep(st, "DELETE FROM ssh_keys WHERE id = ?",
		    1, id), "remove key", err);
		if (rc)
			store_key_release(k);
	}
	return tx_end(st, rc, err);
}

/* ---------------------------------------------------------------- tokens */

static void
token_row(sqlite3_stmt *q, void *p)
{
	struct store_token *t = p;

	memset(t, 0, sizeof(*t));
	col_copy(t->id, sizeof(t->id), q, 0);
	col_copy(t->app, sizeof(t->app), q, 1);
	col_copy(t->hint, sizeof(t->hint), q, 2);
	col_copy(t->created_at, sizeof(t->created_at), q, 3);
}

#define TOKEN_COLS "t.id, a.name, t.hint, t.created_at FROM tokens t " \
	"JOIN apps a ON a.id = t.app_id"

int
store_token_add(struct store *st, const char *app, const char *hash,
    const char *hint, struct store_token *t, struct perr *err)
{
	struct app	a;
	char		id[STORE_ID_LEN + 1], now[STORE_TIME_LEN + 1];
	int		rc;

	if ((rc = tx_begin(st, err)) != 0)
		return rc;
	if ((rc = app_lookup(st, app, &a, err)) == 0) {
		store_uuid(id);
		store_now(now);
		rc = step_done(st, prep(st, "INSERT INTO tokens (id, app_id, "
		    "hash, hint, created_at) VALUES (?, ?, ?, ?, ?)", 5, id,
		    a.id, hash, hint, now), "add token", err);
	}
	if (rc == 0) {
		memset(t, 0, sizeof(*t));
		snprintf(t->id, sizeof(t->id), "%s", id);
		snprintf(t->app, sizeof(t->app), "%s", app);
		snprintf(t->hint, sizeof(t->hint), "%s", hint);
		snprintf(t->created_at, sizeof(t->created_at), "%s", now);
	}
	return tx_end(st, rc, err);
}

int
store_token_list(struct store *st, const char *app, struct store_token **out,
    size_t *n, struct perr *err)
{
	struct app	 a;
	void		*v;
	int		 rc;

	if ((rc = app_lookup(st, app, &a, err)) != 0)
		return rc;
	rc = rows_collect(st, prep(st, "SELECT " TOKEN_COLS " WHERE "
	    "t.app_id = ? ORDER BY t.created_at, t.id", 1, a.id),
	    sizeof(**out), token_row, NULL, &v, n, "list tokens", err);
	if (rc == 0)
		*out = v;
	return rc;
}

int
store_token_remove(struct store *st, const char *app, const char *id,
    struct perr *err)
{
	struct app	a;
	int		rc;

	if ((rc = tx_begin(st, err)) != 0)
		return rc;
	if ((rc = app_lookup(st, app, &a, err)) == 0 &&
	    (rc = step_done(st, prep(st, "DELETE FROM tokens WHERE id = ? AND "
	    "app_id = ?", 2, id, a.id), "remove token", err)) == 0 &&
	    sqlite3_changes(st->db) == 0)
		rc = perr_set(err, -ENOENT, "token '%.40s' not found", id);
	return tx_end(st, rc, err);
}

int
store_token_find(struct store *st, const char *hash, struct store_token *t)
{
	sqlite3_stmt	*q;
	int		 step;

	q = prep(st, "SELECT " TOKEN_COLS " WHERE t.hash = ?", 1, hash);
	if (q == NULL)
		return -EIO;
	step = sqlite3_step(q);
	if (step == SQLITE_ROW)
		token_row(q, t);
	sqlite3_finalize(q);
	return step == SQLITE_ROW ? 0 : step == SQLITE_DONE ? -ENOENT : -EIO;
}

/* ---------------------------------------------------------------- builds */

static void
build_row(sqlite3_stmt *q, void *p)
{
	struct store_build *b = p;

	memset(b, 0, sizeof(*b));
	col_copy(b->id, sizeof(b->id), q, 0);
	col_copy(b->commit, sizeof(b->commit), q, 1);
	col_copy(b->status, sizeof(b->status), q, 2);
	b->release_version = sqlite3_column_int64(q, 3);
	col_copy(b->created_at, sizeof(b->created_at), q, 4);
	col_copy(b->updated_at, sizeof(b->updated_at), q, 5);
}

int
store_build_add(struct store *st, const char *app, const char *commit,
    struct store_build *b, struct perr *err)
{
	struct app	a;
	char		id[STORE_ID_LEN + 1], now[STORE_TIME_LEN + 1];
	int		rc;

	if ((rc = tx_begin(st, err)) != 0)
		return rc;
	store_uuid(id);
	store_now(now);
	rc = app_lookup(st, app, &a, err);
	if (rc == 0)
		rc = step_done(st, prep(st, "INSERT INTO builds (id, app_id, "
		    "commit_sha, status, created_at, updated_at) VALUES (?, ?, "
		    "?, 'pending', ?, ?)", 5, id, a.id, commit, now, now),
		    "add build", err);
	if (rc == 0) {
		memset(b, 0, sizeof(*b));
		snprintf(b->id, sizeof(b->id), "%s", id);
		snprintf(b->commit, sizeof(b->commit), "%s", commit);
		snprintf(b->status, sizeof(b->status), "pending");
		snprintf(b->created_at, sizeof(b->created_at), "%s", now);
		snprintf(b->updated_at, sizeof(b->updated_at), "%s", now);
	}
	return tx_end(st, rc, err);
}

int
store_build_finish(struct store *st, const char *id, int ok,
    long long release_version, struct perr *err)
{
	sqlite3_stmt	*q;
	char		 now[STORE_TIME_LEN + 1];
	int		 rc;

	if ((rc = tx_begin(st, err)) != 0)
		return rc;
	store_now(now);
	q = prep(st, "UPDATE builds SET status = ?, release_version = ?, "
	    "updated_at = ? WHERE id = ?", 0);
	if (q == NULL ||
	    sqlite3_bind_text(q, 1, ok ? "succeeded" : "failed", -1,
	    SQLITE_STATIC) != SQLITE_OK ||
	    (release_version > 0 ? sqlite3_bind_int64(q, 2, release_version) :
	    sqlite3_bind_null(q, 2)) != SQLITE_OK ||
	    sqlite3_bind_text(q, 3, now, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(q, 4, id, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		sqlite3_finalize(q);
		rc = db_fail(st, err, "finish build");
	} else
		rc = step_done(st, q, "finish build", err);
	return tx_end(st, rc, err);
}

/* Builds still pending belong to a paasd that died: they failed. */
int
store_build_fail_pending(struct store *st, struct perr *err)
{
	int rc;

	if ((rc = tx_begin(st, err)) != 0)
		return rc;
	rc = step_done(st, prep(st, "UPDATE builds SET status = 'failed' "
	    "WHERE status = 'pending'", 0), "fail pending builds", err);
	return tx_end(st, rc, err);
}

int
store_build_list(struct store *st, const char *app, struct store_build **out,
    size_t *n, struct perr *err)
{
	sqlite3_stmt		*q;
	void		*v;
	struct app		 a;
	int			 rc;

	if ((rc = app_lookup(st, app, &a, err)) != 0)
		return rc;
	q = prep(st, "SELECT id, commit_sha, status, release_version, "
	    "created_at, updated_at FROM builds WHERE app_id = ? "
	    "ORDER BY created_at DESC, rowid DESC", 1, a.id);
	rc = rows_collect(st, q, sizeof(**out), build_row, NULL, &v, n,
	    "list builds", err);
	if (rc == 0)
		*out = v;
	return rc;
}

static int
config_add_missing(struct store *st, const char *app_id, json_t *defaults,
    struct perr *err)
{
	const char	*k;
	json_t		*v;
	int		 rc = 0;

	json_object_foreach(defaults, k, v) {
		if (!json_is_string(v))
			continue;
		rc = step_done(st, prep(st, "INSERT OR IGNORE INTO config_vars "
		    "(app_id, key, value) VALUES (?, ?, ?)", 3, app_id, k,
		    json_string_value(v)), "write config", err);
		if (rc)
			break;
	}
	return rc;
}

/* First deploy of a web type: one web process, like Heroku and Dokku. */
static int
formation_defaults(struct store *st, const char *app_id, json_t *ptypes,
    struct perr *err)
{
	const char	*type;
	json_t		*v;
	char		 now[STORE_TIME_LEN + 1];
	int		 rc = 0;

	(void)v;
	store_now(now);
	json_object_foreach(ptypes, type, v) {
		rc = step_done(st, prep(st, strcmp(type, "web") == 0 ?
		    "INSERT OR IGNORE INTO formation (app_id, type, quantity, "
		    "size, updated_at) VALUES (?, ?, 1, 'basic', ?)" :
		    "INSERT OR IGNORE INTO formation (app_id, type, quantity, "
		    "size, updated_at) VALUES (?, ?, 0, 'basic', ?)", 3, app_id,
		    type, now), "set formation", err);
		if (rc)
			break;
	}
	return rc;
}

int
store_release_deploy(struct store *st, const char *app,
    const struct store_deploy *d, struct release *rel, struct perr *err)
{
	struct release_base	 base;
	struct app		 a;
	json_t			*config = NULL;
	char			*cfg = NULL, *pt = NULL, desc[64];
	int			 rc;

	memset(rel, 0, sizeof(*rel));
	memset(&base, 0, sizeof(base));
	if ((rc = tx_begin(st, err)) != 0)
		return rc;
	if ((rc = app_lookup(st, app, &a, err)) != 0 ||
	    (rc = config_add_missing(st, a.id, d->config_defaults, err)) != 0 ||
	    (rc = config_load(st, a.id, &config, err)) != 0 ||
	    (rc = release_base_load(st, a.id, &base, err)) != 0 ||
	    (rc = formation_defaults(st, a.id, d->process_types, err)) != 0)
		goto out;
	cfg = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);
	pt = json_dumps(d->process_types, JSON_COMPACT | JSON_SORT_KEYS);
	snprintf(desc, sizeof(desc), "Deploy %.7s", d->commit);
	rc = release_insert_status(st, a.id, base.max_version + 1,
	    d->pending ? "pending" : "succeeded", desc, cfg, pt, d->image,
	    d->commit, err);
	if (rc == 0)
		rc = app_touch(st, a.id, err);
	if (rc == 0)
		rc = release_fetch(st, a.id, base.max_version + 1, rel, err);
out:
	free(cfg);
	free(pt);
	json_decref(config);
	release_base_free(&base);
	return tx_end(st, rc, err);
}

int
store_release_set_status(struct store *st, const char *app,
    long long version, const char *status, struct perr *err)
{
	sqlite3_stmt	*q;
	struct app	 a;
	int		 rc;

	if ((rc = tx_begin(st, err)) != 0)
		return rc;
	if ((rc = app_lookup(st, app, &a, err)) == 0) {
		q = prep(st, "UPDATE releases SET status = ? WHERE app_id = ? "
		    "AND version = ?", 2, status, a.id);
		if (q == NULL || sqlite3_bind_int64(q, 3, version) != SQLITE_OK) {
			sqlite3_finalize(q);
			rc = db_fail(st, err, "set release status");
		} else
			rc = step_done(st, q, "set release status", err);
	}
	if (rc == 0)
		rc = app_touch(st, a.id, err);
	return tx_end(st, rc, err);
}

/* Releases left pending by a paasd that died did not go live. */
int
store_release_fail_pending(struct store *st, struct perr *err)
{
	int rc;

	if ((rc = tx_begin(st, err)) != 0)
		return rc;
	rc = step_done(st, prep(st, "UPDATE releases SET status = 'failed' "
	    "WHERE status = 'pending'", 0), "fail pending releases", err);
	return tx_end(st, rc, err);
}

int
store_release_target(struct store *st, const char *app, struct release *r,
    struct perr *err)
{
	sqlite3_stmt	*q;
	struct app	 a;
	int		 rc, step;

	memset(r, 0, sizeof(*r));
	if ((rc = app_lookup(st, app, &a, err)) != 0)
		return rc;
	q = prep(st, "SELECT " REL_COLS " FROM releases r WHERE r.app_id = ? "
	    "AND r.status IN ('pending', 'succeeded') ORDER BY "
	    "r.status = 'pending' DESC, r.version DESC LIMIT 1", 1, a.id);
	if (q == NULL)
		return db_fail(st, err, "read target release");
	step = sqlite3_step(q);
	if (step == SQLITE_ROW)
		release_row(q, r);
	else if (step == SQLITE_DONE)
		rc = perr_set(err, -ENOENT, "app '%s' has no release", app);
	else
		rc = db_fail(st, err, "read target release");
	sqlite3_finalize(q);
	return rc;
}

/* ---------------------------------------------------------------- buildpacks */

int
store_buildpacks_get(struct store *st, const char *app, json_t **out,
    struct perr *err)
{
	sqlite3_stmt	*q;
	json_t		*v = NULL;
	int		 step;

	q = prep(st, "SELECT buildpacks FROM apps WHERE name = ?", 1, app);
	if (q == NULL)
		return db_fail(st, err, "read buildpacks");
	step = sqlite3_step(q);
	if (step == SQLITE_ROW)
		v = json_loads((const char *)sqlite3_column_text(q, 0), 0, NULL);
	sqlite3_finalize(q);
	if (step == SQLITE_DONE)
		return perr_set(err, -ENOENT, "app '%s' not found", app);
	if (step != SQLITE_ROW)
		return db_fail(st, err, "read buildpacks");
	*out = json_is_array(v) ? v : json_array();
	if (!json_is_array(v))
		json_decref(v);
	return 0;
}

int
store_buildpacks_set(struct store *st, const char *app, json_t *list,
    struct perr *err)
{
	struct app	 a;
	char		*text;
	int		 rc;

	if ((rc = tx_begin(st, err)) != 0)
		return rc;
	text = json_dumps(list, JSON_COMPACT);
	rc = app_lookup(st, app, &a, err);
	if (rc == 0)
		rc = step_done(st, prep(st, "UPDATE apps SET buildpacks = ? "
		    "WHERE id = ?", 2, text ? text : "[]", a.id),
		    "write buildpacks", err);
	if (rc == 0)
		rc = app_touch(st, a.id, err);
	free(text);
	return tx_end(st, rc, err);
}

int
store_images_kept(struct store *st, int per_app, json_t **out,
    struct perr *err)
{
	sqlite3_stmt	*q;
	json_t		*arr = json_array();
	int		 step;

	/* the newest per_app releases of each app, whatever their status */
	q = prep(st, "SELECT DISTINCT image FROM releases r WHERE image IS "
	    "NOT NULL AND (SELECT count(*) FROM releases x WHERE x.app_id = "
	    "r.app_id AND x.version > r.version) < ?", 0);
	if (q == NULL || sqlite3_bind_int(q, 1, per_app) != SQLITE_OK) {
		sqlite3_finalize(q);
		json_decref(arr);
		return db_fail(st, err, "list kept images");
	}
	while ((step = sqlite3_step(q)) == SQLITE_ROW)
		json_array_append_new(arr, json_string(
		    (const char *)sqlite3_column_text(q, 0)));
	sqlite3_finalize(q);
	if (step != SQLITE_DONE) {
		json_decref(arr);
		return db_fail(st, err, "list kept images");
	}
	*out = arr;
	return 0;
}

int
store_app_set_branch(struct store *st, const char *name, const char *branch,
    struct perr *err)
{
	sqlite3_stmt	*q;
	struct app	 a;
	int		 rc;

	if ((rc = tx_begin(st, err)) != 0)
		return rc;
	if ((rc = app_lookup(st, name, &a, err)) == 0) {
		q = prep(st, "UPDATE apps SET deploy_branch = ?1 WHERE id = ?2",
		    0);
		if (q == NULL || sqlite3_bind_text(q, 1, branch, -1,
		    SQLITE_TRANSIENT) != SQLITE_OK || sqlite3_bind_text(q, 2,
		    a.id, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
			sqlite3_finalize(q);
			rc = db_fail(st, err, "update app");
		} else
			rc = step_done(st, q, "update app", err);
	}
	if (rc == 0)
		rc = app_touch(st, a.id, err);
	return tx_end(st, rc, err);
}

int
store_app_set_timeouts(struct store *st, const char *name, int boot_s,
    int grace_s, struct perr *err)
{
	sqlite3_stmt	*q;
	struct app	 a;
	int		 rc;

	if ((rc = tx_begin(st, err)) != 0)
		return rc;
	if ((rc = app_lookup(st, name, &a, err)) == 0) {
		q = prep(st, "UPDATE apps SET boot_timeout_s = coalesce(?1, "
		    "boot_timeout_s), grace_s = coalesce(?2, grace_s) WHERE "
		    "id = ?3", 0);
		if (q == NULL || (boot_s >= 0 ? sqlite3_bind_int(q, 1, boot_s) :
		    sqlite3_bind_null(q, 1)) != SQLITE_OK ||
		    (grace_s >= 0 ? sqlite3_bind_int(q, 2, grace_s) :
		    sqlite3_bind_null(q, 2)) != SQLITE_OK ||
		    sqlite3_bind_text(q, 3, a.id, -1, SQLITE_TRANSIENT) !=
		    SQLITE_OK) {
			sqlite3_finalize(q);
			rc = db_fail(st, err, "update app");
		} else
			rc = step_done(st, q, "update app", err);
	}
	if (rc == 0)
		rc = app_touch(st, a.id, err);
	return tx_end(st, rc, err);
}
