/*
 * The agent's working context for one command: options, the locked state
 * directory, the committed state, and on demand the token session, the
 * provider and the mTLS credential.
 */
#ifndef COMPASS_AGENT_SESSION_H
#define COMPASS_AGENT_SESSION_H

#include <stdbool.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "../common/error.h"
#include "../common/secret.h"
#include "../graphql/http.h"
#include "../pkcs11/provider.h"
#include "../pkcs11/token.h"
#include "options.h"
#include "state.h"

struct agent {
	struct agent_options opt;
	struct state_dir dir;
	bool dir_open;
	struct agent_state state;

	struct token *token;
	struct provider *provider;

	/* The active generation's key and chain, for mTLS. */
	EVP_PKEY *client_key;
	STACK_OF(X509) *client_chain;

	/*
	 * The daemon keeps the PIN that the token accepted, in locked memory,
	 * because env: and fd: sources can be read only once and the daemon
	 * logs in again after every token reset.
	 */
	bool keep_pin;
	struct secret *pin;
};

/* Open and lock the state directory, then load the state file. */
enum ca_status agent_open_state(struct agent *agent, bool create,
				struct ca_error *err) CA_WARN_UNUSED;

/*
 * Open the token named by --module and --token, read the PIN, log in and
 * load pkcs11-provider for it. Does nothing when already open.
 */
enum ca_status agent_open_token(struct agent *agent,
				struct ca_error *err) CA_WARN_UNUSED;

/* Load the private key of generation key_id_hex through the provider. */
enum ca_status agent_load_key(struct agent *agent, const char *key_id_hex,
			      EVP_PKEY **out,
			      struct ca_error *err) CA_WARN_UNUSED;

/*
 * Load the active generation's key and chain.pem as the mTLS credential.
 * Fails with CA_ERR_EXPIRED when the state records a revocation or the
 * certificate has expired, and with CA_ERR_STATE when not connected.
 */
enum ca_status agent_load_credential(struct agent *agent,
				     struct ca_error *err) CA_WARN_UNUSED;

/* Fill HTTP options from the settings; with_client adds the credential. */
void agent_http_options(const struct agent *agent, bool with_client,
			struct http_options *http);

/* Fail with CA_ERR_STATE unless the state records a connection. */
enum ca_status agent_require_connected(const struct agent *agent,
				       struct ca_error *err) CA_WARN_UNUSED;

/*
 * Drop the mTLS credential, the provider and the token session, so that
 * the next agent_open_token() opens the module, reads the PIN and logs in
 * again: after a device error, a removed token, or a changed PIN source.
 */
void agent_reset_token(struct agent *agent);

/* Drop the loaded mTLS credential, so that the next use reloads it. */
void agent_forget_credential(struct agent *agent);

/*
 * Drop a kept PIN whose source can be read again (file:, prompt), so that
 * a reload picks up a corrected PIN file. env: and fd: PINs are kept.
 */
void agent_forget_rereadable_pin(struct agent *agent);

void agent_close(struct agent *agent);

#endif
