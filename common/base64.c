/* Strict base64 decoding for outside input, and encoding without breaks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base64.h"

/* Value of a base64 character, or -1 when it is not in the alphabet. */
static int
base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int
is_base64_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

enum ca_status
base64_decode(const char *text, size_t len, const char *what,
	      unsigned char **out, size_t *out_len, struct ca_error *err)
{
	unsigned char *buf = NULL;
	size_t o = 0, quad_len = 0, padding = 0, i;
	int quad[4];
	enum ca_status r = CA_ERR_NETWORK;

	*out = NULL;
	*out_len = 0;

	buf = malloc(len / 4 * 3 + 4);
	if (buf == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL,
		    "cannot allocate memory to decode %s", what);
		goto out;
	}

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		int v;

		if (is_base64_space(c))
			continue;
		if (c == '=') {
			/* Padding only in the last two places of a quad. */
			if (quad_len < 2 || padding >= 2) {
				ca_error_set(err, CA_ERR_NETWORK,
				    "%s is not valid base64: misplaced '=' at "
				    "offset %zu", what, i);
				goto out;
			}
			padding++;
			quad[quad_len++] = 0;
		} else {
			v = base64_value(c);
			if (v < 0 || padding > 0) {
				ca_error_set(err, CA_ERR_NETWORK,
				    "%s is not valid base64: unexpected byte "
				    "0x%02x at offset %zu", what, c, i);
				goto out;
			}
			quad[quad_len++] = v;
		}
		if (quad_len < 4)
			continue;

		buf[o++] = (unsigned char)(quad[0] << 2 | quad[1] >> 4);
		if (padding < 2)
			buf[o++] = (unsigned char)((quad[1] & 0x0f) << 4 |
			    quad[2] >> 2);
		if (padding < 1)
			buf[o++] = (unsigned char)((quad[2] & 0x03) << 6 |
			    quad[3]);
		quad_len = 0;
		if (padding > 0)
			break;
	}

	/* Nothing but white space may follow the padding. */
	for (i++; padding > 0 && i < len; i++) {
		if (!is_base64_space((unsigned char)text[i])) {
			ca_error_set(err, CA_ERR_NETWORK,
			    "%s is not valid base64: data after padding", what);
			goto out;
		}
	}
	if (quad_len != 0) {
		ca_error_set(err, CA_ERR_NETWORK,
		    "%s is not valid base64: length is not a multiple of 4",
		    what);
		goto out;
	}

	buf[o] = '\0';
	*out = buf;
	*out_len = o;
	buf = NULL;
	r = CA_OK;
out:
	free(buf);
	return r;
}

char *
base64_encode(const unsigned char *data, size_t len)
{
	char *out;
	int n;

	if (len > (size_t)INT32_MAX / 2)
		return NULL;
	out = malloc(len / 3 * 4 + 5);
	if (out == NULL)
		return NULL;
	n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	if (n < 0) {
		free(out);
		return NULL;
	}
	out[n] = '\0';
	return out;
}
