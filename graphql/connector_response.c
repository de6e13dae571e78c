/*
 * Mapping of Connector responses into the structures of connector.h.
 *
 * The body comes from the network and is checked before anything is used:
 * valid JSON with nothing after it, GraphQL errors[] first, then every field
 * the agent needs, with its type, a length limit and the bytes it may
 * contain. Field paths in messages follow the GraphQL schema
 * ("configuration.certificateSigningRequestInfo.subject").
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../common/base64.h"
#include "connector.h"
#include "url.h"

/* Maximum length of a subject or URL from the Connector. */
#define TEXT_FIELD_MAX 2048
#define KEY_ALGORITHM_MAX 64
/* Maximum length of a decoded certificate field: a leaf and a few CAs. */
#define PEM_FIELD_MAX (64 * 1024)
/* Maximum base64 length of a certificate field, line breaks included. */
#define PEM_BASE64_MAX (PEM_FIELD_MAX * 2)

/* How much of the GraphQL errors[] goes into the message. */
#define ERRORS_SHOWN 3
#define ERROR_MESSAGE_SHOWN 200
#define SHOWN_TEXT_SIZE (ERROR_MESSAGE_SHOWN * 4 + 8)

enum text_kind {
	TEXT_PRINTABLE,		/* no control bytes; UTF-8 allowed */
	TEXT_VISIBLE_ASCII,	/* 0x21 to 0x7e: tokens, URLs, names */
};

static void
append_text(char *buf, size_t size, size_t *used, const char *fmt, ...)
	CA_PRINTF(4, 5);

static void
append_text(char *buf, size_t size, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*used >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, size - *used, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*used += (size_t)n;
	if (*used >= size)
		*used = size;
}

/* Wipe every string of the tree, because one of them is a one-time token. */
static void
json_wipe(cJSON *item)
{
	for (; item != NULL; item = item->next) {
		if (item->valuestring != NULL)
			explicit_bzero(item->valuestring,
			    strlen(item->valuestring));
		if (item->string != NULL)
			explicit_bzero(item->string, strlen(item->string));
		json_wipe(item->child);
	}
}

static void
json_wipe_delete(cJSON *root)
{
	json_wipe(root);
	cJSON_Delete(root);
}

/* CA_ERR_REJECTED with the first messages of errors[], escaped. */
static enum ca_status
graphql_errors(const cJSON *errors, const char *operation,
	       struct ca_error *err)
{
	char text[CA_ERROR_MESSAGE_MAX];
	char shown[SHOWN_TEXT_SIZE];
	const cJSON *entry, *message;
	size_t used = 0;
	int count = cJSON_GetArraySize(errors);
	int i = 0;

	append_text(text, sizeof(text), &used, "Compass rejected %s:",
	    operation);
	cJSON_ArrayForEach(entry, errors) {
		if (i == ERRORS_SHOWN)
			break;
		message = cJSON_GetObjectItemCaseSensitive(entry, "message");
		if (cJSON_IsString(message) && message->valuestring != NULL)
			ca_escape_untrusted(shown, sizeof(shown),
			    message->valuestring, ERROR_MESSAGE_SHOWN);
		else
			(void)snprintf(shown, sizeof(shown), "(no message)");
		append_text(text, sizeof(text), &used, "%s \"%s\"",
		    i > 0 ? ";" : "", shown);
		i++;
	}
	if (count > ERRORS_SHOWN)
		append_text(text, sizeof(text), &used, " (and %d more)",
		    count - ERRORS_SHOWN);
	return ca_error_set(err, CA_ERR_REJECTED, "%s", text);
}

/*
 * Parse body as a GraphQL response and find data.<field>, which may be any
 * JSON value except null. On success *root_out owns the tree; free it with
 * json_wipe_delete. operation names the field in messages.
 */
static enum ca_status
graphql_result(const char *body, size_t len, const char *field,
	       const char *operation, cJSON **root_out, cJSON **result_out,
	       struct ca_error *err)
{
	cJSON *root = NULL, *errors, *data, *result;
	const char *end = NULL;
	enum ca_status r = CA_ERR_NETWORK;

	*root_out = NULL;
	*result_out = NULL;

