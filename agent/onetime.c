/* Parsing of the three one-time token forms. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../common/base64.h"
#include "../common/private_file.h"
#include "onetime.h"

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A raw token is printable ASCII without spaces or quotes. */
static bool
is_raw_token(const char *text, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\')
			return false;
	}
	return true;
}

static void
wipe_json_string(cJSON *item)
{
	if (cJSON_IsString(item) && item->valuestring != NULL)
		explicit_bzero(item->valuestring, strlen(item->valuestring));
}

/*
 * Parse the raw JSON form. *is_object_out is set when text starts with a
 * whole JSON object, even if it is then rejected, so that a caller can tell
 * a broken JSON form from text that is no JSON at all.
 */
static enum ca_status
parse_json_form(const char *text, size_t len, const char *what,
		struct onetime_token *out, bool *is_object_out,
		struct ca_error *err)
{
	cJSON *root = NULL, *token, *url;
	const char *end = NULL;
	enum ca_status r = CA_ERR_USAGE;

	*is_object_out = false;

	/*
	 * cJSON's require_null_terminated check fails whenever the value
	 * ends exactly at len, so the bytes after the value are checked here.
	 */
	root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (root == NULL || !cJSON_IsObject(root)) {
		ca_error_set(err, CA_ERR_USAGE, "%s is not valid JSON; expected "
		    "the raw token, or the Director's raw or rawEncoded form",
		    what);
		goto out;
	}
	*is_object_out = true;
	for (; end != NULL && end < text + len; end++) {
		if (!is_space(*end)) {
			ca_error_set(err, CA_ERR_USAGE, "%s has data after the "
			    "JSON object; save only the Director's raw or "
			    "rawEncoded form in it", what);
			goto out;
		}
	}
	token = cJSON_GetObjectItemCaseSensitive(root, "token");
	url = cJSON_GetObjectItemCaseSensitive(root, "connectorURL");
	if (!cJSON_IsString(token) || !is_raw_token(token->valuestring,
	    strlen(token->valuestring))) {
		ca_error_set(err, CA_ERR_USAGE, "%s: \"token\" is missing or "
		    "not a token string", what);
		goto out;
	}
	if (url != NULL && !cJSON_IsNull(url) && (!cJSON_IsString(url) ||
	    url->valuestring[0] == '\0')) {
		ca_error_set(err, CA_ERR_USAGE, "%s: \"connectorURL\" is not "
		    "a URL string", what);
		goto out;
	}

	out->token = secret_from_bytes(token->valuestring,
	    strlen(token->valuestring));
	if (out->token == NULL) {
		ca_error_set(err, CA_ERR_INTERNAL, "cannot allocate memory "
		    "for the one-time token");
		goto out;
	}
	if (cJSON_IsString(url)) {
		out->connector_url = strdup(url->valuestring);
		if (out->connector_url == NULL) {
			ca_error_set(err, CA_ERR_INTERNAL, "cannot allocate "
			    "memory for the Connector URL");
			goto out;
		}
	}
	r = CA_OK;
out:
	if (root != NULL) {
		wipe_json_string(cJSON_GetObjectItemCaseSensitive(root,
		    "token"));
		cJSON_Delete(root);
	}
	if (r != CA_OK)
		onetime_token_free(out);
	return r;
}

enum ca_status
onetime_token_parse(const char *text, size_t len, const char *what,
		    struct onetime_token *out, struct ca_error *err)
{
	unsigned char *decoded = NULL;
	size_t decoded_len = 0;
	struct ca_error ignored;
	bool is_object = false;
	enum ca_status r = CA_ERR_USAGE;

	memset(out, 0, sizeof(*out));

	while (len > 0 && is_space(text[0])) {
		text++;
		len--;
	}
	while (len > 0 && is_space(text[len - 1]))
		len--;
	if (len == 0) {
		r = ca_error_set(err, CA_ERR_USAGE, "%s is empty; expected a "
		    "one-time token", what);
		goto out;
	}

	/* The raw JSON form. */
	if (text[0] == '{') {
		r = parse_json_form(text, len, what, out, &is_object, err);
		goto out;
	}

	/*
	 * The rawEncoded form: base64 of the JSON form. A raw token can be
	 * valid base64 too, so only a decoded JSON object counts, but a
	 * decoded object that is then rejected is an error, not a raw token.
	 */
	if (base64_decode(text, len, what, &decoded, &decoded_len,
	    &ignored) == CA_OK && decoded_len > 0 && decoded[0] == '{') {
		r = parse_json_form((const char *)decoded, decoded_len, what,
		    out, &is_object, err);
		if (r == CA_OK || is_object)
			goto out;
	}

	/* The raw token. */
	if (!is_raw_token(text, len)) {
		r = ca_error_set(err, CA_ERR_USAGE, "%s does not contain a "
		    "one-time token: expected one line without spaces, or the "
		    "Director's raw or rawEncoded form", what);
		goto out;
	}
	out->token = secret_from_bytes(text, len);
	if (out->token == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "cannot allocate memory "
		    "for the one-time token");
		goto out;
	}
	r = CA_OK;
out:
	if (decoded != NULL) {
		explicit_bzero(decoded, decoded_len);
		free(decoded);
	}
	return r;
}

enum ca_status
onetime_token_read(const char *path, struct onetime_token *out,
		   struct ca_error *err)
{
	struct secret *content = NULL;
	char what[512];
	int fd = -1;
	enum ca_status r = CA_ERR_USAGE;

	memset(out, 0, sizeof(*out));

	if (strcmp(path, "-") == 0) {
		(void)snprintf(what, sizeof(what), "one-time token on standard input");
		fd = STDIN_FILENO;
	} else {
		(void)snprintf(what, sizeof(what), "one-time token file %s", path);
		/*
		 * No symbolic links: one planted in the drop location could
		 * point at the PIN file and send the PIN as a token.
		 */
		r = private_file_open(path, what, false, CA_ERR_USAGE, &fd,
		    err);
		if (r != CA_OK)
			goto out;
	}

	content = secret_read_fd(fd, what, err);
	if (content == NULL) {
		r = err != NULL ? err->status : CA_ERR_USAGE;
		goto out;
	}
	r = onetime_token_parse(content->data, content->len, what, out, err);
out:
	if (fd > STDIN_FILENO)
		(void)close(fd);
	secret_free(content);
	return r;
}

void
onetime_token_free(struct onetime_token *ott)
{
	if (ott == NULL)
		return;
	secret_free(ott->token);
	free(ott->connector_url);
	memset(ott, 0, sizeof(*ott));
}
