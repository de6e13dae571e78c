/* Opening the state, the token, the provider and the mTLS credential. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "../pkcs11/uri_pin.h"
#include "cert.h"
#include "log.h"
#include "pin.h"
#include "pin_rejection.h"
#include "session.h"

/* chain.pem contains a leaf and its CA; a larger file is not ours. */
#define CHAIN_FILE_MAX (256 * 1024)

enum ca_status
agent_open_state(struct agent *agent, bool create, struct ca_error *err)
{
	enum ca_status r;

	if (agent->dir_open)
		return CA_OK;
	r = state_dir_open(agent->opt.state_dir, create, &agent->dir, err);
	if (r != CA_OK)
		return r;
	agent->dir_open = true;
	return state_load(&agent->dir, &agent->state, err);
}

/* The PIN source: --pin-source, else pin-source= in the token URI. */
static enum ca_status
pin_source_for(const struct agent *agent, char **source, struct ca_error *err)
{
	*source = NULL;
	if (agent->opt.pin_source != NULL) {
		*source = strdup(agent->opt.pin_source);
		return *source != NULL ? CA_OK : ca_error_set(err,
		    CA_ERR_INTERNAL, "out of memory");
	}
	return token_uri_pin_source(agent->opt.token_uri, source, err);
}

enum ca_status
agent_open_token(struct agent *agent, struct ca_error *err)
{
	struct provider_options provider_opts;
	struct secret *pin = NULL;
	char *source = NULL;
	enum ca_status r;

	if (agent->token != NULL)
		return CA_OK;
	if (agent->opt.module == NULL)
		return ca_error_set(err, CA_ERR_USAGE, "no PKCS#11 module "
		    "given; set --module to a .so path or a p11-kit module "
		    "name");
	if (agent->opt.token_uri == NULL)
		return ca_error_set(err, CA_ERR_USAGE, "no token given; set "
		    "--token to a PKCS#11 URI such as pkcs11:token=compass");

	/* Check the URI and the PIN source before touching the token. */
	r = pin_source_for(agent, &source, err);
	if (r != CA_OK)
		goto out;

	r = token_open_allowed(agent->opt.module, agent->opt.module_dirs,
	    agent->opt.token_uri, &agent->token, err);
	if (r != CA_OK)
		goto out;
	log_debug("opened token '%s' (serial %s) with module %s",
	    token_label(agent->token), token_serial(agent->token),
	    token_module_path(agent->token));

	if (agent->pin != NULL) {
		/* The kept PIN: the token accepted it before. */
		pin = agent->pin;
		agent->pin = NULL;
	} else {
		if (agent->dir_open) {
			r = pin_rejection_check(&agent->dir, source,
			    token_serial(agent->token), err);
			if (r != CA_OK)
				goto out;
		}
		r = pin_read(source, token_label(agent->token), &pin, err);
		if (r != CA_OK)
			goto out;
	}
	r = token_login(agent->token, pin, err);
	if (r == CA_ERR_PIN && agent->dir_open)
		pin_rejection_record(&agent->dir, source,
		    token_serial(agent->token));
	if (r != CA_OK)
		goto out;
	if (agent->dir_open)
		pin_rejection_clear(&agent->dir);

	memset(&provider_opts, 0, sizeof(provider_opts));
	provider_opts.module_path = token_module_path(agent->token);
	provider_opts.pin = pin;
	/* SoftHSM 2.6 crashes at exit unless the provider avoids these. */
	provider_opts.softhsm_quirks =
	    strncmp(token_manufacturer(agent->token), "SoftHSM", 7) == 0;
	r = provider_open(&provider_opts, &agent->provider, err);
	if (r == CA_OK && agent->keep_pin) {
		agent->pin = pin;
		pin = NULL;
	}
out:
	secret_free(pin);
	free(source);
	return r;
}

void
agent_forget_rereadable_pin(struct agent *agent)
{
	char *source = NULL;
	struct ca_error ignored;

	if (agent->pin == NULL)
		return;
	if (pin_source_for(agent, &source, &ignored) != CA_OK || source == NULL ||
	    strncmp(source, "file:", 5) == 0 || strcmp(source, "prompt") == 0) {
		secret_free(agent->pin);
		agent->pin = NULL;
	}
	free(source);
}

enum ca_status
agent_load_key(struct agent *agent, const char *key_id_hex, EVP_PKEY **out,
	       struct ca_error *err)
{
	struct key_id id;
	char *uri = NULL;
	enum ca_status r;

