/* opt.c — see opt.h. */
#include "common/opt.h"

#include <getopt.h>
#include <string.h>

#include "common/cli.h"

#define OPT_MAX	    64
#define OPT_COLUMN  25 /* where help text starts */
#define OPT_VAL_OFF 256

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

/* Is --name (up to len chars) an option of a sibling of c? */
static int sibling_flag(const struct opt_cmd *family, size_t nfamily, const char *name, size_t len)
{
	for (size_t k = 0; k < nfamily; k++)
		if (in_list(family[k].opts, name, len))
			return 1;
	return 0;
}

/* The one line for a flag getopt did not take ('?') or that lacks its value. */
static int refuse(const struct opt_cmd *c, const struct opt_cmd *family, size_t nfamily, int ch,
		  const char *word)
{
	if (ch == ':')
		return cli_usage_error(c->name, "%s needs a value", word);
	size_t len = strcspn(word, "=");
	if (strncmp(word, "--", 2) == 0 && sibling_flag(family, nfamily, word + 2, len - 2)) {
		char hint[160] = "";
		if (c->refused_hint && (!c->hint_for || in_list(c->hint_for, word + 2, len - 2)))
			snprintf(hint, sizeof(hint), c->refused_hint, word);
		return cli_usage_error(c->name, "%.*s does not apply to '%s'%s", (int)len, word,
				       c->name, hint);
	}
	return cli_usage_error(c->name, "unknown option '%s'", word);
}

int opt_parse(const struct opt_cmd *c, const struct opt_cmd *family, size_t nfamily, void *ctx,
	      int argc, char **argv, const char **args, unsigned *nargs)
{
	struct option lo[OPT_MAX + 2];
	size_t n = count(c->opts);
	if (n > OPT_MAX)
		return cli_usage_error(c->name, "internal: too many options");
	for (size_t i = 0; i < n; i++)
		lo[i] = (struct option){c->opts[i]->name,
					c->opts[i]->arg ? required_argument : no_argument, NULL,
					(int)(OPT_VAL_OFF + i)};
	lo[n] = (struct option){"help", no_argument, NULL, 'h'};
	lo[n + 1] = (struct option){NULL, 0, NULL, 0};
	optind = 1;
	opterr = 0;
	int ch, r;
	while ((ch = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		if (ch == 'h') {
			opt_help(stdout, c);
			return OPT_HELP_SHOWN;
		}
		if (ch < OPT_VAL_OFF || ch >= OPT_VAL_OFF + (int)n)
			return refuse(c, family, nfamily, ch, argv[optind - 1]);
		const struct opt *o = c->opts[ch - OPT_VAL_OFF];
		if ((r = o->take(ctx, c->name, o->arg ? optarg : NULL)) != 0)
			return r;
	}
	*nargs = 0;
	for (; optind < argc; optind++) {
		if (*nargs == c->max_args)
			return cli_usage_error(c->name, "unexpected argument '%s'", argv[optind]);
		args[(*nargs)++] = argv[optind];
	}
	return 0;
}
