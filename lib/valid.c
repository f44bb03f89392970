#include <errno.h>
#include <string.h>

#include "valid.h"

static int
is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(char c)
{
	return is_lower(c) || (c >= 'A' && c <= 'Z');
}

int
valid_app_name(const char *s, size_t len, struct perr *err)
{
	size_t i;

	if (len < 3 || len > VALID_APP_MAX)
		goto bad;
	if (!is_lower(s[0]))
		goto bad;
	for (i = 1; i < len; i++)
		if (!is_lower(s[i]) && !is_digit(s[i]) && s[i] != '-')
			goto bad;
	if (s[len - 1] == '-')
		goto bad;
	return 0;
bad:
	return perr_set(err, -EINVAL, "invalid app name: must be 3 to 30 "
	    "characters of lowercase letters, digits and dashes, start with a "
	    "letter and not end with a dash");
}

int
valid_config_key(const char *s, size_t len, struct perr *err)
{
	size_t i;

	if (len == 0 || len > VALID_KEY_MAX)
		return perr_set(err, -EINVAL, "invalid config key: must be 1 "
		    "to %d characters", VALID_KEY_MAX);
	if (!is_alpha(s[0]) && s[0] != '_')
		goto bad;
	for (i = 1; i < len; i++)
		if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '_')
			goto bad;
	if (len >= 5 && memcmp(s, "PAAS_", 5) == 0)
		return perr_set(err, -EINVAL, "invalid config key: the PAAS_ "
		    "prefix is reserved for the platform");
	return 0;
bad:
	return perr_set(err, -EINVAL, "invalid config key: use letters, "
	    "digits and underscores, not starting with a digit");
}

int
valid_config_value(const char *s, size_t len, struct perr *err)
{
	if (len > VALID_VALUE_MAX)
		return perr_set(err, -EINVAL, "config value too long: %zu "
		    "bytes, at most %d", len, VALID_VALUE_MAX);
	if (len && memchr(s, '\0', len) != NULL)
		return perr_set(err, -EINVAL, "config value contains a NUL "
		    "byte");
	return 0;
}

int
valid_process_type(const char *s, size_t len, struct perr *err)
{
	size_t i;

	if (len == 0 || len > VALID_TYPE_MAX || !is_lower(s[0]))
		goto bad;
	for (i = 1; i < len; i++)
		if (!is_lower(s[i]) && !is_digit(s[i]) && s[i] != '_' &&
		    s[i] != '-')
			goto bad;
	return 0;
bad:
	return perr_set(err, -EINVAL, "invalid process type: must be 1 to 63 "
	    "characters of lowercase letters, digits, '_' and '-', starting "
	    "with a letter");
}

int
valid_branch(const char *s, size_t len, struct perr *err)
{
	size_t i;

	if (len == 0 || len > VALID_BRANCH_MAX || !(is_digit(s[0]) ||
	    is_lower(s[0]) || (s[0] >= 'A' && s[0] <= 'Z')) ||
	    s[len - 1] == '.' || (len >= 5 && memcmp(s + len - 5, ".lock",
	    5) == 0))
		goto bad;
	for (i = 1; i < len; i++)
		if (!is_digit(s[i]) && !is_lower(s[i]) &&
		    !(s[i] >= 'A' && s[i] <= 'Z') && s[i] != '.' &&
		    s[i] != '_' && s[i] != '-')
			goto bad;
		else if (s[i] == '.' && s[i - 1] == '.')
			goto bad;
	return 0;
bad:
	return perr_set(err, -EINVAL, "invalid branch name: 1 to 63 letters, "
	    "digits, '.', '_' and '-', starting with a letter or digit, "
	    "no '..', not ending in '.' or '.lock'");
}

int
valid_hostname(const char *s, size_t len, int wildcard, struct perr *err)
{
	size_t i, label = 0;

	if (wildcard && len > 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		len -= 2;
	}
	if (len == 0 || len > VALID_HOST_MAX)
		goto bad;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				goto bad;
			label = 0;
			continue;
		}
		if (!is_alpha(c) && !is_digit(c) && c != '-')
			goto bad;
		if (c == '-' && label == 0)
			goto bad;
		if (++label > 63)
			goto bad;
	}
	if (label == 0 || s[len - 1] == '-')
		goto bad;
	return 0;
bad:
	return perr_set(err, -EINVAL, "invalid hostname: use dot-separated "
	    "labels of letters, digits and dashes (RFC 1123)%s",
	    wildcard ? ", optionally starting with '*.'" : "");
}

int
valid_size(const char *s, size_t len, struct perr *err)
{
	static const char *const sizes[] = { "basic", "standard",
	    "performance" };
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (strlen(sizes[i]) == len && memcmp(sizes[i], s, len) == 0)
			return 0;
	return perr_set(err, -EINVAL, "invalid size: must be basic, standard "
	    "or performance");
}
