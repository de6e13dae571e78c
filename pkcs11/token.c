/*
 * The open token: module loading, selection of the one token that the
 * PKCS#11 URI matches, the read-write session, and what the token reports
 * about itself.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

#include "ckr.h"
#include "module.h"
#include "token.h"
#include "token_internal.h"

#define TOKEN_FIX "check --token or run pkcs11-tool -L"

/* Copy a blank-padded CK_TOKEN_INFO field into a C string without the blanks. */
static void
token_copy_text(char out[static TOKEN_TEXT_MAX + 1], const CK_UTF8CHAR *text,
		size_t len)
{
	size_t n = p11_kit_space_strlen(text, len);

	if (n > TOKEN_TEXT_MAX)
		n = TOKEN_TEXT_MAX;
	memcpy(out, text, n);
	out[n] = '\0';
}

/*
 * Append "'label' (serial S)" to a comma-separated list of candidates,
 * escaped. The serial distinguishes tokens with the same label.
 */
static void
token_append_candidate(char *out, size_t out_size, const CK_TOKEN_INFO *info)
{
	char label[TOKEN_TEXT_MAX + 1], serial[TOKEN_TEXT_MAX + 1];
	char escaped[4 * TOKEN_TEXT_MAX + 8];
	char escaped_serial[4 * TOKEN_TEXT_MAX + 8];
	size_t used = strlen(out);

	token_copy_text(label, info->label, sizeof(info->label));
	token_copy_text(serial, info->serialNumber, sizeof(info->serialNumber));
	ca_escape_untrusted(escaped, sizeof(escaped), label, TOKEN_TEXT_MAX);
	ca_escape_untrusted(escaped_serial, sizeof(escaped_serial), serial,
	    TOKEN_TEXT_MAX);
	(void)snprintf(out + used, out_size - used, "%s'%s' (serial %s)",
	    used > 0 ? ", " : "", escaped, escaped_serial);
}

static enum ca_status
token_parse_uri(const char *uri, P11KitUri **out, struct ca_error *err)
{
	P11KitUri *parsed = NULL;
	int code;

	*out = NULL;
	parsed = p11_kit_uri_new();
	if (parsed == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL, "out of memory");

	/* The URI is not repeated in the message: it may carry pin-value. */
	code = p11_kit_uri_parse(uri, P11_KIT_URI_FOR_TOKEN | P11_KIT_URI_FOR_SLOT,
	    parsed);
	if (code != P11_KIT_URI_OK) {
		p11_kit_uri_free(parsed);
		return ca_error_set(err, CA_ERR_USAGE,
		    "invalid PKCS#11 URI in --token: %s; write it as "
		    "pkcs11:token=LABEL (RFC 7512)", p11_kit_uri_message(code));
	}
	*out = parsed;
	return CA_OK;
}

/* Whether the token in slot is the one uri selects. */
static bool
token_uri_matches(P11KitUri *uri, CK_SLOT_ID slot, CK_SLOT_INFO *slot_info,
		  CK_TOKEN_INFO *token_info)
{
	CK_SLOT_ID requested = p11_kit_uri_get_slot_id(uri);

	if (requested != (CK_SLOT_ID)-1 && requested != slot)
		return false;
	return p11_kit_uri_match_slot_info(uri, slot_info) &&
	    p11_kit_uri_match_token_info(uri, token_info);
}

/*
 * Find the one slot with a present token that uri matches and record its
 * label, serial and manufacturer in token.
 */