	if (body == NULL || len == 0) {
		r = ca_error_set(err, CA_ERR_NETWORK, "response is empty");
		goto out;
	}
	root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (root == NULL) {
		r = ca_error_set(err, CA_ERR_NETWORK,
		    "response is not valid JSON");
		goto out;
	}
	for (; end != NULL && end < body + len; end++) {
		if (strchr(" \t\r\n", *end) == NULL || *end == '\0') {
			r = ca_error_set(err, CA_ERR_NETWORK, "response has "
			    "data after the JSON value");
			goto out;
		}
	}
	if (!cJSON_IsObject(root)) {
		r = ca_error_set(err, CA_ERR_NETWORK,
		    "response is not a JSON object");
		goto out;
	}

	errors = cJSON_GetObjectItemCaseSensitive(root, "errors");
	if (errors != NULL && !cJSON_IsNull(errors)) {
		if (!cJSON_IsArray(errors)) {
			r = ca_error_set(err, CA_ERR_NETWORK,
			    "errors is not an array");
			goto out;
		}
		if (cJSON_GetArraySize(errors) > 0) {
			r = graphql_errors(errors, operation, err);
			goto out;
		}
	}

	data = cJSON_GetObjectItemCaseSensitive(root, "data");
	if (data == NULL || cJSON_IsNull(data)) {
		r = ca_error_set(err, CA_ERR_NETWORK,
		    "response has neither data nor errors");
		goto out;
	}
	if (!cJSON_IsObject(data)) {
		r = ca_error_set(err, CA_ERR_NETWORK,
		    "data is not an object");
		goto out;
	}
	result = cJSON_GetObjectItemCaseSensitive(data, field);
	if (result == NULL || cJSON_IsNull(result)) {
		r = ca_error_set(err, CA_ERR_NETWORK, "%s missing", operation);
		goto out;
	}

	*root_out = root;
	*result_out = result;
	root = NULL;
	r = CA_OK;
out:
	json_wipe_delete(root);
	return r;
}

static enum ca_status
get_object(const cJSON *parent, const char *name, const char *path,
	   const cJSON **object_out, struct ca_error *err)
{
	const cJSON *item;

	*object_out = NULL;
	item = cJSON_GetObjectItemCaseSensitive(parent, name);
	if (item == NULL || cJSON_IsNull(item))
		return ca_error_set(err, CA_ERR_NETWORK, "%s missing", path);
	if (!cJSON_IsObject(item))
		return ca_error_set(err, CA_ERR_NETWORK,
		    "%s is not an object", path);
	*object_out = item;
	return CA_OK;
}

static int
text_allowed(const char *text, enum text_kind kind)
{
	const unsigned char *p;

	for (p = (const unsigned char *)text; *p != '\0'; p++) {
		if (kind == TEXT_VISIBLE_ASCII && (*p < 0x21 || *p > 0x7e))
			return 0;
		if (kind == TEXT_PRINTABLE && (*p < 0x20 || *p == 0x7f))
			return 0;
	}
	return 1;
}

/*
 * Find the string parent.name, non-empty, at most max bytes, containing
 * only bytes of kind. *text_out points into the tree.
 */
static enum ca_status
get_text(const cJSON *parent, const char *name, const char *path,
	 size_t max, enum text_kind kind, const char **text_out,
	 struct ca_error *err)
{
	const cJSON *item;
	size_t len;

	*text_out = NULL;
	item = cJSON_GetObjectItemCaseSensitive(parent, name);
	if (item == NULL || cJSON_IsNull(item))
		return ca_error_set(err, CA_ERR_NETWORK, "%s missing", path);
	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return ca_error_set(err, CA_ERR_NETWORK,
		    "%s is not a string", path);
	len = strlen(item->valuestring);
	if (len == 0)
		return ca_error_set(err, CA_ERR_NETWORK, "%s is empty", path);
	if (len > max)
		return ca_error_set(err, CA_ERR_NETWORK,
		    "%s is longer than %zu bytes", path, max);
	if (!text_allowed(item->valuestring, kind))
		return ca_error_set(err, CA_ERR_NETWORK, "%s contains %s",
		    path, kind == TEXT_VISIBLE_ASCII ?
		    "spaces, control characters or non-ASCII bytes" :
		    "control characters");
	*text_out = item->valuestring;
	return CA_OK;
}

/*
 * Find the URL parent.name: https, parseable, and without a user name or
 * password, so that the state file never stores credentials in a URL.
 */
