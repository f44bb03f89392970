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
parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	static const struct {
		char		c;
		unsigned	shift;
	} units[] = { { 'K', 10 }, { 'M', 20 }, { 'G', 30 } };
	uint64_t	v;
	size_t		len, i;
	unsigned	shift = 0;
	int		rc;

	if (s == NULL || (len = strlen(s)) == 0)
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (s[len - 1] == units[i].c) {
			shift = units[i].shift;
			len--;
		}
	if ((rc = parse_u64(s, len, 0, UINT64_MAX, &v)) != 0)
		return rc;
	if (v > (UINT64_MAX >> shift))
		return -ERANGE;
	v <<= shift;
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
