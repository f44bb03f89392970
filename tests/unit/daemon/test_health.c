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
#include <unistd.h>
#include <cmocka.h>

#include "health.h"

static struct health_conf hc;

#define S(x)	(x), strlen(x)
#define J	"{\"healthchecks\":{\"web\":[{\"path\":\"/j\"}]}}"

static void
test_appjson_dokku_entry(void **state)
{
	struct perr	 err = PERR_INIT;
	const char	*j = "{\"name\":\"x\",\"healthchecks\":{\"web\":["
	    "{\"type\":\"startup\",\"name\":\"ready\",\"description\":\"d\","
	    "\"path\":\"/health?deep=1\",\"attempts\":4,\"timeout\":2,"
	    "\"wait\":1,\"initialDelay\":3,\"content\":\"all good\","
	    "\"scheme\":\"http\"},"
	    "{\"type\":\"liveness\",\"path\":\"/live\"},"
	    "{\"path\":\"/\"}],"
	    "\"worker\":[{\"command\":[\"true\"]}]}}";

	(void)state;
	assert_int_equal(health_parse_appjson(S(j), &hc, &err), 0);
	assert_string_equal(hc.source, "app.json");
	/* the liveness entry is skipped; worker checks are not ours */
	assert_int_equal(hc.n, 2);
	assert_string_equal(hc.c[0].path, "/health?deep=1");
	assert_string_equal(hc.c[0].content, "all good");
	assert_int_equal(hc.c[0].attempts, 4);
	assert_int_equal(hc.c[0].timeout_s, 2);
	assert_int_equal(hc.c[0].wait_s, 1);
	assert_int_equal(hc.c[0].delay_s, 3);
	/* Dokku's defaults */
	assert_string_equal(hc.c[1].path, "/");
	assert_string_equal(hc.c[1].content, "");
	assert_int_equal(hc.c[1].attempts, HEALTH_ATTEMPTS);
	assert_int_equal(hc.c[1].timeout_s, HEALTH_TIMEOUT_S);
	assert_int_equal(hc.c[1].wait_s, HEALTH_WAIT_S);
	assert_int_equal(hc.c[1].delay_s, 0);
	/* 3 s delay + 4 x (2 + 1) s, then 3 x (5 + 5) s */
	assert_int_equal(health_budget_ms(&hc), 3000 + 12000 + 30000);
}

static void
test_appjson_without_checks(void **state)
{
	struct perr err = PERR_INIT;

	(void)state;
	assert_int_equal(health_parse_appjson(S("{}"), &hc, &err), 0);
	assert_int_equal(hc.n, 0);
	assert_int_equal(health_parse_appjson(S("{\"healthchecks\":"
	    "{\"worker\":[]}}"), &hc, &err), 0);
	assert_int_equal(hc.n, 0);
	assert_int_equal(health_parse_appjson(S("{\"healthchecks\":"
	    "{\"web\":[]}}"), &hc, &err), 0);
	assert_int_equal(hc.n, 0);
	assert_int_equal(health_budget_ms(&hc), 0);
}

