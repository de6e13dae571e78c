/* The report of the active generation, shared by status, connect and renew. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "cert.h"
#include "commands.h"
#include "log.h"
#include "renewal.h"

#define CERT_FILE_MAX (64 * 1024)

static const char *
state_name(const struct agent *agent, time_t now, time_t due)
{
	const struct agent_state *s = &agent->state;

	if (!s->connected)
		return "not-connected";
	if (s->revoked)
		return "revoked";
	if (now >= s->not_after)
		return "expired";
	if (now >= due)
		return "renewal-due";
	return "connected";
}

static time_t
due_time(const struct agent *agent)
{
	double fraction = 0;
	long seconds = 0;

	/* options_parse() has validated the value. */
	(void)renew_before_parse(agent->opt.renew_before, &fraction, &seconds);
	return renewal_due_time(agent->state.not_before, agent->state.not_after,
	    fraction, seconds);
}

static cJSON *
add_time(cJSON *object, const char *name, time_t t)
{
	char text[32];

	time_to_rfc3339(t, text);
	return cJSON_AddStringToObject(object, name, text);
}

/* Facts gathered for the consistency check. */
struct report_checks {
	unsigned char *cert_public_der;	/* the public key of cert.pem */
	size_t cert_public_der_len;
	cJSON *problems;		/* array of strings */
};

static bool
add_problem(struct report_checks *checks, const char *text)
{
	return cJSON_AddItemToArray(checks->problems,
	    cJSON_CreateString(text));
}

static enum ca_status
report_certificate(struct agent *agent, cJSON *result,
		   struct report_checks *checks, struct ca_error *err)
{
	STACK_OF(X509) *certs = NULL;
	struct cert_facts facts;
	cJSON *cert;
	char *pem = NULL;
	size_t len = 0;
	bool missing = false;
	enum ca_status r;

	r = state_read_file(&agent->dir, "cert.pem", CERT_FILE_MAX, &pem, &len,
	    &missing, err);
	if (r != CA_OK)
		return r;
	r = cert_chain_parse(pem, "cert.pem", &certs, err);
	free(pem);
	if (r != CA_OK)
		return r;
	r = cert_get_facts(sk_X509_value(certs, 0), &facts, err);
	if (r == CA_OK)
		r = cert_public_key_der(sk_X509_value(certs, 0),
		    &checks->cert_public_der, &checks->cert_public_der_len, err);
	sk_X509_pop_free(certs, X509_free);
	if (r != CA_OK)
		return r;

	cert = cJSON_AddObjectToObject(result, "certificate");
	if (cert == NULL ||
	    cJSON_AddStringToObject(cert, "subject", facts.subject) == NULL ||
	    cJSON_AddStringToObject(cert, "issuer", facts.issuer) == NULL ||
	    cJSON_AddStringToObject(cert, "serial", facts.serial) == NULL ||
	    cJSON_AddStringToObject(cert, "sha256", facts.sha256) == NULL ||
	    add_time(cert, "not_before", facts.not_before) == NULL ||
	    add_time(cert, "not_after", facts.not_after) == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL, "out of memory");

	if (!agent->opt.json) {
		char from[32], until[32];

		time_to_rfc3339(facts.not_before, from);
		time_to_rfc3339(facts.not_after, until);
		(void)printf("certificate:   %s\n", facts.subject);
		(void)printf("  issuer:      %s\n", facts.issuer);
		(void)printf("  serial:      %s\n", facts.serial);
		(void)printf("  sha256:      %s\n", facts.sha256);
		(void)printf("  valid:       %s to %s\n", from, until);
	}
	return CA_OK;
}

static enum ca_status
report_key(struct agent *agent, cJSON *result, struct report_checks *checks,
	   struct ca_error *err)
{
	struct key_info info;
	struct key_id id;
	cJSON *key;
	unsigned char *public_der = NULL;
	size_t public_der_len = 0;
	char *uri = NULL;
	enum ca_status r;

	if (agent->state.key_id == NULL ||
	    !key_id_from_hex(agent->state.key_id, &id))
		return ca_error_set(err, CA_ERR_STATE, "the state file has no "
		    "valid key ID; connect again");
	r = agent_open_token(agent, err);
	if (r != CA_OK)
		return r;
	r = token_read_key(agent->token, &id, &info, &public_der,
	    &public_der_len, err);
	if (r != CA_OK)
		return r;
	if (checks->cert_public_der != NULL &&
	    (public_der_len != checks->cert_public_der_len ||
	    memcmp(public_der, checks->cert_public_der, public_der_len) != 0) &&
	    !add_problem(checks, "cert.pem is not for the key on the token")) {
		free(public_der);
		return ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
	}
	free(public_der);
	if (agent->state.token_serial != NULL &&
	    strcmp(agent->state.token_serial, token_serial(agent->token)) != 0 &&
	    !add_problem(checks, "the token's serial differs from the one "
	    "recorded at connect"))
		return ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
	uri = token_key_uri(agent->token, &id);
	if (uri == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL, "out of memory");

	key = cJSON_AddObjectToObject(result, "key");
	if (key == NULL ||
	    cJSON_AddStringToObject(key, "uri", uri) == NULL ||
	    cJSON_AddStringToObject(key, "type", key_type_name(info.type)) ==
	    NULL ||
	    cJSON_AddNumberToObject(key, "bits", info.bits) == NULL ||
	    cJSON_AddBoolToObject(key, "sensitive", info.sensitive) == NULL ||
	    cJSON_AddBoolToObject(key, "extractable", info.extractable) ==
	    NULL ||
	    cJSON_AddBoolToObject(key, "always_sensitive",
	    info.always_sensitive) == NULL ||
	    cJSON_AddBoolToObject(key, "never_extractable",
	    info.never_extractable) == NULL ||
	    cJSON_AddBoolToObject(key, "local", info.local) == NULL) {
		free(uri);
		return ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
	}
	if (!agent->opt.json) {
		(void)printf("key:           %s\n", uri);
		(void)printf("  type:        %s (%u bits), generated on the "
		    "token: %s\n", key_type_name(info.type), info.bits,
		    info.local ? "yes" : "NO");
		(void)printf("  protection:  sensitive %s, never extractable "
		    "%s, always sensitive %s\n", info.sensitive ? "yes" : "NO",
		    info.never_extractable ? "yes" : "NO",
		    info.always_sensitive ? "yes" : "NO");
	}
	free(uri);
	return CA_OK;
}

