/*
 * HTTPS POST on libcurl under the agent's TLS policy (see http.h).
 *
 * Every request gets a fresh easy handle with connection reuse and the TLS
 * session cache switched off, because a renewal may change the client
 * certificate between two requests and the next request must present the
 * new one.
 *
 * Proxies: libcurl's default proxy handling stays on, so https_proxy,
 * HTTPS_PROXY, all_proxy and no_proxy from the environment apply. For an
 * https URL libcurl tunnels through the proxy with CONNECT, so TLS to the
 * Compass server stays end to end and is verified as below.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "http.h"
#include "url.h"

#ifndef CA_VERSION
#define CA_VERSION "unknown"
#endif

/* Bytes of a URL or a server-supplied string shown in a message. */
#define SHOWN_TEXT_MAX 200
#define SHOWN_TEXT_SIZE (SHOWN_TEXT_MAX * 4 + 8)

#define CONNECTOR_TOKEN_HEADER "Connector-Token: "
#define REQUEST_ID_MAX 128
/* First allocation for the response body. It doubles up to the cap. */
#define BODY_INITIAL_CAPACITY 16384
/* Largest body cap a caller may set. */
#define BODY_CAP_LIMIT (1024 * 1024 * 1024)

struct body_buffer {
	char *data;		/* len bytes and a NUL */
	size_t len;
	size_t capacity;
	size_t max;		/* the body cap */
	int too_large;
	int out_of_memory;
};

struct client_credentials {
	EVP_PKEY *key;
	STACK_OF(X509) *chain;
	char failure[512];	/* the failed step and OpenSSL's reason */
};

static void
escape_text(char out[static SHOWN_TEXT_SIZE], const char *text)
{
	ca_escape_untrusted(out, SHOWN_TEXT_SIZE, text, SHOWN_TEXT_MAX);
}

static long
option_or_default(long value, long default_value)
{
	return value > 0 ? value : default_value;
}

/* Replace the buffer with a larger one, wiping the old copy. */
static int
body_grow(struct body_buffer *body, size_t needed)
{
	size_t capacity = body->capacity * 2;
	char *data;

	if (capacity < BODY_INITIAL_CAPACITY)
		capacity = BODY_INITIAL_CAPACITY;
	if (capacity < needed)
		capacity = needed;
	if (capacity > body->max + 1)
		capacity = body->max + 1;

	data = malloc(capacity);
	if (data == NULL)
		return -1;
	if (body->data != NULL) {
		memcpy(data, body->data, body->len);
		explicit_bzero(body->data, body->capacity);
		free(body->data);
	}
	body->data = data;
	body->capacity = capacity;
	return 0;
}

/*
 * CURLOPT_WRITEFUNCTION: returning less than count aborts the transfer.
 * NOTE: libcurl and OpenSSL also keep the received bytes and the request
 * headers in internal buffers, which this module cannot wipe.
 */
static size_t
body_write(char *data, size_t size, size_t count, void *userdata)
{
	struct body_buffer *body = userdata;
	size_t n = size * count;	/* libcurl always passes size 1 */

	if (n > body->max - body->len) {
		body->too_large = 1;
		return 0;
	}
	if (body->len + n + 1 > body->capacity &&
	    body_grow(body, body->len + n + 1) != 0) {
		body->out_of_memory = 1;
		return 0;
	}
	memcpy(body->data + body->len, data, n);
	body->len += n;
	body->data[body->len] = '\0';
	return n;
}

static void
body_free(struct body_buffer *body)
{
	if (body->data != NULL) {
		explicit_bzero(body->data, body->capacity);
		free(body->data);
	}
	memset(body, 0, sizeof(*body));
}

/* Record which step failed and OpenSSL's reason, then clear its queue. */
static CURLcode
credentials_failed(struct client_credentials *credentials, const char *step)
{
	char reason[256];
	unsigned long e = ERR_peek_last_error();

	if (e != 0)
		ERR_error_string_n(e, reason, sizeof(reason));
	else
		(void)snprintf(reason, sizeof(reason), "no OpenSSL error");
	(void)snprintf(credentials->failure, sizeof(credentials->failure),
	    "%s failed: %s", step, reason);
	ERR_clear_error();
	return CURLE_SSL_CERTPROBLEM;
}

/*
 * CURLOPT_SSL_CTX_FUNCTION: install the leaf, the rest of the chain and the
 * key in the SSL_CTX that libcurl made for this connection, before the
 * handshake.
 */
