/* Strict base64 (RFC 4648 standard alphabet, padded) for outside input. */
#ifndef COMPASS_AGENT_BASE64_H
#define COMPASS_AGENT_BASE64_H

#include <stddef.h>

#include "error.h"

/*
 * Decode text of length len. Whitespace (space, tab, CR, LF) is skipped;
 * anything else outside the alphabet, wrong padding or a length that is not
 * a multiple of four after skipping is an error (CA_ERR_NETWORK with what in
 * the message, because the input came from the network or a file). On
 * success *out is a NUL-terminated malloc'd buffer of *out_len bytes that the
 * caller frees.
 */
enum ca_status base64_decode(const char *text, size_t len, const char *what,
			     unsigned char **out, size_t *out_len,
			     struct ca_error *err) CA_WARN_UNUSED;

/* Encode len bytes without line breaks. Returns a malloc'd string or NULL. */
char *base64_encode(const unsigned char *data, size_t len) CA_WARN_UNUSED;

#endif
