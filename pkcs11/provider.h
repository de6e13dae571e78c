/*
 * The bridge to OpenSSL: pkcs11-provider in the agent's own library context,
 * token keys as EVP_PKEY, and CSR building and signing.
 *
 * The provider is configured only from the parameters given here. Nothing is
 * read from OPENSSL_CONF, OPENSSL_MODULES or PKCS11_PROVIDER_* variables.
 */
#ifndef COMPASS_AGENT_PROVIDER_H
#define COMPASS_AGENT_PROVIDER_H

#include <stdbool.h>

#include <openssl/evp.h>

#include "../common/error.h"
#include "../common/secret.h"

struct provider;

struct provider_options {
	const char *module_path;	/* absolute path of the PKCS#11 module */
	const struct secret *pin;	/* user PIN, or NULL when already logged in */
	bool softhsm_quirks;		/* "no-deinit no-operation-state" */
};

/*
 * Create a private OSSL_LIB_CTX, load the default and pkcs11 providers into
 * it with the given options. The caller releases *out with provider_close().
 */
enum ca_status provider_open(const struct provider_options *options,
			     struct provider **out,
			     struct ca_error *err) CA_WARN_UNUSED;

void provider_close(struct provider *provider);

OSSL_LIB_CTX *provider_libctx(const struct provider *provider);

/*
 * Load the private key that key_uri names (see token_key_uri()). Exactly one
 * key must match. The caller frees *out with EVP_PKEY_free().
 */
enum ca_status provider_load_private_key(struct provider *provider,
					 const char *key_uri, EVP_PKEY **out,
					 struct ca_error *err) CA_WARN_UNUSED;

/*
 * Parse a Connector subject string ("O=Org,OU=Unit,...,CN=id") into an
 * X509_NAME with every attribute in the given order. Values may contain
 * spaces. A segment without '=', an empty key or value, or an unknown
 * attribute name is CA_ERR_REJECTED with the offending string in the message.
 */
#include <openssl/x509.h>
enum ca_status subject_parse(const char *subject, X509_NAME **out,
			     struct ca_error *err) CA_WARN_UNUSED;

/*
 * Build a CSR for subject with the public key of key, sign it with SHA-256
 * through the provider, verify the signature, and return the PEM text
 * (malloc'd, caller frees).
 */
enum ca_status csr_build(struct provider *provider, EVP_PKEY *key,
			 const char *subject, char **pem_out,
			 struct ca_error *err) CA_WARN_UNUSED;

#endif
