/* jsonq.c — read-only JSON queries for the files bench and director write.
 * A small recursive-descent walker (RFC 8259 grammar) that reports every scalar
 * with its path; depth and path length are bounded, nothing is allocated. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lab.h"

#define JQ_PATH_MAX  512
#define JQ_DEPTH_MAX 32
#define JQ_VALUE_MAX 512

struct jq {
	const char *p;
	char path[JQ_PATH_MAX];
	size_t plen;
	int depth;
	void (*fn)(const char *path, const char *value, void *ctx);
	void *ctx;
};

static void skip_ws(struct jq *q)
{
	while (*q->p == ' ' || *q->p == '\t' || *q->p == '\n' || *q->p == '\r')
		q->p++;
}

/* Reads a string at q->p (on the opening quote) into out (truncated to len-1).
 * \uXXXX outside ASCII becomes '?': mqlb's files carry ASCII only. */
static int read_string(struct jq *q, char *out, size_t len)
{
	size_t n = 0;
	if (*q->p != '"')
		return -EINVAL;
	q->p++;
	while (*q->p && *q->p != '"') {
		char ch = *q->p++;
		if (ch == '\\') {
			char e = *q->p++;
			switch (e) {
			case 'n':
				ch = '\n';
				break;
			case 't':
				ch = '\t';
				break;
			case 'r':
				ch = '\r';
				break;
			case 'b':
				ch = '\b';
				break;
			case 'f':
				ch = '\f';
				break;
			case 'u': {
				char hex[5] = {0};
				for (int i = 0; i < 4; i++) {
					if (!q->p[i])
						return -EINVAL;
					hex[i] = q->p[i];
				}
				q->p += 4;
				long v = strtol(hex, NULL, 16);
				ch = v < 0x80 ? (char)v : '?';
				break;
			}
			case '\0':
				return -EINVAL;
			default:
				ch = e; /* \" \\ \/ */
			}
		}
		if (n + 1 < len)
			out[n++] = ch;
	}
	if (*q->p != '"')
		return -EINVAL;
	q->p++;
	out[n] = '\0';
	return 0;
}

static int walk_value(struct jq *q);

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

static int walk_object(struct jq *q)
{
	char key[JQ_VALUE_MAX];
	q->p++;
	skip_ws(q);
	if (*q->p == '}') {
		q->p++;
		return 0;
	}
	for (;;) {
		skip_ws(q);
		if (read_string(q, key, sizeof(key)) < 0)
			return -EINVAL;
		skip_ws(q);
		if (*q->p++ != ':')
			return -EINVAL;
		size_t old = path_push(q, key);
		int ret = walk_value(q);
		path_pop(q, old);
		if (ret < 0)
			return ret;
		skip_ws(q);
		if (*q->p == ',') {
			q->p++;
			continue;
		}
		if (*q->p == '}') {
			q->p++;
			return 0;
		}
		return -EINVAL;
	}
}

static int walk_array(struct jq *q)
{
	char idx[24];
	q->p++;
	skip_ws(q);
	if (*q->p == ']') {
		q->p++;
		return 0;
	}
	for (unsigned i = 0;; i++) {
		snprintf(idx, sizeof(idx), "%u", i);
		size_t old = path_push(q, idx);
		int ret = walk_value(q);
		path_pop(q, old);
		if (ret < 0)
			return ret;
		skip_ws(q);
		if (*q->p == ',') {
			q->p++;
			continue;
		}
		if (*q->p == ']') {
			q->p++;
			return 0;
		}
		return -EINVAL;
	}
}

static int walk_value(struct jq *q)
{
	char val[JQ_VALUE_MAX];
	int ret = 0;
	skip_ws(q);
	if (++q->depth > JQ_DEPTH_MAX)
		return -EINVAL;
	if (*q->p == '{') {
		ret = walk_object(q);
	} else if (*q->p == '[') {
		ret = walk_array(q);
	} else if (*q->p == '"') {
		ret = read_string(q, val, sizeof(val));
		if (ret == 0 && q->fn)
			q->fn(q->path, val, q->ctx);
	} else {
		size_t n = strcspn(q->p, ",}] \t\r\n");
		if (n == 0 || n >= sizeof(val))
			return -EINVAL;
		memcpy(val, q->p, n);
		val[n] = '\0';
		q->p += n;
		if (q->fn)
			q->fn(q->path, val, q->ctx);
	}
	q->depth--;
	return ret;
}

int lab_json_walk(const char *text, void (*fn)(const char *path, const char *value, void *ctx),
		  void *ctx)
{
	struct jq q = {.p = text, .fn = fn, .ctx = ctx};
	int ret = walk_value(&q);
	if (ret < 0)
		return ret;
	skip_ws(&q);
	return *q.p ? -EINVAL : 0;
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
