#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "shim_req.h"

#define BASE	"\"id\":\"web.1-ab\",\"app\":\"shop\",\"dyno\":\"web.1\"," \
		"\"dir\":\"/var/lib/paas/instances/ab\"," \
		"\"log\":\"/var/lib/paas/logs/shop/app.log\"," \
		"\"init\":\"/usr/lib/paas/paas-init\",\"size\":\"standard\"," \
		"\"uid\":10001,\"gid\":10002,\"layers\":[\"/s/1\",\"/s/2\"]," \
		"\"argv\":[\"/bin/sh\",\"-c\",\"x\"],\"env\":[\"A=1\"]"

static int
parse(const char *json, struct shim_req *r, struct perr *err)
{
	return shim_req_parse(json, strlen(json), r, err);
}

static void
test_minimal_and_defaults(void **state)
{
	struct shim_req r;
	struct perr err = PERR_INIT;

	(void)state;
	if (parse("{" BASE "}", &r, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(r.app, "shop");
	assert_string_equal(r.dyno, "web.1");
	assert_int_equal(r.uid, 10001);
	assert_int_equal(r.gid, 10002);
	assert_int_equal(r.nlayers, 2);
	assert_string_equal(r.layers[1], "/s/2");
	assert_string_equal(r.argv[2], "x");
	assert_null(r.argv[3]);
	assert_string_equal(r.envp[0], "A=1");
	assert_null(r.envp[1]);
	assert_string_equal(r.cwd, "/app");
	assert_string_equal(r.cgroup_root, "/sys/fs/cgroup");
	assert_int_equal(r.grace_s, 30);
	assert_int_equal(r.host_stack, 1);
	assert_int_equal(r.newnet, 0);
	assert_int_equal(r.inherit, 0);
	assert_int_equal(r.tty, 0);
	shim_req_release(&r);
	assert_null(r.app);
}

static void
test_optional_fields(void **state)
{
	struct shim_req r;
	struct perr err = PERR_INIT;

	(void)state;
	if (parse("{" BASE ",\"grace_s\":5,\"tmp_mb\":64,\"network\":\"none\","
	    "\"cwd\":\"/app/sub\",\"binds\":[{\"src\":\"/data\",\"dst\":"
	    "\"/data\"},{\"src\":\"/x\",\"dst\":\"/y\",\"ro\":false}],"
	    "\"stdio\":\"inherit\",\"tty\":true}", &r,
	    &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(r.grace_s, 5);
	assert_int_equal(r.tmp_mb, 64);
	assert_int_equal(r.newnet, 1);
	assert_int_equal(r.nbinds, 2);
	assert_int_equal(r.binds[0].ro, 1);
	assert_int_equal(r.binds[1].ro, 0);
	assert_string_equal(r.binds[1].dst, "/y");
	assert_int_equal(r.inherit, 1);
	assert_int_equal(r.tty, 1);
	assert_int_equal(r.pty, 0);
	assert_int_equal(r.userns, 0);
	shim_req_release(&r);
	if (parse("{" BASE ",\"stdio\":\"pty\",\"tty_rows\":50,"
	    "\"tty_cols\":132,\"userns\":true}", &r, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(r.pty, 1);
	assert_int_equal(r.inherit, 0);
	assert_int_equal(r.rows, 50);
	assert_int_equal(r.cols, 132);
	assert_int_equal(r.userns, 1);
	shim_req_release(&r);
}

static void
test_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{" BASE ",\"extra\":1}",
		"{" BASE ",\"grace_s\":3601}",
		"{" BASE ",\"grace_s\":-1}",
		"{" BASE ",\"network\":\"bridge\"}",
		"{" BASE ",\"tmp_mb\":99999999}",
		"{" BASE ",\"cwd\":\"app\"}",
		"{" BASE ",\"binds\":[{\"src\":\"/a\"}]}",
		"{\"id\":\"x\"}",
		"{" BASE ",\"id\":\"web.1-ab\"}",
		"{" BASE ",\"stdio\":\"tty\"}",
		"{" BASE ",\"tty\":true}",
		"{" BASE ",\"stdio\":\"pty\",\"tty\":true}",
		"{" BASE ",\"tty_rows\":24}",
		"{" BASE ",\"stdio\":\"inherit\",\"tty_cols\":80}",
		"{" BASE ",\"stdio\":\"pty\",\"tty_rows\":4097}",
		"{" BASE ",\"stdio\":\"pty\",\"tty_cols\":-1}",
		"{" BASE ",\"userns\":1}",
	};
	struct shim_req r;
	struct perr err = PERR_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i], &r, &err) == 0)
			fail_msg("case %zu accepted", i);
}

/* one field at a time, replaced with a bad value */
static void
test_field_checks(void **state)
{
	static const char *const fields[][2] = {
		{ "\"app\":\"shop\"", "\"app\":\"Shop!\"" },
		{ "\"id\":\"web.1-ab\"", "\"id\":\"../x\"" },
		{ "\"dyno\":\"web.1\"", "\"dyno\":\"web\"" },
		{ "\"dyno\":\"web.1\"", "\"dyno\":\"web.1x\"" },
		{ "\"dir\":\"/var/lib/paas/instances/ab\"",
		    "\"dir\":\"/var/lib/../etc\"" },
		{ "\"size\":\"standard\"", "\"size\":\"huge\"" },
		{ "\"uid\":10001", "\"uid\":0" },
		{ "\"gid\":10002", "\"gid\":999" },
		{ "\"layers\":[\"/s/1\",\"/s/2\"]", "\"layers\":[]" },
		{ "\"layers\":[\"/s/1\",\"/s/2\"]", "\"layers\":[\"rel\"]" },
		{ "\"argv\":[\"/bin/sh\",\"-c\",\"x\"]", "\"argv\":[]" },
		{ "\"argv\":[\"/bin/sh\",\"-c\",\"x\"]", "\"argv\":[1]" },
		{ "\"env\":[\"A=1\"]", "\"env\":\"A=1\"" },
	};
	char json[2048], *at;
	const char *base = "{" BASE "}";
	struct shim_req r;
	struct perr err = PERR_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		at = strstr(base, fields[i][0]);
		assert_non_null(at);
		snprintf(json, sizeof(json), "%.*s%s%s", (int)(at - base), base,
		    fields[i][1], at + strlen(fields[i][0]));
		if (parse(json, &r, &err) != -EINVAL)
			fail_msg("field case %zu accepted: %s", i, json);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_and_defaults),
		cmocka_unit_test(test_optional_fields),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_field_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
