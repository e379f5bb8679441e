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

void json_init(struct json *j, FILE *out);
/* key is NULL inside arrays and at top level */
void json_obj_begin(struct json *j, const char *key);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);
void json_str(struct json *j, const char *key, const char *val);
void json_u64(struct json *j, const char *key, uint64_t val);
void json_i64(struct json *j, const char *key, int64_t val);
void json_double(struct json *j, const char *key, double val); /* non-finite -> null */
void json_bool(struct json *j, const char *key, int val);
void json_null(struct json *j, const char *key);

#endif
