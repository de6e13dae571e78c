/*
 * Fuzz target: the state file parser, and serializing what it accepted.
 * Build: clang -fsanitize=fuzzer,address,undefined (see "make fuzz").
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../agent/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_state state;
	struct ca_error err;
	char *text;

	if (state_parse((const char *)data, size, &state, &err) != CA_OK)
		return 0;
	text = state_serialize(&state);
	free(text);
	state_free(&state);
	return 0;
}
