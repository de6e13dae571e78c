/* One-time token file forms: raw, raw JSON and rawEncoded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../agent/onetime.h"
#include "../../common/base64.h"

#define TOKEN "eyJhbGciOi-abc_DEF.123xyzTOKENvalue"
#define URL "https://compass-gateway.example/connector/graphql"
#define RAW_JSON "{\"token\":\"" TOKEN "\",\"connectorURL\":\"" URL "\"}"

static void
parse_ok(const char *text, const char *want_url)
{
	struct onetime_token ott;
	struct ca_error err;

	assert_int_equal(onetime_token_parse(text, strlen(text), "test", &ott,
	    &err), CA_OK);
	assert_non_null(ott.token);
	assert_string_equal(ott.token->data, TOKEN);
	if (want_url == NULL)
		assert_null(ott.connector_url);
	else
		assert_string_equal(ott.connector_url, want_url);
	onetime_token_free(&ott);
}

static void
parse_fails(const char *text)
{
	struct onetime_token ott;
	struct ca_error err;

	assert_int_equal(onetime_token_parse(text, strlen(text), "test", &ott,
	    &err), CA_ERR_USAGE);
	assert_null(ott.token);
	/* The message never repeats the input. */
	assert_null(strstr(err.message, TOKEN));
}

static void
raw_token_with_newline(void **state)
{
	(void)state;
	parse_ok(TOKEN "\n", NULL);
	parse_ok("  " TOKEN "\r\n", NULL);
}

static void
raw_json_carries_url(void **state)
{
	(void)state;
	parse_ok(RAW_JSON, URL);
	parse_ok("\n" RAW_JSON "\n", URL);
}

static void
raw_encoded_carries_url(void **state)
{
	char *encoded;

	(void)state;
	encoded = base64_encode((const unsigned char *)RAW_JSON,
	    strlen(RAW_JSON));
	assert_non_null(encoded);
	parse_ok(encoded, URL);
	free(encoded);
}

static void
raw_token_that_is_base64_stays_raw(void **state)
{
	struct onetime_token ott;
	struct ca_error err;
	const char *text = "QUJDRA==";	/* base64 of "ABCD", not JSON */

	(void)state;
	assert_int_equal(onetime_token_parse(text, strlen(text), "test", &ott,
	    &err), CA_OK);
	assert_string_equal(ott.token->data, text);
	onetime_token_free(&ott);
}

static void
malformed_inputs_rejected(void **state)
{
	(void)state;
	parse_fails("");
	parse_fails("   \n");
	parse_fails("two words");
	parse_fails("{\"token\": 5}");
	parse_fails("{\"connectorURL\": \"" URL "\"}");
	parse_fails("{\"token\": \"" TOKEN "\", \"connectorURL\": 7}");
	parse_fails("{\"token\": \"has space\"}");
	parse_fails("{\"token\": \"" TOKEN "\"");
}

static void
raw_json_trailing_data_rejected(void **state)
{
	static const char embedded_nul[] = RAW_JSON "\0{}";
	struct onetime_token ott;
	struct ca_error err;

	(void)state;
	parse_fails(RAW_JSON "x");
	parse_fails(RAW_JSON " {}");
	parse_fails(RAW_JSON "\n" TOKEN);
	parse_fails(RAW_JSON "\n}\n");
	assert_int_equal(onetime_token_parse(embedded_nul,
	    sizeof(embedded_nul) - 1, "test", &ott, &err), CA_ERR_USAGE);
	assert_null(ott.token);
	assert_non_null(strstr(err.message, "after the JSON object"));
}

static void
raw_json_trailing_space_accepted(void **state)
{
	(void)state;
	parse_ok(RAW_JSON " \t\r\n", URL);
}

static void
raw_encoded_trailing_data_rejected(void **state)
{
	static const char *const inputs[] = {
		RAW_JSON "x",
		RAW_JSON "\n\n{\"token\":\"other\"}",
	};
	struct onetime_token ott;
	struct ca_error err;
	char *encoded;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		encoded = base64_encode((const unsigned char *)inputs[i],
		    strlen(inputs[i]));
		assert_non_null(encoded);
		/* Not taken for a raw token either. */
		assert_int_equal(onetime_token_parse(encoded, strlen(encoded),
		    "test", &ott, &err), CA_ERR_USAGE);
		assert_null(ott.token);
		assert_non_null(strstr(err.message, "after the JSON object"));
		free(encoded);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(raw_token_with_newline),
		cmocka_unit_test(raw_json_carries_url),
		cmocka_unit_test(raw_encoded_carries_url),
		cmocka_unit_test(raw_token_that_is_base64_stays_raw),
		cmocka_unit_test(malformed_inputs_rejected),
		cmocka_unit_test(raw_json_trailing_data_rejected),
		cmocka_unit_test(raw_json_trailing_space_accepted),
		cmocka_unit_test(raw_encoded_trailing_data_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
