/*
 * CK_RV names and their translation into the agent's error vocabulary.
 * Internal to pkcs11/: no CK_RV leaves this directory.
 */
#ifndef COMPASS_AGENT_CKR_H
#define COMPASS_AGENT_CKR_H

#include <stdbool.h>

#include <p11-kit/pkcs11.h>

#include "../common/error.h"

/* Return the symbolic name of rv, such as "CKR_PIN_INCORRECT". */
const char *ckr_name(CK_RV rv);

/* Return true when rv means the token rejected or locked the PIN. */
bool ckr_is_pin_error(CK_RV rv);

/*
 * Set err for a failed PKCS#11 call: "C_Login failed: CKR_PIN_INCORRECT",
 * then the fix when one is known. Returns CA_ERR_PIN for PIN errors and
 * CA_ERR_TOKEN otherwise. The call's arguments are never part of the text.
 */
enum ca_status ckr_error(struct ca_error *err, const char *function, CK_RV rv);

#endif