static CURLcode
install_client_credentials(CURL *curl, void *ssl_ctx, void *userdata)
{
	struct client_credentials *credentials = userdata;
	SSL_CTX *ctx = ssl_ctx;
	int i;

	(void)curl;
	ERR_clear_error();

	if (SSL_CTX_use_certificate(ctx,
	    sk_X509_value(credentials->chain, 0)) != 1)
		return credentials_failed(credentials,
		    "SSL_CTX_use_certificate");
	if (SSL_CTX_clear_chain_certs(ctx) != 1)
		return credentials_failed(credentials,
		    "SSL_CTX_clear_chain_certs");
	for (i = 1; i < sk_X509_num(credentials->chain); i++) {
		if (SSL_CTX_add1_chain_cert(ctx,
		    sk_X509_value(credentials->chain, i)) != 1)
			return credentials_failed(credentials,
			    "SSL_CTX_add1_chain_cert");
	}

	if (SSL_CTX_use_PrivateKey(ctx, credentials->key) != 1)
		return credentials_failed(credentials,
		    "SSL_CTX_use_PrivateKey");
	if (SSL_CTX_check_private_key(ctx) != 1)
		return credentials_failed(credentials,
		    "SSL_CTX_check_private_key (the client key does not "
		    "match the leaf certificate)");
	return CURLE_OK;
}

static int
is_visible_ascii(const char *text, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (text[i] < 0x21 || text[i] > 0x7e)
			return 0;
	}
	return 1;
}

/*
 * Append "Connector-Token: <token>". The header text is built in a secret
 * buffer, and header_list_free wipes libcurl's copy in the list.
 */
static enum ca_status
add_connector_token(struct curl_slist **headers, const struct secret *token,
		    struct ca_error *err)
{
	size_t prefix_len = strlen(CONNECTOR_TOKEN_HEADER);
	struct secret *line = NULL;
	struct curl_slist *appended;
	enum ca_status r = CA_ERR_INTERNAL;

	/* A CR or LF here would let the token inject header lines. */
	if (token->len == 0 || token->len > SECRET_MAX - prefix_len ||
	    !is_visible_ascii(token->data, token->len)) {
		r = ca_error_set(err, CA_ERR_USAGE, "the one-time token is "
		    "empty, too long, or contains spaces or control "
		    "characters; check the token file");
		goto out;
	}

	line = secret_new(prefix_len + token->len);
	if (line == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL,
		    "cannot allocate memory for the Connector-Token header");
		goto out;
	}
	memcpy(line->data, CONNECTOR_TOKEN_HEADER, prefix_len);
	memcpy(line->data + prefix_len, token->data, token->len);
	line->len = prefix_len + token->len;
	line->data[line->len] = '\0';

	appended = curl_slist_append(*headers, line->data);
	if (appended == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL,
		    "cannot allocate memory for the Connector-Token header");
		goto out;
	}
	*headers = appended;
	r = CA_OK;
out:
	secret_free(line);
	return r;
}

/* Wipe every header line (one may carry the one-time token) and free them. */
static void
header_list_free(struct curl_slist *headers)
{
	struct curl_slist *node;

	for (node = headers; node != NULL; node = node->next) {
		if (node->data != NULL)
			explicit_bzero(node->data, strlen(node->data));
	}
	curl_slist_free_all(headers);
}

static enum ca_status
build_headers(const struct http_options *options,
	      const struct secret *connector_token,
	      struct curl_slist **headers_out, struct ca_error *err)
{
	static const char *const fixed[] = {
		"Content-Type: application/json",
		"Accept: application/json",
		"Expect:",	/* no 100-continue round trip */
	};
	struct curl_slist *headers = NULL, *appended;
	char request_id_line[sizeof("x-request-id: ") + REQUEST_ID_MAX];
	size_t i;
	enum ca_status r = CA_ERR_INTERNAL;

	*headers_out = NULL;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		appended = curl_slist_append(headers, fixed[i]);
		if (appended == NULL)
			goto out_of_memory;
		headers = appended;
	}

	if (options->request_id != NULL) {
		size_t len = strlen(options->request_id);

		if (len == 0 || len > REQUEST_ID_MAX ||
		    !is_visible_ascii(options->request_id, len)) {
			r = ca_error_set(err, CA_ERR_INTERNAL, "invalid "
			    "x-request-id: 1 to %d visible ASCII characters "
			    "expected", REQUEST_ID_MAX);
			goto out;
		}
		(void)snprintf(request_id_line, sizeof(request_id_line),
		    "x-request-id: %s", options->request_id);
		appended = curl_slist_append(headers, request_id_line);
		if (appended == NULL)
			goto out_of_memory;
		headers = appended;
	}

	if (connector_token != NULL &&
	    (r = add_connector_token(&headers, connector_token, err)) != CA_OK)
		goto out;

	*headers_out = headers;
	headers = NULL;
	r = CA_OK;
	goto out;

