/* opt.h — option tables: one table per (sub)command produces both getopt's long
 * options and the --help text, and each option is taken in by a small function
 * of its own (as wireguard-tools' wg.c dispatches subcommands from a table).
 * A flag that belongs to a sibling subcommand (same family) is refused by name:
 * "--cpus does not apply to 'cluster down'"; any other unknown flag is
 * "unknown option". Only long options (and -h). */
#ifndef MQLB_OPT_H
#define MQLB_OPT_H

#include <stddef.h>
#include <stdio.h>

/* One option. take() gets the caller's context, the command ("cluster up",
 * for messages) and the value (NULL for a flag without one); it returns 0, or
 * CLI_USAGE after printing one line (cli_usage_error; under opt_parse_quiet,
 * after putting it where its caller reads it). */
struct opt {
	const char *name; /* without "--" */
	const char *arg;  /* the value's name in --help ("N", "DIR"); NULL: no value */
	const char *help; /* lines separated by '\n' */
	int (*take)(void *ctx, const char *cmd, const char *value);
	char short_name; /* 'c' for -c too; 0: long only. An 'h' here leaves -h to the
			  * option (emqtt-bench's -h HOST): help is --help only */
	/* non-NULL: the value is optional (arg names it), attached (--clean=false,
	 * -Cfalse) or the next word when is_value(word) says it is one (-C false);
	 * without it take() gets NULL */
	int (*is_value)(const char *word);
};

/* One (sub)command: its name, what follows it on the usage line, the options
 * (pointers, so that subcommands share definitions; NULL-terminated), how many
 * positional arguments it takes, the text after the options in --help, and the
 * hint added when a sibling's flag in hint_for is refused (may be NULL or
 * take "%s", the refused flag, to name it). */
struct opt_cmd {
	const char *name;  /* "cluster up" */
	const char *usage; /* "[options]" */
	const char *summary;
	const struct opt *const *opts;
	unsigned max_args;
	const char *about;
	const char *refused_hint;
	const struct opt *const *hint_for; /* the flags the hint is for; NULL: all */
};

#define OPT_HELP_SHOWN (-1)
#define OPT_HELP_ASKED (-2)

/* Parses argv[1..argc) for c: every option's take() in command-line order;
 * positional arguments (at most c->max_args) into args[] and *nargs. family
 * [0..nfamily) are c's siblings (c may be among them), for the "does not
 * apply" message. Returns 0, OPT_HELP_SHOWN after printing c's --help to
 * stdout, or CLI_USAGE after one line on stderr. */
int opt_parse(const struct opt_cmd *c, const struct opt_cmd *family, size_t nfamily, void *ctx,
	      int argc, char **argv, const char **args, unsigned *nargs);

/* As opt_parse, but prints nothing (for a caller that reports errors its own
 * way, or a unit test): its own one-line errors go into err (errlen bytes) and
 * it returns CLI_USAGE; --help returns OPT_HELP_ASKED (the caller shows it); a
 * take() that fails reports as its caller arranged (through ctx). */
int opt_parse_quiet(const struct opt_cmd *c, const struct opt_cmd *family, size_t nfamily,
		    void *ctx, int argc, char **argv, const char **args, unsigned *nargs, char *err,
		    size_t errlen);

/* c's --help: "Usage: mqlb NAME USAGE", the summary, the options (aligned,
 * continuation lines indented), the about text. */
void opt_help(FILE *f, const struct opt_cmd *c);
/* Just the options, aligned, as in opt_help. */
void opt_help_options(FILE *f, const struct opt *const *opts);

#endif
