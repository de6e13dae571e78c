/*
 * libFuzzer target for the mapping of configuration responses.
 *
 * Build from the top directory:
 *   clang -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
 *     -o fuzz_configuration tests/fuzz/fuzz_configuration.c \
 *     graphql/connector_response.c \
 *     common/base64.c common/error.c common/secret.c -lcjson -lcrypto
 *   ./fuzz_configuration tests/fuzz/corpus/configuration
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../graphql/connector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A message must be bounded text without control bytes. */
static void
check_message(const struct ca_error *err)
{
	size_t i, len = strnlen(err->message, sizeof(err->message));

	if (len == sizeof(err->message))
		abort();
	for (i = 0; i < len; i++) {
		if ((unsigned char)err->message[i] < 0x20)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct connector_configuration config;
	struct ca_error err;

	ca_error_clear(&err);
	if (connector_parse_configuration((const char *)data, size, &config,
	    &err) == CA_OK) {
		if (config.token == NULL || config.token->len == 0 ||
		    config.subject == NULL || config.key_algorithm == NULL ||
		    config.director_url == NULL ||
		    config.certificate_secured_connector_url == NULL ||
		    strncasecmp(config.director_url, "https://", 8) != 0 ||
		    strchr(config.token->data, '\n') != NULL)
			abort();
	} else {
		if (config.token != NULL || config.subject != NULL)
			abort();
		check_message(&err);
	}
	connector_configuration_free(&config);
	return 0;
}
