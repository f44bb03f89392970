#ifndef STATIC_COND_H
#define STATIC_COND_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "slice.h"

/* Validators and conditional requests (RFC 9110 sections 8.8 and 13). */

#define COND_DATE_LEN	29	/* "Sun, 06 Nov 1994 08:49:37 GMT" */
#define COND_ETAG_MAX	64

/* cond_date_fmt() writes t as an IMF-fixdate; out has COND_DATE_LEN+1. */
void	cond_date_fmt(time_t t, char *out);

/*
 * cond_date_parse() reads an HTTP-date in any of its three forms
 * (IMF-fixdate, RFC 850, asctime). Returns 0, or -EINVAL.
 */
int	cond_date_parse(struct slice s, time_t *out);

/*
 * cond_etag_fmt() writes a strong entity tag, quotes included, from the
 * file's size and modification time; gzip marks the precompressed
 * variant so that the two representations never share a tag. out needs
 * COND_ETAG_MAX bytes.
 */
void	cond_etag_fmt(char *out, uint64_t size, int64_t mtime_sec,
	    long mtime_nsec, int gzip);

/*
 * cond_etag_match() is 1 when the If-None-Match value lists etag (weak
 * comparison: W/ is ignored on both sides) or is "*", else 0.
 */
int	cond_etag_match(struct slice if_none_match, const char *etag);

/*
 * cond_not_modified() decides a GET/HEAD: 1 means answer 304. When
 * If-None-Match is present (inm.p != NULL) it alone decides; otherwise a
 * valid If-Modified-Since at or after mtime does. An invalid date is
 * ignored.
 */
int	cond_not_modified(struct slice inm, struct slice ims,
	    const char *etag, time_t mtime);

#endif