static bool
add_optional_string(cJSON *object, const char *name, const char *value)
{
	if (value == NULL)
		return cJSON_AddNullToObject(object, name) != NULL;
	return cJSON_AddStringToObject(object, name, value) != NULL;
}

static enum ca_status
report_urls(struct agent *agent, cJSON *result, struct ca_error *err)
{
	const struct agent_state *s = &agent->state;
	cJSON *urls;

	urls = cJSON_AddObjectToObject(result, "urls");
	if (urls == NULL ||
	    !add_optional_string(urls, "connector", s->connector_url) ||
	    !add_optional_string(urls, "certificate_secured_connector",
	    s->certificate_secured_connector_url) ||
	    !add_optional_string(urls, "director", s->director_url))
		return ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
	if (!agent->opt.json) {
		(void)printf("connector:     %s\n", s->connector_url != NULL ?
		    s->connector_url : "-");
		(void)printf("mTLS connector: %s\n",
		    s->certificate_secured_connector_url != NULL ?
		    s->certificate_secured_connector_url : "-");
		(void)printf("director:      %s\n", s->director_url != NULL ?
		    s->director_url : "-");
	}
	return CA_OK;
}

/*
 * Name what does not fit together: leftovers of an interrupted renewal,
 * a certificate for another key, another token. Such a state exits 8.
 */
static enum ca_status
report_problems(struct agent *agent, cJSON *result,
		struct report_checks *checks, struct ca_error *err)
{
	const struct agent_state *st = &agent->state;
	char text[160];
	int i, n;

	if (st->pending_key_id != NULL) {
		(void)snprintf(text, sizeof(text), "key %s from an interrupted "
		    "renewal is still on the token", st->pending_key_id);
		if (!add_problem(checks, text))
			goto oom;
	}
	if (st->previous_key_id != NULL) {
		(void)snprintf(text, sizeof(text), "previous key %s is still "
		    "on the token", st->previous_key_id);
		if (!add_problem(checks, text))
			goto oom;
	}
	n = cJSON_GetArraySize(checks->problems);
	if (!cJSON_AddItemToObject(result, "problems", checks->problems)) {
		cJSON_Delete(checks->problems);
		goto oom;
	}
	for (i = 0; i < n && !agent->opt.json; i++)
		(void)printf("problem:       %s\n", cJSON_GetArrayItem(
		    checks->problems, i)->valuestring);
	if (n == 0)
		return CA_OK;
	return ca_error_set(err, CA_ERR_STATE, "the state is not consistent "
	    "(%s); run 'compass-agent renew --force' to finish or repeat the "
	    "renewal", cJSON_GetArrayItem(checks->problems, 0)->valuestring);
oom:
	return ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
}

static enum ca_status
report_sections(struct agent *agent, cJSON *result,
		struct report_checks *checks, enum ca_status *key_status,
		struct ca_error *key_err, struct ca_error *err)
{
	time_t now = time(NULL);
	time_t due = 0;
	const char *state;
	cJSON *renewal;
	enum ca_status r;

	*key_status = CA_OK;
	if (agent->state.connected)
		due = due_time(agent);
	state = state_name(agent, now, due);
	if (cJSON_AddStringToObject(result, "state", state) == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
	if (!agent->opt.json)
		(void)printf("state:         %s\n", state);
	if (!agent->state.connected)
		return CA_OK;

	r = report_certificate(agent, result, checks, err);
	if (r != CA_OK)
		return r;

	/* A token problem is reported, but the rest of the state still is. */
	ca_error_clear(key_err);
	*key_status = report_key(agent, result, checks, key_err);
	if (*key_status != CA_OK) {
		if (cJSON_AddNullToObject(result, "key") == NULL ||
		    cJSON_AddStringToObject(result, "key_error",
		    key_err->message) == NULL)
			return ca_error_set(err, CA_ERR_INTERNAL,
			    "out of memory");
		if (!agent->opt.json)
			(void)printf("key:           unavailable (%s)\n",
			    key_err->message);
	}

	renewal = cJSON_AddObjectToObject(result, "renewal");
	if (renewal == NULL || add_time(renewal, "due", due) == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
	if (!agent->opt.json) {
		char text[32];

		time_to_rfc3339(due, text);
		(void)printf("renewal due:   %s\n", text);
	}
	return report_urls(agent, result, err);
}

enum ca_status
report_generation(struct agent *agent, cJSON *result, struct ca_error *err)
{
	struct report_checks checks;
	enum ca_status r, key_status = CA_OK;
	struct ca_error key_err;

	memset(&checks, 0, sizeof(checks));
	checks.problems = cJSON_CreateArray();
	if (checks.problems == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
	r = report_sections(agent, result, &checks, &key_status, &key_err,
	    err);
	OPENSSL_free(checks.cert_public_der);
	if (r != CA_OK) {
		cJSON_Delete(checks.problems);
		return r;
	}
	r = report_problems(agent, result, &checks, err);
	if (r != CA_OK)
		return r;
	if (key_status != CA_OK) {
		*err = key_err;
		return key_status;
	}
	return CA_OK;
}
