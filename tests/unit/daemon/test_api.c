#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <git2.h>
#include <jansson.h>
#include <sys/stat.h>

#include "api.h"
#include "applog.h"
#include "store.h"

static void
test_route_match(void **state)
{
	const char	*p[3];
	char		 buf[256];

	(void)state;
	assert_int_equal(api_route_match("/apps", "/apps", buf, p, 3), 0);
	assert_int_equal(api_route_match("/apps", "/apps/", buf, p, 3), -1);
	assert_int_equal(api_route_match("/apps/{}", "/apps/hello", buf, p,
	    3), 1);
	assert_string_equal(p[0], "hello");
	assert_int_equal(api_route_match("/apps/{}/domains/{}",
	    "/apps/a1/domains/www.x.com", buf, p, 3), 2);
	assert_string_equal(p[1], "www.x.com");
	assert_int_equal(api_route_match("/apps/{}", "/apps//", buf, p, 3),
	    -1);
	assert_int_equal(api_route_match("/apps/{}", "/apps/a/b", buf, p, 3),
	    -1);
	assert_int_equal(api_route_match("/apps/{}/domains/{}",
	    "/apps/a1/domains/%2A.x.com", buf, p, 3), 2);
	assert_string_equal(p[1], "*.x.com");
	/* an encoded slash or NUL never becomes part of a name */
	assert_int_equal(api_route_match("/apps/{}", "/apps/a%2Fb", buf, p,
	    3), -1);
	assert_int_equal(api_route_match("/apps/{}", "/apps/a%00b", buf, p,
	    3), -1);
	assert_int_equal(api_route_match("/apps/{}", "/apps/a%zz", buf, p,
	    3), -1);
}

