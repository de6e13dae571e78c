/*
 * Messages for the admin. Only agent/ prints. Errors and warnings go to
 * stderr, so that stdout carries only the command's result (text or JSON).
 */
#ifndef COMPASS_AGENT_LOG_H
#define COMPASS_AGENT_LOG_H

#include "../common/error.h"

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARNING = 1,
	LOG_LEVEL_INFO = 2,
	LOG_LEVEL_DEBUG = 3,
};

/* Messages above this level are dropped. Default: LOG_LEVEL_INFO. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_error(const char *fmt, ...) CA_PRINTF(1, 2);
void log_warning(const char *fmt, ...) CA_PRINTF(1, 2);
void log_info(const char *fmt, ...) CA_PRINTF(1, 2);
void log_debug(const char *fmt, ...) CA_PRINTF(1, 2);

#endif
