#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "store.h"

struct fixture {
	char		 dir[64];
	char		 path[128];
	struct store	*st;
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));
	struct app	 a;

	snprintf(f->dir, sizeof(f->dir), "/tmp/paas-test-store-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/paas.db", f->dir);
	if (store_open(f->path, &f->st, NULL) != 0)
		return -1;
	if (store_app_create(f->st, "hello", "hello.localhost", &a, NULL) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 p[160];

	store_close(f->st);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static json_t *
patch_of(const char *text)
{
	json_t *o = json_loads(text, 0, NULL);

	assert_non_null(o);
	return o;
}

static void
test_app_create_makes_v1_domain_and_uid(void **state)
{
	struct fixture	*f = *state;
	struct app	 a, b;
	struct domain	*d = NULL;
	size_t		 n = 0;
	struct perr	 err = PERR_INIT;

	assert_int_equal(store_app_get(f->st, "hello", &a, NULL), 0);
	assert_int_equal(a.release_version, 1);
	assert_true(a.uid > 10000 && a.uid < 60000);
	assert_int_equal(strlen(a.id), 36);
	assert_int_equal(store_app_create(f->st, "hello", "x.localhost", &b,
	    &err), -EEXIST);
	assert_non_null(strstr(err.msg, "already exists"));
	assert_int_equal(store_app_create(f->st, "other", "other.localhost",
	    &b, NULL), 0);
	assert_int_not_equal(a.uid, b.uid);
	assert_int_equal(store_domain_list(f->st, "hello", &d, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_string_equal(d[0].hostname, "hello.localhost");
	assert_string_equal(d[0].kind, "default");
	free(d);
}

static void
test_app_create_with_taken_domain_changes_nothing(void **state)
{
	struct fixture	*f = *state;
	struct app	*apps = NULL, a;
	size_t		 n = 0;

	/* the default domain collides: the whole creation rolls back */
	assert_int_equal(store_app_create(f->st, "third", "hello.localhost",
	    &a, NULL), -EEXIST);
	assert_int_equal(store_app_get(f->st, "third", &a, NULL), -ENOENT);
	assert_int_equal(store_app_list(f->st, &apps, &n, NULL), 0);
	assert_int_equal(n, 1);
	free(apps);
}

static void
test_config_patch_numbers_releases(void **state)
{
	struct fixture	*f = *state;
	struct release	 r;
	json_t		*p, *cfg;

	p = patch_of("{\"GREETING\": \"hi\"}");
	assert_int_equal(store_config_patch(f->st, "hello", p, 65536, &r,
	    NULL), 0);
	assert_int_equal(r.version, 2);
	assert_string_equal(r.description, "Set GREETING config vars");
	assert_true(r.current);
	release_release(&r);
	/* the same value again changes nothing and makes no release */
	assert_int_equal(store_config_patch(f->st, "hello", p, 65536, &r,
	    NULL), 0);
	assert_int_equal(r.version, 0);
	json_decref(p);
	p = patch_of("{\"GREETING\": null, \"NOPE\": null}");
	assert_int_equal(store_config_patch(f->st, "hello", p, 65536, &r,
	    NULL), 0);
	assert_int_equal(r.version, 3);
	release_release(&r);
	json_decref(p);
	assert_int_equal(store_config_get(f->st, "hello", &cfg, NULL), 0);
	assert_int_equal(json_object_size(cfg), 0);
	json_decref(cfg);
}

static void
test_config_patch_over_cap_rolls_back(void **state)
{
	struct fixture	*f = *state;
	struct release	 r;
	struct app	 a;
	struct perr	 err = PERR_INIT;
	json_t		*p, *cfg;

	p = patch_of("{\"A\": \"0123456789\", \"B\": \"0123456789\"}");
	assert_int_equal(store_config_patch(f->st, "hello", p, 15, &r, &err),
	    -E2BIG);
	json_decref(p);
	assert_int_equal(store_config_get(f->st, "hello", &cfg, NULL), 0);
	assert_int_equal(json_object_size(cfg), 0);
	json_decref(cfg);
	assert_int_equal(store_app_get(f->st, "hello", &a, NULL), 0);
	assert_int_equal(a.release_version, 1);
	p = patch_of("{\"A\": \"1\"}");
	assert_int_equal(store_config_patch(f->st, "nope", p, 15, &r, &err),
	    -ENOENT);
	json_decref(p);
}

static void
test_release_describe_wording(void **state)
{
	char	 out[128];
	json_t	*p;

	(void)state;
	p = patch_of("{\"A\": \"1\", \"B\": \"2\", \"C\": null}");
	store_release_describe(p, out, sizeof(out));
	assert_string_equal(out, "Set A and B and unset C config vars");
	json_decref(p);
	p = patch_of("{\"A\": \"1\", \"B\": \"2\", \"C\": \"3\"}");
	store_release_describe(p, out, sizeof(out));
	assert_string_equal(out, "Set A, B, and C config vars");
	json_decref(p);
	p = patch_of("{\"X\": null}");
	store_release_describe(p, out, sizeof(out));
	assert_string_equal(out, "Unset X config vars");
	json_decref(p);
	p = json_object();
	store_release_describe(p, out, 8);
	assert_true(strlen(out) < 8);
	json_decref(p);
}

static void
test_rollback_copies_config(void **state)
{
	struct fixture	*f = *state;
	struct release	 r, *rels = NULL;
	size_t		 n = 0, i;
	json_t		*p, *cfg;

	p = patch_of("{\"K\": \"one\"}");
	assert_int_equal(store_config_patch(f->st, "hello", p, 65536, &r,
	    NULL), 0);
	release_release(&r);
	json_decref(p);
	p = patch_of("{\"K\": \"two\"}");
	assert_int_equal(store_config_patch(f->st, "hello", p, 65536, &r,
	    NULL), 0);
	release_release(&r);
	json_decref(p);
	assert_int_equal(store_release_rollback(f->st, "hello", 2, &r, NULL),
	    0);
	assert_int_equal(r.version, 4);
	assert_string_equal(r.description, "Rollback to v2");
	assert_string_equal(json_string_value(json_object_get(r.config, "K")),
	    "one");
	release_release(&r);
	assert_int_equal(store_config_get(f->st, "hello", &cfg, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(cfg, "K")),
	    "one");
	json_decref(cfg);
	assert_int_equal(store_release_rollback(f->st, "hello", 99, &r, NULL),
	    -ENOENT);
	assert_int_equal(store_release_list(f->st, "hello", &rels, &n, NULL),
	    0);
	assert_int_equal(n, 4);
	assert_int_equal(rels[0].version, 4);
	assert_true(rels[0].current);
	assert_false(rels[1].current);
	for (i = 0; i < n; i++)
		release_release(&rels[i]);
	free(rels);
}

static void
test_formation_upsert_keeps_unset_fields(void **state)
{
	struct fixture		*f = *state;
	struct formation_update	 u[2];
	struct formation	*fl = NULL;
	size_t			 n = 0;

	memset(u, 0, sizeof(u));
	snprintf(u[0].type, sizeof(u[0].type), "web");
	u[0].quantity = 3;
	snprintf(u[1].type, sizeof(u[1].type), "worker");
	u[1].quantity = 1;
	snprintf(u[1].size, sizeof(u[1].size), "standard");
	assert_int_equal(store_formation_update(f->st, "hello", u, 2, NULL), 0);
	u[0].quantity = -1;
	snprintf(u[0].size, sizeof(u[0].size), "performance");
	assert_int_equal(store_formation_update(f->st, "hello", u, 1, NULL), 0);
	assert_int_equal(store_formation_list(f->st, "hello", &fl, &n, NULL),
	    0);
	assert_int_equal(n, 2);
	assert_string_equal(fl[0].type, "web");
	assert_int_equal(fl[0].quantity, 3);
	assert_string_equal(fl[0].size, "performance");
	assert_string_equal(fl[1].size, "standard");
	free(fl);
	/* all or nothing: the second update violates the CHECK */
	u[0].quantity = 7;
	u[1].quantity = 500;
	assert_int_equal(store_formation_update(f->st, "hello", u, 2, NULL),
	    -EIO);
	assert_int_equal(store_formation_list(f->st, "hello", &fl, &n, NULL),
	    0);
	assert_int_equal(fl[0].quantity, 3);
	free(fl);
}

static void
test_domains(void **state)
{
	struct fixture	*f = *state;
	struct domain	 d;
	struct app	 a;

	assert_int_equal(store_domain_add(f->st, "hello", "www.example.com",
	    &d, NULL), 0);
	assert_string_equal(d.kind, "custom");
	assert_int_equal(store_app_create(f->st, "other", "other.localhost",
	    &a, NULL), 0);
	assert_int_equal(store_domain_add(f->st, "other", "www.example.com",
	    &d, NULL), -EEXIST);
	assert_int_equal(store_domain_remove(f->st, "hello",
	    "hello.localhost", &d, NULL), -EPERM);
	assert_int_equal(store_domain_remove(f->st, "other",
	    "www.example.com", &d, NULL), -ENOENT);
	assert_int_equal(store_domain_remove(f->st, "hello",
	    "www.example.com", &d, NULL), 0);
	assert_int_equal(store_domain_add(f->st, "other", "www.example.com",
	    &d, NULL), 0);
}

static void
test_delete_cascades(void **state)
{
	struct fixture	*f = *state;
	struct release	 r;
	struct app	 a;
	json_t		*p = patch_of("{\"K\": \"v\"}");

	assert_int_equal(store_config_patch(f->st, "hello", p, 65536, &r,
	    NULL), 0);
	release_release(&r);
	json_decref(p);
	assert_int_equal(store_app_delete(f->st, "hello", NULL), 0);
	assert_int_equal(store_app_get(f->st, "hello", &a, NULL), -ENOENT);
	assert_int_equal(store_app_delete(f->st, "hello", NULL), -ENOENT);
	/* its default domain is free again */
	assert_int_equal(store_app_create(f->st, "hello2", "hello.localhost",
	    &a, NULL), 0);
	assert_true(store_integrity_ok(f->st));
}

static void
test_deploy_tokens(void **state)
{
	struct fixture		*f = *state;
	struct store_token	 t, u, *list = NULL;
	struct app		 a;
	size_t			 n = 0;
	const char		*h1 = "1111111111111111111111111111111111111111"
	    "111111111111111111111111", *h2 = "2222222222222222222222222222"
	    "222222222222222222222222222222222222";

	(void)state;
	assert_int_equal(store_token_add(f->st, "hello", h1, "ab12", &t, NULL),
	    0);
	assert_string_equal(t.app, "hello");
	assert_string_equal(t.hint, "ab12");
	/* the same hash twice is a constraint error, nothing added */
	assert_true(store_token_add(f->st, "hello", h1, "ab12", &u, NULL) < 0);
	assert_int_equal(store_token_add(f->st, "nosuch", h2, "x", &u, NULL),
	    -ENOENT);
	assert_int_equal(store_token_find(f->st, h1, &u), 0);
	assert_string_equal(u.id, t.id);
	assert_string_equal(u.app, "hello");
	assert_int_equal(store_token_find(f->st, h2, &u), -ENOENT);
	assert_int_equal(store_token_list(f->st, "hello", &list, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].id, t.id);
	free(list);
	/* only its own app can revoke it */
	assert_int_equal(store_app_create(f->st, "other", "other.localhost", &a,
	    NULL), 0);
	assert_int_equal(store_token_remove(f->st, "other", t.id, NULL),
	    -ENOENT);
	assert_int_equal(store_token_remove(f->st, "hello", t.id, NULL), 0);
	assert_int_equal(store_token_find(f->st, h1, &u), -ENOENT);
	assert_int_equal(store_token_remove(f->st, "hello", t.id, NULL),
	    -ENOENT);
	/* deleting an app deletes its tokens */
	assert_int_equal(store_token_add(f->st, "other", h2, "cd34", &t, NULL),
	    0);
	assert_int_equal(store_app_delete(f->st, "other", NULL), 0);
	assert_int_equal(store_token_find(f->st, h2, &u), -ENOENT);
	assert_true(store_integrity_ok(f->st));
}

static void
test_migration_from_v2_to_latest(void **state)
{
	char		 dir[64], path[128], p2[160];
	struct store	*st;
	struct app	 a;
	sqlite3		*db;
	int		 v;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/paas-test-mig-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/paas.db", dir);
	assert_int_equal(store_open_version(path, 2, &st, NULL), 0);
	assert_int_equal(store_schema_version(st, &v, NULL), 0);
	assert_int_equal(v, 2);
	store_close(st);
	/* a v2 database with data in it, written by an older paasd */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO apps (id, name, "
	    "created_at, updated_at) VALUES ('00000000-0000-4000-8000-"
	    "000000000000', 'legacy', 'x', 'x')", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(path, &st, NULL), 0);
	assert_int_equal(store_schema_version(st, &v, NULL), 0);
	assert_int_equal(v, store_schema_latest);
	assert_int_equal(store_app_get(st, "legacy", &a, NULL), 0);
	assert_int_equal(a.uid, 10001);
	assert_int_equal(store_app_create(st, "newer", "newer.localhost", &a,
	    NULL), 0);
	assert_int_equal(a.uid, 10002);
	store_close(st);
	/* a database from the future is refused */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE schema_version SET "
	    "version = 999", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(path, &st, NULL), -EINVAL);
	snprintf(p2, sizeof(p2), "%s-wal", path);
	unlink(p2);
	snprintf(p2, sizeof(p2), "%s-shm", path);
	unlink(p2);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_app_create_makes_v1_domain_and_uid),
		T(test_app_create_with_taken_domain_changes_nothing),
		T(test_config_patch_numbers_releases),
		T(test_config_patch_over_cap_rolls_back),
		T(test_rollback_copies_config),
		T(test_formation_upsert_keeps_unset_fields),
		T(test_domains),
		T(test_delete_cascades),
		T(test_deploy_tokens),
		cmocka_unit_test(test_release_describe_wording),
		cmocka_unit_test(test_migration_from_v2_to_latest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
