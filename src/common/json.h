/* json.h — a small streaming JSON writer (no DOM). Commas and nesting are
 * tracked for the caller; strings are escaped. Writes to a borrowed FILE *.
 *
 *   struct json j; json_init(&j, stdout);
 *   json_obj_begin(&j, NULL);
 *   json_u64(&j, "published", 6000); json_str(&j, "mode", "run");
 *   json_obj_begin(&j, "latency_us"); ... json_obj_end(&j);
 *   json_obj_end(&j);   (prints a final newline at depth 0)
 */
#ifndef MQLB_JSON_H
#define MQLB_JSON_H

#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *out;
	int depth;
	int need_comma[JSON_MAX_DEPTH];
};

/* Starts a document on out (borrowed: the caller closes it); nothing written yet. */
void json_init(struct json *j, FILE *out);
/* Each writes at once to j's FILE, with the comma and "key": it needs; key is
 * NULL inside arrays and at top level. Nothing is returned: a write error
 * shows on the FILE (ferror, fclose). */
/* Opens an object ({); json_obj_end closes the innermost one (}). */
void json_obj_begin(struct json *j, const char *key);
/* Closes the object json_obj_begin opened. */
void json_obj_end(struct json *j);
/* Opens an array ([); json_arr_end closes it (]). */
void json_arr_begin(struct json *j, const char *key);
/* Closes the array json_arr_begin opened. */
void json_arr_end(struct json *j);
/* A string, escaped (RFC 8259); NULL is written as "". */
void json_str(struct json *j, const char *key, const char *val);
/* An unsigned integer, exact (all 64 bits). */
void json_u64(struct json *j, const char *key, uint64_t val);
/* A signed integer, exact. */
void json_i64(struct json *j, const char *key, int64_t val);
/* A number; non-finite -> null. */
void json_double(struct json *j, const char *key, double val);
/* true / false (val != 0). */
void json_bool(struct json *j, const char *key, int val);
/* null. */
void json_null(struct json *j, const char *key);

#endif
