/* cli.h — conventions every subcommand follows (see src/mqlb.c):
 *   int cmd_x(int argc, char **argv)   argv[0] is the subcommand's name
 *   --help prints usage to stdout and returns 0; misuse prints one line naming
 *   the bad flag or value to stderr and returns CLI_USAGE (2). Runtime failure
 *   returns 1. Only main() calls exit(). */
#ifndef MQLB_CLI_H
#define MQLB_CLI_H

#define CLI_OK	  0
#define CLI_FAIL  1
#define CLI_USAGE 2

/* Prints "mqlb: <fmt>\n(try 'mqlb <cmd> --help')" to stderr; returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
