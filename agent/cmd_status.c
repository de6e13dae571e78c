/* status: the local state and the key as the token reports it; no network. */
#include "commands.h"

enum ca_status
cmd_status(struct agent *agent, cJSON *result, struct ca_error *err)
{
	enum ca_status r;

	r = agent_open_state(agent, false, err);
	if (r != CA_OK)
		return r;
	return report_generation(agent, result, err);
}
