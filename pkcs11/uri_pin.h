/* PIN-related attributes of a PKCS#11 URI (RFC 7512). */
#ifndef COMPASS_AGENT_URI_PIN_H
#define COMPASS_AGENT_URI_PIN_H

#include "../common/error.h"

/*
 * Parse uri with p11-kit and return its pin-source query attribute in *out
 * (malloc'd, NULL when absent). A URI that does not parse, or one that
 * carries pin-value (a PIN on the command line), is CA_ERR_USAGE.
 */
enum ca_status token_uri_pin_source(const char *uri, char **out,
				    struct ca_error *err) CA_WARN_UNUSED;

#endif
