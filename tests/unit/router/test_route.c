#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "route.h"

static const char table_json[] =
    "{\"version\":1,\"apps\":{"
    "\"shop\":{\"domains\":[\"shop.example.test\",\"*.example.org\"],"
    "\"instances\":[{\"dyno\":\"web.1\",\"address\":\"127.0.0.1:5001\"},"
    "{\"dyno\":\"web.2\",\"address\":\"[::1]:5002\"}]},"
    "\"deep\":{\"domains\":[\"*.b.example.org\",\"exact.b.example.org\"],"
    "\"maintenance\":true,\"maintenance_page\":\"<p>later</p>\","
    "\"body_max\":10,\"instances\":[]},"
    "\"other\":{\"domains\":[\"x.example.org\"],\"instances\":[],"
    "\"crashed\":true}}}";

static int
table_setup(void **state)
{
	struct route_table	*t = NULL;
	struct perr		 err = PERR_INIT;

	if (route_table_parse(table_json, strlen(table_json), &t, &err) != 0)
		return -1;
	*state = t;
	return 0;
}

static int
table_teardown(void **state)
{
	route_table_free(*state);
	return 0;
}

static const char *
app_of(void *t, const char *host)
{
	struct route_app *a = route_lookup(t, slice_cstr(host));

	return a ? a->name : NULL;
}

static void
test_route_ignores_case_port_and_dot(void **state)
{
	assert_string_equal(app_of(*state, "Shop.Example.TEST:8080"), "shop");
	assert_string_equal(app_of(*state, "shop.example.test."), "shop");
	assert_string_equal(app_of(*state, "SHOP.example.test.:80"), "shop");
	assert_null(app_of(*state, "shop.example.test:"));
	assert_null(app_of(*state, "shop.example.test:99999"));
	assert_null(app_of(*state, "shop.example.tes"));
	assert_null(app_of(*state, "xshop.example.test"));
}

static void
test_route_wildcards(void **state)
{
	/* exact beats wildcard, longer wildcard beats shorter */
	assert_string_equal(app_of(*state, "x.example.org"), "other");
	assert_string_equal(app_of(*state, "y.example.org"), "shop");
	assert_string_equal(app_of(*state, "a.y.example.org"), "shop");
	assert_string_equal(app_of(*state, "a.b.example.org"), "deep");
	assert_string_equal(app_of(*state, "z.a.b.example.org"), "deep");
	assert_string_equal(app_of(*state, "exact.b.example.org"), "deep");
	/* the wildcard needs at least one label */
	assert_null(app_of(*state, "example.org"));
	assert_null(app_of(*state, "b.example.org.evil"));
}

static void
test_route_rejects_bad_hosts(void **state)
{
	assert_null(app_of(*state, ""));
	assert_null(app_of(*state, "[::1]:80"));
	assert_null(app_of(*state, "shop example.test"));
	assert_null(app_of(*state, "shop.example.test/x"));
}

/* the lookup key, at the edges of the one-pass normalizer */
static void
test_route_host_normalize(void **state)
{
	char	 out[ROUTE_HOST_MAX + 1], name[ROUTE_HOST_MAX + 3];

	(void)state;
	assert_int_equal(route_host_normalize(SLICE("A-b_9.Example.ORG.:443"),
	    out), 17);
	assert_string_equal(out, "a-b_9.example.org");
	assert_int_equal(route_host_normalize(SLICE("x:0"), out), 1);
	assert_string_equal(out, "x");
	assert_int_equal(route_host_normalize(SLICE(":80"), out), -EINVAL);
	assert_int_equal(route_host_normalize(SLICE("."), out), -EINVAL);
	assert_int_equal(route_host_normalize(SLICE("a:b"), out), -EINVAL);
	assert_int_equal(route_host_normalize(SLICE("a:80:80"), out), -EINVAL);
	assert_int_equal(route_host_normalize(SLICE("a\0b"), out), -EINVAL);
	assert_int_equal(route_host_normalize(SLICE("\xc3\xa9.test"), out),
	    -EINVAL);
	/* 253 bytes, or 254 with the dot that goes; 254 without: refused */
	memset(name, 'a', sizeof(name));
	assert_int_equal(route_host_normalize(slice_from(name, ROUTE_HOST_MAX),
	    out), ROUTE_HOST_MAX);
	name[ROUTE_HOST_MAX] = '.';
	assert_int_equal(route_host_normalize(slice_from(name,
	    ROUTE_HOST_MAX + 1), out), ROUTE_HOST_MAX);
	name[ROUTE_HOST_MAX] = 'a';
	assert_int_equal(route_host_normalize(slice_from(name,
	    ROUTE_HOST_MAX + 1), out), -EINVAL);
	name[ROUTE_HOST_MAX + 1] = '.';
	assert_int_equal(route_host_normalize(slice_from(name,
	    ROUTE_HOST_MAX + 2), out), -EINVAL);
	memcpy(name + ROUTE_HOST_MAX, ":80", 3);
	assert_int_equal(route_host_normalize(slice_from(name,
	    ROUTE_HOST_MAX + 3), out), ROUTE_HOST_MAX);
}

