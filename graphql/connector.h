/*
 * The Compass Connector operations as typed C functions: configuration,
 * signCertificateSigningRequest and revokeCertificate. Requests are built
 * with cJSON (the CSR travels as a GraphQL variable); responses are mapped
 * into the structures below with every needed field checked.
 */
#ifndef COMPASS_AGENT_CONNECTOR_H
#define COMPASS_AGENT_CONNECTOR_H

#include <stddef.h>

#include "../common/error.h"
#include "../common/secret.h"
#include "http.h"

struct connector_configuration {
	struct secret *token;		/* the next one-time token */
	char *subject;			/* CSR subject string */
	char *key_algorithm;		/* such as "rsa2048" */
	char *director_url;
	char *certificate_secured_connector_url;
};

struct certification_result {
	char *certificate_chain_pem;	/* leaf, then CA */
	char *ca_certificate_pem;	/* the client-issuing CA */
	char *client_certificate_pem;	/* the leaf */
};

/*
 * Query configuration at url. With one_time_token the call goes to the
 * token-secured endpoint; with NULL the options must carry the client key
 * and chain (certificate-secured endpoint).
 * Errors: CA_ERR_NETWORK for transport, HTTP status other than 200, a body
 * that is not JSON or lacks a needed field; CA_ERR_REJECTED for GraphQL
 * errors[] (their messages, escaped, are in err).
 */
enum ca_status connector_configuration(const struct http_options *options,
				       const char *url,
				       const struct secret *one_time_token,
				       struct connector_configuration *out,
				       struct ca_error *err) CA_WARN_UNUSED;

/* Send signCertificateSigningRequest with csr_pem (base64-encoded here). */
enum ca_status connector_sign_csr(const struct http_options *options,
				  const char *url,
				  const struct secret *one_time_token,
				  const char *csr_pem,
				  struct certification_result *out,
				  struct ca_error *err) CA_WARN_UNUSED;

/* Send revokeCertificate over mTLS; the server must return true. */
enum ca_status connector_revoke(const struct http_options *options,
				const char *url,
				struct ca_error *err) CA_WARN_UNUSED;

void connector_configuration_free(struct connector_configuration *config);
void certification_result_free(struct certification_result *result);

/*
 * Response mapping without I/O, exposed for unit tests and fuzz targets.
 * body is the HTTP response body of len bytes (not necessarily
 * NUL-terminated).
 */
enum ca_status connector_parse_configuration(const char *body, size_t len,
					     struct connector_configuration *out,
					     struct ca_error *err) CA_WARN_UNUSED;
enum ca_status connector_parse_certification(const char *body, size_t len,
					     struct certification_result *out,
					     struct ca_error *err) CA_WARN_UNUSED;
enum ca_status connector_parse_revoke(const char *body, size_t len,
				      struct ca_error *err) CA_WARN_UNUSED;

/* Request bodies, exposed for unit tests. Return malloc'd JSON or NULL. */
char *connector_configuration_request(void) CA_WARN_UNUSED;
char *connector_sign_csr_request(const char *csr_pem) CA_WARN_UNUSED;
char *connector_revoke_request(void) CA_WARN_UNUSED;

#endif
