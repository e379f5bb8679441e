#include "common/jsonread.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

struct parser {
	const char *p;
	const char *start;
	char *err;
	size_t errlen;
	int depth;
};

static int fail(struct parser *ps, const char *what)
{
	if (ps->err && !ps->err[0])
		snprintf(ps->err, ps->errlen, "%s at offset %ld", what, (long)(ps->p - ps->start));
	return -1;
}

static void ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
		ps->p++;
}

static int parse_value(struct parser *ps, struct jr_value *v);

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* One escape after the backslash (ps->p on the letter) appended to s at *n
 * (room for 3 bytes is there). 0, or -1 with the error set. */
static int unescape(struct parser *ps, char *s, size_t *n)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	char e = *ps->p++;
	const char *k = e ? strchr(from, e) : NULL;
	if (k) {
		s[(*n)++] = to[k - from];
		return 0;
	}
	unsigned u;
	if (e != 'u')
		return fail(ps, "bad escape");
	if (hex4(ps->p, &u) < 0)
		return fail(ps, "bad \\u escape");
	ps->p += 4;
	/* BMP only (our writer escapes control characters only) */
	if (u < 0x80) {
		s[(*n)++] = (char)u;
	} else if (u < 0x800) {
		s[(*n)++] = (char)(0xC0 | u >> 6);
		s[(*n)++] = (char)(0x80 | (u & 0x3F));
	} else {
		s[(*n)++] = (char)(0xE0 | u >> 12);
		s[(*n)++] = (char)(0x80 | ((u >> 6) & 0x3F));
		s[(*n)++] = (char)(0x80 | (u & 0x3F));
	}
	return 0;
}

static int parse_string(struct parser *ps, char **out)
{
	ps->p++; /* opening quote */
	size_t cap = 16, n = 0;
	char *s = malloc(cap);
	if (!s)
		return fail(ps, "out of memory");
	for (;;) {
		unsigned char c = (unsigned char)*ps->p;
		if (c == 0 || c < 0x20) {
			free(s);
			return fail(ps, "unterminated string");
		}
		if (n + 5 >= cap) {
			char *t = realloc(s, cap *= 2);
			if (!t) {
				free(s);
				return fail(ps, "out of memory");
			}
			s = t;
		}
		ps->p++;
		if (c == '"')
			break;
		if (c != '\\') {
			s[n++] = (char)c;
			continue;
		}
		if (unescape(ps, s, &n) < 0) {
			free(s);
			return -1;
		}
	}
	s[n] = 0;
	*out = s;
	return 0;
}

/* Length of the RFC 8259 number at s: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?,
 * 0 when there is none. strtod alone would also take hex floats, "inf" and
 * "nan"; *integer is set when the number has no fraction, exponent or sign. */