out_of_memory:
	r = ca_error_set(err, CA_ERR_INTERNAL,
	    "cannot allocate memory for the request headers");
out:
	header_list_free(headers);
	return r;
}

static enum ca_status
setopt_failed(CURLcode code, const char *what, struct ca_error *err)
{
	return ca_error_set(err, CA_ERR_INTERNAL,
	    "cannot set the libcurl %s options: %s", what,
	    curl_easy_strerror(code));
}

/* Verification, protocol versions, no redirects, no reuse, client key. */
static enum ca_status
set_tls_policy(CURL *curl, const struct http_options *options,
	       struct client_credentials *credentials, struct ca_error *err)
{
	CURLcode code;

	if ((code = curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR,
	    "https")) != CURLE_OK ||
	    (code = curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR,
	    "https")) != CURLE_OK ||
	    (code = curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION,
	    0L)) != CURLE_OK ||
	    (code = curl_easy_setopt(curl, CURLOPT_DISALLOW_USERNAME_IN_URL,
	    1L)) != CURLE_OK ||
	    (code = curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER,
	    1L)) != CURLE_OK ||
	    (code = curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST,
	    2L)) != CURLE_OK ||
	    (code = curl_easy_setopt(curl, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2)) != CURLE_OK ||
	    (code = curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT,
	    1L)) != CURLE_OK ||
	    (code = curl_easy_setopt(curl, CURLOPT_FORBID_REUSE,
	    1L)) != CURLE_OK ||
	    (code = curl_easy_setopt(curl, CURLOPT_SSL_SESSIONID_CACHE,
	    0L)) != CURLE_OK)
		return setopt_failed(code, "TLS policy", err);

	/*
	 * Debian's libcurl also has a built-in CA path (/etc/ssl/certs) that
	 * stays trusted when only CURLOPT_CAINFO is set, so clear it. The
	 * test ca_file_excludes_system_path checks this on libcurl 7.88.1.
	 */
	if (options->ca_file != NULL &&
	    ((code = curl_easy_setopt(curl, CURLOPT_CAINFO,
	    options->ca_file)) != CURLE_OK ||
	    (code = curl_easy_setopt(curl, CURLOPT_CAPATH,
	    NULL)) != CURLE_OK))
		return setopt_failed(code, "CA file", err);

	/* The pin is checked in addition to the normal verification. */
	if (options->pinned_public_key != NULL &&
	    (code = curl_easy_setopt(curl, CURLOPT_PINNEDPUBLICKEY,
	    options->pinned_public_key)) != CURLE_OK)
		return setopt_failed(code, "server key pin", err);

	if (credentials->key != NULL &&
	    ((code = curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION,
	    install_client_credentials)) != CURLE_OK ||
	    (code = curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA,
	    credentials)) != CURLE_OK))
		return setopt_failed(code, "client certificate", err);
	return CA_OK;
}

static enum ca_status
set_limits(CURL *curl, const struct http_options *options,
	   struct ca_error *err)
{
	CURLcode code;

	if ((code = curl_easy_setopt(curl, CURLOPT_NOSIGNAL,
	    1L)) != CURLE_OK ||
	    (code = curl_easy_setopt(curl, CURLOPT_TIMEOUT,
	    option_or_default(options->timeout_seconds,
	    HTTP_DEFAULT_TIMEOUT_SECONDS))) != CURLE_OK ||
	    (code = curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
	    option_or_default(options->connect_timeout_seconds,
	    HTTP_DEFAULT_CONNECT_TIMEOUT_SECONDS))) != CURLE_OK ||
	    (code = curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT,
	    option_or_default(options->low_speed_bytes,
	    HTTP_DEFAULT_LOW_SPEED_BYTES))) != CURLE_OK ||
	    (code = curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
	    option_or_default(options->low_speed_seconds,
	    HTTP_DEFAULT_LOW_SPEED_SECONDS))) != CURLE_OK)
		return setopt_failed(code, "time limit", err);
	return CA_OK;
}

