/* config: fetch the configuration over mTLS and print it. */
#include <stdio.h>
#include <string.h>

#include "../graphql/connector.h"
#include "commands.h"
#include "log.h"

/* Store URLs that the Connector changed; Compass moves them rarely. */
static enum ca_status
persist_changed_urls(struct agent *agent,
		     const struct connector_configuration *config,
		     struct ca_error *err)
{
	struct agent_state *s = &agent->state;
	bool changed = false;

	if (s->certificate_secured_connector_url == NULL ||
	    strcmp(s->certificate_secured_connector_url,
	    config->certificate_secured_connector_url) != 0) {
		log_info("certificate-secured Connector URL is now %s",
		    config->certificate_secured_connector_url);
		if (!state_set(&s->certificate_secured_connector_url,
		    config->certificate_secured_connector_url))
			return ca_error_set(err, CA_ERR_INTERNAL,
			    "out of memory");
		changed = true;
	}
	if (s->director_url == NULL ||
	    strcmp(s->director_url, config->director_url) != 0) {
		log_info("Director URL is now %s", config->director_url);
		if (!state_set(&s->director_url, config->director_url))
			return ca_error_set(err, CA_ERR_INTERNAL,
			    "out of memory");
		changed = true;
	}
	return changed ? state_save(&agent->dir, s, err) : CA_OK;
}

enum ca_status
cmd_config(struct agent *agent, cJSON *result, struct ca_error *err)
{
	struct connector_configuration config;
	struct http_options http;
	enum ca_status r;

	memset(&config, 0, sizeof(config));

	r = agent_open_state(agent, false, err);
	if (r != CA_OK)
		goto out;
	r = agent_load_credential(agent, err);
	if (r != CA_OK)
		goto out;
	if (agent->state.certificate_secured_connector_url == NULL) {
		r = ca_error_set(err, CA_ERR_STATE, "the state has no "
		    "certificate-secured Connector URL; connect again");
		goto out;
	}

	agent_http_options(agent, true, &http);
	r = connector_configuration(&http,
	    agent->state.certificate_secured_connector_url, NULL, &config, err);
	if (r != CA_OK)
		goto out;
	r = persist_changed_urls(agent, &config, err);
	if (r != CA_OK)
		goto out;

	if (cJSON_AddStringToObject(result, "subject", config.subject) == NULL ||
	    cJSON_AddStringToObject(result, "key_algorithm",
	    config.key_algorithm) == NULL ||
	    cJSON_AddStringToObject(result, "director_url",
	    config.director_url) == NULL ||
	    cJSON_AddStringToObject(result, "certificate_secured_connector_url",
	    config.certificate_secured_connector_url) == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (!agent->opt.json) {
		(void)printf("subject:        %s\n", config.subject);
		(void)printf("key algorithm:  %s\n", config.key_algorithm);
		(void)printf("director:       %s\n", config.director_url);
		(void)printf("mTLS connector: %s\n",
		    config.certificate_secured_connector_url);
	}
	r = CA_OK;
out:
	/* The new one-time token in the response is wiped, never shown. */
	connector_configuration_free(&config);
	return r;
}
