/* jsonread.h — a small JSON reader (DOM) for `mqlb bench merge`: it reads back
 * what `bench sub/pub --json` wrote. Strict RFC 8259 syntax; integers that fit
 * a u64 are kept exactly (doubles would lose sequence numbers above 2^53). */
#ifndef MQLB_BENCH_JSONREAD_H
#define MQLB_BENCH_JSONREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum bjson_type {
	BJSON_NULL = 0,
	BJSON_BOOL,
	BJSON_NUM,
	BJSON_STR,
	BJSON_ARR,
	BJSON_OBJ,
	BJSON_TYPE_COUNT
};

struct bjson {
	enum bjson_type type;
	bool b;
	bool is_u64; /* a non-negative integer that fits: u is exact */
	uint64_t u;
	double num;
	char *str;	     /* BJSON_STR: decoded (owned) */
	size_t n;	     /* ARR/OBJ: items */
	struct bjson *items; /* owned */
	char **keys;	     /* OBJ: owned */
};

/* Parses text (NUL-terminated). Returns a tree the caller frees with
 * bjson_free(), or NULL with a message in err. */
struct bjson *bjson_parse(const char *text, char *err, size_t errlen);
/* Reads a whole file and parses it. */
struct bjson *bjson_parse_file(const char *path, char *err, size_t errlen);
void bjson_free(struct bjson *v);
/* Member of an object, NULL if absent or v is not an object. Borrowed. */
const struct bjson *bjson_get(const struct bjson *v, const char *key);
/* A number as u64: exact when it is an integer that fits, else the double
 * truncated and clamped to [0, UINT64_MAX]; def when v is not a number. */
uint64_t bjson_u64(const struct bjson *v, uint64_t def);
double bjson_num(const struct bjson *v, double def);
const char *bjson_str(const struct bjson *v, const char *def);
bool bjson_bool(const struct bjson *v, bool def);

#endif
