/* run: the renewal daemon (daemon.c does the work). */
#include <errno.h>
#include <stdlib.h>

#include "commands.h"
#include "daemon.h"
#include "log.h"

/* Only test builds shorten the daemon's timing; see docs/daemon.md. */
#define TIME_SCALE_ENV "COMPASS_AGENT_TEST_TIME_SCALE"

static double
time_scale_from_environment(void)
{
	const char *text = getenv(TIME_SCALE_ENV);
	char *end = NULL;
	double scale;

	if (text == NULL)
		return 1;
#ifdef CA_TEST_TIME_SCALE
	errno = 0;
	scale = strtod(text, &end);
	if (errno == 0 && end != text && *end == '\0' && scale > 0 &&
	    scale <= 1)
		return scale;
	log_warning("ignoring %s='%s': expected a number in (0, 1]",
	    TIME_SCALE_ENV, text);
#else
	(void)end;
	(void)scale;
	log_warning("ignoring %s: only test builds honour it", TIME_SCALE_ENV);
#endif
	return 1;
}

enum ca_status
cmd_run(struct agent *agent, cJSON *result, struct ca_error *err)
{
	enum ca_status r;

	/* The daemon logs in again after token resets; see struct agent. */
	agent->keep_pin = true;

	/* With a token file to wait for, the first connect may come later. */
	r = agent_open_state(agent, agent->opt.one_time_token_file != NULL, err);
	if (r != CA_OK)
		return r;
	r = daemon_run(agent, time_scale_from_environment(), err);
	if (r != CA_OK)
		return r;
	if (cJSON_AddBoolToObject(result, "stopped", true) == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
	return CA_OK;
}
