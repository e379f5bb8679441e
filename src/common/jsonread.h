/* jsonread.h — the one JSON reader (DOM) of mqlb, for text another process
 * wrote: `bench merge` on bench's --json files, the lab on bench and director
 * files (lab/jsonq.c), the monitor on a director's status, the nft dataplane on
 * `nft -j` counters. Strict RFC 8259 syntax, depth bounded (64), fuzzed
 * (tests/fuzz/fuzz_json_read.c); integers that fit a u64 are kept exactly
 * (doubles would lose sequence numbers above 2^53). */
#ifndef MQLB_COMMON_JSONREAD_H
#define MQLB_COMMON_JSONREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum jr_type { JR_NULL = 0, JR_BOOL, JR_NUM, JR_STR, JR_ARR, JR_OBJ, JR_TYPE_COUNT };

struct jr_value {
	enum jr_type type;
	bool b;
	bool is_u64; /* a non-negative integer that fits: u is exact */
	uint64_t u;
	double num;
	char *str;		/* JR_STR: decoded (owned) */
	size_t n;		/* ARR/OBJ: items */
	struct jr_value *items; /* owned */
	char **keys;		/* OBJ: owned */
	size_t off, len;	/* where the value is in the parsed text: a number
			      * "as written" is text + off, len bytes */
};

/* Parses text (NUL-terminated). Returns a tree the caller frees with
 * jr_free(), or NULL with a message in err. */
struct jr_value *jr_parse(const char *text, char *err, size_t errlen);
/* Reads a whole file and parses it (off/len then point into a copy that is
 * gone: only their lengths are meaningful). */
struct jr_value *jr_parse_file(const char *path, char *err, size_t errlen);
/* Frees a tree from jr_parse*(); NULL is a no-op. */
void jr_free(struct jr_value *v);
/* Member of an object, NULL if absent or v is not an object. Borrowed. */
const struct jr_value *jr_get(const struct jr_value *v, const char *key);
/* A number as u64: exact when it is an integer that fits, else the double
 * truncated and clamped to [0, UINT64_MAX]; def when v is not a number. */
uint64_t jr_u64(const struct jr_value *v, uint64_t def);
/* The number as a double; def when v is NULL or not a number. */
double jr_num(const struct jr_value *v, double def);
/* The string (borrowed from the document, NUL-terminated); def when v is NULL
 * or not a string. */
const char *jr_str(const struct jr_value *v, const char *def);
/* The boolean; def when v is NULL or not true/false. */
bool jr_bool(const struct jr_value *v, bool def);

#endif
