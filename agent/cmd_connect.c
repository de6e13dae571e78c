/*
 * connect: establish the connection with a one-time token.
 *
 * The token is logged in before the one-time token is read or sent: the
 * Connector burns a one-time token on arrival, so nothing that can fail
 * locally may come after the first call.
 */
#include <stdio.h>
#include <string.h>

#include "../graphql/connector.h"
#include "../graphql/url.h"
#include "commands.h"
#include "enroll.h"
#include "log.h"
#include "onetime.h"

static enum ca_status
choose_key_type(const struct agent *agent, const char *algorithm,
		enum key_type *out, struct ca_error *err)
{
	if (agent->opt.key_type != NULL) {
		if (!key_type_parse(agent->opt.key_type, out))
			return ca_error_set(err, CA_ERR_USAGE, "invalid "
			    "--key-type '%s': expected rsa:2048, rsa:3072, "
			    "rsa:4096, ec:p256 or ec:p384", agent->opt.key_type);
		return CA_OK;
	}
	if (algorithm == NULL)
		algorithm = "rsa2048";
	if (!key_type_from_algorithm(algorithm, out)) {
		char shown[128];

		ca_escape_untrusted(shown, sizeof(shown), algorithm, 64);
		return ca_error_set(err, CA_ERR_REJECTED, "the Connector asks "
		    "for key algorithm '%s', which compass-agent does not "
		    "know; pass --key-type to choose one", shown);
	}
	return CA_OK;
}

/*
 * The Connector URL: --connector-url, else the one in the token file. URLs
 * appear in messages only through url_redact, which drops a password.
 */
static enum ca_status
choose_connector_url(const struct agent *agent, const struct onetime_token *ott,
		     const char **url, struct ca_error *err)
{
	char shown[URL_SHOWN_SIZE], shown_other[URL_SHOWN_SIZE];
	enum ca_status r;

	*url = agent->opt.connector_url;
	if (*url == NULL)
		*url = ott->connector_url;
	if (*url == NULL)
		return ca_error_set(err, CA_ERR_USAGE, "no Connector URL: pass "
		    "--connector-url, or give the Director's raw or rawEncoded "
		    "token, which contains it");

	url_redact(shown, *url);
	if (strncmp(*url, "https://", 8) != 0)
		return ca_error_set(err, CA_ERR_NETWORK, "Connector URL '%s' "
		    "does not use https; only https is allowed", shown);
	/*
	 * Checked before anything is sent, because libcurl would send a user
	 * name or password as an Authorization header.
	 */
	r = url_check(*url, agent->opt.connector_url != NULL ?
	    "--connector-url" : "the Connector URL in the one-time token file",
	    CA_ERR_USAGE, err);
	if (r != CA_OK)
		return r;

	if (agent->opt.connector_url != NULL && ott->connector_url != NULL &&
	    strcmp(agent->opt.connector_url, ott->connector_url) != 0) {
		url_redact(shown_other, ott->connector_url);
		log_warning("--connector-url %s differs from the URL in the "
		    "one-time token file (%s); using --connector-url",
		    shown, shown_other);
	}
	return CA_OK;
}

enum ca_status
cmd_connect(struct agent *agent, cJSON *result, struct ca_error *err)
{
	struct connector_configuration config;
	struct enroll_request request;
	struct onetime_token ott;
	struct http_options http;
	enum key_type type = KEY_RSA_2048;
	const char *url = NULL;
	enum ca_status r;

	memset(&config, 0, sizeof(config));
	memset(&ott, 0, sizeof(ott));

	if (agent->opt.one_time_token_file == NULL) {
		r = ca_error_set(err, CA_ERR_USAGE, "connect needs "
		    "--one-time-token-file FILE, or - for standard input");
		goto out;
	}
	if (agent->opt.key_type != NULL) {
		r = choose_key_type(agent, NULL, &type, err);
		if (r != CA_OK)
			goto out;
	}
	r = onetime_token_read(agent->opt.one_time_token_file, &ott, err);
	if (r != CA_OK)
		goto out;
	r = choose_connector_url(agent, &ott, &url, err);
	if (r != CA_OK)
		goto out;

	r = agent_open_state(agent, true, err);
	if (r != CA_OK)
		goto out;
	r = agent_open_token(agent, err);
	if (r != CA_OK)
		goto out;

	log_info("requesting the configuration from %s", url);
	agent_http_options(agent, false, &http);
	r = connector_configuration(&http, url, ott.token, &config, err);
	if (r != CA_OK)
		goto out;
	r = choose_key_type(agent, config.key_algorithm, &type, err);
	if (r != CA_OK)
		goto out;

	memset(&request, 0, sizeof(request));
	request.subject = config.subject;
	request.key_type = type;
	request.sign_url = url;
	request.one_time_token = config.token;
	request.connector_url = url;
	request.certificate_secured_connector_url =
	    config.certificate_secured_connector_url;
	request.director_url = config.director_url;
	r = enroll_generation(agent, &request, err);
	if (r != CA_OK)
		goto out;

	if (!agent->opt.json)
		(void)printf("connected to Compass as %s\n",
		    agent->state.client_id);
	r = report_generation(agent, result, err);
out:
	connector_configuration_free(&config);
	onetime_token_free(&ott);
	return r;
}
