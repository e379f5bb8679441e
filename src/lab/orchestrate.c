/* orchestrate.c — placeholder until the orchestration lands. */
#include "common/cli.h"
#include "common/log.h"
#include "lab/run.h"

int lab_cmd_run(const struct lab_opts *o);

int lab_cmd_run(const struct lab_opts *o)
{
	(void)o;
	log_error("lab run: not implemented yet");
	return CLI_FAIL;
}
