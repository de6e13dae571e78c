/*
 * Checks of the URLs the agent sends requests to, with libcurl's URL parser
 * (the one that CURLOPT_URL uses), and their redacted form for messages.
 */
#ifndef COMPASS_AGENT_URL_H
#define COMPASS_AGENT_URL_H

#include <stddef.h>

#include "../common/error.h"

/* Bytes of a URL shown in a message, and the buffer size for url_redact. */
#define URL_SHOWN_MAX 200
#define URL_SHOWN_SIZE (URL_SHOWN_MAX * 4 + 8)

/*
 * Check that url is an https URL that libcurl can parse and that it
 * contains no user name, password or login options, because libcurl would
 * send those as an Authorization header. what names the URL in messages
 * ("--connector-url"). A failure sets err to status, with the URL redacted
 * by url_redact, and returns status.
 */
enum ca_status url_check(const char *url, const char *what,
			 enum ca_status status, struct ca_error *err)
	CA_WARN_UNUSED;

/*
 * Copy url into out for a message: escaped as untrusted text, at most
 * URL_SHOWN_MAX bytes, and without the user information (everything before
 * the last '@' of the authority), so that a password never appears.
 */
void url_redact(char out[static URL_SHOWN_SIZE], const char *url);

#endif
