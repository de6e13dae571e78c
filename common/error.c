/* The shared error vocabulary: messages, prefixes, and escaping. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

void
ca_error_clear(struct ca_error *err)
{
	if (err == NULL)
		return;
	err->status = CA_OK;
	err->message[0] = '\0';
}

enum ca_status
ca_error_set(struct ca_error *err, enum ca_status status, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return status;
	err->status = status;
	va_start(ap, fmt);
	(void)vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return status;
}

enum ca_status
ca_error_prefix(struct ca_error *err, const char *fmt, ...)
{
	char prefix[CA_ERROR_MESSAGE_MAX];
	char old[CA_ERROR_MESSAGE_MAX];
	va_list ap;

	if (err == NULL)
		return CA_ERR_INTERNAL;
	va_start(ap, fmt);
	(void)vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->message, sizeof(old));
	/* Truncation is fine: the message is bounded on purpose. */
	if (snprintf(err->message, sizeof(err->message),
	    old[0] == '\0' ? "%s%s" : "%s: %s", prefix, old) < 0)
		err->message[0] = '\0';
	return err->status;
}

const char *
ca_status_name(enum ca_status status)
{
	switch (status) {
	case CA_OK:
		return "success";
	case CA_ERR_INTERNAL:
		return "failure";
	case CA_ERR_USAGE:
		return "usage error";
	case CA_ERR_TOKEN:
		return "token error";
	case CA_ERR_PIN:
		return "PIN error";
	case CA_ERR_NETWORK:
		return "network error";
	case CA_ERR_REJECTED:
		return "rejected by Compass";
	case CA_ERR_EXPIRED:
		return "certificate expired or revoked";
	case CA_ERR_STATE:
		return "state directory error";
	}
	return "unknown error";
}

void
ca_escape_untrusted(char *out, size_t out_size, const char *text,
		    size_t max_len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	size_t i;

	if (out == NULL || out_size == 0)
		return;
	out[0] = '\0';
	if (text == NULL)
		return;

	/* Keep room for "..." and the NUL. */
	for (i = 0; text[i] != '\0'; i++) {
		unsigned char c = (unsigned char)text[i];
		size_t need = (c >= 0x20 && c < 0x7f && c != '\\') ? 1 : 4;

		if (i >= max_len || o + need + 4 > out_size) {
			memcpy(out + o, "...", 4);
			return;
		}
		if (need == 1) {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0x0f];
		}
	}
	out[o] = '\0';
}
