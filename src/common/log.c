#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum log_level log_threshold = LOG_INFO;
static const char *log_prefix = "mqlb";
static const char *const level_names[LOG_LEVEL_COUNT] = {"error", "warning", "info", "debug"};

void log_set_prefix(const char *prefix)
{
	log_prefix = prefix;
}

void log_init_from_env(void)
{
	const char *v = getenv("MQLB_LOG");
	if (!v)
		return;
	for (int i = 0; i < LOG_LEVEL_COUNT; i++)
		if (strcmp(v, level_names[i]) == 0)
			log_threshold = (enum log_level)i;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	if (lvl > log_threshold)
		return;
	struct timespec ts;
	struct tm tm;
	char when[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);

	/* One fprintf per line so lines from several threads do not interleave. */
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s.%03ld %s: %s%s%s\n", when, ts.tv_nsec / 1000000, log_prefix,
		lvl == LOG_INFO ? "" : level_names[lvl], lvl == LOG_INFO ? "" : ": ", msg);
}

void errbuf_printf(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
