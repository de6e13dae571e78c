/*
 * One-time token input. The Director hands a token out in three forms and
 * the admin may save any of them: the raw token, the "raw" JSON
 * {"token": ..., "connectorURL": ...}, or "rawEncoded", the base64 of that
 * JSON. The JSON forms also carry the Connector URL.
 */
#ifndef COMPASS_AGENT_ONETIME_H
#define COMPASS_AGENT_ONETIME_H

#include <stddef.h>

#include "../common/error.h"
#include "../common/secret.h"

struct onetime_token {
	struct secret *token;
	char *connector_url;	/* NULL for the raw form */
};

/*
 * Parse text (len bytes, not necessarily NUL-terminated) in any of the three
 * forms. Surrounding white space is ignored. what names the source for
 * messages; the token itself never appears in a message. Errors are
 * CA_ERR_USAGE.
 */
enum ca_status onetime_token_parse(const char *text, size_t len,
				   const char *what, struct onetime_token *out,
				   struct ca_error *err) CA_WARN_UNUSED;

/* Read and parse a file, or standard input when path is "-". */
enum ca_status onetime_token_read(const char *path, struct onetime_token *out,
				  struct ca_error *err) CA_WARN_UNUSED;

void onetime_token_free(struct onetime_token *ott);

#endif