static void
test_appjson_errors_name_the_field(void **state)
{
	static const struct {
		const char	*json;
		const char	*msg;
	} bad[] = {
		{ "{", "app.json: line" },
		{ "[]", "not a JSON object" },
		{ "{\"a\":1,\"a\":2}", "duplicate" },
		{ "{\"healthchecks\":[]}", "healthchecks must be an object" },
		{ "{\"healthchecks\":{\"web\":{}}}", "must be an array" },
		{ "{\"healthchecks\":{\"web\":[1]}}", "web[0] is not an object" },
		{ "{\"healthchecks\":{\"web\":[{}]}}", "web[0] has no path" },
		{ "{\"healthchecks\":{\"web\":[{\"path\":\"/\"},{\"path\":"
		    "\"x\"}]}}", "web[1].path must start" },
		{ "{\"healthchecks\":{\"web\":[{\"path\":\"//evil/\"}]}}",
		    "path must start with one /" },
		{ "{\"healthchecks\":{\"web\":[{\"path\":\"/a b\"}]}}",
		    "without spaces" },
		{ "{\"healthchecks\":{\"web\":[{\"path\":\"/a\\r\\nX: y\"}]}}",
		    "without spaces" },
		{ "{\"healthchecks\":{\"web\":[{\"path\":\"/\",\"attempts\":0}]}}",
		    "attempts must be an integer from 1 to 100" },
		{ "{\"healthchecks\":{\"web\":[{\"path\":\"/\",\"timeout\":"
		    "\"5\"}]}}", "timeout must be an integer" },
		{ "{\"healthchecks\":{\"web\":[{\"path\":\"/\",\"wait\":-1}]}}",
		    "wait must be an integer from 0" },
		{ "{\"healthchecks\":{\"web\":[{\"path\":\"/\",\"type\":"
		    "\"sometimes\"}]}}", "type must be startup" },
		{ "{\"healthchecks\":{\"web\":[{\"path\":\"/\",\"scheme\":"
		    "\"https\"}]}}", "scheme: only http" },
		{ "{\"healthchecks\":{\"web\":[{\"command\":[\"true\"]}]}}",
		    "web[0].command is not supported" },
		{ "{\"healthchecks\":{\"web\":[{\"path\":\"/\",\"port\":5000}]}}",
		    "web[0].port is not supported" },
		{ "{\"healthchecks\":{\"web\":[{\"path\":\"/\",\"bogus\":1}]}}",
		    "unknown field \"bogus\"" },
		{ "{\"healthchecks\":{\"web\":[{\"path\":\"/\",\"content\":"
		    "\"a\\u0001\"}]}}", "no control characters" },
	};
	struct perr	err;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		perr_clear(&err);
		assert_true(health_parse_appjson(S(bad[i].json), &hc,
		    &err) < 0);
		assert_int_equal(hc.n, 0);
		if (strstr(err.msg, bad[i].msg) == NULL)
			fail_msg("%s: got \"%s\", want \"%s\"", bad[i].json,
			    err.msg, bad[i].msg);
	}
}

static void
test_appjson_too_many(void **state)
{
	struct perr	err = PERR_INIT;
	char		j[4096];
	size_t		n, i;

	(void)state;
	n = (size_t)snprintf(j, sizeof(j), "{\"healthchecks\":{\"web\":[");
	for (i = 0; i <= HEALTH_CHECKS_MAX; i++)
		n += (size_t)snprintf(j + n, sizeof(j) - n, "%s{\"path\":\"/\"}",
		    i ? "," : "");
	snprintf(j + n, sizeof(j) - n, "]}}");
	assert_int_equal(health_parse_appjson(S(j), &hc, &err), -E2BIG);
}

static void
test_checks_file(void **state)
{
	struct perr	 err = PERR_INIT;
	const char	*f = "# Dokku-style\nWAIT=2\r\n\n/ Hello world  \n"
	    "  /status.txt\tok\nTIMEOUT=7\nATTEMPTS=9\n";

	(void)state;
	assert_int_equal(health_parse_checks(S(f), &hc, &err), 0);
	assert_string_equal(hc.source, "CHECKS");
	assert_int_equal(hc.n, 2);
	assert_string_equal(hc.c[0].path, "/");
	assert_string_equal(hc.c[0].content, "Hello world");
	assert_string_equal(hc.c[1].path, "/status.txt");
	assert_string_equal(hc.c[1].content, "ok");
	/* settings apply to every check; WAIT delays the first one */
	assert_int_equal(hc.c[0].attempts, 9);
	assert_int_equal(hc.c[1].timeout_s, 7);
	assert_int_equal(hc.c[0].wait_s, 2);
	assert_int_equal(hc.c[0].delay_s, 2);
	assert_int_equal(hc.c[1].delay_s, 0);

	assert_int_equal(health_parse_checks(S("/\n"), &hc, &err), 0);
	assert_int_equal(hc.c[0].attempts, HEALTH_CHECKS_ATTEMPTS);
	assert_int_equal(hc.c[0].timeout_s, HEALTH_CHECKS_TIMEOUT_S);
	assert_int_equal(hc.c[0].delay_s, HEALTH_CHECKS_WAIT_S);
}

