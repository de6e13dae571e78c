/*
 * Unit tests of the Connector client without a network: request bodies and
 * the mapping of responses, good and bad.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "../../common/base64.h"
#include "../../graphql/connector.h"

#define CONFIGURATION_QUERY \
	"query { configuration { token { token } " \
	"certificateSigningRequestInfo { subject keyAlgorithm } " \
	"managementPlaneInfo { directorURL certificateSecuredConnectorURL } } }"

#define GOOD_CONFIGURATION \
	"{\"data\":{\"configuration\":{" \
	"\"token\":{\"token\":\"tok-123\"}," \
	"\"certificateSigningRequestInfo\":{\"subject\":" \
	"\"O=Org,OU=OrgUnit,L=Waldorf,ST=Waldorf,C=DE,CN=runtime-1\"," \
	"\"keyAlgorithm\":\"rsa2048\"}," \
	"\"managementPlaneInfo\":{" \
	"\"directorURL\":\"https://gw-mtls.example/director/graphql\"," \
	"\"certificateSecuredConnectorURL\":" \
	"\"https://gw-mtls.example/connector/graphql\"}}}}"

#define TEST_PEM \
	"-----BEGIN CERTIFICATE-----\n" \
	"MIIBszCCAVmgAwIBAgIUYWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXowCgYIKoZI\n" \
	"-----END CERTIFICATE-----\n"

static cJSON *
parse_request(char *text)
{
	cJSON *root;

	assert_non_null(text);
	root = cJSON_Parse(text);
	free(text);
	assert_non_null(root);
	return root;
}

static const char *
json_string(const cJSON *object, const char *name)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);

	assert_true(cJSON_IsString(item));
	return item->valuestring;
}

static void
configuration_request_shape(void **state)
{
	cJSON *root = parse_request(connector_configuration_request());
	const cJSON *variables;

	(void)state;
	assert_string_equal(json_string(root, "query"), CONFIGURATION_QUERY);
	assert_null(strstr(json_string(root, "query"), "()"));
	variables = cJSON_GetObjectItemCaseSensitive(root, "variables");
	assert_true(cJSON_IsObject(variables));
	assert_null(variables->child);
	cJSON_Delete(root);
}

static void
sign_csr_request_csr_as_variable(void **state)
{
	const char *csr = "-----BEGIN CERTIFICATE REQUEST-----\n"
	    "MIICijCCAXICAQAwRTELMAkGA1UEBhMCREUx\n"
	    "-----END CERTIFICATE REQUEST-----\n";
	cJSON *root = parse_request(connector_sign_csr_request(csr));
	const cJSON *variables;
	const char *query, *csr_base64;
	unsigned char *decoded = NULL;
	size_t decoded_len = 0;
	struct ca_error err;

	(void)state;
	query = json_string(root, "query");
	assert_string_equal(query, "mutation($csr: String!) { result: "
	    "signCertificateSigningRequest(csr: $csr) { certificateChain "
	    "caCertificate clientCertificate } }");
	assert_null(strstr(query, "MIIC"));

	variables = cJSON_GetObjectItemCaseSensitive(root, "variables");
	assert_true(cJSON_IsObject(variables));
	csr_base64 = json_string(variables, "csr");
	assert_null(strchr(csr_base64, '\n'));
	assert_int_equal(strlen(csr_base64) % 4, 0);
	assert_int_equal(base64_decode(csr_base64, strlen(csr_base64), "csr",
	    &decoded, &decoded_len, &err), CA_OK);
	assert_int_equal(decoded_len, strlen(csr));
	assert_memory_equal(decoded, csr, decoded_len);
	free(decoded);
	cJSON_Delete(root);
}

static void
sign_csr_request_rejects_bad_csr(void **state)
{
	char *huge = malloc(70 * 1024);

	(void)state;
	assert_null(connector_sign_csr_request(NULL));
	assert_null(connector_sign_csr_request(""));
	assert_non_null(huge);
	memset(huge, 'A', 70 * 1024 - 1);
	huge[70 * 1024 - 1] = '\0';
	assert_null(connector_sign_csr_request(huge));
	free(huge);
}

static void
revoke_request_shape(void **state)
{
	cJSON *root = parse_request(connector_revoke_request());

	(void)state;
	assert_string_equal(json_string(root, "query"),
	    "mutation { result: revokeCertificate }");
	assert_true(cJSON_IsObject(
	    cJSON_GetObjectItemCaseSensitive(root, "variables")));
	cJSON_Delete(root);
}

static void
configuration_good_response(void **state)
{
	struct connector_configuration config;
	struct ca_error err;
	const char *body = GOOD_CONFIGURATION;

	(void)state;
	assert_int_equal(connector_parse_configuration(body, strlen(body),
	    &config, &err), CA_OK);
	assert_non_null(config.token);
	assert_int_equal(config.token->len, 7);
	assert_string_equal(config.token->data, "tok-123");
	assert_string_equal(config.subject,
	    "O=Org,OU=OrgUnit,L=Waldorf,ST=Waldorf,C=DE,CN=runtime-1");
	assert_string_equal(config.key_algorithm, "rsa2048");
	assert_string_equal(config.director_url,
	    "https://gw-mtls.example/director/graphql");
	assert_string_equal(config.certificate_secured_connector_url,
	    "https://gw-mtls.example/connector/graphql");
	connector_configuration_free(&config);
	assert_null(config.token);
}

static void
configuration_body_not_nul_terminated(void **state)
{
	struct connector_configuration config;
	struct ca_error err;
	size_t len = strlen(GOOD_CONFIGURATION);
	char *body = malloc(len);

	(void)state;
	assert_non_null(body);
	memcpy(body, GOOD_CONFIGURATION, len);
	assert_int_equal(connector_parse_configuration(body, len, &config,
	    &err), CA_OK);
	connector_configuration_free(&config);
	free(body);
}

static void
graphql_errors_rejected_with_messages(void **state)
{
	struct connector_configuration config;
	struct ca_error err;
	const char *body = "{\"data\":null,\"errors\":["
	    "{\"message\":\"token is invalid\",\"path\":[\"configuration\"]},"
	    "{\"message\":\"red \\u001b[31m alert\\nforged line\"}]}";

	(void)state;
	assert_int_equal(connector_parse_configuration(body, strlen(body),
	    &config, &err), CA_ERR_REJECTED);
	assert_int_equal(err.status, CA_ERR_REJECTED);
	assert_non_null(strstr(err.message, "\"token is invalid\""));
	assert_non_null(strstr(err.message, "red \\x1b[31m alert\\x0aforged"));
	assert_null(strchr(err.message, '\n'));
	assert_null(strchr(err.message, 0x1b));
	assert_null(config.token);
}

static void
graphql_errors_bounded(void **state)
{
	char body[4096];
	char long_message[1500];
	struct ca_error err;
	int n;

	(void)state;
	memset(long_message, 'x', sizeof(long_message) - 1);
	long_message[sizeof(long_message) - 1] = '\0';
	n = snprintf(body, sizeof(body), "{\"errors\":[{\"message\":\"%s\"},"
	    "{\"message\":\"b\"},{\"nomessage\":1},7,{\"message\":\"e\"}]}",
	    long_message);
	assert_true(n > 0 && (size_t)n < sizeof(body));

	assert_int_equal(connector_parse_revoke(body, strlen(body), &err),
	    CA_ERR_REJECTED);
	assert_true(strlen(err.message) < 700);
	assert_non_null(strstr(err.message, "xxx..."));
	assert_non_null(strstr(err.message, "\"b\""));
	assert_non_null(strstr(err.message, "(no message)"));
	assert_non_null(strstr(err.message, "(and 2 more)"));
}

static void
empty_errors_array_is_success(void **state)
{
	struct ca_error err;
	const char *body = "{\"errors\":[],\"data\":{\"result\":true}}";

	(void)state;
	assert_int_equal(connector_parse_revoke(body, strlen(body), &err),
	    CA_OK);
}

struct bad_case {
	const char *body;
	const char *message;	/* expected substring of err.message */
};

