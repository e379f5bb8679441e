/* opt.c — see opt.h. */
#include "common/opt.h"

#include <getopt.h>
#include <stdarg.h>
#include <string.h>

#include "common/cli.h"

#define OPT_MAX	     64
#define OPT_COLUMN   25 /* where help text starts */
#define OPT_VAL_OFF  256
#define OPT_VAL_HELP 255 /* --help when -h belongs to an option */

static size_t count(const struct opt *const *opts)
{
	size_t n = 0;
	while (opts && opts[n])
		n++;
	return n;
}

void opt_help_options(FILE *f, const struct opt *const *opts)
{
	for (size_t i = 0; opts && opts[i]; i++) {
		const struct opt *o = opts[i];
		char head[96];
		int n = snprintf(head, sizeof(head), "  --%s%s%s", o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		fputs(head, f);
		/* a long head gets two spaces, as hand-written help did */
		fprintf(f, "%*s", n < OPT_COLUMN - 1 ? OPT_COLUMN - n : 2, "");
		for (const char *l = o->help; *l;) {
			size_t len = strcspn(l, "\n");
			fprintf(f, "%.*s\n", (int)len, l);
			l += len;
			if (*l == '\n' && *++l)
				fprintf(f, "%*s", OPT_COLUMN, "");
		}
	}
}

void opt_help(FILE *f, const struct opt_cmd *c)
{
	fprintf(f, "Usage: mqlb %s %s\n", c->name, c->usage ? c->usage : "");
	if (c->summary)
		fprintf(f, "%s\n", c->summary);
	if (count(c->opts)) {
		fprintf(f, "\nOptions:\n");
		opt_help_options(f, c->opts);
	}
	if (c->about)
		fprintf(f, "\n%s", c->about);
}

/* Is name (its first len chars) one of opts? */
static int in_list(const struct opt *const *opts, const char *name, size_t len)
{
	for (size_t i = 0; opts && opts[i]; i++)
		if (strlen(opts[i]->name) == len && strncmp(opts[i]->name, name, len) == 0)
			return 1;
	return 0;
}

/* Is -ch one of opts' short names? */
static int in_shorts(const struct opt *const *opts, int ch)
{
	for (size_t i = 0; opts && opts[i]; i++)
		if (opts[i]->short_name && opts[i]->short_name == ch)
			return 1;
	return 0;
}

/* Is word (--name[=v] or -c) an option of a sibling of c? */
static int sibling_flag(const struct opt_cmd *family, size_t nfamily, const char *word, int ch)
{
	size_t len = strcspn(word, "=");
	for (size_t k = 0; k < nfamily; k++)
		if (strncmp(word, "--", 2) == 0 ? in_list(family[k].opts, word + 2, len - 2)
						: in_shorts(family[k].opts, ch))
			return 1;
	return 0;
}

static int say(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return CLI_USAGE;
}

/* The one line for a flag getopt did not take ('?') or that lacks its value
 * (':'); optopt is the short option getopt names (< OPT_VAL_HELP), if any. */
static int refuse(const struct opt_cmd *c, const struct opt_cmd *family, size_t nfamily, int ch,
		  const char *arg, char *err, size_t errlen)
{
	char word[64];
	if (optopt > 0 && optopt < OPT_VAL_HELP)
		snprintf(word, sizeof(word), "-%c", optopt);
	else
		snprintf(word, sizeof(word), "%s", arg);
	if (ch == ':')
		return say(err, errlen, "%s needs a value", word);
	size_t len = strcspn(word, "=");
	if ((strncmp(word, "--", 2) == 0 || optopt > 0) &&
	    sibling_flag(family, nfamily, word, optopt)) {
		char hint[160] = "";
		if (c->refused_hint &&
		    (!c->hint_for ||
		     (strncmp(word, "--", 2) == 0 ? in_list(c->hint_for, word + 2, len - 2)
						  : in_shorts(c->hint_for, optopt))))
			snprintf(hint, sizeof(hint), c->refused_hint, word);
		return say(err, errlen, "%.*s does not apply to '%s'%s", (int)len, word, c->name,
			   hint);
	}
	return say(err, errlen, "unknown option '%s'", word);
}

/* getopt's short option string: ":" (missing values reported as ':'), "h"
 * for help unless an option has -h, then each short name with ':' for a
 * value, "::" for an optional one. */
static void short_string(const struct opt *const *opts, size_t n, char *out)
{
	size_t k = 0;
	out[k++] = ':';
	if (!in_shorts(opts, 'h'))
		out[k++] = 'h';
	for (size_t i = 0; i < n; i++) {
		if (!opts[i]->short_name)
			continue;
		out[k++] = opts[i]->short_name;
		if (opts[i]->arg)
			out[k++] = ':';
		if (opts[i]->arg && opts[i]->is_value)
			out[k++] = ':';
	}
	out[k] = '\0';
}

/* The option getopt returned as ch: its short name or OPT_VAL_OFF + index. */
static const struct opt *by_value(const struct opt *const *opts, size_t n, int ch)
{
	if (ch >= OPT_VAL_OFF && ch < OPT_VAL_OFF + (int)n)
		return opts[ch - OPT_VAL_OFF];
	for (size_t i = 0; ch > 0 && ch < OPT_VAL_HELP && i < n; i++)
		if (opts[i]->short_name == ch)
			return opts[i];
	return NULL;
}

/* Gives o its value: an optional one may be the next word (is_value). */
static int take(const struct opt *o, void *ctx, const char *cmd, int argc, char **argv)
{
	const char *v = o->arg ? optarg : NULL;
	if (o->arg && o->is_value && !v && optind < argc && o->is_value(argv[optind]))
		v = argv[optind++];
	return o->take(ctx, cmd, v);
}

int opt_parse_quiet(const struct opt_cmd *c, const struct opt_cmd *family, size_t nfamily,
		    void *ctx, int argc, char **argv, const char **args, unsigned *nargs, char *err,
		    size_t errlen)
{
	struct option lo[OPT_MAX + 2];
	char shorts[3 * OPT_MAX + 3];
	size_t n = count(c->opts);
	if (n > OPT_MAX)
		return say(err, errlen, "internal: too many options");
	int own_h = in_shorts(c->opts, 'h');
	for (size_t i = 0; i < n; i++) {
		const struct opt *o = c->opts[i];
		lo[i] =
		    (struct option){o->name,
				    !o->arg	  ? no_argument
				    : o->is_value ? optional_argument
						  : required_argument,
				    NULL, o->short_name ? o->short_name : (int)(OPT_VAL_OFF + i)};
	}
	lo[n] = (struct option){"help", no_argument, NULL, own_h ? OPT_VAL_HELP : 'h'};
	lo[n + 1] = (struct option){NULL, 0, NULL, 0};
	short_string(c->opts, n, shorts);
	optind = 0; /* 0, not 1: glibc then also forgets where it was in a word
		     * (-abc) when an earlier parse stopped early */
	opterr = 0;
	int ch, r;
	while ((ch = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		if (ch == OPT_VAL_HELP || (ch == 'h' && !own_h))
			return OPT_HELP_ASKED;
		const struct opt *o = ch == '?' || ch == ':' ? NULL : by_value(c->opts, n, ch);
		if (!o)
			return refuse(c, family, nfamily, ch, argv[optind - 1], err, errlen);
		if ((r = take(o, ctx, c->name, argc, argv)) != 0)
			return r;
	}
	*nargs = 0;
	for (; optind < argc; optind++) {
		if (*nargs == c->max_args)
			return say(err, errlen, "unexpected argument '%s'", argv[optind]);
		args[(*nargs)++] = argv[optind];
	}
	return 0;
}

int opt_parse(const struct opt_cmd *c, const struct opt_cmd *family, size_t nfamily, void *ctx,
	      int argc, char **argv, const char **args, unsigned *nargs)
{
	char err[256] = "";
	int r = opt_parse_quiet(c, family, nfamily, ctx, argc, argv, args, nargs, err, sizeof(err));
	if (r == OPT_HELP_ASKED) {
		opt_help(stdout, c);
		return OPT_HELP_SHOWN;
	}
	if (r == CLI_USAGE && err[0])
		return cli_usage_error(c->name, "%s", err);
	return r;
}
