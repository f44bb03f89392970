#ifndef STATIC_MIME_H
#define STATIC_MIME_H

#include <stddef.h>

/*
 * mime_lookup() returns the Content-Type for a file name from its
 * extension (ASCII case ignored), text types with "; charset=utf-8", and
 * "application/octet-stream" for anything unknown. The string is static.
 */
const char	*mime_lookup(const char *name, size_t namelen);

#endif