static void
test_route_fields(void **state)
{
	struct route_app *a = route_lookup(*state, SLICE("a.b.example.org"));

	assert_non_null(a);
	assert_true(a->maintenance);
	assert_string_equal(a->maintenance_page, "<p>later</p>");
	assert_int_equal(a->body_max, 10);
	assert_int_equal(a->ninst, 0);
	assert_false(a->crashed);
	a = route_lookup(*state, SLICE("x.example.org"));
	assert_true(a->crashed);
	a = route_lookup(*state, SLICE("shop.example.test"));
	assert_int_equal(a->ninst, 2);
	assert_string_equal(a->inst[1].dyno, "web.2");
	assert_int_equal(a->inst[1].sa.ss_family, AF_INET6);
	assert_int_equal(a->body_max, 1024ULL * 1024 * 1024);
}

static void
test_route_parse_rejects(void **state)
{
	static const char *bad[] = {
		"",
		"{}",
		"{\"version\":2,\"apps\":{}}",
		"{\"version\":1,\"apps\":{},\"x\":1}",
		"{\"version\":1,\"apps\":{\"Bad_Name\":{\"domains\":[],"
		    "\"instances\":[]}}}",
		"{\"version\":1,\"apps\":{\"aa\":{\"domains\":[\"a b\"],"
		    "\"instances\":[]}}}",
		"{\"version\":1,\"apps\":{\"aa\":{\"domains\":[],"
		    "\"instances\":[{\"dyno\":\"web.1\",\"address\":\"nope\"}]}}}",
		"{\"version\":1,\"apps\":{\"aa\":{\"domains\":[\"x.test\"],"
		    "\"instances\":[]},\"bb\":{\"domains\":[\"x.test\"],"
		    "\"instances\":[]}}}",
		"{\"version\":1,\"apps\":{\"aa\":{\"domains\":[],"
		    "\"instances\":[],\"extra\":1}}}",
	};
	struct route_table	*t;
	struct perr		 err = PERR_INIT;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = (void *)1;
		assert_int_equal(route_table_parse(bad[i], strlen(bad[i]), &t,
		    &err), -EINVAL);
		assert_null(t);
		assert_true(strlen(err.msg) > 0);
	}
}

static void
test_route_choose_least_outstanding(void **state)
{
	struct route_load	l[3] = { { 3, 0 }, { 1, 0 }, { 2, 0 } };
	unsigned		rr = 0;

	(void)state;
	assert_int_equal(route_choose(l, 3, 100, &rr, -1), 1);
	l[1].outstanding = 5;
	assert_int_equal(route_choose(l, 3, 100, &rr, -1), 2);
	assert_int_equal(route_choose(l, 0, 100, &rr, -1), -1);
}

static void
test_route_choose_round_robin(void **state)
{
	struct route_load	l[3] = { { 0, 0 }, { 0, 0 }, { 0, 0 } };
	unsigned		rr = 0;
	int			seen[3] = { 0 }, i;

	(void)state;
	for (i = 0; i < 6; i++)
		seen[route_choose(l, 3, 100, &rr, -1)]++;
	assert_int_equal(seen[0], 2);
	assert_int_equal(seen[1], 2);
	assert_int_equal(seen[2], 2);
}

static void
test_route_choose_skip_window(void **state)
{
	struct route_load	l[2] = { { 0, 5100 }, { 9, 0 } };
	unsigned		rr = 0;

	(void)state;
	/* instance 0 failed at t=100 and is skipped for 5 s */
	assert_int_equal(route_choose(l, 2, 100, &rr, -1), 1);
	assert_int_equal(route_choose(l, 2, 5099, &rr, -1), 1);
	assert_int_equal(route_choose(l, 2, 5100, &rr, -1), 0);
	/* all skipped: better one of them than none */
	l[1].skip_until_ms = 9000;
	assert_int_equal(route_choose(l, 2, 200, &rr, -1), 0);
	/* retry goes elsewhere */
	l[0].skip_until_ms = l[1].skip_until_ms = 0;
	assert_int_equal(route_choose(l, 2, 200, &rr, 0), 1);
	/* a lone instance is retried */
	assert_int_equal(route_choose(l, 1, 200, &rr, 0), 0);
}

static void
test_route_parse_addr(void **state)
{
	struct sockaddr_storage sa;

	(void)state;
	assert_int_equal(route_parse_addr("127.0.0.1:80", &sa), 0);
	assert_int_equal(sa.ss_family, AF_INET);
	assert_int_equal(route_parse_addr("[::1]:80", &sa), 0);
	assert_int_equal(route_parse_addr("127.0.0.1", &sa), -EINVAL);
	assert_int_equal(route_parse_addr("127.0.0.1:0", &sa), -EINVAL);
	assert_int_equal(route_parse_addr("localhost:80", &sa), -EINVAL);
	assert_int_equal(route_parse_addr("1.2.3.4:65536", &sa), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_route_ignores_case_port_and_dot, table_setup,
		    table_teardown),
		cmocka_unit_test_setup_teardown(test_route_wildcards,
		    table_setup, table_teardown),
		cmocka_unit_test_setup_teardown(test_route_rejects_bad_hosts,
		    table_setup, table_teardown),
		cmocka_unit_test(test_route_host_normalize),
		cmocka_unit_test_setup_teardown(test_route_fields,
		    table_setup, table_teardown),
		cmocka_unit_test(test_route_parse_rejects),
		cmocka_unit_test(test_route_choose_least_outstanding),
		cmocka_unit_test(test_route_choose_round_robin),
		cmocka_unit_test(test_route_choose_skip_window),
		cmocka_unit_test(test_route_parse_addr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
