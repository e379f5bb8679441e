/* fuzz_json_read.c — libFuzzer target for the two JSON readers of files that
 * other processes (or another host) wrote: bench's DOM reader (bjson_parse,
 * read by `bench merge`) and the lab's path walker (lab_json_walk, read by the
 * lab report). The text is an exact-size NUL-terminated heap copy. Every
 * number is read back as u64, double, string and bool, as the callers do, so
 * UBSan sees each conversion (1e30 as a u64 was undefined, issue 14.8), and
 * every key an object lists must be found by bjson_get. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench/jsonread.h"
#include "lab/lab.h"

static size_t visit(const struct bjson *v, int depth)
{
	if (!v || depth > 64)
		return 0;
	(void)bjson_u64(v, 0);
	(void)bjson_num(v, 0);
	(void)bjson_str(v, "");
	(void)bjson_bool(v, false);
	if (v->type != BJSON_ARR && v->type != BJSON_OBJ)
		return 1;
	size_t n = 0;
	for (size_t i = 0; i < v->n; i++) {
		n += visit(&v->items[i], depth + 1);
		if (v->type == BJSON_OBJ && bjson_get(v, v->keys[i]) == NULL)
			abort(); /* a key it listed must be found */
	}
	return n;
}

static void count_cb(const char *path, const char *value, void *ctx)
{
	(void)path;
	(void)value;
	++*(size_t *)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char err[128];
	struct bjson *v = bjson_parse(text, err, sizeof(err));
	if (v)
		(void)visit(v, 0);
	size_t b = 0;
	(void)lab_json_walk(text, count_cb, &b);
	bjson_free(v);
	free(text);
	return 0;
}
