/* Levelled messages on stderr, prefixed with the program name. */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static enum log_level current_level = LOG_LEVEL_INFO;

void
log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level
log_get_level(void)
{
	return current_level;
}

CA_PRINTF(2, 0) static void
log_write(enum log_level level, const char *fmt, va_list ap)
{
	static const char *const prefixes[] = {
		[LOG_LEVEL_ERROR] = "error: ",
		[LOG_LEVEL_WARNING] = "warning: ",
		[LOG_LEVEL_INFO] = "",
		[LOG_LEVEL_DEBUG] = "debug: ",
	};

	if (level > current_level)
		return;
	(void)fprintf(stderr, "compass-agent: %s", prefixes[level]);
	(void)vfprintf(stderr, fmt, ap);
	(void)fputc('\n', stderr);
}

#define LOG_FUNCTION(name, level)		\
	void					\
	name(const char *fmt, ...)		\
	{					\
		va_list ap;			\
		va_start(ap, fmt);		\
		log_write(level, fmt, ap);	\
		va_end(ap);			\
	}

LOG_FUNCTION(log_error, LOG_LEVEL_ERROR)
LOG_FUNCTION(log_warning, LOG_LEVEL_WARNING)
LOG_FUNCTION(log_info, LOG_LEVEL_INFO)
LOG_FUNCTION(log_debug, LOG_LEVEL_DEBUG)
