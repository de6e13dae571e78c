/*
 * Checks of the certificates that Compass issues, and the facts about a
 * certificate that the agent stores and shows.
 */
#ifndef COMPASS_AGENT_CERT_H
#define COMPASS_AGENT_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "../common/error.h"

/* Tolerated clock difference for "not yet valid", in seconds. */
#define CERT_CLOCK_SKEW_SECONDS 300

/* At most this many certificates in a chain from Compass. */
#define CERT_CHAIN_MAX 8

struct cert_facts {
	char serial[130];		/* hex */
	char sha256[65];		/* hex of the DER */
	char subject[512];		/* RFC 2253 */
	char issuer[512];
	char common_name[256];
	time_t not_before;
	time_t not_after;
};

/*
 * Parse every CERTIFICATE block of pem (at least one, at most
 * CERT_CHAIN_MAX) into *out. what names the input in messages.
 */
enum ca_status cert_chain_parse(const char *pem, const char *what,
				STACK_OF(X509) **out,
				struct ca_error *err) CA_WARN_UNUSED;

/* Fill facts from a certificate. */
enum ca_status cert_get_facts(X509 *cert, struct cert_facts *facts,
			      struct ca_error *err) CA_WARN_UNUSED;

/* The facts an issued certificate must match. */
struct cert_expectation {
	const unsigned char *public_key_der;	/* SubjectPublicKeyInfo */
	size_t public_key_der_len;
	const X509_NAME *subject;		/* as requested in the CSR */
	time_t now;
};

/*
 * Check a certification result: the chain is leaf then issuers in order,
 * the leaf equals client_pem, the leaf carries the expected public key and
 * subject (attributes compared by value), it verifies up to ca_pem, it is
 * valid now (allowing CERT_CLOCK_SKEW_SECONDS for a clock that runs behind)
 * and allows client authentication. Any failure is CA_ERR_REJECTED naming
 * the check. On success *chain_out holds the parsed chain.
 */
enum ca_status cert_check_issued(const char *chain_pem, const char *ca_pem,
				 const char *client_pem,
				 const struct cert_expectation *expect,
				 STACK_OF(X509) **chain_out,
				 struct ca_error *err) CA_WARN_UNUSED;

/* DER SubjectPublicKeyInfo of a certificate's key (malloc'd). */
enum ca_status cert_public_key_der(X509 *cert, unsigned char **der,
				   size_t *len,
				   struct ca_error *err) CA_WARN_UNUSED;

#endif
