/* Issue, verify, commit and prove one key generation. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "../graphql/connector.h"
#include "../pkcs11/provider.h"
#include "cert.h"
#include "crashpoint.h"
#include "enroll.h"
#include "log.h"

/*
 * The files of one generation. A new generation's files are first written
 * under STAGED_PREFIX names and renamed over these only after the state
 * file has committed the generation.
 */
#define STAGED_PREFIX "next-"
static const char *const generation_files[] = {
	"ca.pem", "chain.pem", "cert.pem",
};
#define GENERATION_FILE_COUNT \
	(sizeof(generation_files) / sizeof(generation_files[0]))

bool
key_type_from_algorithm(const char *algorithm, enum key_type *out)
{
	if (strcmp(algorithm, "rsa2048") == 0)
		*out = KEY_RSA_2048;
	else if (strcmp(algorithm, "rsa3072") == 0)
		*out = KEY_RSA_3072;
	else if (strcmp(algorithm, "rsa4096") == 0)
		*out = KEY_RSA_4096;
	else
		return false;
	return true;
}

/* The result of one successful issue, before it is committed. */
struct issued {
	struct key_id id;
	char id_hex[2 * KEY_ID_LEN + 1];
	bool generated;			/* the key is new in this run */
	struct certification_result result;
	STACK_OF(X509) *chain;
	struct cert_facts facts;
};

static void
issued_free(struct issued *issued)
{
	certification_result_free(&issued->result);
	sk_X509_pop_free(issued->chain, X509_free);
	issued->chain = NULL;
}

/* Persist the rotation step and the uncommitted key (NULL clears them). */
static enum ca_status
save_step(struct agent *agent, const char *step, const char *pending_key_id,
	  struct ca_error *err)
{
	if (!state_set(&agent->state.rotation_step, step) ||
	    !state_set(&agent->state.pending_key_id, pending_key_id))
		return ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
	return state_save(&agent->dir, &agent->state, err);
}

static enum ca_status
obtain_key(struct agent *agent, const struct enroll_request *request,
	   struct issued *issued, struct ca_error *err)
{
	enum ca_status r;

	if (request->reuse_key_id != NULL) {
		if (!key_id_from_hex(request->reuse_key_id, &issued->id))
			return ca_error_set(err, CA_ERR_STATE, "invalid key ID "
			    "'%s' in the state file", request->reuse_key_id);
		key_id_to_hex(&issued->id, issued->id_hex);
		/* No pending key: a roll-back must not delete the active one. */
		return save_step(agent, ROTATION_STEP_ISSUE, NULL, err);
	}

	/*
	 * The ID is recorded before the key exists, so that recovery can
	 * delete the key of a run that ends during generation.
	 */
	r = key_id_generate(&issued->id, err);
	if (r != CA_OK)
		return r;
	key_id_to_hex(&issued->id, issued->id_hex);
	r = save_step(agent, ROTATION_STEP_GENERATE_KEY, issued->id_hex, err);
	if (r != CA_OK)
		return r;
	log_info("generating a %s key pair on token '%s'",
	    key_type_name(request->key_type), token_label(agent->token));
	r = token_generate_key_pair_with_id(agent->token, request->key_type,
	    agent->opt.key_label, &issued->id, err);
	if (r != CA_OK)
		return r;
	issued->generated = true;
	crash_point("after-key-generation");
	log_info("generated key %s on token '%s'; it is sensitive and never "
	    "extractable", issued->id_hex, token_label(agent->token));

	return save_step(agent, ROTATION_STEP_ISSUE, issued->id_hex, err);
}

static enum ca_status
issue_certificate(struct agent *agent, const struct enroll_request *request,
		  struct issued *issued, struct ca_error *err)
{
	struct http_options http;
	struct cert_expectation expect;
	struct key_info info;
	EVP_PKEY *key = NULL;
	X509_NAME *subject = NULL;
	unsigned char *public_der = NULL;
	size_t public_der_len = 0;
	char *csr = NULL;
	enum ca_status r;

	r = token_read_key(agent->token, &issued->id, &info, &public_der,
	    &public_der_len, err);
	if (r != CA_OK)
		goto out;
	if (info.sensitive == false || info.extractable ||
	    !info.always_sensitive || !info.never_extractable || !info.local) {
		r = ca_error_set(err, CA_ERR_TOKEN, "key %s on the token is not "
		    "protected: it must be sensitive, never extractable and "
		    "generated on the token", issued->id_hex);
		goto out;
	}
	r = agent_load_key(agent, issued->id_hex, &key, err);
	if (r != CA_OK)
		goto out;
	r = subject_parse(request->subject, &subject, err);
	if (r != CA_OK)
		goto out;
	r = csr_build(agent->provider, key, request->subject, &csr, err);
	if (r != CA_OK)
		goto out;

	log_info("sending the certificate signing request to %s",
	    request->sign_url);
	agent_http_options(agent, request->one_time_token == NULL, &http);
	r = connector_sign_csr(&http, request->sign_url,
	    request->one_time_token, csr, &issued->result, err);
	if (r != CA_OK)
		goto out;
	/*
	 * The request is sent and its response read inside connector_sign_csr(), so
	 * the nearest point after sending is after the response arrived.
	 */
	crash_point("after-response-received");

