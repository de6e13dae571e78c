/*
 * Internals shared by the token layer: the open token and helpers for
 * finding objects and reading their attributes. Not for use outside pkcs11/
 * except by the token tests.
 */
#ifndef COMPASS_AGENT_TOKEN_INTERNAL_H
#define COMPASS_AGENT_TOKEN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <p11-kit/pkcs11.h>

#include "../common/error.h"
#include "token.h"

/* Label and manufacturer are 32 bytes in CK_TOKEN_INFO, the serial 16. */
#define TOKEN_TEXT_MAX 32

struct token {
	CK_FUNCTION_LIST *module;	/* loaded and initialized through p11-kit */
	char *module_path;		/* absolute file name, malloc'd */
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE session;
	bool session_open;
	bool logged_in;			/* this token called C_Login with success */
	bool pin_rejected;		/* the token rejected a PIN: no more C_Login */
	unsigned int login_calls;	/* C_Login calls made, read by the tests */
	char label[TOKEN_TEXT_MAX + 1];
	char serial[TOKEN_TEXT_MAX + 1];
	char manufacturer[TOKEN_TEXT_MAX + 1];
};

/*
 * Return value for a template entry. PKCS#11 templates take void * even
 * where the module only reads the value.
 */
static inline void *
token_attribute_value(const void *value)
{
	return (void *)(uintptr_t)value;
}

/* Handles kept by token_find_objects(); more matches are only counted. */
#define TOKEN_FIND_MAX 16

/*
 * Search the token for objects matching template. Stores up to
 * TOKEN_FIND_MAX handles and the total number of matches in *count.
 */
enum ca_status token_find_objects(struct token *token, CK_ATTRIBUTE *template,
				  CK_ULONG template_len,
				  CK_OBJECT_HANDLE handles[TOKEN_FIND_MAX],
				  size_t *count, struct ca_error *err) CA_WARN_UNUSED;

/*
 * Find the one object of class with CKA_ID id. No match or more than one is
 * CA_ERR_TOKEN; what names the object in the message ("private key").
 */
enum ca_status token_find_one(struct token *token, CK_OBJECT_CLASS class,
			      const struct key_id *id, const char *what,
			      CK_OBJECT_HANDLE *out,
			      struct ca_error *err) CA_WARN_UNUSED;

/* Read a CK_BBOOL attribute of object. */
enum ca_status token_get_bool(struct token *token, CK_OBJECT_HANDLE object,
			      CK_ATTRIBUTE_TYPE type, bool *out,
			      struct ca_error *err) CA_WARN_UNUSED;

/* Read a CK_ULONG attribute of object. */
enum ca_status token_get_ulong(struct token *token, CK_OBJECT_HANDLE object,
			       CK_ATTRIBUTE_TYPE type, CK_ULONG *out,
			       struct ca_error *err) CA_WARN_UNUSED;

/*
 * Read a variable-length attribute of object into a malloc'd buffer that the
 * caller frees. Only for public values: the buffer is not wiped.
 */
enum ca_status token_get_bytes(struct token *token, CK_OBJECT_HANDLE object,
			       CK_ATTRIBUTE_TYPE type, unsigned char **out,
			       size_t *out_len,
			       struct ca_error *err) CA_WARN_UNUSED;

/*
 * Build the DER SubjectPublicKeyInfo of the public key object. Sets *type
 * and *bits from the key. The caller frees *der.
 */
enum ca_status token_public_key_der(struct token *token,
				    CK_OBJECT_HANDLE public_key,
				    enum key_type *type, unsigned int *bits,
				    unsigned char **der, size_t *der_len,
				    struct ca_error *err) CA_WARN_UNUSED;

/* DER encodings of the named curves, in the form CKA_EC_PARAMS uses. */
extern const unsigned char token_oid_p256[10];
extern const unsigned char token_oid_p384[7];

#endif