static enum ca_status
set_request(CURL *curl, const char *url, const char *body,
	    struct curl_slist *headers, struct body_buffer *response_body,
	    char *error_buffer, struct ca_error *err)
{
	CURLcode code;

	if ((code = curl_easy_setopt(curl, CURLOPT_ERRORBUFFER,
	    error_buffer)) != CURLE_OK ||
	    (code = curl_easy_setopt(curl, CURLOPT_URL, url)) != CURLE_OK ||
	    (code = curl_easy_setopt(curl, CURLOPT_HTTP_VERSION,
	    (long)CURL_HTTP_VERSION_1_1)) != CURLE_OK ||
	    (code = curl_easy_setopt(curl, CURLOPT_USERAGENT,
	    "compass-agent/" CA_VERSION)) != CURLE_OK ||
	    (code = curl_easy_setopt(curl, CURLOPT_POST, 1L)) != CURLE_OK ||
	    (code = curl_easy_setopt(curl, CURLOPT_POSTFIELDS,
	    body)) != CURLE_OK ||
	    (code = curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)strlen(body))) != CURLE_OK ||
	    (code = curl_easy_setopt(curl, CURLOPT_HTTPHEADER,
	    headers)) != CURLE_OK ||
	    (code = curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION,
	    body_write)) != CURLE_OK ||
	    (code = curl_easy_setopt(curl, CURLOPT_WRITEDATA,
	    response_body)) != CURLE_OK ||
	    (code = curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)response_body->max)) != CURLE_OK)
		return setopt_failed(code, "request", err);
	return CA_OK;
}

/* A short hint on what to check next, by failure class. */
static const char *
curl_failure_hint(CURLcode code)
{
	switch (code) {
	case CURLE_PEER_FAILED_VERIFICATION:
		return "; check --ca-file and that the server certificate "
		    "names this host";
	case CURLE_SSL_CACERT_BADFILE:
		return "; check that --ca-file is a readable PEM file";
	case CURLE_SSL_CONNECT_ERROR:
		return "; the server must support TLS 1.2 or newer";
	case CURLE_OPERATION_TIMEDOUT:
		return "; check the network path to the server";
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return "; check the URL and the network";
	default:
		return "";
	}
}

static enum ca_status
map_curl_failure(CURLcode code, const struct body_buffer *body,
		 const struct client_credentials *credentials,
		 const char *error_buffer, const char *shown_url,
		 struct ca_error *err)
{
	char shown_error[SHOWN_TEXT_SIZE];

	if (body->out_of_memory)
		return ca_error_set(err, CA_ERR_INTERNAL, "cannot allocate "
		    "memory for the response from %s", shown_url);
	if (body->too_large || code == CURLE_FILESIZE_EXCEEDED)
		return ca_error_set(err, CA_ERR_NETWORK, "response larger "
		    "than %zu bytes from %s", body->max, shown_url);
	if (credentials->failure[0] != '\0')
		return ca_error_set(err, CA_ERR_INTERNAL, "cannot use the "
		    "client certificate and key for TLS to %s: %s; check "
		    "that the certificate chain belongs to the client key",
		    shown_url, credentials->failure);

	escape_text(shown_error, error_buffer[0] != '\0' ? error_buffer :
	    curl_easy_strerror(code));
	return ca_error_set(err, CA_ERR_NETWORK, "POST %s failed: %s%s",
	    shown_url, shown_error, curl_failure_hint(code));
}

static enum ca_status
check_options(const struct http_options *options, const char *url,
	      const char *body, struct ca_error *err)
{
	enum ca_status r;

	if (url == NULL || body == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL,
		    "no URL or request body given");
	/*
	 * The caller may not be the admin who wrote the URL, so a bad URL is
	 * a network error here, not a usage error.
	 */
	if ((r = url_check(url, "URL", CA_ERR_NETWORK, err)) != CA_OK)
		return r;
	if ((options->client_key == NULL) != (options->client_chain == NULL))
		return ca_error_set(err, CA_ERR_INTERNAL, "client key and "
		    "chain must be given together");
	if (options->max_body > BODY_CAP_LIMIT)
		return ca_error_set(err, CA_ERR_INTERNAL, "body cap of %zu "
		    "bytes exceeds the maximum of %d bytes", options->max_body,
		    BODY_CAP_LIMIT);
	if (options->client_chain != NULL &&
	    sk_X509_num(options->client_chain) < 1)
		return ca_error_set(err, CA_ERR_INTERNAL,
		    "the client chain is empty");
	return CA_OK;
}

