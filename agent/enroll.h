/*
 * One generation's life: generate (or reuse) a key on the token, have the
 * Connector sign a CSR for it, verify what comes back, commit it, prove it
 * with one mTLS call, and only then delete the generation it replaces.
 *
 * Commit order: the certificate object on the token and the PEM files are
 * written first; the state file is written last and is the commit point.
 * Until the proof succeeds, the state keeps the replaced generation's key
 * ID in previous_key_id, so nothing that worked is deleted early.
 */
#ifndef COMPASS_AGENT_ENROLL_H
#define COMPASS_AGENT_ENROLL_H

#include <stdbool.h>

#include "../common/error.h"
#include "../common/secret.h"
#include "../pkcs11/token.h"
#include "session.h"

struct enroll_request {
	const char *subject;		/* from the Connector's configuration */
	enum key_type key_type;
	const char *reuse_key_id;	/* hex; NULL generates a new key */
	const char *sign_url;
	const struct secret *one_time_token;	/* NULL: sign over mTLS */
	/* URLs to store with the new generation. */
	const char *connector_url;
	const char *certificate_secured_connector_url;
	const char *director_url;
};

/*
 * Run the whole generation: issue, verify, commit, prove, clean up. On a
 * failure before the commit, a newly generated key is deleted again and the
 * old generation stays active. A failed proof after the commit leaves both
 * generations on the token and is reported as an error; the next renew
 * repeats the proof.
 */
enum ca_status enroll_generation(struct agent *agent,
				 const struct enroll_request *request,
				 struct ca_error *err) CA_WARN_UNUSED;

/*
 * Prove the active generation with one mTLS configuration call and delete
 * the previous generation recorded in the state, if any.
 */
enum ca_status enroll_prove_and_clean_up(struct agent *agent,
					 struct ca_error *err) CA_WARN_UNUSED;

/* Map the Connector's keyAlgorithm ("rsa2048") to a key type. */
bool key_type_from_algorithm(const char *algorithm, enum key_type *out);

#endif
