#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cond.h"

static const char *const wdays[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
};
static const char *const months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

void
cond_date_fmt(time_t t, char *out)
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	snprintf(out, COND_DATE_LEN + 1, "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    wdays[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    (tm.tm_year + 1900) % 10000, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int
month_index(const char *m)
{
	int	i;

	for (i = 0; i < 12; i++)
		if (strcmp(m, months[i]) == 0)
			return i;
	return -1;
}

/* The three HTTP-date forms, tried in order; see RFC 9110 5.6.7. */
enum date_form { DATE_IMF, DATE_RFC850, DATE_ASCTIME };

static int
date_scan(const char *s, enum date_form form, struct tm *tm, char *mon)
{
	char	wday[10], gmt[4];
	int	n = 0;

	switch (form) {
	case DATE_IMF:
		return sscanf(s, "%3s, %2d %3s %4d %2d:%2d:%2d %3s%n", wday,
		    &tm->tm_mday, mon, &tm->tm_year, &tm->tm_hour, &tm->tm_min,
		    &tm->tm_sec, gmt, &n) == 8 &&
		    strcmp(gmt, "GMT") == 0 ? n : -1;
	case DATE_RFC850:
		if (sscanf(s, "%9[A-Za-z], %2d-%3s-%2d %2d:%2d:%2d %3s%n", wday,
		    &tm->tm_mday, mon, &tm->tm_year, &tm->tm_hour, &tm->tm_min,
		    &tm->tm_sec, gmt, &n) != 8 || strcmp(gmt, "GMT") != 0)
			return -1;
		/* two-digit years: RFC 9110's 50-year rule, simplified */
		tm->tm_year += tm->tm_year < 70 ? 2000 : 1900;
		return n;
	case DATE_ASCTIME:
		return sscanf(s, "%3s %3s %2d %2d:%2d:%2d %4d%n", wday, mon,
		    &tm->tm_mday, &tm->tm_hour, &tm->tm_min, &tm->tm_sec,
		    &tm->tm_year, &n) == 7 ? n : -1;
	}
	return -1;
}

int
cond_date_parse(struct slice s, time_t *out)
{
	static const enum date_form forms[] = {
		DATE_IMF, DATE_RFC850, DATE_ASCTIME,
	};
	char		 buf[64], mon[4];
	struct tm	 tm;
	size_t		 i;
	int		 n, m;

	s = slice_trim(s);
	if (s.p == NULL || s.len == 0 || s.len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s.p, s.len);
	buf[s.len] = '\0';
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		mon[0] = '\0';
		n = date_scan(buf, forms[i], &tm, mon);
		if (n < 0 || (size_t)n != s.len)
			continue;
		if ((m = month_index(mon)) < 0 || tm.tm_mday < 1 ||
		    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
		    tm.tm_sec > 60 || tm.tm_year < 1900)
			return -EINVAL;
		tm.tm_mon = m;
		tm.tm_year -= 1900;
		*out = timegm(&tm);
		return 0;
	}
	return -EINVAL;
}

void
cond_etag_fmt(char *out, uint64_t size, int64_t mtime_sec, long mtime_nsec,
    int gzip)
{
	snprintf(out, COND_ETAG_MAX, "\"%" PRIx64 "-%" PRIx64 ".%lx%s\"", size,
	    (uint64_t)mtime_sec, mtime_nsec, gzip ? "-gz" : "");
}

/* The opaque-tag of an entity tag, without W/ and quotes. */
static struct slice
opaque(struct slice t)
{
	if (t.len >= 2 && t.p[0] == 'W' && t.p[1] == '/') {
		t.p += 2;
		t.len -= 2;
	}
	if (t.len >= 2 && t.p[0] == '"' && t.p[t.len - 1] == '"') {
		t.p++;
		t.len -= 2;
	}
	return t;
}

int
cond_etag_match(struct slice inm, const char *etag)
{
	struct slice	 want = opaque(slice_cstr(etag)), tag;
	size_t		 i = 0, start;

	if (inm.p == NULL)
		return 0;
	if (slice_eq_cstr(slice_trim(inm), "*"))
		return 1;
	while (i < inm.len) {
		start = i;
		while (i < inm.len && inm.p[i] != ',')
			i++;
		tag = slice_trim(slice_from(inm.p + start, i - start));
		if (tag.len > 0 && slice_eq(opaque(tag), want))
			return 1;
		i++;
	}
	return 0;
}

int
cond_not_modified(struct slice inm, struct slice ims, const char *etag,
    time_t mtime)
{
	time_t	since;

	if (inm.p != NULL)
		return cond_etag_match(inm, etag);
	if (ims.p == NULL || cond_date_parse(ims, &since) < 0)
		return 0;
	return mtime <= since;
}
