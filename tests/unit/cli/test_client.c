#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include <curl/curl.h>

#include "cli.h"
#include "client.h"
#include "fake_api.h"

static int
fake_setup(void **state)
{
	*state = fake_new();
	return *state == NULL ? -1 : 0;
}

static int
fake_teardown(void **state)
{
	fake_free(*state);
	return 0;
}

/* Arms the fake with one answer and starts its thread. */
static void
fake_answer(struct fake *f, int status, const char *body)
{
	fake_push(f, status, body);
	fake_run(f);
}

static void
header_get(const struct fake *f, const char *name, char *out, size_t len)
{
	fake_header(f, 0, name, out, len);
}

static struct client *
client_for(struct fake *f, const char *token)
{
	struct client_url	 u;
	struct client		*c = NULL;
	struct perr		 err = PERR_INIT;
	char			 url[256];

	snprintf(url, sizeof(url), "%s", f->api);
	assert_int_equal(client_url_parse(url, &u, &err), 0);
	assert_int_equal(client_new(&u, token, &c, &err), 0);
	return c;
}

static void
test_get_with_token(void **state)
{
	struct fake	*f = *state;
	struct client	*c = client_for(f, "s3cret");
	struct perr	 err = PERR_INIT;
	json_t		*out = NULL;
	char		 h[256];
	long		 status;

	fake_answer(f, 200, "[{\"name\":\"hello\"}]");
	assert_int_equal(client_request(c, "GET", "/apps", NULL, &status, &out,
	    &err), 0);
	fake_wait(f);
	assert_string_equal(f->req[0].line, "GET /apps HTTP/1.1");
	header_get(f, "Authorization", h, sizeof(h));
	assert_string_equal(h, "Bearer s3cret");
	header_get(f, "Accept", h, sizeof(h));
	assert_string_equal(h, "application/json");
	assert_string_equal(f->req[0].body, "");
	assert_int_equal(status, 200);
	assert_true(json_is_array(out));
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    out, 0), "name")), "hello");
	json_decref(out);
	client_free(c);
}

static void
test_patch_body(void **state)
{
	struct fake	*f = *state;
	struct client	*c = client_for(f, NULL);
	struct perr	 err = PERR_INIT;
	json_t		*out = NULL, *body;
	char		 h[256];
	long		 status;

	body = json_pack("{s:s, s:n}", "GREETING", "hi \"you\"", "OLD");
	fake_answer(f, 200, "{\"GREETING\":\"hi \\\"you\\\"\"}");
	assert_int_equal(client_request(c, "PATCH", "/apps/hello/config-vars",
	    body, &status, &out, &err), 0);
	fake_wait(f);
	assert_string_equal(f->req[0].line, "PATCH /apps/hello/config-vars HTTP/1.1");
	header_get(f, "Content-Type", h, sizeof(h));
	assert_string_equal(h, "application/json");
	header_get(f, "Authorization", h, sizeof(h));
	assert_string_equal(h, "");
	assert_string_equal(f->req[0].body, "{\"GREETING\":\"hi \\\"you\\\"\","
	    "\"OLD\":null}");
	assert_string_equal(json_string_value(json_object_get(out, "GREETING")),
	    "hi \"you\"");
	json_decref(body);
	json_decref(out);
	client_free(c);
}

static void
test_404_maps_message(void **state)
{
	struct fake	*f = *state;
	struct client	*c = client_for(f, "t");
	struct perr	 err = PERR_INIT;
	json_t		*out = NULL;
	long		 status;

	fake_answer(f, 404, "{\"id\":\"not_found\",\"message\":\"app 'nope' "
	    "not found\"}");
	assert_int_equal(client_request(c, "DELETE", "/apps/nope", NULL,
	    &status, &out, &err), -ENOENT);
	fake_wait(f);
	assert_string_equal(f->req[0].line, "DELETE /apps/nope HTTP/1.1");
	assert_int_equal(status, 404);
	assert_null(out);
	assert_string_equal(err.msg, "app 'nope' not found");
	client_free(c);
}

