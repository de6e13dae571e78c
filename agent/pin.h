/* PIN sources: file:PATH, fd:N, env:NAME or prompt. */
#ifndef COMPASS_AGENT_PIN_H
#define COMPASS_AGENT_PIN_H

#include "../common/error.h"
#include "../common/secret.h"

/*
 * Read the PIN from source. token_label is shown in the prompt. A file that
 * group or others can read is rejected (CA_ERR_USAGE); an environment
 * variable is wiped and removed after reading; a descriptor is closed.
 * An empty PIN or no source at all without a terminal is CA_ERR_PIN.
 */
enum ca_status pin_read(const char *source, const char *token_label,
			struct secret **out, struct ca_error *err) CA_WARN_UNUSED;

#endif
