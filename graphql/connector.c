/*
 * The Connector operations: build the GraphQL request with cJSON, POST it,
 * require HTTP 200, and map the response (connector_response.c).
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../common/base64.h"
#include "connector.h"

/* No empty parentheses after configuration: strict servers reject them. */
#define CONFIGURATION_QUERY \
	"query { configuration { token { token } " \
	"certificateSigningRequestInfo { subject keyAlgorithm } " \
	"managementPlaneInfo { directorURL certificateSecuredConnectorURL } } }"
#define SIGN_CSR_MUTATION \
	"mutation($csr: String!) { result: signCertificateSigningRequest(" \
	"csr: $csr) { certificateChain caCertificate clientCertificate } }"
#define REVOKE_MUTATION "mutation { result: revokeCertificate }"

/*
 * Maximum CSR PEM length. An RSA 4096 CSR with a Compass subject is about
 * 1.7 KiB (1744 bytes measured with openssl req).
 */
#define CSR_PEM_MAX (64 * 1024)

/* Bytes of a URL or an error body shown in a message. */
#define SHOWN_TEXT_MAX 200
#define SHOWN_TEXT_SIZE (SHOWN_TEXT_MAX * 4 + 8)

/*
 * Serialize {"query": query, "variables": variables}. Takes ownership of
 * variables.
 */
static char *
graphql_request(const char *query, cJSON *variables)
{
	cJSON *root = NULL;
	char *text = NULL;

	if (variables == NULL)
		goto out;
	root = cJSON_CreateObject();
	if (root == NULL ||
	    cJSON_AddStringToObject(root, "query", query) == NULL)
		goto out;
	if (!cJSON_AddItemToObject(root, "variables", variables))
		goto out;
	variables = NULL;	/* now owned by root */

	text = cJSON_PrintUnformatted(root);
out:
	cJSON_Delete(variables);
	cJSON_Delete(root);
	return text;
}

char *
connector_configuration_request(void)
{
	return graphql_request(CONFIGURATION_QUERY, cJSON_CreateObject());
}

char *
connector_sign_csr_request(const char *csr_pem)
{
	cJSON *variables = NULL;
	char *csr_base64 = NULL;
	char *text = NULL;
	size_t len;

	if (csr_pem == NULL)
		goto out;
	len = strlen(csr_pem);
	if (len == 0 || len > CSR_PEM_MAX)
		goto out;
	csr_base64 = base64_encode((const unsigned char *)csr_pem, len);
	if (csr_base64 == NULL)
		goto out;

	variables = cJSON_CreateObject();
	if (variables == NULL ||
	    cJSON_AddStringToObject(variables, "csr", csr_base64) == NULL)
		goto out;
	text = graphql_request(SIGN_CSR_MUTATION, variables);
	variables = NULL;
out:
	cJSON_Delete(variables);
	free(csr_base64);
	return text;
}

char *
connector_revoke_request(void)
{
	return graphql_request(REVOKE_MUTATION, cJSON_CreateObject());
}

/*
 * POST body to url and require HTTP 200. On success *response contains
 * the body for the caller to map and free.
 */
static enum ca_status
connector_exchange(const struct http_options *options, const char *url,
		   const char *body, const struct secret *one_time_token,
		   const char *operation, struct http_response *response,
		   struct ca_error *err)
{
	char shown_url[SHOWN_TEXT_SIZE];
	char shown_body[SHOWN_TEXT_SIZE];
	enum ca_status r = CA_ERR_INTERNAL;