static void
test_422_maps_message(void **state)
{
	struct fake	*f = *state;
	struct client	*c = client_for(f, "t");
	struct perr	 err = PERR_INIT;
	json_t		*out = NULL, *body = json_pack("{s:s}", "name", "x");
	long		 status;

	fake_answer(f, 422, "{\"id\":\"invalid_params\",\"message\":\"invalid "
	    "app name\"}");
	assert_int_equal(client_request(c, "POST", "/apps", body, &status,
	    &out, &err), -EINVAL);
	fake_wait(f);
	assert_string_equal(f->req[0].line, "POST /apps HTTP/1.1");
	assert_string_equal(f->req[0].body, "{\"name\":\"x\"}");
	assert_int_equal(status, 422);
	assert_string_equal(err.msg, "invalid app name");
	json_decref(body);
	client_free(c);
}

static void
test_bad_json_answer(void **state)
{
	struct fake	*f = *state;
	struct client	*c = client_for(f, "t");
	struct perr	 err = PERR_INIT;
	json_t		*out = NULL;
	long		 status;

	fake_answer(f, 200, "{not json");
	assert_int_equal(client_request(c, "GET", "/apps", NULL, &status, &out,
	    &err), -EPROTO);
	fake_wait(f);
	assert_null(out);
	assert_non_null(strstr(err.msg, "invalid JSON"));
	client_free(c);
}

static void
test_empty_answer(void **state)
{
	struct fake	*f = *state;
	struct client	*c = client_for(f, "t");
	struct perr	 err = PERR_INIT;
	json_t		*out = (json_t *)1;
	long		 status;

	fake_answer(f, 201, "");
	assert_int_equal(client_request(c, "POST", "/x", NULL, &status, &out,
	    &err), 0);
	fake_wait(f);
	assert_int_equal(status, 201);
	assert_null(out);
	client_free(c);
}

/* Through the CLI context: the token comes from DIR/admin-token. */
static void
test_cli_token_file(void **state)
{
	struct fake	*f = *state;
	struct cli	 c;
	struct perr	 err = PERR_INIT;
	json_t		*out = NULL;
	char		 api[256], path[256], h[256];
	FILE		*tf;

	snprintf(path, sizeof(path), "%s/admin-token", f->dir);
	tf = fopen(path, "w");
	assert_non_null(tf);
	fputs("tok-from-file\n", tf);
	fclose(tf);
	snprintf(api, sizeof(api), "unix:%s", f->sock);
	memset(&c, 0, sizeof(c));
	c.api = api;
	unsetenv("PAAS_TOKEN");
	fake_answer(f, 200, "{\"name\":\"hello\"}");
	assert_int_equal(cli_call(&c, "GET", NULL, &out, &err, "/apps/%s",
	    "hello"), 0);
	fake_wait(f);
	header_get(f, "Authorization", h, sizeof(h));
	assert_string_equal(h, "Bearer tok-from-file");
	json_decref(out);
	client_free(c.client);
	c.client = NULL;

	setenv("PAAS_TOKEN", "tok-from-env", 1);
	fake_answer(f, 200, "{}");
	assert_int_equal(cli_call(&c, "GET", NULL, NULL, &err, "/apps"), 0);
	fake_wait(f);
	header_get(f, "Authorization", h, sizeof(h));
	assert_string_equal(h, "Bearer tok-from-env");
	unsetenv("PAAS_TOKEN");
	client_free(c.client);
}

static void
test_unreachable(void **state)
{
	struct fake		*f = *state;
	struct client_url	 u;
	struct client		*c = NULL;
	struct perr		 err = PERR_INIT;
	json_t			*out = NULL;
	char			 url[256];
	long			 status = -1;

	snprintf(url, sizeof(url), "unix:%s/absent.sock", f->dir);
	assert_int_equal(client_url_parse(url, &u, &err), 0);
	assert_int_equal(client_new(&u, NULL, &c, &err), 0);
	assert_int_equal(client_request(c, "GET", "/apps", NULL, &status, &out,
	    &err), -ECONNREFUSED);
	assert_int_equal(status, 0);
	assert_non_null(strstr(err.msg, "absent.sock"));
	assert_non_null(strstr(err.msg, "No such file"));
	client_free(c);
}

static void
url_ok(const char *s, enum client_kind kind, const char *sock,
    const char *base)
{
	struct client_url	u;
	struct perr		err = PERR_INIT;

	assert_int_equal(client_url_parse(s, &u, &err), 0);
	assert_int_equal(u.kind, kind);
	assert_string_equal(u.sock, sock);
	assert_string_equal(u.base, base);
}

