/* Finishing or rolling back an interrupted rotation at start. */
#include <string.h>

#include "enroll.h"
#include "log.h"
#include "recovery.h"

static bool
step_is(const struct agent *agent, const char *step)
{
	return agent->state.rotation_step != NULL &&
	    strcmp(agent->state.rotation_step, step) == 0;
}

static enum ca_status
clear_step(struct agent *agent, struct ca_error *err)
{
	if (!state_set(&agent->state.rotation_step, NULL) ||
	    !state_set(&agent->state.pending_key_id, NULL))
		return ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
	return state_save(&agent->dir, &agent->state, err);
}

/* Uncommitted generation: delete its key pair, certificate and files. */
static enum ca_status
roll_back(struct agent *agent, struct ca_error *err)
{
	struct key_id pending;
	enum ca_status r;

	if (agent->state.pending_key_id != NULL) {
		if (!key_id_from_hex(agent->state.pending_key_id, &pending))
			return ca_error_set(err, CA_ERR_STATE, "invalid pending "
			    "key ID '%s' in %s/%s; remove the field by hand",
			    agent->state.pending_key_id, agent->opt.state_dir,
			    STATE_FILE);
		r = agent_open_token(agent, err);
		if (r != CA_OK)
			return r;
		log_info("rolling back an interrupted rotation: deleting the "
		    "uncommitted key %s from token '%s'",
		    agent->state.pending_key_id, token_label(agent->token));
		r = token_delete_generation(agent->token, &pending, err);
		if (r != CA_OK)
			return r;
	}
	r = enroll_remove_staged_files(agent, err);
	if (r != CA_OK)
		return r;
	return clear_step(agent, err);
}

enum ca_status
recovery_run_local(struct agent *agent, struct ca_error *err)
{
	unsigned int removed = 0;
	enum ca_status r;

	r = state_remove_temporary_files(&agent->dir, &removed, err);
	if (r != CA_OK)
		return r;
	if (removed > 0)
		log_info("removed %u temporary file(s) left in %s by an "
		    "interrupted write", removed, agent->opt.state_dir);

	if (agent->state.rotation_step == NULL) {
		/* State files of earlier versions have no step. */
		if (agent->state.pending_key_id != NULL)
			return roll_back(agent, err);
		return CA_OK;
	}
	log_info("found an interrupted rotation at step '%s'",
	    agent->state.rotation_step);
	/* Before the commit, the pending key (if any) and staged files go. */
	if (step_is(agent, ROTATION_STEP_GENERATE_KEY) ||
	    step_is(agent, ROTATION_STEP_ISSUE))
		return roll_back(agent, err);
	if (step_is(agent, ROTATION_STEP_INSTALL)) {
		log_info("rolling forward: installing the committed "
		    "certificate files of key %s", agent->state.key_id);
		return enroll_install_staged_files(agent, err);
	}
	if (step_is(agent, ROTATION_STEP_PROVE))
		return CA_OK;
	return ca_error_set(err, CA_ERR_STATE, "unknown rotation step '%s' in "
	    "%s/%s; a newer compass-agent wrote it", agent->state.rotation_step,
	    agent->opt.state_dir, STATE_FILE);
}

bool
recovery_proof_pending(const struct agent *agent)
{
	return agent->state.previous_key_id != NULL ||
	    step_is(agent, ROTATION_STEP_PROVE);
}

enum ca_status
recovery_run(struct agent *agent, struct ca_error *err)
{
	enum ca_status r;

	r = recovery_run_local(agent, err);
	if (r != CA_OK)
		return r;
	if (!recovery_proof_pending(agent))
		return CA_OK;
	log_info("finishing an earlier rotation: proving the current "
	    "certificate%s%s", agent->state.previous_key_id != NULL ?
	    " and deleting key " : "", agent->state.previous_key_id != NULL ?
	    agent->state.previous_key_id : "");
	return enroll_prove_and_clean_up(agent, err);
}