struct fixture {
	char		dir[64];
	struct paasd	pd;
	uv_loop_t	loop;
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));
	char		 path[512];

	snprintf(f->dir, sizeof(f->dir), "/tmp/paas-test-api-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->pd.data_dir, sizeof(f->pd.data_dir), "%s", f->dir);
	snprintf(path, sizeof(path), "%s/repos", f->dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/logs", f->dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/router", f->dir);
	mkdir(path, 0700);
	uv_loop_init(&f->loop);
	if (applog_new(f->dir, &f->loop, &f->pd.applog) != 0)
		return -1;
	snprintf(f->pd.domain, sizeof(f->pd.domain), "localhost");
	f->pd.http_port = 7080;
	snprintf(f->pd.token, sizeof(f->pd.token), "%s",
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	snprintf(path, sizeof(path), "%s/paas.db", f->dir);
	if (store_open(path, &f->pd.store, NULL) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[128];

	store_close(f->pd.store);
	applog_free(f->pd.applog);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* call() runs one request through api_handle and returns the status. */
static int
call(struct fixture *f, enum http_listener_kind kind, int peer_ok,
    const char *auth, const char *method, const char *path,
    const char *body, json_t **out)
{
	struct http_req		req;
	struct http_resp	resp;
	int			status;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = path;
	req.query = "";
	req.authorization = auth;
	req.content_type = "application/json";
	req.body = body ? body : "";
	req.bodylen = body ? strlen(body) : 0;
	req.kind = kind;
	req.peer_ok = peer_ok;
	resp.status = 0;
	buf_init(&resp.body);
	api_handle(&f->pd, &req, &resp);
	status = resp.status;
	if (out)
		*out = json_loads(resp.body.p, 0, NULL);
	buf_release(&resp.body);
	return status;
}

#define LOCAL(f, m, p, b, o)	call(f, HTTP_UNIX, 1, "", m, p, b, o)

static void
test_auth(void **state)
{
	struct fixture	*f = *state;
	json_t		*o;
	char		 bearer[128];

	assert_int_equal(call(f, HTTP_TCP, 0, "", "GET", "/apps", NULL, &o),
	    401);
	assert_string_equal(json_string_value(json_object_get(o, "id")),
	    "unauthorized");
	json_decref(o);
	assert_int_equal(call(f, HTTP_TCP, 0, "Bearer nope", "GET", "/apps",
	    NULL, NULL), 401);
	snprintf(bearer, sizeof(bearer), "Bearer %s", f->pd.token);
	assert_int_equal(call(f, HTTP_TCP, 0, bearer, "GET", "/apps", NULL,
	    NULL), 200);
	bearer[strlen(bearer) - 1] = '0';
	assert_int_equal(call(f, HTTP_TCP, 0, bearer, "GET", "/apps", NULL,
	    NULL), 401);
	/* a unix peer that failed SO_PEERCRED needs the token too */
	assert_int_equal(call(f, HTTP_UNIX, 0, "", "GET", "/apps", NULL,
	    NULL), 401);
	assert_int_equal(LOCAL(f, "GET", "/apps", NULL, NULL), 200);
}

static void
test_bad_inputs_change_nothing(void **state)
{
	static const struct {
		const char	*method, *path, *body;
		int		 status;
	} cases[] = {
		{ "POST", "/apps", "{\"name\":\"Bad_Name\"}", 422 },
		{ "POST", "/apps", "{\"name\":\"ok-app\",\"extra\":1}", 400 },
		{ "POST", "/apps", "not json", 400 },
		{ "POST", "/apps", "", 400 },
		{ "POST", "/apps", "{\"name\":[]}", 400 },
		{ "PATCH", "/apps/hello/config-vars", "{\"1X\":\"v\"}", 422 },
		{ "PATCH", "/apps/hello/config-vars", "{\"X\":true}", 400 },
		{ "PATCH", "/apps/nope/config-vars", "{\"X\":\"v\"}", 404 },
		{ "PATCH", "/apps/hello/formation",
		    "{\"updates\":[{\"type\":\"web\",\"quantity\":1000}]}", 422 },
		{ "PATCH", "/apps/hello/formation", "{\"updates\":{}}", 400 },
		{ "POST", "/apps/hello/domains", "{\"hostname\":\"-x\"}", 422 },
		{ "POST", "/apps/hello/releases", "{\"rollback\":99}", 404 },
		{ "GET", "/apps/hello/releases/v99", NULL, 404 },
		{ "GET", "/apps/hello/releases/banana", NULL, 404 },
		{ "GET", "/nope", NULL, 404 },
		{ "PUT", "/apps", NULL, 405 },
		{ "GET", "/apps/..%2F..%2Fetc", NULL, 404 },
		{ "DELETE", "/apps/hello/domains/hello.localhost", NULL, 422 },
	};
	struct fixture	*f = *state;
	json_t		*before, *after, *o;
	char		*a, *b;
	size_t		 i;

	assert_int_equal(LOCAL(f, "POST", "/apps", "{\"name\":\"hello\"}",
	    NULL), 201);
	assert_int_equal(LOCAL(f, "POST", "/apps", "{\"name\":\"hello\"}",
	    &o), 409);
	json_decref(o);
	assert_int_equal(LOCAL(f, "GET", "/apps/hello/releases", NULL,
	    &before), 200);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int st = LOCAL(f, cases[i].method, cases[i].path,
		    cases[i].body, &o);

		if (st != cases[i].status)
			fail_msg("%s %s %s: got %d, want %d", cases[i].method,
			    cases[i].path, cases[i].body ? cases[i].body : "",
			    st, cases[i].status);
		assert_non_null(json_object_get(o, "message"));
		assert_non_null(json_object_get(o, "id"));
		json_decref(o);
	}
	assert_int_equal(LOCAL(f, "GET", "/apps/hello/releases", NULL,
	    &after), 200);
	a = json_dumps(before, JSON_SORT_KEYS);
	b = json_dumps(after, JSON_SORT_KEYS);
	assert_string_equal(a, b);
	free(a);
	free(b);
	json_decref(before);
	json_decref(after);
	assert_int_equal(LOCAL(f, "GET", "/apps", NULL, &o), 200);
	assert_int_equal(json_array_size(o), 1);
	json_decref(o);
}

static void
test_app_lifecycle_makes_repo(void **state)
{
	struct fixture	*f = *state;
	json_t		*o;
	char		 path[512];

	assert_int_equal(LOCAL(f, "POST", "/apps", "{\"name\":\"hello\"}",
	    &o), 201);
	assert_string_equal(json_string_value(json_object_get(o, "web_url")),
	    "http://hello.localhost:7080/");
	json_decref(o);
	snprintf(path, sizeof(path), "%s/repos/hello.git/HEAD", f->dir);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(LOCAL(f, "PATCH", "/apps/hello/config-vars",
	    "{\"GREETING\":\"hi\"}", &o), 200);
	assert_string_equal(json_string_value(json_object_get(o, "GREETING")),
	    "hi");
	json_decref(o);
	assert_int_equal(LOCAL(f, "GET", "/apps/hello/releases/v2", NULL, &o),
	    200);
	assert_string_equal(json_string_value(json_object_get(o,
	    "description")), "Set GREETING config vars");
	json_decref(o);
	assert_int_equal(LOCAL(f, "PATCH", "/apps/hello", "{\"maintenance\":"
	    "true}", &o), 200);
	assert_true(json_is_true(json_object_get(o, "maintenance")));
	json_decref(o);
	assert_int_equal(LOCAL(f, "DELETE", "/apps/hello", NULL, NULL), 200);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(LOCAL(f, "GET", "/apps/hello", NULL, NULL), 404);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_match),
		cmocka_unit_test_setup_teardown(test_auth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_inputs_change_nothing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_app_lifecycle_makes_repo,
		    setup, teardown),
	};

	int rc;

	git_libgit2_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return rc;
}
