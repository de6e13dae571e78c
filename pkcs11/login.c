/*
 * User login. A PIN that a token rejected is never sent to it again by this
 * process, so that the agent cannot lock the token by retrying.
 */
#include <stdbool.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ckr.h"
#include "token.h"
#include "token_internal.h"

/*
 * Rejected PINs of this process, kept as SHA-256 of token serial, label and
 * PIN, so that neither the PIN nor the digest of the bare PIN stays in memory.
 * A different PIN may still be tried, so an admin can correct the PIN file
 * of a running service.
 */
#define REJECTED_MAX 8

/* NOTE: not thread-safe, so logins must happen on one thread. */
static unsigned char rejected[REJECTED_MAX][32];
static size_t rejected_count;

static bool
login_pin_digest(const struct token *token, const struct secret *pin,
		 unsigned char digest[static 32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 0;
	bool ok = false;

	if (ctx == NULL)
		return false;
	/* The NUL bytes keep "ab"+"c" apart from "a"+"bc". */
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, token->serial, strlen(token->serial) + 1) == 1 &&
	    EVP_DigestUpdate(ctx, token->label, strlen(token->label) + 1) == 1 &&
	    EVP_DigestUpdate(ctx, pin->data, pin->len) == 1 &&
	    EVP_DigestFinal_ex(ctx, digest, &len) == 1 && len == 32;
	EVP_MD_CTX_free(ctx);
	return ok;
}

static bool
login_pin_was_rejected(const struct token *token, const struct secret *pin)
{
	unsigned char digest[32];
	bool found = false;
	size_t i;

	/* Without a digest the PIN cannot be proven new, so treat it as rejected. */
	if (!login_pin_digest(token, pin, digest))
		return true;
	for (i = 0; i < rejected_count; i++) {
		if (CRYPTO_memcmp(rejected[i], digest, sizeof(digest)) == 0)
			found = true;
	}
	OPENSSL_cleanse(digest, sizeof(digest));
	return found;
}

static void
login_remember_rejected(const struct token *token, const struct secret *pin)
{
	unsigned char digest[32];

	if (!login_pin_digest(token, pin, digest))
		return;
	/* When the table is full the oldest entry gives way. */
	if (rejected_count == REJECTED_MAX) {
		memmove(rejected[0], rejected[1], sizeof(rejected[0]) *
		    (REJECTED_MAX - 1));
		rejected_count--;
	}
	memcpy(rejected[rejected_count++], digest, sizeof(digest));
	OPENSSL_cleanse(digest, sizeof(digest));
}

/* Set *out to whether the user is logged in on the session already. */
static enum ca_status
login_session_is_user(struct token *token, bool *out, struct ca_error *err)
{
	CK_SESSION_INFO info;
	CK_RV rv;

	*out = false;
	rv = token->module->C_GetSessionInfo(token->session, &info);
	if (rv != CKR_OK)
		return ckr_error(err, "C_GetSessionInfo", rv);
	*out = info.state == CKS_RO_USER_FUNCTIONS ||
	    info.state == CKS_RW_USER_FUNCTIONS;
	return CA_OK;
}

/* Reject a login that could lock the token, going by its PIN flags. */
static enum ca_status
login_check_pin_flags(struct token *token, const CK_TOKEN_INFO *info,
		      struct ca_error *err)
{
	char label[4 * TOKEN_TEXT_MAX + 8];

	ca_escape_untrusted(label, sizeof(label), token->label, TOKEN_TEXT_MAX);
	if (info->flags & CKF_USER_PIN_LOCKED)
		return ca_error_set(err, CA_ERR_PIN,
		    "the user PIN of token '%s' is locked, so no login was "
		    "attempted; unlock it with the SO PIN", label);
	if (info->flags & CKF_USER_PIN_FINAL_TRY)
		return ca_error_set(err, CA_ERR_PIN,
		    "token '%s' allows one more PIN attempt before it locks, so "
		    "no login was attempted; log in once by hand with the right "
		    "PIN (pkcs11-tool --login --test) to reset the counter",
		    label);
	return CA_OK;
}

enum ca_status
token_login(struct token *token, const struct secret *pin,
	    struct ca_error *err)
{
	CK_TOKEN_INFO info;
	CK_UTF8CHAR *pin_data = NULL;
	CK_ULONG pin_len = 0;
	char label[4 * TOKEN_TEXT_MAX + 8];
	bool logged_in = false;
	enum ca_status r = CA_ERR_INTERNAL;
	CK_RV rv;

	ca_error_clear(err);
	if (token == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL,
		    "token_login: missing token");
	ca_escape_untrusted(label, sizeof(label), token->label, TOKEN_TEXT_MAX);

	if (token->pin_rejected ||
	    (pin != NULL && login_pin_was_rejected(token, pin)))
		return ca_error_set(err, CA_ERR_PIN,
		    "token '%s' rejected this PIN before, so it is not tried "
		    "again; check --pin-source", label);

	if ((r = login_session_is_user(token, &logged_in, err)) != CA_OK)
		return r;
	if (logged_in)
		return CA_OK;

	rv = token->module->C_GetTokenInfo(token->slot, &info);
	if (rv != CKR_OK)
		return ckr_error(err, "C_GetTokenInfo", rv);
	if (!(info.flags & CKF_LOGIN_REQUIRED))
		return CA_OK;
	if ((r = login_check_pin_flags(token, &info, err)) != CA_OK)
		return r;

	/* A token with a protected authentication path (PIN pad) takes no PIN. */
	if (pin != NULL) {
		pin_data = (CK_UTF8CHAR *)pin->data;
		pin_len = (CK_ULONG)pin->len;
	} else if (!(info.flags & CKF_PROTECTED_AUTHENTICATION_PATH)) {
		return ca_error_set(err, CA_ERR_PIN,
		    "token '%s' needs a user PIN; give one with --pin-source",
		    label);
	}

	token->login_calls++;
	rv = token->module->C_Login(token->session, CKU_USER, pin_data, pin_len);
	if (rv == CKR_USER_ALREADY_LOGGED_IN)
		return CA_OK;
	if (rv != CKR_OK) {
		if (ckr_is_pin_error(rv)) {
			token->pin_rejected = true;
			if (pin != NULL)
				login_remember_rejected(token, pin);
		}
		(void)ckr_error(err, "C_Login", rv);
		return ca_error_prefix(err, "token '%s'", label);
	}

	token->logged_in = true;
	return CA_OK;
}
