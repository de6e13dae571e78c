/* OpenSSL's error queue in the agent's error vocabulary. */
#include <openssl/err.h>

#include "ossl_error.h"

enum ca_status
ossl_error(struct ca_error *err, enum ca_status status, const char *what)
{
	char reason[256] = "no details from OpenSSL";
	unsigned long code;
	const char *data = NULL;
	int flags = 0;

	/* The oldest entry is the cause, and later ones add context. */
	code = ERR_get_error_all(NULL, NULL, NULL, &data, &flags);
	if (code != 0) {
		ERR_error_string_n(code, reason, sizeof(reason));
		if (data != NULL && (flags & ERR_TXT_STRING) && data[0] != '\0')
			(void)ca_error_set(err, status, "%s: %s (%s)", what,
			    reason, data);
		else
			(void)ca_error_set(err, status, "%s: %s", what, reason);
	} else {
		(void)ca_error_set(err, status, "%s: %s", what, reason);
	}
	ERR_clear_error();
	return status;
}