static void
test_checks_errors_carry_the_line(void **state)
{
	static const struct {
		const char	*text;
		const char	*msg;
	} bad[] = {
		{ "/\nhealth\n", "CHECKS line 2: expected a path" },
		{ "WAIT=x\n", "CHECKS line 1: WAIT must be a number" },
		{ "\n\nTIMEOUT=0\n", "CHECKS line 3: TIMEOUT must be" },
		{ "ATTEMPTS=1000\n", "ATTEMPTS must be a number from 1 to 100" },
		{ "RETRIES=3\n", "CHECKS line 1: unknown setting" },
		{ "//localhost/x\n", "CHECKS line 1: expected a path" },
		{ "/ok \x01\n", "control characters" },
	};
	struct perr	err;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		perr_clear(&err);
		assert_true(health_parse_checks(S(bad[i].text), &hc, &err) < 0);
		assert_int_equal(hc.n, 0);
		if (strstr(err.msg, bad[i].msg) == NULL)
			fail_msg("%s: got \"%s\", want \"%s\"", bad[i].text,
			    err.msg, bad[i].msg);
	}
	assert_true(health_parse_checks("/\0", 2, &hc, &err) < 0);
}

static void
test_load_from_a_slug_dir(void **state)
{
	struct perr	 err = PERR_INIT;
	char		 dir[] = "/tmp/paas-health-XXXXXX", p[256];
	int		 fd, dfd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	/* nothing declared */
	assert_int_equal(health_load(dfd, &hc, &err), 0);
	assert_int_equal(hc.n, 0);
	/* CHECKS alone */
	snprintf(p, sizeof(p), "%s/CHECKS", dir);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	assert_int_equal(write(fd, "/c\n", 3), 3);
	close(fd);
	assert_int_equal(health_load(dfd, &hc, &err), 0);
	assert_int_equal(hc.n, 1);
	assert_string_equal(hc.c[0].path, "/c");
	/* an app.json without web checks leaves CHECKS in charge */
	snprintf(p, sizeof(p), "%s/app.json", dir);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_int_equal(write(fd, "{}", 2), 2);
	close(fd);
	assert_int_equal(health_load(dfd, &hc, &err), 0);
	assert_string_equal(hc.source, "CHECKS");
	/* app.json's web checks win */
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_int_equal(write(fd, S(J)), (ssize_t)strlen(J));
	close(fd);
	assert_int_equal(health_load(dfd, &hc, &err), 0);
	assert_string_equal(hc.source, "app.json");
	assert_string_equal(hc.c[0].path, "/j");
	/* a symlink is never followed, even to a readable file */
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	assert_int_equal(health_load(dfd, &hc, &err), -ELOOP);
	assert_non_null(strstr(err.msg, "app.json is a symlink"));
	assert_int_equal(unlink(p), 0);
	/* nor a directory, nor an oversized file */
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(health_load(dfd, &hc, &err), -EINVAL);
	assert_int_equal(rmdir(p), 0);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_int_equal(ftruncate(fd, HEALTH_FILE_MAX + 1), 0);
	close(fd);
	assert_int_equal(health_load(dfd, &hc, &err), -EFBIG);
	unlink(p);
	snprintf(p, sizeof(p), "%s/CHECKS", dir);
	unlink(p);
	close(dfd);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_request(void **state)
{
	struct health_check	c = { .path = "/up?x=1" };
	char			req[HEALTH_REQ_MAX];
	int			n;

	(void)state;

	n = health_request(&c, "app.localhost", req, sizeof(req));
	assert_int_equal(n, (int)strlen(req));
	assert_string_equal(req, "GET /up?x=1 HTTP/1.1\r\n"
	    "Host: app.localhost\r\nUser-Agent: paas-healthcheck\r\n"
	    "Accept: */*\r\nConnection: close\r\n\r\n");
	assert_int_equal(health_request(&c, "h", req, 20), -ENAMETOOLONG);
}

static int
feed_all(const char *resp, const struct health_check *c, char *why,
    size_t whylen, int split)
{
	struct health_resp	r;
	size_t			len = strlen(resp), i;
	int			rc = 0, v;

	health_resp_init(&r);
	for (i = 0; i < len && rc == 0; i += (size_t)split)
		rc = health_resp_feed(&r, resp + i, len - i < (size_t)split ?
		    len - i : (size_t)split);
	if (rc == 0)
		rc = health_resp_feed(&r, NULL, 0);
	v = rc < 0 && rc != -EPIPE ? -2 : health_verdict(&r, c, why, whylen);
	health_resp_release(&r);
	return v;
}

static void
test_verdicts(void **state)
{
	struct health_check	 any = { .path = "/" };
	struct health_check	 ok = { .path = "/", .content = "ready" };
	char			 why[128];
	int			 split;

	(void)state;
	for (split = 1; split <= 64; split *= 4) {
		assert_int_equal(feed_all("HTTP/1.1 200 OK\r\nContent-Length: "
		    "2\r\n\r\nhi", &any, why, sizeof(why), split), 0);
		assert_string_equal(why, "status 200");
		assert_int_equal(feed_all("HTTP/1.1 204 No Content\r\n\r\n",
		    &any, why, sizeof(why), split), 0);
		assert_int_equal(feed_all("HTTP/1.1 200 OK\r\nTransfer-Encoding:"
		    " chunked\r\n\r\n3\r\nrea\r\n2\r\ndy\r\n0\r\n\r\n", &ok, why,
		    sizeof(why), split), 0);
		/* read until close: the body is what came */
		assert_int_equal(feed_all("HTTP/1.0 200 OK\r\n\r\nI am ready",
		    &ok, why, sizeof(why), split), 0);
		assert_int_equal(feed_all("HTTP/1.1 500 Oops\r\nContent-Length:"
		    " 0\r\n\r\n", &any, why, sizeof(why), split), -1);
		assert_string_equal(why, "status 500");
		assert_int_equal(feed_all("HTTP/1.1 301 Moved\r\nLocation: /x\r\n"
		    "Content-Length: 0\r\n\r\n", &any, why, sizeof(why),
		    split), -1);
		assert_int_equal(feed_all("HTTP/1.1 200 OK\r\nContent-Length: "
		    "4\r\n\r\nbusy", &ok, why, sizeof(why), split), -1);
		assert_non_null(strstr(why, "lacks \"ready\""));
		/* cut short, or not HTTP at all */
		assert_int_equal(feed_all("HTTP/1.1 200 OK\r\nContent-Length: "
		    "10\r\n\r\nrea", &ok, why, sizeof(why), split), -1);
		assert_string_equal(why, "no complete response");
		assert_int_equal(feed_all("SSH-2.0-OpenSSH\r\n", &any, why,
		    sizeof(why), split), -2);
		assert_int_equal(feed_all("HTTP/1.1 200 OK\r\nContent-Length: "
		    "1\r\nContent-Length: 2\r\n\r\nab", &any, why, sizeof(why),
		    split), -2);
	}
}

static void
test_body_is_capped(void **state)
{
	struct health_check	 c = { .path = "/", .content = "tail" };
	struct health_resp	 r;
	char			*big, head[128], why[128];
	size_t			 n = HEALTH_BODY_MAX * 2;

	(void)state;
	big = malloc(n);
	assert_non_null(big);
	memset(big, 'x', n);
	memcpy(big + n - 4, "tail", 4);
	health_resp_init(&r);
	snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: "
	    "%zu\r\n\r\n", n);
	assert_int_equal(health_resp_feed(&r, head, strlen(head)), 0);
	assert_int_equal(health_resp_feed(&r, big, n), 1);
	assert_int_equal(r.body.len, HEALTH_BODY_MAX);
	/* what lies past the cap is not searched */
	assert_int_equal(health_verdict(&r, &c, why, sizeof(why)), -1);
	health_resp_release(&r);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_appjson_dokku_entry),
		cmocka_unit_test(test_appjson_without_checks),
		cmocka_unit_test(test_appjson_errors_name_the_field),
		cmocka_unit_test(test_appjson_too_many),
		cmocka_unit_test(test_checks_file),
		cmocka_unit_test(test_checks_errors_carry_the_line),
		cmocka_unit_test(test_load_from_a_slug_dir),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_body_is_capped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
