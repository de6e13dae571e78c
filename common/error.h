/*
 * The error vocabulary shared by every module.
 *
 * Library modules (pkcs11/, graphql/, common/) never print and never exit:
 * they return a status and fill a struct ca_error with a message for the
 * admin. CK_RV, OpenSSL's error queue, CURLcode, HTTP status and GraphQL
 * errors are translated into this vocabulary where they occur and never
 * leave their module. Only agent/ prints the message and maps the status to
 * an exit code.
 */
#ifndef COMPASS_AGENT_ERROR_H
#define COMPASS_AGENT_ERROR_H

#include <stddef.h>

/* Each status maps to one exit code of the command-line contract. */
enum ca_status {
	CA_OK = 0,
	CA_ERR_INTERNAL = 1,	/* failure not listed below */
	CA_ERR_USAGE = 2,	/* usage or configuration error */
	CA_ERR_TOKEN = 3,	/* PKCS#11 module or token error */
	CA_ERR_PIN = 4,		/* PIN incorrect, locked or missing */
	CA_ERR_NETWORK = 5,	/* network, TLS or protocol failure */
	CA_ERR_REJECTED = 6,	/* Compass rejected the request or issued a bad certificate */
	CA_ERR_EXPIRED = 7,	/* certificate expired or revoked */
	CA_ERR_STATE = 8,	/* state directory locked or unusable */
};

#define CA_ERROR_MESSAGE_MAX 1024

struct ca_error {
	enum ca_status status;
	char message[CA_ERROR_MESSAGE_MAX];
};

#if defined(__GNUC__)
#define CA_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define CA_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define CA_PRINTF(f, a)
#define CA_WARN_UNUSED
#endif

/* Clear err to CA_OK with an empty message. err may be NULL. */
void ca_error_clear(struct ca_error *err);

/*
 * Set err to status with a formatted message and return status, so that a
 * caller can write "return ca_error_set(err, CA_ERR_TOKEN, ...)". The message
 * is truncated to CA_ERROR_MESSAGE_MAX - 1 bytes. err may be NULL.
 */
enum ca_status ca_error_set(struct ca_error *err, enum ca_status status,
			    const char *fmt, ...) CA_PRINTF(3, 4);

/*
 * Put context in front of an existing message ("context: old message"),
 * keeping the status. Returns the status.
 */
enum ca_status ca_error_prefix(struct ca_error *err, const char *fmt, ...)
	CA_PRINTF(2, 3);

/* Return the name of a status, such as "token error", for logs. */
const char *ca_status_name(enum ca_status status);

/*
 * Copy at most max_len bytes of untrusted text into out (size out_size) with
 * control and non-ASCII bytes escaped as \xNN, so that a server message can
 * be shown without letting it move the terminal cursor or forge log lines.
 * A "..." marks truncation.
 */
void ca_escape_untrusted(char *out, size_t out_size, const char *text,
			 size_t max_len);

#endif
