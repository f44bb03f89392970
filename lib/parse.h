#ifndef PAAS_PARSE_H
#define PAAS_PARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Every number from outside goes through here (OpenBSD strtonum): only
 * decimal digits, no sign, no spaces, no leading '+', within [min, max].
 * Returns 0, or -EINVAL (not a number) or -ERANGE (out of bounds).
 */
int	parse_u64(const char *s, size_t len, uint64_t min, uint64_t max,
	    uint64_t *out);
int	parse_int(const char *s, int min, int max, int *out);
/*
 * parse_size(): a byte count, digits with an optional binary suffix
 * K, M or G (1K = 1024), e.g. "1G", "512M", "100000"; within [min, max].
 */
int	parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);

#endif
