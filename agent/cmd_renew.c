/* renew: replace the certificate, with a new key unless --keep-key. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "enroll.h"
#include "log.h"
#include "renewal.h"

/*
 * Finish what an interrupted run left: a key generated but never committed
 * is deleted; a committed generation whose predecessor is still on the
 * token is proven and the predecessor deleted.
 */
static enum ca_status
finish_interrupted_rotation(struct agent *agent, struct ca_error *err)
{
	struct key_id pending;
	enum ca_status r;

	if (agent->state.pending_key_id != NULL) {
		if (!key_id_from_hex(agent->state.pending_key_id, &pending))
			return ca_error_set(err, CA_ERR_STATE, "invalid pending "
			    "key ID in the state file");
		log_info("deleting key %s left by an interrupted renewal",
		    agent->state.pending_key_id);
		r = token_delete_generation(agent->token, &pending, err);
		if (r != CA_OK)
			return r;
		if (!state_set(&agent->state.pending_key_id, NULL))
			return ca_error_set(err, CA_ERR_INTERNAL,
			    "out of memory");
		r = state_save(&agent->dir, &agent->state, err);
		if (r != CA_OK)
			return r;
	}
	if (agent->state.previous_key_id != NULL) {
		log_info("finishing an earlier renewal: proving the current "
		    "certificate and deleting key %s",
		    agent->state.previous_key_id);
		return enroll_prove_and_clean_up(agent, err);
	}
	return CA_OK;
}

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
	struct enroll_request request;
	enum key_type type;
	char when[32];
	time_t due;
	enum ca_status r;

	r = agent_open_state(agent, false, err);
	if (r != CA_OK)
		return r;
	r = agent_require_connected(agent, err);
	if (r != CA_OK)
		return r;
	if (agent->opt.key_type != NULL)
		return ca_error_set(err, CA_ERR_USAGE, "renew keeps the key "
		    "type of the current key; --key-type is for connect");

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
	r = finish_interrupted_rotation(agent, err);
	if (r != CA_OK)
		return r;

	if (agent->state.key_type == NULL ||
	    !key_type_parse(agent->state.key_type, &type))
		return ca_error_set(err, CA_ERR_STATE, "the state file has no "
		    "valid key type; connect again");
	if (agent->state.certificate_secured_connector_url == NULL ||
	    agent->state.subject == NULL)
		return ca_error_set(err, CA_ERR_STATE, "the state file lacks "
		    "the Connector URL or subject; connect again");

	memset(&request, 0, sizeof(request));
	request.subject = agent->state.subject;
	request.key_type = type;
	request.reuse_key_id = agent->opt.keep_key ? agent->state.key_id : NULL;
	request.sign_url = agent->state.certificate_secured_connector_url;
	request.one_time_token = NULL;
	log_info("renewing certificate serial %s%s",
	    agent->state.certificate_serial,
	    agent->opt.keep_key ? " with the same key" : " with a new key");
	r = enroll_generation(agent, &request, err);
	if (r != CA_OK)
		return r;

	if (!agent->opt.json)
		(void)printf("renewed: new certificate serial %s\n",
		    agent->state.certificate_serial);
	if (cJSON_AddBoolToObject(result, "renewed", true) == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
	return report_generation(agent, result, err);
}
