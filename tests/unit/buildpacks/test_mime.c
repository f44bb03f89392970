#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "mime.h"

static const char *
mime(const char *name)
{
	return mime_lookup(name, strlen(name));
}

static void
test_mime_common_types(void **state)
{
	(void)state;
	assert_string_equal(mime("index.html"), "text/html; charset=utf-8");
	assert_string_equal(mime("a/b/app.js"), "text/javascript; charset=utf-8");
	assert_string_equal(mime("style.css"), "text/css; charset=utf-8");
	assert_string_equal(mime("logo.svg"), "image/svg+xml");
	assert_string_equal(mime("x.png"), "image/png");
	assert_string_equal(mime("font.woff2"), "font/woff2");
	assert_string_equal(mime("data.json"), "application/json");
	assert_string_equal(mime("m.wasm"), "application/wasm");
	assert_string_equal(mime("site.webmanifest"), "application/manifest+json");
}

static void
test_mime_ignores_case(void **state)
{
	(void)state;
	assert_string_equal(mime("PHOTO.JPG"), "image/jpeg");
	assert_string_equal(mime("Page.HtMl"), "text/html; charset=utf-8");
}

static void
test_mime_unknown_is_octet_stream(void **state)
{
	(void)state;
	assert_string_equal(mime("Makefile"), "application/octet-stream");
	assert_string_equal(mime("archive.xyz"), "application/octet-stream");
	assert_string_equal(mime("trailingdot."), "application/octet-stream");
	assert_string_equal(mime("dir.d/README"), "application/octet-stream");
	assert_string_equal(mime(""), "application/octet-stream");
	/* only the last extension counts: a .gz is a gzip file */
	assert_string_equal(mime("app.js.gz"), "application/gzip");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mime_common_types),
		cmocka_unit_test(test_mime_ignores_case),
		cmocka_unit_test(test_mime_unknown_is_octet_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