	if (body == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL,
		    "cannot build the %s request", operation);
		goto out;
	}
	if ((r = http_post_json(options, url, body, one_time_token, response,
	    err)) != CA_OK) {
		ca_error_prefix(err, "%s", operation);
		goto out;
	}
	if (response->status == 200) {
		r = CA_OK;
		goto out;
	}

	ca_escape_untrusted(shown_url, sizeof(shown_url), url,
	    SHOWN_TEXT_MAX);
	/*
	 * The start of the body helps with 400 and 422 from the GraphQL
	 * server. It is left out when a one-time token was sent, in case a
	 * proxy's error page echoes the request headers.
	 */
	shown_body[0] = '\0';
	if (one_time_token == NULL && response->body != NULL)
		ca_escape_untrusted(shown_body, sizeof(shown_body),
		    response->body, SHOWN_TEXT_MAX);
	r = ca_error_set(err, CA_ERR_NETWORK, "%s: HTTP status %ld from %s%s%s",
	    operation, response->status, shown_url,
	    shown_body[0] != '\0' ? ": " : "", shown_body);
	http_response_free(response);
out:
	return r;
}

static void
prefix_response_error(struct ca_error *err, const char *operation,
		      const char *url)
{
	char shown_url[SHOWN_TEXT_SIZE];

	ca_escape_untrusted(shown_url, sizeof(shown_url), url,
	    SHOWN_TEXT_MAX);
	ca_error_prefix(err, "%s response from %s", operation, shown_url);
}

enum ca_status
connector_configuration(const struct http_options *options, const char *url,
			const struct secret *one_time_token,
			struct connector_configuration *out,
			struct ca_error *err)
{
	struct http_response response = { 0 };
	char *body = NULL;
	enum ca_status r = CA_ERR_INTERNAL;

	memset(out, 0, sizeof(*out));

	if (one_time_token == NULL && options->client_key == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "configuration needs "
		    "a one-time token or a client key");
		goto out;
	}

	body = connector_configuration_request();
	if ((r = connector_exchange(options, url, body, one_time_token,
	    "configuration", &response, err)) != CA_OK)
		goto out;
	if ((r = connector_parse_configuration(response.body,
	    response.body_len, out, err)) != CA_OK) {
		prefix_response_error(err, "configuration", url);
		goto out;
	}
	r = CA_OK;
out:
	http_response_free(&response);
	free(body);
	return r;
}

enum ca_status
connector_sign_csr(const struct http_options *options, const char *url,
		   const struct secret *one_time_token, const char *csr_pem,
		   struct certification_result *out, struct ca_error *err)
{
	struct http_response response = { 0 };
	char *body = NULL;
	enum ca_status r = CA_ERR_INTERNAL;

	memset(out, 0, sizeof(*out));

	if (one_time_token == NULL && options->client_key == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "signing a CSR needs "
		    "a one-time token or a client key");
		goto out;
	}
	if (csr_pem == NULL || strlen(csr_pem) > CSR_PEM_MAX) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "the CSR is missing "
		    "or longer than %d bytes", CSR_PEM_MAX);
		goto out;
	}

	body = connector_sign_csr_request(csr_pem);
	if ((r = connector_exchange(options, url, body, one_time_token,
	    "signCertificateSigningRequest", &response, err)) != CA_OK)
		goto out;
	if ((r = connector_parse_certification(response.body,
	    response.body_len, out, err)) != CA_OK) {
		prefix_response_error(err, "signCertificateSigningRequest",
		    url);
		goto out;
	}
	r = CA_OK;
out:
	http_response_free(&response);
	free(body);
	return r;
}

enum ca_status
connector_revoke(const struct http_options *options, const char *url,
		 struct ca_error *err)
{
	struct http_response response = { 0 };
	char *body = NULL;
	enum ca_status r = CA_ERR_INTERNAL;

	if (options->client_key == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL,
		    "revokeCertificate needs the client key");
		goto out;
	}

	body = connector_revoke_request();
	if ((r = connector_exchange(options, url, body, NULL,
	    "revokeCertificate", &response, err)) != CA_OK)
		goto out;
	if ((r = connector_parse_revoke(response.body, response.body_len,
	    err)) != CA_OK) {
		prefix_response_error(err, "revokeCertificate", url);
		goto out;
	}
	r = CA_OK;
out:
	http_response_free(&response);
	free(body);
	return r;
}