static void
expect_configuration_failure(const struct bad_case *c, enum ca_status status)
{
	struct connector_configuration config;
	struct ca_error err;

	ca_error_clear(&err);
	if (connector_parse_configuration(c->body, strlen(c->body), &config,
	    &err) != status)
		fail_msg("body %.200s: status %d (%s), expected %d", c->body,
		    err.status, err.message, status);
	if (strstr(err.message, c->message) == NULL)
		fail_msg("body %.200s: message '%s' lacks '%s'", c->body,
		    err.message, c->message);
	/* A password in a returned URL is never shown. */
	assert_null(strstr(err.message, "secret"));
	assert_null(config.token);
	assert_null(config.subject);
	assert_null(config.director_url);
}

static void
configuration_malformed_body(void **state)
{
	static const struct bad_case cases[] = {
		{ "", "empty" },
		{ "not json", "not valid JSON" },
		{ "{\"data\":", "not valid JSON" },
		{ "[1,2]", "not a JSON object" },
		{ "{\"data\":{}} trailing", "data after the JSON value" },
		{ "{\"data\":null}", "neither data nor errors" },
		{ "{}", "neither data nor errors" },
		{ "{\"data\":null,\"errors\":[]}", "neither data nor errors" },
		{ "{\"errors\":{\"message\":\"x\"}}",
		    "errors is not an array" },
		{ "{\"data\":[]}", "data is not an object" },
		{ "{\"data\":{}}", "configuration missing" },
		{ "{\"data\":{\"configuration\":null}}",
		    "configuration missing" },
		{ "{\"data\":{\"configuration\":\"x\"}}",
		    "configuration is not an object" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_configuration_failure(&cases[i], CA_ERR_NETWORK);
}

/* Build a configuration response with one field replaced by raw JSON. */
static char *
configuration_with(const char *token, const char *subject,
		   const char *key_algorithm, const char *director_url,
		   const char *connector_url)
{
	char *body = malloc(8192);
	int n;

	assert_non_null(body);
	n = snprintf(body, 8192, "{\"data\":{\"configuration\":{"
	    "\"token\":%s,\"certificateSigningRequestInfo\":{\"subject\":%s,"
	    "\"keyAlgorithm\":%s},\"managementPlaneInfo\":{\"directorURL\":%s,"
	    "\"certificateSecuredConnectorURL\":%s}}}}",
	    token, subject, key_algorithm, director_url, connector_url);
	assert_true(n > 0 && n < 8192);
	return body;
}

#define GOOD_TOKEN "{\"token\":\"tok\"}"
#define GOOD_SUBJECT "\"CN=x\""
#define GOOD_KEY "\"rsa2048\""
#define GOOD_URL "\"https://h/x\""

static void
configuration_field_checks(void **state)
{
	static const struct {
		const char *token, *subject, *key_algorithm, *director,
		    *connector, *message;
	} cases[] = {
		{ "null", GOOD_SUBJECT,
		    GOOD_KEY, GOOD_URL, GOOD_URL,
		    "configuration.token missing" },
		{ "\"tok\"", GOOD_SUBJECT, GOOD_KEY, GOOD_URL, GOOD_URL,
		    "configuration.token is not an object" },
		{ "{}", GOOD_SUBJECT,
		    GOOD_KEY, GOOD_URL, GOOD_URL,
		    "configuration.token.token missing" },
		{ "{\"token\":42}", GOOD_SUBJECT, GOOD_KEY, GOOD_URL, GOOD_URL,
		    "configuration.token.token is not a string" },
		{ "{\"token\":\"\"}", GOOD_SUBJECT,
		    GOOD_KEY, GOOD_URL, GOOD_URL,
		    "configuration.token.token is empty" },
		{ "{\"token\":\"a b\"}", GOOD_SUBJECT,
		    GOOD_KEY, GOOD_URL, GOOD_URL,
		    "configuration.token.token contains spaces" },
		{ "{\"token\":\"ab\\r\\nX-Evil: 1\"}", GOOD_SUBJECT,
		    GOOD_KEY, GOOD_URL, GOOD_URL,
		    "configuration.token.token contains" },
		{ GOOD_TOKEN, "null", GOOD_KEY, GOOD_URL, GOOD_URL,
		    "configuration.certificateSigningRequestInfo.subject "
		    "missing" },
		{ GOOD_TOKEN, "[\"CN=x\"]", GOOD_KEY, GOOD_URL, GOOD_URL,
		    "configuration.certificateSigningRequestInfo.subject "
		    "is not a string" },
		{ GOOD_TOKEN, "\"CN=x\\u0007\"", GOOD_KEY, GOOD_URL, GOOD_URL,
		    "configuration.certificateSigningRequestInfo.subject "
		    "contains control characters" },
		{ GOOD_TOKEN, GOOD_SUBJECT, "true", GOOD_URL, GOOD_URL,
		    "configuration.certificateSigningRequestInfo.keyAlgorithm "
		    "is not a string" },
		{ GOOD_TOKEN, GOOD_SUBJECT, "null", GOOD_URL, GOOD_URL,
		    "configuration.certificateSigningRequestInfo.keyAlgorithm "
		    "missing" },
		{ GOOD_TOKEN, GOOD_SUBJECT, GOOD_KEY, "null", GOOD_URL,
		    "configuration.managementPlaneInfo.directorURL missing" },
		{ GOOD_TOKEN, GOOD_SUBJECT,
		    GOOD_KEY, "\"http://h/x\"", GOOD_URL,
		    "configuration.managementPlaneInfo.directorURL must use "
		    "https: http://h/x" },
		{ GOOD_TOKEN, GOOD_SUBJECT, GOOD_KEY, GOOD_URL, "1",
		    "configuration.managementPlaneInfo."
		    "certificateSecuredConnectorURL is not a string" },
		{ GOOD_TOKEN, GOOD_SUBJECT,
		    GOOD_KEY, GOOD_URL, "\"file:///etc/passwd\"",
		    "certificateSecuredConnectorURL must use https" },
		{ GOOD_TOKEN, GOOD_SUBJECT,
		    GOOD_KEY, "\"https://u:secret@h/x\"", GOOD_URL,
		    "configuration.managementPlaneInfo.directorURL must not "
		    "contain a user name or password: https://h/x" },
		{ GOOD_TOKEN, GOOD_SUBJECT,
		    GOOD_KEY, GOOD_URL, "\"https://secret@h/x\"",
		    "certificateSecuredConnectorURL must not contain a user "
		    "name or password: https://h/x" },
		{ GOOD_TOKEN, GOOD_SUBJECT,
		    GOOD_KEY, GOOD_URL, "\"https://:secret@h/x\"",
		    "certificateSecuredConnectorURL must not contain a user "
		    "name or password: https://h/x" },
		{ GOOD_TOKEN, GOOD_SUBJECT,
		    GOOD_KEY, "\"https://u:secret@h:99999/x\"", GOOD_URL,
		    "configuration.managementPlaneInfo.directorURL "
		    "https://h:99999/x is not a valid URL" },
	};
	struct bad_case c;
	size_t i;
	char *body;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		body = configuration_with(cases[i].token, cases[i].subject,
		    cases[i].key_algorithm, cases[i].director,
		    cases[i].connector);
		c.body = body;
		c.message = cases[i].message;
		expect_configuration_failure(&c, CA_ERR_NETWORK);
		free(body);
	}
}

static void
configuration_missing_sections(void **state)
{
	static const struct bad_case cases[] = {
		{ "{\"data\":{\"configuration\":{\"token\":" GOOD_TOKEN "}}}",
		    "configuration.certificateSigningRequestInfo missing" },
		{ "{\"data\":{\"configuration\":{\"token\":" GOOD_TOKEN ","
		    "\"certificateSigningRequestInfo\":{\"subject\":"
		    GOOD_SUBJECT ","
		    "\"keyAlgorithm\":" GOOD_KEY "}}}}",
		    "configuration.managementPlaneInfo missing" },
		{ "{\"data\":{\"configuration\":{\"token\":" GOOD_TOKEN ","
		    "\"certificateSigningRequestInfo\":{\"subject\":"
		    GOOD_SUBJECT ","
		    "\"keyAlgorithm\":" GOOD_KEY "},"
		    "\"managementPlaneInfo\":7}}}",
		    "configuration.managementPlaneInfo is not an object" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_configuration_failure(&cases[i], CA_ERR_NETWORK);
}

static void
configuration_oversize_fields(void **state)
{
	char *long_value = malloc(5000);
	char *quoted = malloc(5100);
	char *body;
	struct bad_case c;

	(void)state;
	assert_non_null(long_value);
	assert_non_null(quoted);
	memset(long_value, 'a', 4999);
	long_value[4999] = '\0';

	(void)snprintf(quoted, 5100, "{\"token\":\"%s\"}", long_value);
	body = configuration_with(quoted, GOOD_SUBJECT, GOOD_KEY, GOOD_URL,
	    GOOD_URL);
	c.body = body;
	c.message = "configuration.token.token is longer than 4096 bytes";
	expect_configuration_failure(&c, CA_ERR_NETWORK);
	free(body);

	(void)snprintf(quoted, 5100, "\"%s\"", long_value);
	body = configuration_with(GOOD_TOKEN, quoted, GOOD_KEY, GOOD_URL,
	    GOOD_URL);
	c.body = body;
	c.message = "subject is longer than 2048 bytes";
	expect_configuration_failure(&c, CA_ERR_NETWORK);
	free(body);

	free(quoted);
	free(long_value);
}

/* A signCertificateSigningRequest response with three given values. */
static char *
certification_with(const char *chain, const char *ca, const char *client)
{
	size_t size = strlen(chain) + strlen(ca) + strlen(client) + 256;
	char *body = malloc(size);
	int n;

	assert_non_null(body);
	n = snprintf(body, size, "{\"data\":{\"result\":{"
	    "\"certificateChain\":%s,\"caCertificate\":%s,"
	    "\"clientCertificate\":%s}}}", chain, ca, client);
	assert_true(n > 0 && (size_t)n < size);
	return body;
}

static char *
quoted_base64(const char *text, size_t len)
{
	char *encoded = base64_encode((const unsigned char *)text, len);
	char *quoted;

	assert_non_null(encoded);
	quoted = malloc(strlen(encoded) + 3);
	assert_non_null(quoted);
	(void)sprintf(quoted, "\"%s\"", encoded);
	free(encoded);
	return quoted;
}

static void
certification_good_response(void **state)
{
	char *pem = quoted_base64(TEST_PEM, strlen(TEST_PEM));
	char *body = certification_with(pem, pem, pem);
	struct certification_result result;
	struct ca_error err;

	(void)state;
	assert_int_equal(connector_parse_certification(body, strlen(body),
	    &result, &err), CA_OK);
	assert_string_equal(result.certificate_chain_pem, TEST_PEM);
	assert_string_equal(result.ca_certificate_pem, TEST_PEM);
	assert_string_equal(result.client_certificate_pem, TEST_PEM);
	certification_result_free(&result);
	assert_null(result.certificate_chain_pem);
	free(body);
	free(pem);
}

static void
expect_certification_failure(const char *body, enum ca_status status,
			     const char *message)
{
	struct certification_result result;
	struct ca_error err;

	ca_error_clear(&err);
	if (connector_parse_certification(body, strlen(body), &result,
	    &err) != status)
		fail_msg("status %d (%s), expected %d", err.status,
		    err.message, status);
	if (strstr(err.message, message) == NULL)
		fail_msg("message '%s' lacks '%s'", err.message, message);
	assert_null(result.certificate_chain_pem);
	assert_null(result.ca_certificate_pem);
	assert_null(result.client_certificate_pem);
}

static void
certification_bad_fields(void **state)
{
	char *pem = quoted_base64(TEST_PEM, strlen(TEST_PEM));
	char *not_pem = quoted_base64("hello, world\n", 13);
	char *binary = quoted_base64("-----BEGIN CERTIFICATE-----\x01\n", 29);
	char *body;
	size_t i;
	const struct {
		const char *chain, *ca, *client, *message;
	} cases[] = {
		{ "null", pem, pem,
		    "signCertificateSigningRequest.certificateChain missing" },
		{ pem, "17", pem,
		    "signCertificateSigningRequest.caCertificate is not a "
		    "string" },
		{ pem, pem, "\"\"",
		    "signCertificateSigningRequest.clientCertificate is "
		    "empty" },
		{ "\"LS0t*LS0\"", pem, pem,
		    "signCertificateSigningRequest.certificateChain is not "
		    "valid base64" },
		{ pem, "\"LS0tLS1\"", pem,
		    "signCertificateSigningRequest.caCertificate is not valid "
		    "base64" },
		{ pem, pem, not_pem,
		    "signCertificateSigningRequest.clientCertificate is not a "
		    "PEM certificate" },
		{ binary, pem, pem,
		    "signCertificateSigningRequest.certificateChain is not a "
		    "PEM certificate" },
	};

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		body = certification_with(cases[i].chain, cases[i].ca,
		    cases[i].client);
		expect_certification_failure(body, CA_ERR_NETWORK,
		    cases[i].message);
		free(body);
	}
	expect_certification_failure("{\"data\":{\"result\":null}}",
	    CA_ERR_NETWORK, "signCertificateSigningRequest missing");
	expect_certification_failure("{\"data\":{\"result\":[]}}",
	    CA_ERR_NETWORK, "signCertificateSigningRequest is not an object");
	expect_certification_failure("{\"errors\":[{\"message\":\"CSR "
	    "subject mismatch\"}]}", CA_ERR_REJECTED,
	    "Compass rejected signCertificateSigningRequest: \"CSR subject "
	    "mismatch\"");
	free(binary);
	free(not_pem);
	free(pem);
}

static void
certification_oversize(void **state)
{
	size_t len = 70 * 1024;
	char *text = malloc(len + 1);
	char *big, *pem, *body;

	(void)state;
	assert_non_null(text);
	memset(text, 'A', len);
	memcpy(text, TEST_PEM, strlen(TEST_PEM));
	text[len] = '\0';
	big = quoted_base64(text, len);
	pem = quoted_base64(TEST_PEM, strlen(TEST_PEM));

	body = certification_with(pem, pem, big);
	expect_certification_failure(body, CA_ERR_NETWORK,
	    "signCertificateSigningRequest.clientCertificate is longer than "
	    "65536 bytes after base64 decoding");
	free(body);
	free(pem);
	free(big);
	free(text);
}

static void
revoke_responses(void **state)
{
	struct ca_error err;
	static const struct {
		const char *body;
		enum ca_status status;
		const char *message;
	} cases[] = {
		{ "{\"data\":{\"result\":true}}", CA_OK, "" },
		{ "{\"data\":{\"result\":false}}", CA_ERR_REJECTED,
		    "answered false" },
		{ "{\"data\":{\"result\":\"true\"}}", CA_ERR_NETWORK,
		    "revokeCertificate is not a boolean" },
		{ "{\"data\":{}}", CA_ERR_NETWORK,
		    "revokeCertificate missing" },
		{ "{\"data\":null,\"errors\":[{\"message\":\"revoked\"}]}",
		    CA_ERR_REJECTED, "\"revoked\"" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ca_error_clear(&err);
		assert_int_equal(connector_parse_revoke(cases[i].body,
		    strlen(cases[i].body), &err), cases[i].status);
		assert_non_null(strstr(err.message, cases[i].message));
	}
}

static void
operations_check_arguments_first(void **state)
{
	struct http_options options = { 0 };
	struct connector_configuration config;
	struct certification_result result;
	struct secret *token = secret_from_bytes("tok", 3);
	struct ca_error err;

	(void)state;
	assert_non_null(token);
	assert_int_equal(connector_configuration(&options,
	    "http://127.0.0.1:9/connector", token, &config, &err),
	    CA_ERR_NETWORK);
	assert_non_null(strstr(err.message, "URL must use https"));
	assert_int_equal(connector_configuration(&options,
	    "https://127.0.0.1:9/connector", NULL, &config, &err),
	    CA_ERR_INTERNAL);
	assert_int_equal(connector_sign_csr(&options,
	    "ftp://127.0.0.1:9/connector", token, TEST_PEM, &result, &err),
	    CA_ERR_NETWORK);
	assert_int_equal(connector_revoke(&options,
	    "https://127.0.0.1:9/connector", &err), CA_ERR_INTERNAL);
	secret_free(token);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(configuration_request_shape),
		cmocka_unit_test(sign_csr_request_csr_as_variable),
		cmocka_unit_test(sign_csr_request_rejects_bad_csr),
		cmocka_unit_test(revoke_request_shape),
		cmocka_unit_test(configuration_good_response),
		cmocka_unit_test(configuration_body_not_nul_terminated),
		cmocka_unit_test(graphql_errors_rejected_with_messages),
		cmocka_unit_test(graphql_errors_bounded),
		cmocka_unit_test(empty_errors_array_is_success),
		cmocka_unit_test(configuration_malformed_body),
		cmocka_unit_test(configuration_field_checks),
		cmocka_unit_test(configuration_missing_sections),
		cmocka_unit_test(configuration_oversize_fields),
		cmocka_unit_test(certification_good_response),
		cmocka_unit_test(certification_bad_fields),
		cmocka_unit_test(certification_oversize),
		cmocka_unit_test(revoke_responses),
		cmocka_unit_test(operations_check_arguments_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
