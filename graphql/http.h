/*
 * HTTPS transport on libcurl under the agent's TLS policy: the server is
 * always verified, TLS 1.2 or newer, https only, no redirects, a total
 * timeout, a low-speed limit and a cap on the response body. With a CA file
 * only that file is trusted (libcurl's default CA path is cleared too).
 * Client authentication uses an EVP_PKEY and a chain installed in the
 * SSL_CTX, because libcurl 7.88 cannot load provider keys itself.
 */
#ifndef COMPASS_AGENT_HTTP_H
#define COMPASS_AGENT_HTTP_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "../common/error.h"
#include "../common/secret.h"

/* Default limits; the agent may override them from its configuration. */
#define HTTP_DEFAULT_TIMEOUT_SECONDS 30L
#define HTTP_DEFAULT_CONNECT_TIMEOUT_SECONDS 10L
#define HTTP_DEFAULT_LOW_SPEED_BYTES 16L	/* bytes per second ... */
#define HTTP_DEFAULT_LOW_SPEED_SECONDS 10L	/* ... over this many seconds */
#define HTTP_DEFAULT_MAX_BODY (1024 * 1024)

struct http_options {
	const char *ca_file;		/* NULL: the system store */
	long timeout_seconds;		/* 0: the default */
	long connect_timeout_seconds;	/* 0: the default */
	long low_speed_bytes;		/* 0: the default */
	long low_speed_seconds;		/* 0: the default */
	size_t max_body;		/* 0: the default */
	/* Client authentication (mTLS); both NULL for server-only TLS. */
	EVP_PKEY *client_key;
	STACK_OF(X509) *client_chain;	/* leaf first, then CA certificates */
	const char *request_id;		/* x-request-id header, or NULL */
	/*
	 * Accept only a server whose public key has one of these SHA-256
	 * hashes: "sha256//BASE64[;sha256//BASE64...]", or NULL.
	 */
	const char *pinned_public_key;
};

struct http_response {
	long status;		/* HTTP status code */
	char *body;		/* NUL-terminated, body_len bytes; caller frees */
	size_t body_len;
};

/*
 * POST a JSON body to url. When connector_token is not NULL it is sent as the
 * Connector-Token header and nowhere else. A response that arrives is
 * returned whatever its status, except a redirect (3xx), which is
 * CA_ERR_NETWORK "redirect refused". Transport and TLS failures are
 * CA_ERR_NETWORK with curl's message and the URL. So is a URL that does
 * not use https, which is rejected before any connection is made, and so
 * is a URL with a user name, password or login options; messages never
 * show them.
 */
enum ca_status http_post_json(const struct http_options *options,
			      const char *url, const char *body,
			      const struct secret *connector_token,
			      struct http_response *response,
			      struct ca_error *err) CA_WARN_UNUSED;

void http_response_free(struct http_response *response);

/* curl_global_init/cleanup wrappers, called once by the program. */
enum ca_status http_global_init(struct ca_error *err) CA_WARN_UNUSED;
void http_global_cleanup(void);

#endif
