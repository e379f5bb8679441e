/* parse.h — strict parsing of command-line values. Each returns 0 on success or
 * -EINVAL (not a number / bad unit) / -ERANGE (outside [min, max]); nothing is
 * written to *out on error. Callers print the message and exit 2. */
#ifndef MQLB_PARSE_H
#define MQLB_PARSE_H

#include <stdint.h>

/* A decimal unsigned number in [min, max] (no sign, no spaces, no suffix). */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* A decimal int in [min, max] (a leading '-' allowed). */
int parse_int(const char *s, int min, int max, int *out);
/* "400ms", "1s", "2.5s", "100us", "1m"; a bare number is in default_unit_ns. */
int parse_duration_ns(const char *s, uint64_t default_unit_ns, uint64_t *out);
/* "128M", "1G", "512k", "4096" (bytes); binary multiples (M = 2^20). */
int parse_size(const char *s, uint64_t *out);
/* a non-negative decimal, e.g. CPU shares "0.25" */
int parse_double(const char *s, double min, double max, double *out);

#endif
