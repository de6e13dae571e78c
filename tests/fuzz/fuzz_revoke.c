/*
 * libFuzzer target for the mapping of revokeCertificate responses.
 *
 * Build from the top directory:
 *   clang -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
 *     -o fuzz_revoke tests/fuzz/fuzz_revoke.c \
 *     graphql/connector_response.c \
 *     common/base64.c common/error.c common/secret.c -lcjson -lcrypto
 *   ./fuzz_revoke tests/fuzz/corpus/revoke
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../graphql/connector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ca_error err;
	enum ca_status r;
	size_t i;

	ca_error_clear(&err);
	r = connector_parse_revoke((const char *)data, size, &err);
	if (r != CA_OK && r != CA_ERR_NETWORK && r != CA_ERR_REJECTED &&
	    r != CA_ERR_INTERNAL)
		abort();
	for (i = 0; err.message[i] != '\0'; i++) {
		if ((unsigned char)err.message[i] < 0x20)
			abort();
	}
	return 0;
}
