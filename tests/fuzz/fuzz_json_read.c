/* fuzz_json_read.c — libFuzzer target for mqlb's one JSON reader of text that
 * other processes (or another host) wrote: common/jsonread (jr_parse, read by
 * `bench merge`, the monitor on a director's status and the nft dataplane on
 * `nft -j`), and the lab's path walker over it (lab_json_walk, read by the lab
 * report: it reports numbers as written from each value's span). The text is
 * an exact-size NUL-terminated heap copy. Every number is read back as u64,
 * double, string and bool, as the callers do, so UBSan sees each conversion
 * (1e30 as a u64 was undefined, issue 14.8), every key an object lists must be
 * found by jr_get, and every span must lie inside the text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonread.h"
#include "lab/lab.h"

static size_t visit(const struct jr_value *v, int depth, size_t size)
{
	if (!v || depth > 64)
		return 0;
	if (v->off > size || v->len > size - v->off)
		abort(); /* a span outside the text */
	(void)jr_u64(v, 0);
	(void)jr_num(v, 0);
	(void)jr_str(v, "");
	(void)jr_bool(v, false);
	if (v->type != JR_ARR && v->type != JR_OBJ)
		return 1;
	size_t n = 0;
	for (size_t i = 0; i < v->n; i++) {
		n += visit(&v->items[i], depth + 1, size);
		if (v->type == JR_OBJ && jr_get(v, v->keys[i]) == NULL)
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
	struct jr_value *v = jr_parse(text, err, sizeof(err));
	if (v)
		(void)visit(v, 0, size);
	size_t b = 0;
	(void)lab_json_walk(text, count_cb, &b);
	jr_free(v);
	free(text);
	return 0;
}