static enum ca_status
get_https_url(const cJSON *parent, const char *name, const char *path,
	      char **url_out, struct ca_error *err)
{
	const char *url;
	enum ca_status r;

	*url_out = NULL;
	if ((r = get_text(parent, name, path, TEXT_FIELD_MAX,
	    TEXT_VISIBLE_ASCII, &url, err)) != CA_OK)
		return r;
	if ((r = url_check(url, path, CA_ERR_NETWORK, err)) != CA_OK)
		return r;
	*url_out = strdup(url);
	if (*url_out == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL,
		    "cannot allocate memory for %s", path);
	return CA_OK;
}

static enum ca_status
copy_text(const char *text, const char *path, char **copy_out,
	  struct ca_error *err)
{
	*copy_out = strdup(text);
	if (*copy_out == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL,
		    "cannot allocate memory for %s", path);
	return CA_OK;
}

static enum ca_status
map_token(const cJSON *configuration, struct connector_configuration *out,
	  struct ca_error *err)
{
	const cJSON *token;
	const char *text;
	enum ca_status r;

	if ((r = get_object(configuration, "token", "configuration.token",
	    &token, err)) != CA_OK ||
	    (r = get_text(token, "token", "configuration.token.token",
	    SECRET_MAX, TEXT_VISIBLE_ASCII, &text, err)) != CA_OK)
		return r;
	out->token = secret_from_bytes(text, strlen(text));
	if (out->token == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL,
		    "cannot allocate memory for the one-time token");
	return CA_OK;
}

static enum ca_status
map_csr_info(const cJSON *configuration, struct connector_configuration *out,
	     struct ca_error *err)
{
	const cJSON *info;
	const char *subject, *key_algorithm;
	enum ca_status r;

	if ((r = get_object(configuration, "certificateSigningRequestInfo",
	    "configuration.certificateSigningRequestInfo", &info,
	    err)) != CA_OK ||
	    (r = get_text(info, "subject",
	    "configuration.certificateSigningRequestInfo.subject",
	    TEXT_FIELD_MAX, TEXT_PRINTABLE, &subject, err)) != CA_OK ||
	    (r = get_text(info, "keyAlgorithm",
	    "configuration.certificateSigningRequestInfo.keyAlgorithm",
	    KEY_ALGORITHM_MAX, TEXT_VISIBLE_ASCII, &key_algorithm,
	    err)) != CA_OK)
		return r;

	if ((r = copy_text(subject, "the subject", &out->subject,
	    err)) != CA_OK ||
	    (r = copy_text(key_algorithm, "the key algorithm",
	    &out->key_algorithm, err)) != CA_OK)
		return r;
	return CA_OK;
}

static enum ca_status
map_management_plane(const cJSON *configuration,
		     struct connector_configuration *out, struct ca_error *err)
{
	const cJSON *plane;
	enum ca_status r;

	if ((r = get_object(configuration, "managementPlaneInfo",
	    "configuration.managementPlaneInfo", &plane, err)) != CA_OK ||
	    (r = get_https_url(plane, "directorURL",
	    "configuration.managementPlaneInfo.directorURL",
	    &out->director_url, err)) != CA_OK ||
	    (r = get_https_url(plane, "certificateSecuredConnectorURL",
	    "configuration.managementPlaneInfo.certificateSecuredConnectorURL",
	    &out->certificate_secured_connector_url, err)) != CA_OK)
		return r;
	return CA_OK;
}

enum ca_status
connector_parse_configuration(const char *body, size_t len,
			      struct connector_configuration *out,
			      struct ca_error *err)
{
	cJSON *root = NULL, *configuration = NULL;
	enum ca_status r = CA_ERR_NETWORK;

	memset(out, 0, sizeof(*out));

	if ((r = graphql_result(body, len, "configuration", "configuration",
	    &root, &configuration, err)) != CA_OK)
		goto out;
	if (!cJSON_IsObject(configuration)) {
		r = ca_error_set(err, CA_ERR_NETWORK,
		    "configuration is not an object");
		goto out;
	}

	if ((r = map_token(configuration, out, err)) != CA_OK ||
	    (r = map_csr_info(configuration, out, err)) != CA_OK ||
	    (r = map_management_plane(configuration, out, err)) != CA_OK)
		goto out;
	r = CA_OK;
out:
	if (r != CA_OK)
		connector_configuration_free(out);
	json_wipe_delete(root);
	return r;
}

