/* Named crash points; see crashpoint.h. Empty unless -DCA_CRASH_POINTS. */
#include "crashpoint.h"

#ifdef CA_CRASH_POINTS
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CRASH_ENV "COMPASS_AGENT_CRASH_AT"

/* Times the selected point was reached in this process. */
static unsigned long hits;

void
crash_point(const char *name)
{
	const char *want = getenv(CRASH_ENV);
	const char *at;
	size_t name_len;
	unsigned long nth = 1;
	char *end = NULL;

	if (want == NULL)
		return;
	name_len = strlen(name);
	if (strncmp(want, name, name_len) != 0)
		return;
	at = want + name_len;
	if (*at == '@') {
		errno = 0;
		nth = strtoul(at + 1, &end, 10);
		if (errno != 0 || end == at + 1 || *end != '\0' || nth == 0)
			return;
	} else if (*at != '\0') {
		return;
	}
	if (++hits < nth)
		return;
	(void)fprintf(stderr, "compass-agent: crash point %s reached; "
	    "killing the process\n", want);
	(void)fflush(stderr);
	(void)raise(SIGKILL);
}

void
crash_point_file(const char *step, const char *file)
{
	char name[256];

	if ((size_t)snprintf(name, sizeof(name), "%s:%s", step, file) >=
	    sizeof(name))
		return;
	crash_point(name);
}
#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int crash_points_disabled;
#endif
