#include <stddef.h>
#include <string.h>

#include "mime.h"
#include "slice.h"

struct mime {
	const char	*ext;
	const char	*type;
};

/* Sorted only for the reader; lookup is linear and the table is short. */
static const struct mime mimes[] = {
	{ "7z",		"application/x-7z-compressed" },
	{ "avif",	"image/avif" },
	{ "bmp",	"image/bmp" },
	{ "css",	"text/css; charset=utf-8" },
	{ "csv",	"text/csv; charset=utf-8" },
	{ "eot",	"application/vnd.ms-fontobject" },
	{ "gif",	"image/gif" },
	{ "gz",		"application/gzip" },
	{ "htm",	"text/html; charset=utf-8" },
	{ "html",	"text/html; charset=utf-8" },
	{ "ico",	"image/vnd.microsoft.icon" },
	{ "jpeg",	"image/jpeg" },
	{ "jpg",	"image/jpeg" },
	{ "js",		"text/javascript; charset=utf-8" },
	{ "json",	"application/json" },
	{ "jsonld",	"application/ld+json" },
	{ "manifest",	"text/cache-manifest; charset=utf-8" },
	{ "map",	"application/json" },
	{ "md",		"text/markdown; charset=utf-8" },
	{ "mjs",	"text/javascript; charset=utf-8" },
	{ "mp3",	"audio/mpeg" },
	{ "mp4",	"video/mp4" },
	{ "oga",	"audio/ogg" },
	{ "ogg",	"audio/ogg" },
	{ "ogv",	"video/ogg" },
	{ "otf",	"font/otf" },
	{ "pdf",	"application/pdf" },
	{ "png",	"image/png" },
	{ "rss",	"application/rss+xml" },
	{ "svg",	"image/svg+xml" },
	{ "tar",	"application/x-tar" },
	{ "ttf",	"font/ttf" },
	{ "txt",	"text/plain; charset=utf-8" },
	{ "wasm",	"application/wasm" },
	{ "wav",	"audio/wav" },
	{ "webm",	"video/webm" },
	{ "webmanifest", "application/manifest+json" },
	{ "webp",	"image/webp" },
	{ "woff",	"font/woff" },
	{ "woff2",	"font/woff2" },
	{ "xml",	"application/xml" },
	{ "zip",	"application/zip" },
};

#define MIME_DEFAULT	"application/octet-stream"

const char *
mime_lookup(const char *name, size_t namelen)
{
	struct slice	 ext;
	size_t		 i, dot;

	for (dot = namelen; dot > 0; dot--) {
		if (name[dot - 1] == '.')
			break;
		if (name[dot - 1] == '/')
			return MIME_DEFAULT;
	}
	if (dot == 0 || dot == namelen)
		return MIME_DEFAULT;
	ext = slice_from(name + dot, namelen - dot);
	for (i = 0; i < sizeof(mimes) / sizeof(mimes[0]); i++)
		if (slice_caseeq_cstr(ext, mimes[i].ext))
			return mimes[i].type;
	return MIME_DEFAULT;
}
