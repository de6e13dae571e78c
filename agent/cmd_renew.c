/* renew: replace the certificate, with a new key unless --keep-key. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "enroll.h"
#include "log.h"
#include "recovery.h"
#include "renewal.h"

static bool
renewal_due(const struct agent *agent, time_t *due)
{
	double fraction = 0;
	long seconds = 0;

	(void)renew_before_parse(agent->opt.renew_before, &fraction, &seconds);
	*due = renewal_due_time(agent->state.not_before,
	    agent->state.not_after, fraction, seconds);
	return time(NULL) >= *due;
}

enum ca_status
cmd_renew(struct agent *agent, cJSON *result, struct ca_error *err)
{
	char when[32];
	time_t due;
	enum ca_status r;

	if (agent->opt.key_type != NULL)
		return ca_error_set(err, CA_ERR_USAGE, "renew keeps the key "
		    "type of the current key; --key-type is for connect");
	r = agent_open_state(agent, false, err);
	if (r != CA_OK)
		return r;
	/* Finish or roll back an interrupted rotation, due or not. */
	r = recovery_run_local(agent, err);
	if (r != CA_OK)
		return r;
	r = agent_require_connected(agent, err);
	if (r != CA_OK)
		return r;
	if (recovery_proof_pending(agent)) {
		r = recovery_run(agent, err);
		if (r != CA_OK)
			return r;
	}

	if (!agent->opt.force && !renewal_due(agent, &due)) {
		time_to_rfc3339(due, when);
		if (!agent->opt.json)
			(void)printf("renewal not due until %s; use --force "
			    "to renew now\n", when);
		if (cJSON_AddBoolToObject(result, "renewed", false) == NULL ||
		    cJSON_AddStringToObject(result, "due", when) == NULL)
			return ca_error_set(err, CA_ERR_INTERNAL,
			    "out of memory");
		return CA_OK;
	}

	/* Expired or revoked: renewal cannot work, say so before any call. */
	r = agent_load_credential(agent, err);
	if (r != CA_OK)
		return r;
	r = enroll_renew(agent, agent->opt.keep_key, err);
	if (r != CA_OK)
		return r;

	if (!agent->opt.json)
		(void)printf("renewed: new certificate serial %s\n",
		    agent->state.certificate_serial);
	if (cJSON_AddBoolToObject(result, "renewed", true) == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
	return report_generation(agent, result, err);
}
