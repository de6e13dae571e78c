/*
 * Key pairs on the token: key types, generation with a sign-only template
 * and a random CKA_ID, and reading back the attributes that prove the
 * private key cannot leave the token.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "ckr.h"
#include "token.h"
#include "token_internal.h"

const unsigned char token_oid_p256[10] = {
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
};
const unsigned char token_oid_p384[7] = {
	0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22,
};

static const struct {
	enum key_type type;
	const char *name;
	bool rsa;
	unsigned int bits;
} key_types[] = {
	{ KEY_RSA_2048, "rsa:2048", true, 2048 },
	{ KEY_RSA_3072, "rsa:3072", true, 3072 },
	{ KEY_RSA_4096, "rsa:4096", true, 4096 },
	{ KEY_EC_P256, "ec:p256", false, 256 },
	{ KEY_EC_P384, "ec:p384", false, 384 },
};

#define KEY_TYPE_COUNT (sizeof(key_types) / sizeof(key_types[0]))

bool
key_type_parse(const char *name, enum key_type *out)
{
	size_t i;

	for (i = 0; name != NULL && i < KEY_TYPE_COUNT; i++) {
		if (strcmp(name, key_types[i].name) == 0) {
			*out = key_types[i].type;
			return true;
		}
	}
	return false;
}

const char *
key_type_name(enum key_type type)
{
	size_t i;

	for (i = 0; i < KEY_TYPE_COUNT; i++) {
		if (key_types[i].type == type)
			return key_types[i].name;
	}
	return "unknown";
}

static enum ca_status
key_id_random(struct key_id *id, struct ca_error *err)
{
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(id->bytes)) {
		n = getrandom(id->bytes + got, sizeof(id->bytes) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ca_error_set(err, CA_ERR_INTERNAL,
			    "getrandom failed: %s", strerror(errno));
		got += (size_t)n;
	}
	return CA_OK;
}

/*
 * Generate the pair with the templates for type. Attributes common to both
 * keys come first in each template; the mechanism-specific ones follow.
 */
static enum ca_status
key_generate(struct token *token, enum key_type type, const char *label,
	     const struct key_id *id, CK_OBJECT_HANDLE *public_key,
	     CK_OBJECT_HANDLE *private_key, struct ca_error *err)
{
	static const CK_BYTE exponent[] = { 0x01, 0x00, 0x01 };	/* 65537 */
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG bits = 0;
	CK_MECHANISM mechanism = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE public_template[10] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &no, sizeof(no) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_ENCRYPT, &no, sizeof(no) },
		{ CKA_WRAP, &no, sizeof(no) },
		{ CKA_ID, token_attribute_value(id->bytes), sizeof(id->bytes) },
		{ CKA_LABEL, token_attribute_value(label),
		    (CK_ULONG)strlen(label) },
	};
	CK_ATTRIBUTE private_template[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_EXTRACTABLE, &no, sizeof(no) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_DECRYPT, &no, sizeof(no) },
		{ CKA_UNWRAP, &no, sizeof(no) },
		{ CKA_DERIVE, &no, sizeof(no) },
		{ CKA_ID, token_attribute_value(id->bytes), sizeof(id->bytes) },
		{ CKA_LABEL, token_attribute_value(label),
		    (CK_ULONG)strlen(label) },
	};
	CK_ULONG public_count = 7;
	CK_RV rv;

	switch (type) {
	case KEY_RSA_2048:
	case KEY_RSA_3072:
	case KEY_RSA_4096:
		bits = type == KEY_RSA_2048 ? 2048 :
		    type == KEY_RSA_3072 ? 3072 : 4096;
		public_template[public_count++] = (CK_ATTRIBUTE){
		    CKA_MODULUS_BITS, &bits, sizeof(bits) };
		public_template[public_count++] = (CK_ATTRIBUTE){
		    CKA_PUBLIC_EXPONENT, token_attribute_value(exponent), sizeof(exponent) };
		break;
	case KEY_EC_P256:
		mechanism.mechanism = CKM_EC_KEY_PAIR_GEN;
		public_template[public_count++] = (CK_ATTRIBUTE){
		    CKA_EC_PARAMS, token_attribute_value(token_oid_p256),
		    sizeof(token_oid_p256) };
		break;
	case KEY_EC_P384:
		mechanism.mechanism = CKM_EC_KEY_PAIR_GEN;
		public_template[public_count++] = (CK_ATTRIBUTE){
		    CKA_EC_PARAMS, token_attribute_value(token_oid_p384),
		    sizeof(token_oid_p384) };
		break;
	default:
		return ca_error_set(err, CA_ERR_USAGE, "unknown key type %d",
		    (int)type);
	}

	rv = token->module->C_GenerateKeyPair(token->session, &mechanism,
	    public_template, public_count, private_template,
	    sizeof(private_template) / sizeof(private_template[0]),
	    public_key, private_key);
	if (rv != CKR_OK) {
		(void)ckr_error(err, "C_GenerateKeyPair", rv);
		return ca_error_prefix(err, "generating a %s key on token '%s'",
		    key_type_name(type), token->label);
	}
	return CA_OK;
}

/* Read the attributes that show whether the private key can leave the token. */
static enum ca_status
key_read_protection(struct token *token, CK_OBJECT_HANDLE private_key,
		    struct key_info *info, struct ca_error *err)
{
	enum ca_status r;

