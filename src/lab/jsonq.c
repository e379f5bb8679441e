/* jsonq.c — read-only JSON queries for the files bench and director write,
 * over the shared reader (common/jsonread.h): the text is parsed into a tree,
 * then every scalar is reported with its path. Depth (32) and path length (511)
 * stay bounded as before; numbers and literals are given as written. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonread.h"
#include "lab/lab.h"

#define JQ_PATH_MAX  512
#define JQ_DEPTH_MAX 32

struct jq {
	const char *text;
	char path[JQ_PATH_MAX];
	size_t plen;
	void (*fn)(const char *path, const char *value, void *ctx);
	void *ctx;
};

/* Appends "/seg" (or "seg" at the root) to the path; returns the old length. */
static size_t path_push(struct jq *q, const char *seg)
{
	size_t old = q->plen;
	int w = snprintf(q->path + q->plen, sizeof(q->path) - q->plen, "%s%s", old ? "/" : "", seg);
	if (w > 0)
		q->plen += (size_t)w < sizeof(q->path) - q->plen ? (size_t)w
								 : sizeof(q->path) - q->plen - 1;
	return old;
}

static void path_pop(struct jq *q, size_t old)
{
	q->plen = old;
	q->path[old] = '\0';
}

/* A scalar to fn: strings decoded, numbers and true/false/null as written. */
static void report(struct jq *q, const struct jr_value *v)
{
	if (!q->fn)
		return;
	if (v->type == JR_STR) {
		q->fn(q->path, v->str, q->ctx);
		return;
	}
	char *raw = strndup(q->text + v->off, v->len);
	if (raw)
		q->fn(q->path, raw, q->ctx);
	free(raw);
}

static int walk_value(struct jq *q, const struct jr_value *v, int depth)
{
	if (depth > JQ_DEPTH_MAX)
		return -EINVAL;
	if (v->type != JR_OBJ && v->type != JR_ARR) {
		report(q, v);
		return 0;
	}
	for (size_t i = 0; i < v->n; i++) {
		char idx[24];
		snprintf(idx, sizeof(idx), "%zu", i);
		size_t old = path_push(q, v->type == JR_OBJ ? v->keys[i] : idx);
		int ret = walk_value(q, &v->items[i], depth + 1);
		path_pop(q, old);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int lab_json_walk(const char *text, void (*fn)(const char *path, const char *value, void *ctx),
		  void *ctx)
{
	struct jq q = {.text = text, .fn = fn, .ctx = ctx};
	struct jr_value *v = jr_parse(text, NULL, 0);
	if (!v)
		return -EINVAL;
	int ret = walk_value(&q, v, 1);
	jr_free(v);
	return ret;
}

struct get_ctx {
	const char *want;
	char *out;
	size_t len;
	int found;
};

static void get_cb(const char *path, const char *value, void *ctx)
{
	struct get_ctx *g = ctx;
	if (!g->found && strcmp(path, g->want) == 0) {
		snprintf(g->out, g->len, "%s", value);
		g->found = 1;
	}
}

int lab_json_get(const char *text, const char *path, char *out, size_t len)
{
	struct get_ctx g = {.want = path, .out = out, .len = len};
	int ret = lab_json_walk(text, get_cb, &g);
	if (ret < 0)
		return ret;
	return g.found ? 0 : -ENOENT;
}

int lab_json_num(const char *text, const char *path, double *out)
{
	char buf[64], *end;
	int ret = lab_json_get(text, path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	double v = strtod(buf, &end);
	if (end == buf || *end)
		return -EINVAL;
	*out = v;
	return 0;
}