static size_t number_span(const char *s, bool *integer)
{
	const char *p = s;
	*integer = *p != '-';
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (isdigit((unsigned char)*p))
			p++;
	else
		return 0;
	if (*p == '.') {
		*integer = false;
		if (!isdigit((unsigned char)*++p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		*integer = false;
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return (size_t)(p - s);
}

static int parse_number(struct parser *ps, struct jr_value *v)
{
	bool integer;
	size_t len = number_span(ps->p, &integer);
	if (len == 0)
		return fail(ps, "bad number");
	v->type = JR_NUM;
	v->num = strtod(ps->p, NULL); /* stops where number_span did: the grammar is a subset */
	if (integer) {
		errno = 0;
		unsigned long long u = strtoull(ps->p, NULL, 10);
		if (errno == 0) {
			v->is_u64 = true;
			v->u = u;
		}
	}
	ps->p += len;
	return 0;
}

static int push(struct jr_value *v, struct jr_value *item, char *key)
{
	struct jr_value *items = realloc(v->items, (v->n + 1) * sizeof(*items));
	if (!items)
		return -1;
	v->items = items;
	if (v->type == JR_OBJ) {
		char **keys = realloc(v->keys, (v->n + 1) * sizeof(*keys));
		if (!keys)
			return -1;
		v->keys = keys;
		keys[v->n] = key;
	}
	items[v->n++] = *item;
	return 0;
}

static void free_inner(struct jr_value *v);

static int parse_container(struct parser *ps, struct jr_value *v, char close)
{
	v->type = close == '}' ? JR_OBJ : JR_ARR;
	if (++ps->depth > MAX_DEPTH)
		return fail(ps, "nested too deep");
	ps->p++;
	ws(ps);
	if (*ps->p == close) {
		ps->p++;
		ps->depth--;
		return 0;
	}
	for (;;) {
		char *key = NULL;
		ws(ps);
		if (close == '}') {
			if (*ps->p != '"')
				return fail(ps, "expected a key");
			if (parse_string(ps, &key) < 0)
				return -1;
			ws(ps);
			if (*ps->p != ':') {
				free(key);
				return fail(ps, "expected ':'");
			}
			ps->p++;
		}
		struct jr_value item = {0};
		if (parse_value(ps, &item) < 0 || push(v, &item, key) < 0) {
			free_inner(&item);
			free(key);
			return fail(ps, "bad value");
		}
		ws(ps);
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p == close) {
			ps->p++;
			ps->depth--;
			return 0;
		}
		return fail(ps, "expected ',' or end of container");
	}
}

static int parse_scalar_or_container(struct parser *ps, struct jr_value *v);

/* Every value records its span in the text (jr_value.off/len). */
static int parse_value(struct parser *ps, struct jr_value *v)
{
	ws(ps);
	v->off = (size_t)(ps->p - ps->start);
	int rc = parse_scalar_or_container(ps, v);
	v->len = (size_t)(ps->p - ps->start) - v->off;
	return rc;
}

static int parse_scalar_or_container(struct parser *ps, struct jr_value *v)
{
	switch (*ps->p) {
	case '{':
		return parse_container(ps, v, '}');
	case '[':
		return parse_container(ps, v, ']');
	case '"':
		v->type = JR_STR;
		return parse_string(ps, &v->str);
	case 't':
		if (strncmp(ps->p, "true", 4))
			return fail(ps, "bad literal");
		ps->p += 4;
		v->type = JR_BOOL;
		v->b = true;
		return 0;
	case 'f':
		if (strncmp(ps->p, "false", 5))
			return fail(ps, "bad literal");
		ps->p += 5;
		v->type = JR_BOOL;
		return 0;
	case 'n':
		if (strncmp(ps->p, "null", 4))
			return fail(ps, "bad literal");
		ps->p += 4;
		v->type = JR_NULL;
		return 0;
	default:
		return parse_number(ps, v);
	}
}

static void free_inner(struct jr_value *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free_inner(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
}

void jr_free(struct jr_value *v)
{
	if (!v)
		return;
	free_inner(v);
	free(v);
}

struct jr_value *jr_parse(const char *text, char *err, size_t errlen)
{
	struct parser ps = {text, text, err, errlen, 0};
	if (err && errlen)
		err[0] = 0;
	struct jr_value *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	if (parse_value(&ps, v) < 0) {
		jr_free(v);
		return NULL;
	}
	ws(&ps);
	if (*ps.p) {
		fail(&ps, "trailing data");
		jr_free(v);
		return NULL;
	}
	return v;
}

struct jr_value *jr_parse_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s", strerror(errno)); /* the caller names the file */
		return NULL;
	}
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (n + 1 < cap)
			break;
		char *t = realloc(buf, cap *= 2);
		if (!t) {
			free(buf);
			buf = NULL;
		} else {
			buf = t;
		}
	}
	fclose(f);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	buf[n] = 0;
	struct jr_value *v = jr_parse(buf, err, errlen);
	free(buf);
	return v;
}

const struct jr_value *jr_get(const struct jr_value *v, const char *key)
{
	if (!v || v->type != JR_OBJ)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->keys[i], key))
			return &v->items[i];
	return NULL;
}

uint64_t jr_u64(const struct jr_value *v, uint64_t def)
{
	if (!v || v->type != JR_NUM)
		return def;
	if (v->is_u64)
		return v->u;
	/* converting a double past UINT64_MAX (1e30) is undefined: clamp, and NaN-safe */
	if (!(v->num > 0))
		return 0;
	return v->num >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)v->num;
}

double jr_num(const struct jr_value *v, double def)
{
	return v && v->type == JR_NUM ? v->num : def;
}

const char *jr_str(const struct jr_value *v, const char *def)
{
	return v && v->type == JR_STR ? v->str : def;
}

bool jr_bool(const struct jr_value *v, bool def)
{
	return v && v->type == JR_BOOL ? v->b : def;
}
