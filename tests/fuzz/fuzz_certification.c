/*
 * libFuzzer target for the mapping of signCertificateSigningRequest
 * responses (base64 decoding included).
 *
 * Build from the top directory:
 *   clang -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
 *     -o fuzz_certification tests/fuzz/fuzz_certification.c \
 *     graphql/connector_response.c \
 *     common/base64.c common/error.c common/secret.c -lcjson -lcrypto
 *   ./fuzz_certification tests/fuzz/corpus/certification
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../graphql/connector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_pem(const char *pem)
{
	if (pem == NULL ||
	    strstr(pem, "-----BEGIN CERTIFICATE-----") == NULL ||
	    strlen(pem) > 64 * 1024)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct certification_result result;
	struct ca_error err;
	size_t i;

	ca_error_clear(&err);
	if (connector_parse_certification((const char *)data, size, &result,
	    &err) == CA_OK) {
		check_pem(result.certificate_chain_pem);
		check_pem(result.ca_certificate_pem);
		check_pem(result.client_certificate_pem);
	} else {
		if (result.certificate_chain_pem != NULL)
			abort();
		for (i = 0; err.message[i] != '\0'; i++) {
			if ((unsigned char)err.message[i] < 0x20)
				abort();
		}
	}
	certification_result_free(&result);
	return 0;
}
