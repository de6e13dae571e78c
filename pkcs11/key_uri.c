/* Key IDs in hex, and RFC 7512 key URIs for pkcs11-provider. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"
#include "token_internal.h"

static const char hex_digits[] = "0123456789abcdef";

void
key_id_to_hex(const struct key_id *id, char out[static 2 * KEY_ID_LEN + 1])
{
	size_t i;

	for (i = 0; i < KEY_ID_LEN; i++) {
		out[2 * i] = hex_digits[id->bytes[i] >> 4];
		out[2 * i + 1] = hex_digits[id->bytes[i] & 0x0f];
	}
	out[2 * KEY_ID_LEN] = '\0';
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool
key_id_from_hex(const char *hex, struct key_id *id)
{
	struct key_id parsed;
	int high, low;
	size_t i;

	if (hex == NULL || id == NULL || strlen(hex) != 2 * KEY_ID_LEN)
		return false;
	for (i = 0; i < KEY_ID_LEN; i++) {
		high = hex_value(hex[2 * i]);
		low = hex_value(hex[2 * i + 1]);
		if (high < 0 || low < 0)
			return false;
		parsed.bytes[i] = (unsigned char)(high << 4 | low);
	}
	*id = parsed;
	return true;
}

/* RFC 3986 unreserved characters, the only ones left unencoded. */
static bool
uri_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

/* Append len bytes to out at *used, percent-encoding all but unreserved. */
static void
uri_append_encoded(char *out, size_t *used, const unsigned char *bytes,
		   size_t len, bool encode_all)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (!encode_all && uri_unreserved(bytes[i])) {
			out[(*used)++] = (char)bytes[i];
			continue;
		}
		out[(*used)++] = '%';
		out[(*used)++] = "0123456789ABCDEF"[bytes[i] >> 4];
		out[(*used)++] = "0123456789ABCDEF"[bytes[i] & 0x0f];
	}
}

static void
uri_append_text(char *out, size_t *used, const char *text)
{
	size_t len = strlen(text);

	memcpy(out + *used, text, len);
	*used += len;
}

char *
token_key_uri(const struct token *token, const struct key_id *id)
{
	size_t label_len, serial_len, size, used = 0;
	char *uri;

	if (token == NULL || id == NULL)
		return NULL;
	label_len = strlen(token->label);
	serial_len = strlen(token->serial);

	/* Every byte takes at most three characters once encoded. */
	size = sizeof("pkcs11:token=;serial=;id=;type=private") +
	    3 * (label_len + serial_len + KEY_ID_LEN);
	if ((uri = malloc(size)) == NULL)
		return NULL;

	uri_append_text(uri, &used, "pkcs11:token=");
	uri_append_encoded(uri, &used, (const unsigned char *)token->label,
	    label_len, false);
	uri_append_text(uri, &used, ";serial=");
	uri_append_encoded(uri, &used, (const unsigned char *)token->serial,
	    serial_len, false);
	uri_append_text(uri, &used, ";id=");
	uri_append_encoded(uri, &used, id->bytes, KEY_ID_LEN, true);
	uri_append_text(uri, &used, ";type=private");
	uri[used] = '\0';
	return uri;
}
