#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model.h"

#define S(lit)	lit, sizeof(lit) - 1

static void
test_app_create_parsing(void **state)
{
	struct perr	err = PERR_INIT;
	char		name[64];

	(void)state;
	assert_int_equal(model_parse_app_create(S("{\"name\":\"hello\"}"),
	    name, sizeof(name), &err), 0);
	assert_string_equal(name, "hello");
	assert_int_equal(model_parse_app_create(S("{\"name\":\"Hello\"}"),
	    name, sizeof(name), &err), -EINVAL);
	assert_int_equal(model_parse_app_create(S("{\"name\":5}"), name,
	    sizeof(name), &err), -EBADMSG);
	assert_int_equal(model_parse_app_create(S("{\"name\":\"abc\","
	    "\"x\":1}"), name, sizeof(name), &err), -EBADMSG);
	assert_int_equal(model_parse_app_create(S("{\"name\":\"abc\","
	    "\"name\":\"abd\"}"), name, sizeof(name), &err), -EBADMSG);
	assert_int_equal(model_parse_app_create(S("[]"), name, sizeof(name),
	    &err), -EBADMSG);
	assert_int_equal(model_parse_app_create(S("{"), name, sizeof(name),
	    &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "invalid JSON"));
	assert_int_equal(model_parse_app_create("", 0, name, sizeof(name),
	    &err), -EBADMSG);
	/* an embedded NUL cannot sneak a name past the validator */
	assert_int_not_equal(model_parse_app_create(S("{\"name\":\"abc"
	    "\\u0000def\"}"), name, sizeof(name), &err), 0);
}

static void
test_config_patch_parsing(void **state)
{
	struct perr	 err = PERR_INIT;
	json_t		*p = NULL;
	char		*big;
	size_t		 n = 40 * 1024;

	(void)state;
	assert_int_equal(model_parse_config_patch(S("{\"A\":\"1\",\"B\":null}"),
	    &p, &err), 0);
	assert_true(json_is_null(json_object_get(p, "B")));
	json_decref(p);
	assert_int_equal(model_parse_config_patch(S("{\"A\":1}"), &p, &err),
	    -EBADMSG);
	assert_int_equal(model_parse_config_patch(S("{\"1A\":\"x\"}"), &p,
	    &err), -EINVAL);
	assert_int_equal(model_parse_config_patch(S("{\"PAAS_X\":\"x\"}"), &p,
	    &err), -EINVAL);
	assert_int_equal(model_parse_config_patch(S("{\"A\":[]}"), &p, &err),
	    -EBADMSG);
	big = malloc(n + 16);
	memcpy(big, "{\"A\":\"", 6);
	memset(big + 6, 'x', n);
	memcpy(big + 6 + n, "\"}", 2);
	assert_int_equal(model_parse_config_patch(big, n + 8, &p, &err),
	    -EINVAL);
	assert_non_null(strstr(err.msg, "too long"));
	free(big);
}

