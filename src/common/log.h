/* log.h — leveled logging to stderr with a wall-clock timestamp.
 * Library code logs and returns errors; only main() decides to exit. */
#ifndef MQLB_LOG_H
#define MQLB_LOG_H

#include <stddef.h>

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_LEVEL_COUNT };

/* Messages above this level are dropped; default LOG_INFO, MQLB_LOG=debug env raises it. */
extern enum log_level log_threshold;
/* Name shown in front of each line ("mqlb director[a]"); borrowed, must outlive logging. */
void log_set_prefix(const char *prefix);
/* Sets log_threshold from MQLB_LOG (error, warning, info, debug); unset or
 * unknown: unchanged. */
void log_init_from_env(void);

/* One line on stderr ("HH:MM:SS.mmm PREFIX: LEVEL: message", no level for
 * info) when lvl is within log_threshold; one write, so threads do not mix. */
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Formats into a caller's error buffer, the way library calls report what
 * failed without logging it themselves; err NULL or errlen 0: does nothing. */
void errbuf_printf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                                                             \
	do {                                                                                       \
		if (log_threshold >= LOG_DEBUG)                                                    \
			log_msg(LOG_DEBUG, __VA_ARGS__);                                           \
	} while (0)

#endif