	*out = NULL;
	if (key_id_hex == NULL || !key_id_from_hex(key_id_hex, &id))
		return ca_error_set(err, CA_ERR_STATE, "the state file has no "
		    "valid key ID; connect again");
	uri = token_key_uri(agent->token, &id);
	if (uri == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
	r = provider_load_private_key(agent->provider, uri, out, err);
	free(uri);
	return r;
}

enum ca_status
agent_require_connected(const struct agent *agent, struct ca_error *err)
{
	if (!agent->state.connected)
		return ca_error_set(err, CA_ERR_STATE, "not connected: %s has "
		    "no certificate; run 'compass-agent connect' first",
		    agent->opt.state_dir);
	return CA_OK;
}

static enum ca_status
require_usable_certificate(const struct agent *agent, struct ca_error *err)
{
	char when[32];
	time_t now = time(NULL);

	if (agent->state.revoked)
		return ca_error_set(err, CA_ERR_EXPIRED, "the certificate "
		    "(serial %s) was revoked; connect again with a new "
		    "one-time token", agent->state.certificate_serial);
	if (agent->state.not_after != 0 && now >= agent->state.not_after) {
		time_to_rfc3339(agent->state.not_after, when);
		return ca_error_set(err, CA_ERR_EXPIRED, "the certificate "
		    "(serial %s) expired at %s; connect again with a new "
		    "one-time token", agent->state.certificate_serial, when);
	}
	return CA_OK;
}

/*
 * The leaf of chain.pem must carry the public key of the active key on the
 * token; otherwise the TLS handshake fails with an obscure message.
 */
static enum ca_status
check_chain_matches_key(struct agent *agent, struct ca_error *err)
{
	unsigned char *token_der = NULL, *cert_der = NULL;
	size_t token_der_len = 0, cert_der_len = 0;
	struct key_info info;
	struct key_id id;
	enum ca_status r;

	if (agent->state.key_id == NULL ||
	    !key_id_from_hex(agent->state.key_id, &id))
		return ca_error_set(err, CA_ERR_STATE, "the state file has no "
		    "valid key ID; connect again");
	r = token_read_key(agent->token, &id, &info, &token_der,
	    &token_der_len, err);
	if (r != CA_OK)
		return r;
	r = cert_public_key_der(sk_X509_value(agent->client_chain, 0),
	    &cert_der, &cert_der_len, err);
	if (r == CA_OK && (token_der_len != cert_der_len ||
	    memcmp(token_der, cert_der, cert_der_len) != 0))
		r = ca_error_set(err, CA_ERR_STATE, "%s/chain.pem is not for "
		    "key %s on the token; run 'compass-agent status' to see "
		    "the state, and connect again if it cannot be repaired",
		    agent->opt.state_dir, agent->state.key_id);
	free(token_der);
	OPENSSL_free(cert_der);
	return r;
}

enum ca_status
agent_load_credential(struct agent *agent, struct ca_error *err)
{
	char *pem = NULL;
	size_t len = 0;
	bool missing = false;
	enum ca_status r;

	if (agent->client_key != NULL)
		return CA_OK;
	r = agent_require_connected(agent, err);
	if (r != CA_OK)
		return r;
	r = require_usable_certificate(agent, err);
	if (r != CA_OK)
		return r;

	r = state_read_file(&agent->dir, "chain.pem", CHAIN_FILE_MAX, &pem,
	    &len, &missing, err);
	if (r != CA_OK)
		return r;
	r = cert_chain_parse(pem, "chain.pem", &agent->client_chain, err);
	free(pem);
	if (r != CA_OK) {
		if (err != NULL)
			err->status = CA_ERR_STATE;
		return ca_error_prefix(err, "%s/chain.pem is not usable",
		    agent->opt.state_dir);
	}

	r = agent_open_token(agent, err);
	if (r != CA_OK)
		return r;
	r = check_chain_matches_key(agent, err);
	if (r != CA_OK)
		return r;
	return agent_load_key(agent, agent->state.key_id, &agent->client_key,
	    err);
}

void
agent_http_options(const struct agent *agent, bool with_client,
		   struct http_options *http)
{
	memset(http, 0, sizeof(*http));
	http->ca_file = agent->opt.ca_file;
	http->pinned_public_key = agent->opt.server_key_pin;
	http->timeout_seconds = agent->opt.timeout_seconds;
	if (with_client) {
		http->client_key = agent->client_key;
		http->client_chain = agent->client_chain;
	}
}

void
agent_forget_credential(struct agent *agent)
{
	EVP_PKEY_free(agent->client_key);
	agent->client_key = NULL;
	sk_X509_pop_free(agent->client_chain, X509_free);
	agent->client_chain = NULL;
}

void
agent_reset_token(struct agent *agent)
{
	agent_forget_credential(agent);
	/* The provider goes first, because it has sessions open on the module. */
	provider_close(agent->provider);
	agent->provider = NULL;
	token_close(agent->token);
	agent->token = NULL;
}

void
agent_close(struct agent *agent)
{
	agent_reset_token(agent);
	secret_free(agent->pin);
	agent->pin = NULL;
	state_free(&agent->state);
	if (agent->dir_open)
		state_dir_close(&agent->dir);
	agent->dir_open = false;
	options_free(&agent->opt);
}
