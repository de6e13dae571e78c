/* status: the local state and the key as the token reports it; no network. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "commands.h"

enum ca_status
cmd_status(struct agent *agent, cJSON *result, struct ca_error *err)
{
	struct stat st;
	enum ca_status r;

	/* No state directory yet: this machine was never connected. */
	if (stat(agent->opt.state_dir, &st) != 0 && errno == ENOENT) {
		if (cJSON_AddStringToObject(result, "state", "not-connected") ==
		    NULL)
			return ca_error_set(err, CA_ERR_INTERNAL,
			    "out of memory");
		if (!agent->opt.json)
			(void)printf("state:         not-connected (no state "
			    "directory %s; run 'compass-agent connect')\n",
			    agent->opt.state_dir);
		return CA_OK;
	}
	r = agent_open_state(agent, false, err);
	if (r != CA_OK)
		return r;
	return report_generation(agent, result, err);
}
