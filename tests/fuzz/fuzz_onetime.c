/*
 * Fuzz target: one-time token file parsing (raw, raw JSON, rawEncoded).
 * Build: clang -fsanitize=fuzzer,address,undefined (see "make fuzz").
 */
#include <stddef.h>
#include <stdint.h>

#include "../../agent/onetime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct onetime_token ott;
	struct ca_error err;

	if (onetime_token_parse((const char *)data, size, "fuzz input", &ott,
	    &err) == CA_OK)
		onetime_token_free(&ott);
	return 0;
}