	if ((r = token_get_bool(token, private_key, CKA_SENSITIVE,
	    &info->sensitive, err)) != CA_OK ||
	    (r = token_get_bool(token, private_key, CKA_EXTRACTABLE,
	    &info->extractable, err)) != CA_OK ||
	    (r = token_get_bool(token, private_key, CKA_ALWAYS_SENSITIVE,
	    &info->always_sensitive, err)) != CA_OK ||
	    (r = token_get_bool(token, private_key, CKA_NEVER_EXTRACTABLE,
	    &info->never_extractable, err)) != CA_OK ||
	    (r = token_get_bool(token, private_key, CKA_LOCAL, &info->local,
	    err)) != CA_OK)
		return ca_error_prefix(err, "reading the private key's "
		    "attributes");
	return CA_OK;
}

/* Return the first property that lets the key leave the token, or NULL. */
static const char *
key_protection_gap(const struct key_info *info)
{
	if (!info->sensitive)
		return "CKA_SENSITIVE is false";
	if (info->extractable)
		return "CKA_EXTRACTABLE is true";
	if (!info->always_sensitive)
		return "CKA_ALWAYS_SENSITIVE is false";
	if (!info->never_extractable)
		return "CKA_NEVER_EXTRACTABLE is false";
	if (!info->local)
		return "CKA_LOCAL is false (not generated on the token)";
	return NULL;
}

enum ca_status
key_id_generate(struct key_id *id, struct ca_error *err)
{
	ca_error_clear(err);
	return key_id_random(id, err);
}

enum ca_status
token_generate_key_pair(struct token *token, enum key_type type,
			const char *label, struct key_id *id_out,
			struct ca_error *err)
{
	struct key_id id;
	enum ca_status r;

	ca_error_clear(err);
	if (id_out != NULL)
		memset(id_out, 0, sizeof(*id_out));
	if (id_out == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL,
		    "token_generate_key_pair: missing argument");
	if ((r = key_id_random(&id, err)) != CA_OK)
		return r;
	r = token_generate_key_pair_with_id(token, type, label, &id, err);
	if (r == CA_OK)
		*id_out = id;
	return r;
}

enum ca_status
token_generate_key_pair_with_id(struct token *token, enum key_type type,
				const char *label, const struct key_id *id_in,
				struct ca_error *err)
{
	CK_OBJECT_HANDLE public_key = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE private_key = CK_INVALID_HANDLE;
	struct key_info info;
	struct key_id id;
	struct ca_error cleanup;
	const char *gap;
	char hex[2 * KEY_ID_LEN + 1];
	enum ca_status r = CA_ERR_INTERNAL;

	ca_error_clear(err);
	memset(&info, 0, sizeof(info));
	if (token == NULL || label == NULL || id_in == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL,
		    "token_generate_key_pair_with_id: missing argument");
	id = *id_in;

	if ((r = key_generate(token, type, label, &id, &public_key,
	    &private_key, err)) != CA_OK)
		return r;

	if ((r = key_read_protection(token, private_key, &info, err)) != CA_OK)
		goto out;
	if ((gap = key_protection_gap(&info)) != NULL) {
		key_id_to_hex(&id, hex);
		r = ca_error_set(err, CA_ERR_TOKEN,
		    "token '%s' generated key %s with %s, so the agent "
		    "deletes the pair; use a token that keeps private keys "
		    "inside", token->label, hex, gap);
		goto out;
	}

	r = CA_OK;
out:
	/* A key that may leave the token is never left behind for use. */
	if (r != CA_OK &&
	    token_delete_generation(token, &id, &cleanup) != CA_OK)
		(void)ca_error_prefix(err, "deleting the rejected key pair failed (%s)",
		    cleanup.message);
	return r;
}

/* Check the private key's type against what the public key reported. */
static enum ca_status
key_check_private_type(struct token *token, CK_OBJECT_HANDLE private_key,
		       enum key_type type, struct ca_error *err)
{
	CK_ULONG key_type = 0;
	CK_KEY_TYPE expected = CKK_RSA;
	enum ca_status r;

	if (type == KEY_EC_P256 || type == KEY_EC_P384)
		expected = CKK_EC;
	r = token_get_ulong(token, private_key, CKA_KEY_TYPE, &key_type, err);
	if (r != CA_OK)
		return r;
	if (key_type != expected)
		return ca_error_set(err, CA_ERR_TOKEN,
		    "the private and public key with one ID on token '%s' have "
		    "different key types", token->label);
	return CA_OK;
}

enum ca_status
token_read_key(struct token *token, const struct key_id *id,
	       struct key_info *info, unsigned char **public_der,
	       size_t *public_der_len, struct ca_error *err)
{
	CK_OBJECT_HANDLE private_key, public_key;
	unsigned char *der = NULL;
	size_t der_len = 0;
	enum ca_status r = CA_ERR_INTERNAL;

	ca_error_clear(err);
	if (info != NULL)
		memset(info, 0, sizeof(*info));
	if (public_der != NULL)
		*public_der = NULL;
	if (public_der_len != NULL)
		*public_der_len = 0;
	if (token == NULL || id == NULL || info == NULL ||
	    (public_der != NULL && public_der_len == NULL))
		return ca_error_set(err, CA_ERR_INTERNAL,
		    "token_read_key: missing argument");

	if ((r = token_find_one(token, CKO_PRIVATE_KEY, id, "private key",
	    &private_key, err)) != CA_OK)
		goto out;
	if ((r = token_find_one(token, CKO_PUBLIC_KEY, id, "public key",
	    &public_key, err)) != CA_OK)
		goto out;

	if ((r = token_public_key_der(token, public_key, &info->type,
	    &info->bits, &der, &der_len, err)) != CA_OK)
		goto out;
	if ((r = key_check_private_type(token, private_key, info->type,
	    err)) != CA_OK)
		goto out;
	if ((r = key_read_protection(token, private_key, info, err)) != CA_OK)
		goto out;

	if (public_der != NULL) {
		*public_der = der;
		*public_der_len = der_len;
		der = NULL;
	}
	r = CA_OK;
out:
	free(der);
	return r;
}