static enum ca_status
token_select(struct token *token, P11KitUri *uri, struct ca_error *err)
{
	CK_FUNCTION_LIST *f = token->module;
	CK_SLOT_ID *slots = NULL;
	CK_SLOT_INFO slot_info;
	CK_TOKEN_INFO token_info, chosen_info;
	CK_ULONG n = 0, i;
	char candidates[512] = "";
	char matches[512] = "";
	size_t match_count = 0;
	enum ca_status r = CA_ERR_INTERNAL;
	CK_RV rv;

	rv = f->C_GetSlotList(CK_TRUE, NULL, &n);
	if (rv != CKR_OK) {
		r = ckr_error(err, "C_GetSlotList", rv);
		goto out;
	}
	slots = calloc(n > 0 ? n : 1, sizeof(*slots));
	if (slots == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
		goto out;
	}
	rv = f->C_GetSlotList(CK_TRUE, slots, &n);
	if (rv != CKR_OK) {
		r = ckr_error(err, "C_GetSlotList", rv);
		goto out;
	}

	for (i = 0; i < n; i++) {
		/* Skip tokens removed meanwhile and ones not initialized. */
		if (f->C_GetSlotInfo(slots[i], &slot_info) != CKR_OK ||
		    f->C_GetTokenInfo(slots[i], &token_info) != CKR_OK ||
		    !(token_info.flags & CKF_TOKEN_INITIALIZED))
			continue;
		token_append_candidate(candidates, sizeof(candidates),
		    &token_info);
		if (!token_uri_matches(uri, slots[i], &slot_info, &token_info))
			continue;
		token_append_candidate(matches, sizeof(matches), &token_info);
		token->slot = slots[i];
		chosen_info = token_info;
		match_count++;
	}

	if (match_count == 0) {
		r = ca_error_set(err, CA_ERR_TOKEN,
		    "no token matches --token (present tokens: %s); " TOKEN_FIX,
		    candidates[0] != '\0' ? candidates : "none");
		goto out;
	}
	if (match_count > 1) {
		r = ca_error_set(err, CA_ERR_TOKEN,
		    "%zu tokens match --token (%s); add serial= to the URI "
		    "to select one; " TOKEN_FIX, match_count, matches);
		goto out;
	}

	token_copy_text(token->label, chosen_info.label,
	    sizeof(chosen_info.label));
	token_copy_text(token->serial, chosen_info.serialNumber,
	    sizeof(chosen_info.serialNumber));
	token_copy_text(token->manufacturer, chosen_info.manufacturerID,
	    sizeof(chosen_info.manufacturerID));
	r = CA_OK;
out:
	free(slots);
	return r;
}

enum ca_status
token_open(const char *module, const char *uri, struct token **out,
	   struct ca_error *err)
{
	return token_open_allowed(module, NULL, uri, out, err);
}

enum ca_status
token_open_allowed(const char *module, const char *module_dirs,
		   const char *uri, struct token **out, struct ca_error *err)
{
	struct token *token = NULL;
	P11KitUri *parsed = NULL;
	enum ca_status r = CA_ERR_INTERNAL;
	CK_RV rv;

	ca_error_clear(err);
	if (out != NULL)
		*out = NULL;
	if (module == NULL || uri == NULL || out == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL,
		    "token_open_allowed: missing argument");

	if ((r = token_parse_uri(uri, &parsed, err)) != CA_OK)
		goto out;
	if ((token = calloc(1, sizeof(*token))) == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
		goto out;
	}

	if ((r = module_load(module, module_dirs, &token->module,
	    &token->module_path, err)) != CA_OK)
		goto out;
	rv = p11_kit_module_initialize(token->module);
	if (rv != CKR_OK) {
		r = ckr_error(err, "C_Initialize", rv);
		/* Nothing to finalize after a failed initialization. */
		p11_kit_module_release(token->module);
		token->module = NULL;
		goto out;
	}

	if ((r = token_select(token, parsed, err)) != CA_OK)
		goto out;

	rv = token->module->C_OpenSession(token->slot,
	    CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &token->session);
	if (rv != CKR_OK) {
		r = ckr_error(err, "C_OpenSession", rv);
		goto out;
	}
	token->session_open = true;

	*out = token;
	token = NULL;
	r = CA_OK;
out:
	p11_kit_uri_free(parsed);
	token_close(token);
	return r;
}

void
token_close(struct token *token)
{
	if (token == NULL)
		return;

	/*
	 * The login state belongs to the whole process: logging out here also
	 * logs out pkcs11-provider's sessions on this token.
	 */
	if (token->session_open) {
		if (token->logged_in)
			(void)token->module->C_Logout(token->session);
		(void)token->module->C_CloseSession(token->session);
	}
	if (token->module != NULL) {
		(void)p11_kit_module_finalize(token->module);
		p11_kit_module_release(token->module);
	}
	free(token->module_path);
	free(token);
}

const char *
token_module_path(const struct token *token)
{
	return token->module_path;
}

const char *
token_label(const struct token *token)
{
	return token->label;
}

const char *
token_serial(const struct token *token)
{
	return token->serial;
}

const char *
token_manufacturer(const struct token *token)
{
	return token->manufacturer;
}
