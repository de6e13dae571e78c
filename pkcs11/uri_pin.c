/* The pin-source and pin-value attributes of a PKCS#11 URI. */
#include <stdlib.h>
#include <string.h>

#include <p11-kit/uri.h>

#include "uri_pin.h"

enum ca_status
token_uri_pin_source(const char *uri, char **out, struct ca_error *err)
{
	P11KitUri *parsed = NULL;
	const char *source;
	int rc;
	enum ca_status r = CA_ERR_USAGE;

	*out = NULL;

	parsed = p11_kit_uri_new();
	if (parsed == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "p11_kit_uri_new failed");
		goto out;
	}
	rc = p11_kit_uri_parse(uri, P11_KIT_URI_FOR_ANY, parsed);
	if (rc != P11_KIT_URI_OK) {
		/* A URI with pin-value is not shown: it carries the PIN. */
		r = ca_error_set(err, CA_ERR_USAGE, "invalid PKCS#11 URI '%s': "
		    "%s; expected for example pkcs11:token=compass",
		    strstr(uri, "pin-value") != NULL ? "(not shown)" : uri,
		    p11_kit_uri_message(rc));
		goto out;
	}
	if (p11_kit_uri_get_pin_value(parsed) != NULL) {
		r = ca_error_set(err, CA_ERR_USAGE, "the token URI contains "
		    "pin-value, which puts the PIN on the command line and in "
		    "the process list; use pin-source=file:PATH or "
		    "--pin-source instead");
		goto out;
	}
	source = p11_kit_uri_get_pin_source(parsed);
	if (source != NULL) {
		*out = strdup(source);
		if (*out == NULL) {
			r = ca_error_set(err, CA_ERR_INTERNAL,
			    "cannot allocate memory for the PIN source");
			goto out;
		}
	}
	r = CA_OK;
out:
	if (parsed != NULL)
		p11_kit_uri_free(parsed);
	return r;
}