static void
test_formation_parsing(void **state)
{
	struct perr		 err = PERR_INIT;
	struct formation_update	*u = NULL, one;
	size_t			 n = 0;

	(void)state;
	assert_int_equal(model_parse_formation_updates(S("{\"updates\":["
	    "{\"type\":\"web\",\"quantity\":3},{\"type\":\"worker\","
	    "\"size\":\"standard\"}]}"), &u, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(u[0].quantity, 3);
	assert_string_equal(u[0].size, "");
	assert_int_equal(u[1].quantity, -1);
	assert_string_equal(u[1].size, "standard");
	free(u);
	assert_int_equal(model_parse_formation_updates(S("{\"updates\":["
	    "{\"type\":\"web\",\"quantity\":101}]}"), &u, &n, &err), -EINVAL);
	assert_int_equal(model_parse_formation_updates(S("{\"updates\":["
	    "{\"type\":\"web\",\"quantity\":-1}]}"), &u, &n, &err), -EINVAL);
	assert_int_equal(model_parse_formation_updates(S("{\"updates\":["
	    "{\"type\":\"web\",\"quantity\":\"3\"}]}"), &u, &n, &err),
	    -EBADMSG);
	assert_int_equal(model_parse_formation_updates(S("{\"updates\":["
	    "{\"type\":\"Web\",\"quantity\":1}]}"), &u, &n, &err), -EINVAL);
	assert_int_equal(model_parse_formation_updates(S("{\"updates\":["
	    "{\"type\":\"web\"}]}"), &u, &n, &err), -EBADMSG);
	assert_int_equal(model_parse_formation_updates(S("{\"updates\":["
	    "{\"type\":\"web\",\"size\":\"huge\"}]}"), &u, &n, &err), -EINVAL);
	assert_int_equal(model_parse_formation_updates(S("{\"updates\":[]}"),
	    &u, &n, &err), -EBADMSG);
	assert_int_equal(model_parse_formation_updates(S("{\"updates\":["
	    "{\"type\":\"web\",\"quantity\":1},{\"type\":\"web\","
	    "\"quantity\":2}]}"), &u, &n, &err), -EINVAL);
	assert_int_equal(model_parse_formation_one(S("{\"quantity\":2}"),
	    "web", &one, &err), 0);
	assert_int_equal(one.quantity, 2);
	assert_int_equal(model_parse_formation_one(S("{\"type\":\"x\"}"),
	    "web", &one, &err), -EBADMSG);
}

static void
test_domain_and_version_parsing(void **state)
{
	struct perr	err = PERR_INIT;
	char		host[256];
	long long	v = 0;

	(void)state;
	assert_int_equal(model_parse_domain(S("{\"hostname\":"
	    "\"WWW.Example.COM\"}"), host, sizeof(host), &err), 0);
	assert_string_equal(host, "www.example.com");
	assert_int_equal(model_parse_domain(S("{\"hostname\":"
	    "\"*.example.com\"}"), host, sizeof(host), &err), 0);
	assert_int_equal(model_parse_domain(S("{\"hostname\":\"a b\"}"), host,
	    sizeof(host), &err), -EINVAL);
	assert_int_equal(model_parse_version("v12", &v, &err), 0);
	assert_int_equal(v, 12);
	assert_int_equal(model_parse_version("12", &v, &err), 0);
	assert_int_equal(model_parse_version("v0", &v, &err), -EINVAL);
	assert_int_equal(model_parse_version("vv1", &v, &err), -EINVAL);
	assert_int_equal(model_parse_rollback(S("{\"rollback\":\"v3\"}"), &v,
	    &err), 0);
	assert_int_equal(v, 3);
	assert_int_equal(model_parse_rollback(S("{\"rollback\":4}"), &v,
	    &err), 0);
	assert_int_equal(v, 4);
	assert_int_equal(model_parse_rollback(S("{\"rollback\":true}"), &v,
	    &err), -EBADMSG);
}

static void
test_struct_to_json(void **state)
{
	struct model_urls	u = { "localhost", 7080, "http://127.0.0.1:7070" };
	struct app		a;
	struct release		r;
	struct formation	f;
	json_t			*o;

	(void)state;
	memset(&a, 0, sizeof(a));
	strcpy(a.name, "hello");
	a.release_version = 3;
	o = model_app_json(&a, &u);
	assert_string_equal(json_string_value(json_object_get(o, "web_url")),
	    "http://hello.localhost:7080/");
	assert_string_equal(json_string_value(json_object_get(o, "git_url")),
	    "http://127.0.0.1:7070/hello.git");
	assert_int_equal(json_integer_value(json_object_get(o,
	    "release_version")), 3);
	json_decref(o);
	u.http_port = 80;
	u.git_base = "";
	a.release_version = 0;
	o = model_app_json(&a, &u);
	assert_string_equal(json_string_value(json_object_get(o, "web_url")),
	    "http://hello.localhost/");
	assert_true(json_is_null(json_object_get(o, "git_url")));
	assert_true(json_is_null(json_object_get(o, "release_version")));
	json_decref(o);

	memset(&r, 0, sizeof(r));
	r.version = 2;
	strcpy(r.status, "succeeded");
	r.config = json_pack("{s:s}", "K", "v");
	r.process_types = json_pack("{s:s}", "web", "./server");
	o = model_release_json(&r, 0);
	assert_null(json_object_get(o, "config_vars"));
	assert_int_equal(json_integer_value(json_object_get(o, "version")), 2);
	json_decref(o);
	o = model_release_json(&r, 1);
	assert_non_null(json_object_get(o, "config_vars"));
	json_decref(o);
	memset(&f, 0, sizeof(f));
	strcpy(f.type, "web");
	f.quantity = 2;
	o = model_formation_json(&f, &r);
	assert_string_equal(json_string_value(json_object_get(o, "command")),
	    "./server");
	json_decref(o);
	strcpy(f.type, "worker");
	o = model_formation_json(&f, &r);
	assert_true(json_is_null(json_object_get(o, "command")));
	json_decref(o);
	release_release(&r);
}

static void
test_buildpacks_parsing(void **state)
{
	static const char *const good[] = { "nodejs", "heroku/python",
	    "/opt/packs/mine", "https://github.com/x/y.git#v1",
	    "file:///srv/pack.git", "git://h/p.git" };
	static const char *const bad[] = { "", "a b", "ftp://x", "../x",
	    "/opt/../etc", "Node", "https://", "x'y", "a\nb" };
	struct perr	 err = PERR_INIT;
	json_t		*l = NULL;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (model_buildpack_valid(good[i], &err) != 0)
			fail_msg("refused %s: %s", good[i], err.msg);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (model_buildpack_valid(bad[i], &err) != -EINVAL)
			fail_msg("accepted %s", bad[i]);
	assert_int_equal(model_parse_buildpacks(S("{\"buildpacks\":"
	    "[\"nodejs\",\"/opt/x\"]}"), &l, &err), 0);
	assert_int_equal(json_array_size(l), 2);
	json_decref(l);
	assert_int_equal(model_parse_buildpacks(S("{\"buildpacks\":[1]}"),
	    &l, &err), -EBADMSG);
	assert_int_equal(model_parse_buildpacks(S("{\"buildpacks\":\"x\"}"),
	    &l, &err), -EBADMSG);
	assert_int_equal(model_parse_buildpacks(S("{\"packs\":[]}"), &l,
	    &err), -EBADMSG);
	assert_int_equal(model_parse_buildpacks(S("{\"buildpacks\":"
	    "[\"a b\"]}"), &l, &err), -EINVAL);
}

static void
test_app_patch_parsing(void **state)
{
	static const char *const bad[] = { "{}", "[]", "{\"x\":1}",
	    "{\"deploy_branch\":1}", "{\"deploy_branch\":\"../x\"}",
	    "{\"deploy_branch\":\"\"}", "{\"grace\":-1}",
	    "{\"boot_timeout\":0}", "{\"maintenance\":\"yes\"}" };
	struct model_app_patch	 p;
	struct perr		 err = PERR_INIT;
	const char		*ok = "{\"deploy_branch\":\"master\","
	    "\"grace\":5}";
	size_t			 i;

	(void)state;
	assert_int_equal(model_parse_app_patch(ok, strlen(ok), &p, &err), 0);
	assert_string_equal(p.deploy_branch, "master");
	assert_int_equal(p.grace_s, 5);
	assert_int_equal(p.boot_s, -1);
	assert_int_equal(p.maintenance, -1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		perr_clear(&err);
		assert_true(model_parse_app_patch(bad[i], strlen(bad[i]), &p,
		    &err) < 0);
		assert_true(err.msg[0] != '\0');
		assert_string_equal(p.deploy_branch, "");
	}
}

static void
test_empty_object_parsing(void **state)
{
	struct perr err = PERR_INIT;

	(void)state;
	assert_int_equal(model_parse_empty_object("{}", 2, &err), 0);
	assert_int_equal(model_parse_empty_object(" { } ", 5, &err), 0);
	assert_int_equal(model_parse_empty_object("{\"x\":1}", 7, &err),
	    -EBADMSG);
	assert_non_null(strstr(err.msg, "unexpected field \"x\""));
	assert_int_equal(model_parse_empty_object("[]", 2, &err), -EBADMSG);
	assert_int_equal(model_parse_empty_object("{", 1, &err), -EBADMSG);
	assert_int_equal(model_parse_empty_object("", 0, &err), -EBADMSG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_app_create_parsing),
		cmocka_unit_test(test_config_patch_parsing),
		cmocka_unit_test(test_formation_parsing),
		cmocka_unit_test(test_domain_and_version_parsing),
		cmocka_unit_test(test_struct_to_json),
		cmocka_unit_test(test_buildpacks_parsing),
		cmocka_unit_test(test_app_patch_parsing),
		cmocka_unit_test(test_empty_object_parsing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
