/* URL checks and redaction for messages (see url.h). */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "url.h"

void
url_redact(char out[static URL_SHOWN_SIZE], const char *url)
{
	char kept[URL_SHOWN_MAX + 2];
	const char *authority, *separator, *at, *rest;
	size_t prefix_len, authority_len, rest_len, kept_len;

	if (url == NULL) {
		ca_escape_untrusted(out, URL_SHOWN_SIZE, "(none)",
		    URL_SHOWN_MAX);
		return;
	}

	/*
	 * The authority runs from "://" (or the start, without a scheme) to
	 * the first '/', '?' or '#', as in libcurl's parser, and the user
	 * information is whatever comes before its last '@'.
	 */
	separator = strstr(url, "://");
	authority = separator != NULL ? separator + 3 : url;
	authority_len = strcspn(authority, "/?#");
	at = NULL;
	for (rest = authority; rest < authority + authority_len; rest++) {
		if (*rest == '@')
			at = rest;
	}
	prefix_len = (size_t)(authority - url);
	rest = at != NULL ? at + 1 : authority;
	rest_len = strlen(rest);

	/* One byte over the limit, so that the escape marks the truncation. */
	kept_len = 0;
	if (prefix_len > sizeof(kept) - 1)
		prefix_len = sizeof(kept) - 1;
	memcpy(kept, url, prefix_len);
	kept_len = prefix_len;
	if (rest_len > sizeof(kept) - 1 - kept_len)
		rest_len = sizeof(kept) - 1 - kept_len;
	memcpy(kept + kept_len, rest, rest_len);
	kept_len += rest_len;
	kept[kept_len] = '\0';
	ca_escape_untrusted(out, URL_SHOWN_SIZE, kept, URL_SHOWN_MAX);
	explicit_bzero(kept, sizeof(kept));
}

/*
 * Find whether the parsed URL has part. absent is the code libcurl returns
 * when it has not. The part's text is wiped before it is freed, because it
 * may be a password.
 */
static CURLUcode
url_part_present(CURLU *handle, CURLUPart part, CURLUcode absent,
		 bool *present)
{
	char *text = NULL;
	CURLUcode code;

	*present = false;
	code = curl_url_get(handle, part, &text, 0);
	if (code == absent)
		return CURLUE_OK;
	if (code != CURLUE_OK)
		return code;
	*present = true;
	if (text != NULL) {
		explicit_bzero(text, strlen(text));
		curl_free(text);
	}
	return CURLUE_OK;
}

enum ca_status
url_check(const char *url, const char *what, enum ca_status status,
	  struct ca_error *err)
{
	char shown[URL_SHOWN_SIZE];
	CURLU *handle = NULL;
	CURLUcode code;
	bool user = false, password = false, options = false;
	enum ca_status r = status;

	url_redact(shown, url);
	if (url == NULL || strncasecmp(url, "https://", 8) != 0) {
		r = ca_error_set(err, status, "%s must use https: %s", what,
		    shown);
		goto out;
	}

	handle = curl_url();
	if (handle == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "cannot allocate "
		    "memory to parse %s %s", what, shown);
		goto out;
	}
	code = curl_url_set(handle, CURLUPART_URL, url, 0);
	if (code != CURLUE_OK) {
		r = ca_error_set(err, status, "%s %s is not a valid URL: %s",
		    what, shown, curl_url_strerror(code));
		goto out;
	}

	if ((code = url_part_present(handle, CURLUPART_USER, CURLUE_NO_USER,
	    &user)) != CURLUE_OK ||
	    (code = url_part_present(handle, CURLUPART_PASSWORD,
	    CURLUE_NO_PASSWORD, &password)) != CURLUE_OK ||
	    (code = url_part_present(handle, CURLUPART_OPTIONS,
	    CURLUE_NO_OPTIONS, &options)) != CURLUE_OK) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "cannot read the parts "
		    "of %s %s: %s", what, shown, curl_url_strerror(code));
		goto out;
	}
	/* libcurl would send a user name or password as Authorization. */
	if (user || password || options) {
		r = ca_error_set(err, status, "%s must not contain a user name "
		    "or password: %s; remove the part before '@'", what,
		    shown);
		goto out;
	}
	r = CA_OK;
out:
	curl_url_cleanup(handle);
	return r;
}