	memset(&expect, 0, sizeof(expect));
	expect.public_key_der = public_der;
	expect.public_key_der_len = public_der_len;
	expect.subject = subject;
	expect.now = time(NULL);
	r = cert_check_issued(issued->result.certificate_chain_pem,
	    issued->result.ca_certificate_pem,
	    issued->result.client_certificate_pem, &expect, &issued->chain,
	    err);
	if (r != CA_OK)
		goto out;
	r = cert_get_facts(sk_X509_value(issued->chain, 0), &issued->facts,
	    err);
	if (r != CA_OK)
		goto out;
	crash_point("after-response-parsed");
out:
	EVP_PKEY_free(key);
	X509_NAME_free(subject);
	free(public_der);
	free(csr);
	return r;
}

static enum ca_status
store_leaf_on_token(struct agent *agent, struct issued *issued,
		    struct ca_error *err)
{
	unsigned char *der = NULL;
	int len;
	enum ca_status r;

	len = i2d_X509(sk_X509_value(issued->chain, 0), &der);
	if (len <= 0)
		return ca_error_set(err, CA_ERR_INTERNAL, "cannot encode the "
		    "certificate");
	r = token_store_certificate(agent->token, &issued->id,
	    agent->opt.key_label, der, (size_t)len, err);
	OPENSSL_free(der);
	if (r == CA_OK)
		crash_point("after-certificate-stored");
	return r;
}

/* The staged name of generation file i ("next-chain.pem"). */
static void
staged_name(size_t i, char out[static 32])
{
	(void)snprintf(out, 32, STAGED_PREFIX "%s", generation_files[i]);
}

/* Write the new generation's PEM files under their staged names. */
static enum ca_status
stage_pem_files(struct agent *agent, const struct issued *issued,
		struct ca_error *err)
{
	const char *pem[GENERATION_FILE_COUNT] = {
		issued->result.ca_certificate_pem,
		issued->result.certificate_chain_pem,
		issued->result.client_certificate_pem,
	};
	char name[32];
	size_t i;
	enum ca_status r;

	for (i = 0; i < GENERATION_FILE_COUNT; i++) {
		staged_name(i, name);
		r = state_write_file(&agent->dir, name, pem[i], strlen(pem[i]),
		    err);
		if (r != CA_OK)
			return r;
	}
	return CA_OK;
}

enum ca_status
enroll_install_staged_files(struct agent *agent, struct ca_error *err)
{
	char name[32];
	bool installed;
	size_t i;
	enum ca_status r;

	for (i = 0; i < GENERATION_FILE_COUNT; i++) {
		staged_name(i, name);
		r = state_install_file(&agent->dir, name, generation_files[i],
		    &installed, err);
		if (r != CA_OK)
			return r;
		if (installed)
			log_debug("installed %s/%s", agent->opt.state_dir,
			    generation_files[i]);
	}
	return save_step(agent, ROTATION_STEP_PROVE, NULL, err);
}

enum ca_status
enroll_remove_staged_files(struct agent *agent, struct ca_error *err)
{
	char name[32];
	size_t i;
	enum ca_status r;

	for (i = 0; i < GENERATION_FILE_COUNT; i++) {
		staged_name(i, name);
		r = state_remove_file(&agent->dir, name, err);
		if (r != CA_OK)
			return r;
	}
	return CA_OK;
}

static enum ca_status
commit_state(struct agent *agent, const struct enroll_request *request,
	     const struct issued *issued, struct ca_error *err)
{
	struct agent_state *s = &agent->state;
	const char *old_key = s->connected ? s->key_id : NULL;
	bool ok = true;

	/* The replaced generation stays recorded until it is deleted. */
	if (old_key != NULL && strcmp(old_key, issued->id_hex) != 0)
		ok = ok && state_set(&s->previous_key_id, old_key);
	ok = ok && state_set(&s->key_id, issued->id_hex);
	ok = ok && state_set(&s->pending_key_id, NULL);
	ok = ok && state_set(&s->rotation_step, ROTATION_STEP_INSTALL);
	ok = ok && state_set(&s->key_type, key_type_name(request->key_type));
	ok = ok && state_set(&s->key_label, agent->opt.key_label);
	ok = ok && state_set(&s->subject, request->subject);
	ok = ok && state_set(&s->client_id, issued->facts.common_name);
	ok = ok && state_set(&s->token_label, token_label(agent->token));
	ok = ok && state_set(&s->token_serial, token_serial(agent->token));
	ok = ok && state_set(&s->certificate_serial, issued->facts.serial);
	ok = ok && state_set(&s->certificate_sha256, issued->facts.sha256);
	if (request->connector_url != NULL)
		ok = ok && state_set(&s->connector_url, request->connector_url);
	if (request->certificate_secured_connector_url != NULL)
		ok = ok && state_set(&s->certificate_secured_connector_url,
		    request->certificate_secured_connector_url);
	if (request->director_url != NULL)
		ok = ok && state_set(&s->director_url, request->director_url);
	if (!ok)
		return ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
	s->not_before = issued->facts.not_before;
	s->not_after = issued->facts.not_after;
	s->connected = true;
	s->revoked = false;
	if (request->one_time_token == NULL)
		s->last_renewal = time(NULL);
	return state_save(&agent->dir, s, err);
}