enum ca_status
http_post_json(const struct http_options *options, const char *url,
	       const char *body, const struct secret *connector_token,
	       struct http_response *response, struct ca_error *err)
{
	char shown_url[URL_SHOWN_SIZE];
	char shown_location[URL_SHOWN_SIZE];
	char error_buffer[CURL_ERROR_SIZE];
	struct client_credentials credentials;
	struct body_buffer response_body;
	struct curl_slist *headers = NULL;
	CURL *curl = NULL;
	CURLcode code;
	char *location = NULL;
	long status = 0;
	enum ca_status r = CA_ERR_INTERNAL;

	memset(response, 0, sizeof(*response));
	memset(&credentials, 0, sizeof(credentials));
	memset(&response_body, 0, sizeof(response_body));
	error_buffer[0] = '\0';
	/* A URL with a password is rejected below, and never shown. */
	url_redact(shown_url, url);

	if ((r = check_options(options, url, body, err)) != CA_OK)
		goto out;
	credentials.key = options->client_key;
	credentials.chain = options->client_chain;
	response_body.max = options->max_body > 0 ? options->max_body :
	    HTTP_DEFAULT_MAX_BODY;

	if ((r = build_headers(options, connector_token, &headers,
	    err)) != CA_OK)
		goto out;
	curl = curl_easy_init();
	if (curl == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL,
		    "cannot create a libcurl handle");
		goto out;
	}
	if ((r = set_tls_policy(curl, options, &credentials, err)) != CA_OK ||
	    (r = set_limits(curl, options, err)) != CA_OK ||
	    (r = set_request(curl, url, body, headers, &response_body,
	    error_buffer, err)) != CA_OK)
		goto out;

	code = curl_easy_perform(curl);
	if (code != CURLE_OK) {
		r = map_curl_failure(code, &response_body, &credentials,
		    error_buffer, shown_url, err);
		goto out;
	}

	if ((code = curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE,
	    &status)) != CURLE_OK) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "cannot read the HTTP "
		    "status from libcurl: %s", curl_easy_strerror(code));
		goto out;
	}
	if (status >= 300 && status <= 399) {
		if (curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL,
		    &location) != CURLE_OK)
			location = NULL;
		url_redact(shown_location, location != NULL ? location :
		    "none");
		r = ca_error_set(err, CA_ERR_NETWORK, "redirect refused: %s "
		    "answered HTTP %ld with Location %s; configure the final "
		    "URL instead", shown_url, status, shown_location);
		goto out;
	}

	/* Hand over a NUL-terminated body, also when it is empty. */
	if (response_body.data == NULL && body_grow(&response_body, 1) != 0) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "cannot allocate "
		    "memory for the response from %s", shown_url);
		goto out;
	}
	response_body.data[response_body.len] = '\0';
	response->status = status;
	response->body = response_body.data;
	response->body_len = response_body.len;
	response_body.data = NULL;
	r = CA_OK;
out:
	if (curl != NULL)
		curl_easy_cleanup(curl);
	header_list_free(headers);
	body_free(&response_body);
	explicit_bzero(error_buffer, sizeof(error_buffer));
	return r;
}

void
http_response_free(struct http_response *response)
{
	if (response == NULL)
		return;
	/* The body of a configuration response carries a one-time token. */
	if (response->body != NULL) {
		explicit_bzero(response->body, response->body_len);
		free(response->body);
	}
	memset(response, 0, sizeof(*response));
}

enum ca_status
http_global_init(struct ca_error *err)
{
	const curl_version_info_data *info;
	CURLcode code;

	code = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (code != CURLE_OK)
		return ca_error_set(err, CA_ERR_INTERNAL,
		    "curl_global_init failed: %s", curl_easy_strerror(code));

	/*
	 * The client key is installed through an OpenSSL SSL_CTX, and the
	 * protocol restriction needs CURLOPT_PROTOCOLS_STR (libcurl 7.85).
	 */
	info = curl_version_info(CURLVERSION_NOW);
	if (info == NULL || info->ssl_version == NULL ||
	    strncmp(info->ssl_version, "OpenSSL/", 8) != 0 ||
	    info->version_num < 0x075500) {
		curl_global_cleanup();
		return ca_error_set(err, CA_ERR_INTERNAL, "libcurl %s with "
		    "%s is not supported: libcurl 7.85 or newer built with "
		    "OpenSSL is required", info != NULL ? info->version : "?",
		    info != NULL && info->ssl_version != NULL ?
		    info->ssl_version : "no TLS library");
	}
	return CA_OK;
}

void
http_global_cleanup(void)
{
	curl_global_cleanup();
}
