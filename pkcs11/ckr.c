/* CK_RV names and their translation into the agent's error vocabulary. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ckr.h"

#define CKR_ENTRY(rv) { rv, #rv }

static const struct {
	CK_RV rv;
	const char *name;
} ckr_names[] = {
	CKR_ENTRY(CKR_OK),
	CKR_ENTRY(CKR_CANCEL),
	CKR_ENTRY(CKR_HOST_MEMORY),
	CKR_ENTRY(CKR_SLOT_ID_INVALID),
	CKR_ENTRY(CKR_GENERAL_ERROR),
	CKR_ENTRY(CKR_FUNCTION_FAILED),
	CKR_ENTRY(CKR_ARGUMENTS_BAD),
	CKR_ENTRY(CKR_NO_EVENT),
	CKR_ENTRY(CKR_NEED_TO_CREATE_THREADS),
	CKR_ENTRY(CKR_CANT_LOCK),
	CKR_ENTRY(CKR_ATTRIBUTE_READ_ONLY),
	CKR_ENTRY(CKR_ATTRIBUTE_SENSITIVE),
	CKR_ENTRY(CKR_ATTRIBUTE_TYPE_INVALID),
	CKR_ENTRY(CKR_ATTRIBUTE_VALUE_INVALID),
	CKR_ENTRY(CKR_ACTION_PROHIBITED),
	CKR_ENTRY(CKR_DATA_INVALID),
	CKR_ENTRY(CKR_DATA_LEN_RANGE),
	CKR_ENTRY(CKR_DEVICE_ERROR),
	CKR_ENTRY(CKR_DEVICE_MEMORY),
	CKR_ENTRY(CKR_DEVICE_REMOVED),
	CKR_ENTRY(CKR_ENCRYPTED_DATA_INVALID),
	CKR_ENTRY(CKR_ENCRYPTED_DATA_LEN_RANGE),
	CKR_ENTRY(CKR_FUNCTION_CANCELED),
	CKR_ENTRY(CKR_FUNCTION_NOT_PARALLEL),
	CKR_ENTRY(CKR_FUNCTION_NOT_SUPPORTED),
	CKR_ENTRY(CKR_KEY_HANDLE_INVALID),
	CKR_ENTRY(CKR_KEY_SIZE_RANGE),
	CKR_ENTRY(CKR_KEY_TYPE_INCONSISTENT),
	CKR_ENTRY(CKR_KEY_NOT_NEEDED),
	CKR_ENTRY(CKR_KEY_CHANGED),
	CKR_ENTRY(CKR_KEY_NEEDED),
	CKR_ENTRY(CKR_KEY_INDIGESTIBLE),
	CKR_ENTRY(CKR_KEY_FUNCTION_NOT_PERMITTED),
	CKR_ENTRY(CKR_KEY_NOT_WRAPPABLE),
	CKR_ENTRY(CKR_KEY_UNEXTRACTABLE),
	CKR_ENTRY(CKR_MECHANISM_INVALID),
	CKR_ENTRY(CKR_MECHANISM_PARAM_INVALID),
	CKR_ENTRY(CKR_OBJECT_HANDLE_INVALID),
	CKR_ENTRY(CKR_OPERATION_ACTIVE),
	CKR_ENTRY(CKR_OPERATION_NOT_INITIALIZED),
	CKR_ENTRY(CKR_PIN_INCORRECT),
	CKR_ENTRY(CKR_PIN_INVALID),
	CKR_ENTRY(CKR_PIN_LEN_RANGE),
	CKR_ENTRY(CKR_PIN_EXPIRED),
	CKR_ENTRY(CKR_PIN_LOCKED),
	CKR_ENTRY(CKR_SESSION_CLOSED),
	CKR_ENTRY(CKR_SESSION_COUNT),
	CKR_ENTRY(CKR_SESSION_HANDLE_INVALID),
	CKR_ENTRY(CKR_SESSION_PARALLEL_NOT_SUPPORTED),
	CKR_ENTRY(CKR_SESSION_READ_ONLY),
	CKR_ENTRY(CKR_SESSION_EXISTS),
	CKR_ENTRY(CKR_SESSION_READ_ONLY_EXISTS),
	CKR_ENTRY(CKR_SESSION_READ_WRITE_SO_EXISTS),
	CKR_ENTRY(CKR_SIGNATURE_INVALID),
	CKR_ENTRY(CKR_SIGNATURE_LEN_RANGE),
	CKR_ENTRY(CKR_TEMPLATE_INCOMPLETE),
	CKR_ENTRY(CKR_TEMPLATE_INCONSISTENT),
	CKR_ENTRY(CKR_TOKEN_NOT_PRESENT),
	CKR_ENTRY(CKR_TOKEN_NOT_RECOGNIZED),
	CKR_ENTRY(CKR_TOKEN_WRITE_PROTECTED),
	CKR_ENTRY(CKR_UNWRAPPING_KEY_SIZE_RANGE),
	CKR_ENTRY(CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT),
	CKR_ENTRY(CKR_USER_ALREADY_LOGGED_IN),
	CKR_ENTRY(CKR_USER_NOT_LOGGED_IN),
	CKR_ENTRY(CKR_USER_PIN_NOT_INITIALIZED),
	CKR_ENTRY(CKR_USER_TYPE_INVALID),
	CKR_ENTRY(CKR_USER_ANOTHER_ALREADY_LOGGED_IN),
	CKR_ENTRY(CKR_USER_TOO_MANY_TYPES),
	CKR_ENTRY(CKR_WRAPPED_KEY_INVALID),
	CKR_ENTRY(CKR_WRAPPED_KEY_LEN_RANGE),
	CKR_ENTRY(CKR_WRAPPING_KEY_HANDLE_INVALID),
	CKR_ENTRY(CKR_WRAPPING_KEY_SIZE_RANGE),
	CKR_ENTRY(CKR_WRAPPING_KEY_TYPE_INCONSISTENT),
	CKR_ENTRY(CKR_RANDOM_SEED_NOT_SUPPORTED),
	CKR_ENTRY(CKR_RANDOM_NO_RNG),
	CKR_ENTRY(CKR_DOMAIN_PARAMS_INVALID),
	CKR_ENTRY(CKR_CURVE_NOT_SUPPORTED),
	CKR_ENTRY(CKR_BUFFER_TOO_SMALL),
	CKR_ENTRY(CKR_SAVED_STATE_INVALID),
	CKR_ENTRY(CKR_INFORMATION_SENSITIVE),
	CKR_ENTRY(CKR_STATE_UNSAVEABLE),
	CKR_ENTRY(CKR_CRYPTOKI_NOT_INITIALIZED),
	CKR_ENTRY(CKR_CRYPTOKI_ALREADY_INITIALIZED),
	CKR_ENTRY(CKR_MUTEX_BAD),
	CKR_ENTRY(CKR_MUTEX_NOT_LOCKED),
	CKR_ENTRY(CKR_NEW_PIN_MODE),
	CKR_ENTRY(CKR_NEXT_OTP),
	CKR_ENTRY(CKR_EXCEEDED_MAX_ITERATIONS),
	CKR_ENTRY(CKR_FIPS_SELF_TEST_FAILED),
	CKR_ENTRY(CKR_LIBRARY_LOAD_FAILED),
	CKR_ENTRY(CKR_PIN_TOO_WEAK),
	CKR_ENTRY(CKR_PUBLIC_KEY_INVALID),
	CKR_ENTRY(CKR_FUNCTION_REJECTED),
};

const char *
ckr_name(CK_RV rv)
{
	size_t i;

	for (i = 0; i < sizeof(ckr_names) / sizeof(ckr_names[0]); i++) {
		if (ckr_names[i].rv == rv)
			return ckr_names[i].name;
	}
	if (rv >= CKR_VENDOR_DEFINED)
		return "CKR_VENDOR_DEFINED";
	return "unknown CK_RV";
}

bool
ckr_is_pin_error(CK_RV rv)
{
	switch (rv) {
	case CKR_PIN_INCORRECT:
	case CKR_PIN_INVALID:
	case CKR_PIN_LEN_RANGE:
	case CKR_PIN_EXPIRED:
	case CKR_PIN_LOCKED:
		return true;
	default:
		return false;
	}
}

/* The next step for the admin after rv, or NULL when there is none to give. */
static const char *
ckr_fix(CK_RV rv)
{
	switch (rv) {
	case CKR_PIN_INCORRECT:
		return "check --pin-source; the agent does not try this PIN "
		    "again";
	case CKR_PIN_INVALID:
	case CKR_PIN_LEN_RANGE:
		return "the PIN has characters or a length the token rejects; "
		    "check --pin-source";
	case CKR_PIN_EXPIRED:
		return "change the user PIN, for example with pkcs11-tool "
		    "--change-pin";
	case CKR_PIN_LOCKED:
		return "the user PIN is locked; unlock it with the SO PIN";
	case CKR_TOKEN_NOT_PRESENT:
	case CKR_DEVICE_REMOVED:
		return "insert the token, then check --token or run "
		    "pkcs11-tool -L";
	case CKR_TOKEN_WRITE_PROTECTED:
		return "the token is write-protected";
	case CKR_DEVICE_MEMORY:
		return "the token is full; delete objects that are no longer "
		    "used";
	case CKR_MECHANISM_INVALID:
	case CKR_KEY_SIZE_RANGE:
	case CKR_CURVE_NOT_SUPPORTED:
	case CKR_DOMAIN_PARAMS_INVALID:
		return "the token does not support this key type; choose another "
		    "--key-type";
	case CKR_USER_NOT_LOGGED_IN:
		return "the session is not logged in; check --pin-source";
	default:
		return NULL;
	}
}

enum ca_status
ckr_error(struct ca_error *err, const char *function, CK_RV rv)
{
	enum ca_status status = ckr_is_pin_error(rv) ? CA_ERR_PIN :
	    CA_ERR_TOKEN;
	const char *fix = ckr_fix(rv);
	char name[64];

	/* A name outside the table carries the number, to look it up by. */
	if (rv >= CKR_VENDOR_DEFINED ||
	    strcmp(ckr_name(rv), "unknown CK_RV") == 0)
		(void)snprintf(name, sizeof(name), "%s 0x%08lx", ckr_name(rv),
		    (unsigned long)rv);
	else
		(void)snprintf(name, sizeof(name), "%s", ckr_name(rv));

	if (fix == NULL)
		return ca_error_set(err, status, "%s failed: %s", function,
		    name);
	return ca_error_set(err, status, "%s failed: %s; %s", function, name,
	    fix);
}
