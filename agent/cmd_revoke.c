/* revoke: revoke the certificate at the Connector. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../graphql/connector.h"
#include "commands.h"
#include "log.h"

static enum ca_status
confirm_revocation(const struct agent *agent, struct ca_error *err)
{
	char answer[16];
	FILE *tty;
	bool yes;

	if (agent->opt.yes)
		return CA_OK;
	tty = fopen("/dev/tty", "r+e");
	if (tty == NULL)
		return ca_error_set(err, CA_ERR_USAGE, "revoke needs "
		    "confirmation and there is no terminal to ask on; pass "
		    "--yes");
	(void)fprintf(tty, "Revoke certificate serial %s (%s)? This machine "
	    "will need a new one-time token to connect again. Type 'yes': ",
	    agent->state.certificate_serial, agent->state.client_id);
	(void)fflush(tty);
	yes = fgets(answer, sizeof(answer), tty) != NULL &&
	    strcmp(answer, "yes\n") == 0;
	(void)fclose(tty);
	if (!yes)
		return ca_error_set(err, CA_ERR_USAGE, "revocation cancelled");
	return CA_OK;
}

enum ca_status
cmd_revoke(struct agent *agent, cJSON *result, struct ca_error *err)
{
	struct http_options http;
	enum ca_status r;

	r = agent_open_state(agent, false, err);
	if (r != CA_OK)
		return r;
	r = agent_require_connected(agent, err);
	if (r != CA_OK)
		return r;
	r = confirm_revocation(agent, err);
	if (r != CA_OK)
		return r;
	r = agent_load_credential(agent, err);
	if (r != CA_OK)
		return r;

	agent_http_options(agent, true, &http);
	r = connector_revoke(&http,
	    agent->state.certificate_secured_connector_url, err);
	if (r != CA_OK)
		return r;

	agent->state.revoked = true;
	r = state_save(&agent->dir, &agent->state, err);
	if (r != CA_OK)
		return ca_error_prefix(err, "the certificate was revoked, but "
		    "the state could not be saved");
	log_info("revoked certificate serial %s",
	    agent->state.certificate_serial);
	if (!agent->opt.json)
		(void)printf("revoked certificate serial %s; connect again "
		    "with a new one-time token\n",
		    agent->state.certificate_serial);
	if (cJSON_AddBoolToObject(result, "revoked", true) == NULL ||
	    cJSON_AddStringToObject(result, "serial",
	    agent->state.certificate_serial) == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
	return CA_OK;
}
