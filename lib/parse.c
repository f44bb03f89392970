#include <errno.h>
#include <string.h>

#include "parse.h"

int
parse_u64(const char *s, size_t len, uint64_t min, uint64_t max,
    uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;

	if (s == NULL || len == 0 || len > 20)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int
parse_int(const char *s, int min, int max, int *out)
{
	uint64_t	 v;
	long long	 val;
	int		 neg = 0, rc;

	if (s == NULL)
		return -EINVAL;
	if (*s == '-') {
		neg = 1;
		s++;
	}
	rc = parse_u64(s, strlen(s), 0, (uint64_t)1 << 31, &v);
	if (rc)
		return rc;
	val = neg ? -(long long)v : (long long)v;
	if (val < min || val > max)
		return -ERANGE;
	*out = (int)val;
	return 0;
}