/*
 * Undo a rotation that failed before the commit: delete the key generated
 * in this run and the staged files, and clear the step. What cannot be
 * undone now stays recorded for the recovery at the next start.
 */
static void
discard_new_key(struct agent *agent, struct issued *issued)
{
	struct ca_error cleanup;

	if (issued->generated) {
		if (token_delete_generation(agent->token, &issued->id,
		    &cleanup) != CA_OK) {
			log_warning("could not delete the unused new key %s: "
			    "%s", issued->id_hex, cleanup.message);
			return;
		}
		log_info("deleted the unused new key %s", issued->id_hex);
	}
	if (enroll_remove_staged_files(agent, &cleanup) != CA_OK) {
		log_warning("could not remove the staged certificate files: "
		    "%s", cleanup.message);
		return;
	}
	if (save_step(agent, NULL, NULL, &cleanup) != CA_OK)
		log_warning("could not clear the pending key from the state: "
		    "%s", cleanup.message);
}

static void
forget_credential(struct agent *agent)
{
	EVP_PKEY_free(agent->client_key);
	agent->client_key = NULL;
	sk_X509_pop_free(agent->client_chain, X509_free);
	agent->client_chain = NULL;
}

enum ca_status
enroll_prove_and_clean_up(struct agent *agent, struct ca_error *err)
{
	struct connector_configuration config;
	struct http_options http;
	struct key_id old;
	enum ca_status r;

	memset(&config, 0, sizeof(config));

	/* Present the new certificate, never the one loaded before. */
	forget_credential(agent);
	r = agent_load_credential(agent, err);
	if (r != CA_OK)
		return r;
	if (agent->state.certificate_secured_connector_url == NULL)
		return ca_error_set(err, CA_ERR_STATE, "the state has no "
		    "certificate-secured Connector URL; connect again");

	agent_http_options(agent, true, &http);
	r = connector_configuration(&http,
	    agent->state.certificate_secured_connector_url, NULL, &config, err);
	connector_configuration_free(&config);
	if (r != CA_OK)
		return ca_error_prefix(err, "the new certificate could not be "
		    "used for an mTLS call; the previous key stays on the token");
	log_info("the new certificate works for mTLS calls");

	if (agent->state.previous_key_id != NULL) {
		if (!key_id_from_hex(agent->state.previous_key_id, &old))
			return ca_error_set(err, CA_ERR_STATE, "invalid "
			    "previous key ID '%s' in the state file",
			    agent->state.previous_key_id);
		crash_point("before-delete-old");
		r = token_delete_generation(agent->token, &old, err);
		if (r != CA_OK)
			return r;
		crash_point("after-delete-old");
		log_info("deleted the previous key %s and its certificate from "
		    "the token", agent->state.previous_key_id);
	} else if (agent->state.rotation_step == NULL) {
		return CA_OK;
	}
	if (!state_set(&agent->state.previous_key_id, NULL))
		return ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
	return save_step(agent, NULL, NULL, err);
}

enum ca_status
enroll_generation(struct agent *agent, const struct enroll_request *request,
		  struct ca_error *err)
{
	struct issued issued;
	char until[32];
	bool committed = false;
	enum ca_status r;

	memset(&issued, 0, sizeof(issued));

	r = obtain_key(agent, request, &issued, err);
	if (r != CA_OK)
		goto out;
	r = issue_certificate(agent, request, &issued, err);
	if (r != CA_OK)
		goto out;
	time_to_rfc3339(issued.facts.not_after, until);
	log_info("received certificate serial %s for %s, valid until %s",
	    issued.facts.serial, issued.facts.subject, until);

	r = store_leaf_on_token(agent, &issued, err);
	if (r != CA_OK)
		goto out;
	r = stage_pem_files(agent, &issued, err);
	if (r != CA_OK)
		goto out;
	r = commit_state(agent, request, &issued, err);
	if (r != CA_OK)
		goto out;
	/* From here on the new generation is the active one. */
	issued.generated = false;
	committed = true;

	r = enroll_install_staged_files(agent, err);
	if (r != CA_OK)
		goto out;
	r = enroll_prove_and_clean_up(agent, err);
out:
	if (r != CA_OK && !committed)
		discard_new_key(agent, &issued);
	issued_free(&issued);
	return r;
}

enum ca_status
enroll_renew(struct agent *agent, bool keep_key, struct ca_error *err)
{
	struct enroll_request request;
	enum key_type type;

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
	request.reuse_key_id = keep_key ? agent->state.key_id : NULL;
	request.sign_url = agent->state.certificate_secured_connector_url;
	request.one_time_token = NULL;
	log_info("renewing certificate serial %s%s",
	    agent->state.certificate_serial,
	    keep_key ? " with the same key" : " with a new key");
	return enroll_generation(agent, &request, err);
}