static void
url_bad(const char *s)
{
	struct client_url	u;
	struct perr		err = PERR_INIT;

	assert_int_equal(client_url_parse(s, &u, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "invalid API address"));
}

static void
test_url_parse(void **state)
{
	(void)state;
	url_ok("unix:/var/lib/paas/paasd.sock", CLIENT_UNIX,
	    "/var/lib/paas/paasd.sock", "http://localhost");
	url_ok("unix:///run/p.sock", CLIENT_UNIX, "/run/p.sock",
	    "http://localhost");
	url_ok("http://127.0.0.1:5000", CLIENT_HTTP, "",
	    "http://127.0.0.1:5000");
	url_ok("http://127.0.0.1:5000/", CLIENT_HTTP, "",
	    "http://127.0.0.1:5000");
	url_ok("https://paas.example.com/api//", CLIENT_HTTP, "",
	    "https://paas.example.com/api");
	url_ok("tcp:127.0.0.1:5000", CLIENT_HTTP, "", "http://127.0.0.1:5000");
	url_bad("");
	url_bad("unix:");
	url_bad("ftp://x");
	url_bad("127.0.0.1:5000");
	url_bad("http://");
	url_bad("http:///");
	url_bad("http://h:5000/a b");
	url_bad("http://h/?q=1");
	url_bad("tcp:hostonly");
	url_bad("unix:/a/very/long/path/that/does/not/fit/in/sun_path/"
	    "because/it/is/longer/than/one/hundred/and/eight/bytes/x.sock");
}

static void
test_token_path(void **state)
{
	struct client_url	u;
	struct perr		err = PERR_INIT;
	char			p[256];

	(void)state;
	assert_int_equal(client_url_parse("unix:/var/lib/paas/paasd.sock", &u,
	    &err), 0);
	assert_int_equal(client_token_path(&u, p, sizeof(p)), 0);
	assert_string_equal(p, "/var/lib/paas/admin-token");
	assert_int_equal(client_url_parse("unix:/s.sock", &u, &err), 0);
	assert_int_equal(client_token_path(&u, p, sizeof(p)), 0);
	assert_string_equal(p, "/admin-token");
	assert_int_equal(client_url_parse("unix:rel.sock", &u, &err), 0);
	assert_int_equal(client_token_path(&u, p, sizeof(p)), 0);
	assert_string_equal(p, "admin-token");
	assert_int_equal(client_token_path(&u, p, 5), -ENAMETOOLONG);
	assert_int_equal(client_url_parse("http://h:1", &u, &err), 0);
	assert_int_equal(client_token_path(&u, p, sizeof(p)), -ENOENT);
}

static void
test_error_map(void **state)
{
	struct perr	 err = PERR_INIT;
	const char	*b = "{\"id\":\"conflict\",\"message\":\"name taken\"}";

	(void)state;
	assert_int_equal(client_error_map(409, b, strlen(b), &err), -EEXIST);
	assert_string_equal(err.msg, "name taken");
	assert_int_equal(client_error_map(500, "oops", 4, &err), -EIO);
	assert_string_equal(err.msg, "API answered HTTP 500");
	assert_int_equal(client_error_map(401, "", 0, &err), -EACCES);
	assert_non_null(strstr(err.msg, "PAAS_TOKEN"));
	assert_int_equal(client_error_map(400, "{\"message\":\"\"}", 14, &err),
	    -EINVAL);
	assert_string_equal(err.msg, "API answered HTTP 400");
}

static void
test_bad_token(void **state)
{
	struct client_url	 u;
	struct client		*c = NULL;
	struct perr		 err = PERR_INIT;

	(void)state;
	assert_int_equal(client_url_parse("http://h:1", &u, &err), 0);
	assert_int_equal(client_new(&u, "a\r\nX-Evil: 1", &c, &err), -EINVAL);
	assert_null(c);
	assert_int_equal(client_new(&u, "", &c, &err), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get_with_token,
		    fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_patch_body,
		    fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_404_maps_message,
		    fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_422_maps_message,
		    fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_bad_json_answer,
		    fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_empty_answer,
		    fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_cli_token_file,
		    fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_unreachable,
		    fake_setup, fake_teardown),
		cmocka_unit_test(test_url_parse),
		cmocka_unit_test(test_token_path),
		cmocka_unit_test(test_error_map),
		cmocka_unit_test(test_bad_token),
	};
	int rc;

	alarm(60);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
