/*
 * One generation's life: generate (or reuse) a key on the token, have the
 * Connector sign a CSR for it, verify what comes back, commit it, prove it
 * with one mTLS call, and only then delete the generation it replaces.
 *
 * Each step is recorded in the state file (rotation_step) before it starts:
 *   generate-key  pending_key_id names the key about to be generated
 *   issue         the new key exists; the CSR is sent, the
 *                 leaf is stored on the token, next-*.pem files are staged
 *   install       committed: key_id is the new key, previous_key_id the old
 *                 one; next-*.pem are renamed over ca.pem, chain.pem and
 *                 cert.pem
 *   prove         the new generation is proven with one mTLS call, then the
 *                 previous one is deleted and the step cleared
 * The state file written with step "install" is the commit point. Before
 * it, recovery rolls back (deletes the new key and the staged files); from
 * it on, recovery rolls forward.
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
 * Prove the active generation with one mTLS configuration call, delete
 * the previous generation recorded in the state, if any, and clear the
 * rotation step.
 */
enum ca_status enroll_prove_and_clean_up(struct agent *agent,
					 struct ca_error *err) CA_WARN_UNUSED;

/*
 * Renew the active generation over mTLS: a new key unless keep_key. The
 * state must be connected and recovered (see recovery.h).
 */
enum ca_status enroll_renew(struct agent *agent, bool keep_key,
			    struct ca_error *err) CA_WARN_UNUSED;

/*
 * Rename the staged next-*.pem files over the live ones (those already
 * renamed are skipped) and record the step "prove".
 */
enum ca_status enroll_install_staged_files(struct agent *agent,
					   struct ca_error *err) CA_WARN_UNUSED;

/* Remove the staged next-*.pem files of an uncommitted generation. */
enum ca_status enroll_remove_staged_files(struct agent *agent,
					  struct ca_error *err) CA_WARN_UNUSED;

/* Map the Connector's keyAlgorithm ("rsa2048") to a key type. */
bool key_type_from_algorithm(const char *algorithm, enum key_type *out);

#endif
