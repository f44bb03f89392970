#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "routes.h"

static void
test_build_table(void **state)
{
	struct app		apps[2];
	struct domain		d0[2], d1[1];
	const struct domain	*doms[2] = { d0, d1 };
	size_t			nd[2] = { 2, 1 };
	struct routes_backend	be[5] = {
		{ "shop", "web.1", "127.0.0.1:5001", 0 },
		{ "shop", "web.2", "127.0.0.1:5002", 0 },
		{ "gone", "web.1", "127.0.0.1:5003", 0 },
		{ "shop", "web.3", "", 1 },	/* crashed, shop still up */
		{ "blog", "web.1", "", 1 },	/* crashed, none up */
	};
	json_t			*t, *shop, *blog;

	(void)state;
	memset(apps, 0, sizeof(apps));
	memset(d0, 0, sizeof(d0));
	memset(d1, 0, sizeof(d1));
	strcpy(apps[0].name, "shop");
	strcpy(apps[1].name, "blog");
	apps[1].maintenance = 1;
	strcpy(d0[0].hostname, "shop.localhost");
	strcpy(d0[1].hostname, "*.shop.example");
	strcpy(d1[0].hostname, "blog.localhost");
	t = routes_build(apps, 2, doms, nd, be, 5);
	assert_int_equal(json_integer_value(json_object_get(t, "version")), 1);
	shop = json_object_get(json_object_get(t, "apps"), "shop");
	blog = json_object_get(json_object_get(t, "apps"), "blog");
	assert_non_null(shop);
	assert_int_equal(json_array_size(json_object_get(shop, "domains")), 2);
	assert_int_equal(json_array_size(json_object_get(shop, "instances")),
	    2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(shop, "instances"), 1), "address")),
	    "127.0.0.1:5002");
	assert_true(json_is_false(json_object_get(shop, "maintenance")));
	assert_true(json_is_false(json_object_get(shop, "crashed")));
	assert_true(json_is_true(json_object_get(blog, "crashed")));
	assert_true(json_is_true(json_object_get(blog, "maintenance")));
	assert_int_equal(json_array_size(json_object_get(blog, "instances")),
	    0);
	assert_null(json_object_get(json_object_get(t, "apps"), "gone"));
	assert_true(json_integer_value(json_object_get(shop, "body_max")) ==
	    ROUTES_BODY_MAX_DEFAULT);
	json_decref(t);
}

static void
test_write_is_atomic_and_complete(void **state)
{
	char		 dir[64], db[128], path[128], tmp[140];
	struct store	*st;
	struct app	 a;
	json_t		*t;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/paas-test-routes-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/paas.db", dir);
	snprintf(path, sizeof(path), "%s/routes.json", dir);
	assert_int_equal(store_open(db, &st, NULL), 0);
	assert_int_equal(store_app_create(st, "shop", "shop.localhost", &a,
	    NULL), 0);
	assert_int_equal(routes_write(st, path, NULL, 0, NULL), 0);
	t = json_load_file(path, 0, NULL);
	assert_non_null(t);
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    json_object_get(json_object_get(t, "apps"), "shop"), "domains"),
	    0)), "shop.localhost");
	json_decref(t);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(access(tmp, F_OK), -1);
	store_close(st);
	assert_int_equal(system("true"), 0);
	{
		char cmd[200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		assert_int_equal(system(cmd), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_table),
		cmocka_unit_test(test_write_is_atomic_and_complete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
