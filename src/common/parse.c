#include "common/parse.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_int(const char *s, int min, int max, int *out)
{
	char *end;
	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (*end != '\0' || isspace((unsigned char)*s))
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = (int)v;
	return 0;
}

int parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	if (!s || !(isdigit((unsigned char)*s) || *s == '.'))
		return -EINVAL;
	double v = strtod(s, &end);
	if (*end != '\0' || !isfinite(v))
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_duration_ns(const char *s, uint64_t default_unit_ns, uint64_t *out)
{
	static const struct {
		const char *suffix;
		double ns;
	} units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
	char *end;
	if (!s || !(isdigit((unsigned char)*s) || *s == '.'))
		return -EINVAL;
	double v = strtod(s, &end);
	double mult = (double)default_unit_ns;
	if (*end) {
		mult = 0;
		for (unsigned i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strcmp(end, units[i].suffix) == 0)
				mult = units[i].ns;
		if (mult == 0)
			return -EINVAL;
	}
	double ns = v * mult;
	if (!isfinite(ns) || ns < 0 || ns > 1e18)
		return -ERANGE;
	*out = (uint64_t)llround(ns);
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	char *end;
	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	double v = strtod(s, &end);
	double mult = 1;
	switch (toupper((unsigned char)*end)) {
	case '\0':
		break;
	case 'K':
		mult = 1024.0;
		break;
	case 'M':
		mult = 1024.0 * 1024;
		break;
	case 'G':
		mult = 1024.0 * 1024 * 1024;
		break;
	default:
		return -EINVAL;
	}
	if (*end) {
		end++;
		if (toupper((unsigned char)*end) == 'B' ||
		    (*end == 'i' && toupper((unsigned char)end[1]) == 'B'))
			end += *end == 'i' ? 2 : 1;
		if (*end)
			return -EINVAL;
	}
	double bytes = v * mult;
	if (!isfinite(bytes) || bytes > 1e18)
		return -ERANGE;
	*out = (uint64_t)llround(bytes);
	return 0;
}
