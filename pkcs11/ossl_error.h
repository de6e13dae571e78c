/* OpenSSL's error queue in the agent's error vocabulary. Internal to pkcs11/. */
#ifndef COMPASS_AGENT_OSSL_ERROR_H
#define COMPASS_AGENT_OSSL_ERROR_H

#include "../common/error.h"

/*
 * Set err to status with "what: <reason from OpenSSL's error queue>" and
 * empty the queue, so that no OpenSSL error outlives this module. Returns
 * status.
 */
enum ca_status ossl_error(struct ca_error *err, enum ca_status status,
			  const char *what);

#endif