static int
is_pem_text(const unsigned char *data, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if ((data[i] < 0x20 || data[i] > 0x7e) && data[i] != '\n' &&
		    data[i] != '\r' && data[i] != '\t')
			return 0;
	}
	return 1;
}

/* Decode one base64 certificate field into PEM text. */
static enum ca_status
map_pem_field(const cJSON *result, const char *name, const char *path,
	      char **pem_out, struct ca_error *err)
{
	const char *text;
	unsigned char *pem = NULL;
	size_t pem_len = 0;
	enum ca_status r = CA_ERR_NETWORK;

	*pem_out = NULL;

	if ((r = get_text(result, name, path, PEM_BASE64_MAX,
	    TEXT_PRINTABLE, &text, err)) != CA_OK)
		goto out;
	if (text == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "%s: no text", path);
		goto out;
	}
	if ((r = base64_decode(text, strlen(text), path, &pem, &pem_len,
	    err)) != CA_OK)
		goto out;

	if (pem_len > PEM_FIELD_MAX) {
		r = ca_error_set(err, CA_ERR_NETWORK, "%s is longer than %d "
		    "bytes after base64 decoding", path, PEM_FIELD_MAX);
		goto out;
	}
	if (!is_pem_text(pem, pem_len) ||
	    strstr((const char *)pem, "-----BEGIN CERTIFICATE-----") ==
	    NULL) {
		r = ca_error_set(err, CA_ERR_NETWORK, "%s is not a PEM "
		    "certificate after base64 decoding", path);
		goto out;
	}

	*pem_out = (char *)pem;
	pem = NULL;
	r = CA_OK;
out:
	free(pem);
	return r;
}

enum ca_status
connector_parse_certification(const char *body, size_t len,
			      struct certification_result *out,
			      struct ca_error *err)
{
	cJSON *root = NULL, *result = NULL;
	enum ca_status r = CA_ERR_NETWORK;

	memset(out, 0, sizeof(*out));

	if ((r = graphql_result(body, len, "result",
	    "signCertificateSigningRequest", &root, &result, err)) != CA_OK)
		goto out;
	if (!cJSON_IsObject(result)) {
		r = ca_error_set(err, CA_ERR_NETWORK,
		    "signCertificateSigningRequest is not an object");
		goto out;
	}

	if ((r = map_pem_field(result, "certificateChain",
	    "signCertificateSigningRequest.certificateChain",
	    &out->certificate_chain_pem, err)) != CA_OK ||
	    (r = map_pem_field(result, "caCertificate",
	    "signCertificateSigningRequest.caCertificate",
	    &out->ca_certificate_pem, err)) != CA_OK ||
	    (r = map_pem_field(result, "clientCertificate",
	    "signCertificateSigningRequest.clientCertificate",
	    &out->client_certificate_pem, err)) != CA_OK)
		goto out;
	r = CA_OK;
out:
	if (r != CA_OK)
		certification_result_free(out);
	json_wipe_delete(root);
	return r;
}

enum ca_status
connector_parse_revoke(const char *body, size_t len, struct ca_error *err)
{
	cJSON *root = NULL, *result = NULL;
	enum ca_status r = CA_ERR_NETWORK;

	if ((r = graphql_result(body, len, "result", "revokeCertificate",
	    &root, &result, err)) != CA_OK)
		goto out;
	if (!cJSON_IsBool(result)) {
		r = ca_error_set(err, CA_ERR_NETWORK,
		    "revokeCertificate is not a boolean");
		goto out;
	}
	if (!cJSON_IsTrue(result)) {
		r = ca_error_set(err, CA_ERR_REJECTED,
		    "Compass answered false to revokeCertificate");
		goto out;
	}
	r = CA_OK;
out:
	json_wipe_delete(root);
	return r;
}

void
connector_configuration_free(struct connector_configuration *config)
{
	if (config == NULL)
		return;
	secret_free(config->token);
	free(config->subject);
	free(config->key_algorithm);
	free(config->director_url);
	free(config->certificate_secured_connector_url);
	memset(config, 0, sizeof(*config));
}

void
certification_result_free(struct certification_result *result)
{
	if (result == NULL)
		return;
	free(result->certificate_chain_pem);
	free(result->ca_certificate_pem);
	free(result->client_certificate_pem);
	memset(result, 0, sizeof(*result));
}
