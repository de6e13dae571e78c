/*
 * Objects on the token: searching, reading attributes, certificate objects,
 * and deleting a generation (private key, public key and certificate that
 * share one CKA_ID).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "ckr.h"
#include "token.h"
#include "token_internal.h"

/*
 * Searches match token objects only. pkcs11-provider may copy a key into a
 * session object with the same CKA_ID and CKA_LABEL while it uses the key.
 */
static const CK_BBOOL on_token = CK_TRUE;

enum ca_status
token_find_objects(struct token *token, CK_ATTRIBUTE *template,
		   CK_ULONG template_len, CK_OBJECT_HANDLE handles[TOKEN_FIND_MAX],
		   size_t *count, struct ca_error *err)
{
	CK_FUNCTION_LIST *f = token->module;
	CK_OBJECT_HANDLE batch[TOKEN_FIND_MAX];
	CK_ULONG found = 0, i;
	enum ca_status r = CA_ERR_INTERNAL;
	CK_RV rv;

	*count = 0;
	rv = f->C_FindObjectsInit(token->session, template, template_len);
	if (rv != CKR_OK)
		return ckr_error(err, "C_FindObjectsInit", rv);

	do {
		rv = f->C_FindObjects(token->session, batch, TOKEN_FIND_MAX,
		    &found);
		if (rv != CKR_OK) {
			r = ckr_error(err, "C_FindObjects", rv);
			goto out;
		}
		for (i = 0; i < found; i++) {
			if (*count < TOKEN_FIND_MAX)
				handles[*count] = batch[i];
			(*count)++;
		}
	} while (found > 0);
	r = CA_OK;
out:
	rv = f->C_FindObjectsFinal(token->session);
	if (rv != CKR_OK && r == CA_OK)
		r = ckr_error(err, "C_FindObjectsFinal", rv);
	return r;
}

enum ca_status
token_find_one(struct token *token, CK_OBJECT_CLASS class,
	       const struct key_id *id, const char *what, CK_OBJECT_HANDLE *out,
	       struct ca_error *err)
{
	CK_ATTRIBUTE template[] = {
		{ CKA_CLASS, &class, sizeof(class) },
		{ CKA_TOKEN, token_attribute_value(&on_token),
		    sizeof(on_token) },
		{ CKA_ID, token_attribute_value(id->bytes), sizeof(id->bytes) },
	};
	CK_OBJECT_HANDLE handles[TOKEN_FIND_MAX];
	char hex[2 * KEY_ID_LEN + 1];
	size_t count = 0;
	enum ca_status r;

	*out = CK_INVALID_HANDLE;
	r = token_find_objects(token, template, 3, handles, &count, err);
	if (r != CA_OK)
		return r;

	key_id_to_hex(id, hex);
	if (count == 0)
		return ca_error_set(err, CA_ERR_TOKEN,
		    "no %s with ID %s on token '%s'", what, hex, token->label);
	if (count > 1)
		return ca_error_set(err, CA_ERR_TOKEN,
		    "%zu objects of type %s share ID %s on token '%s'; a lookup "
		    "must match one object: delete the extra ones with "
		    "pkcs11-tool --delete-object", count, what, hex, token->label);
	*out = handles[0];
	return CA_OK;
}

enum ca_status
token_get_bool(struct token *token, CK_OBJECT_HANDLE object,
	       CK_ATTRIBUTE_TYPE type, bool *out, struct ca_error *err)
{
	CK_BBOOL value = CK_FALSE;
	CK_ATTRIBUTE attribute = { type, &value, sizeof(value) };
	CK_RV rv;

	*out = false;
	rv = token->module->C_GetAttributeValue(token->session, object,
	    &attribute, 1);
	if (rv != CKR_OK)
		return ckr_error(err, "C_GetAttributeValue", rv);
	*out = value == CK_TRUE;
	return CA_OK;
}

enum ca_status
token_get_ulong(struct token *token, CK_OBJECT_HANDLE object,
		CK_ATTRIBUTE_TYPE type, CK_ULONG *out, struct ca_error *err)
{
	CK_ATTRIBUTE attribute = { type, out, sizeof(*out) };
	CK_RV rv;

	*out = 0;
	rv = token->module->C_GetAttributeValue(token->session, object,
	    &attribute, 1);
	if (rv != CKR_OK)
		return ckr_error(err, "C_GetAttributeValue", rv);
	return CA_OK;
}

/* Attribute values the agent reads are far smaller than this. */
#define TOKEN_ATTRIBUTE_MAX 65536

enum ca_status
token_get_bytes(struct token *token, CK_OBJECT_HANDLE object,
		CK_ATTRIBUTE_TYPE type, unsigned char **out, size_t *out_len,
		struct ca_error *err)
{
	CK_ATTRIBUTE attribute = { type, NULL, 0 };
	unsigned char *value = NULL;
	enum ca_status r = CA_ERR_INTERNAL;
	CK_RV rv;

	*out = NULL;
	*out_len = 0;

	rv = token->module->C_GetAttributeValue(token->session, object,
	    &attribute, 1);
	if (rv != CKR_OK) {
		r = ckr_error(err, "C_GetAttributeValue", rv);
		goto out;
	}
	if (attribute.ulValueLen == CK_UNAVAILABLE_INFORMATION ||
	    attribute.ulValueLen == 0 ||
	    attribute.ulValueLen > TOKEN_ATTRIBUTE_MAX) {
		r = ca_error_set(err, CA_ERR_TOKEN,
		    "token '%s' returned an attribute of unusable length %lu",
		    token->label, (unsigned long)attribute.ulValueLen);
		goto out;
	}

	if ((value = malloc(attribute.ulValueLen)) == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
		goto out;
	}
	attribute.pValue = value;
	rv = token->module->C_GetAttributeValue(token->session, object,
	    &attribute, 1);
	if (rv != CKR_OK) {
		r = ckr_error(err, "C_GetAttributeValue", rv);
		goto out;
	}

	*out = value;
	*out_len = attribute.ulValueLen;
	value = NULL;
	r = CA_OK;
out:
	free(value);
	return r;
}

/* DER encodings of a certificate's subject, issuer and serial number. */
struct certificate_fields {
	unsigned char *subject;
	int subject_len;
	unsigned char *issuer;
	int issuer_len;
	unsigned char *serial;
	int serial_len;
};

static void
certificate_fields_free(struct certificate_fields *fields)
{
	OPENSSL_free(fields->subject);
	OPENSSL_free(fields->issuer);
	OPENSSL_free(fields->serial);
	memset(fields, 0, sizeof(*fields));
}

static enum ca_status
certificate_fields_read(const unsigned char *der, size_t der_len,
			struct certificate_fields *fields, struct ca_error *err)
{
	const unsigned char *p = der;
	X509 *cert = NULL;
	enum ca_status r = CA_ERR_INTERNAL;

	memset(fields, 0, sizeof(*fields));
	if (der_len > (size_t)TOKEN_ATTRIBUTE_MAX)
		return ca_error_set(err, CA_ERR_INTERNAL,
		    "certificate of %zu bytes is too large for the token",
		    der_len);

	cert = d2i_X509(NULL, &p, (long)der_len);
	if (cert == NULL || p != der + der_len) {
		r = ca_error_set(err, CA_ERR_INTERNAL,
		    "the certificate to store is not valid DER");
		goto out;
	}
	fields->subject_len = i2d_X509_NAME(X509_get_subject_name(cert),
	    &fields->subject);
	fields->issuer_len = i2d_X509_NAME(X509_get_issuer_name(cert),
	    &fields->issuer);
	fields->serial_len = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert),
	    &fields->serial);
	if (fields->subject_len <= 0 || fields->issuer_len <= 0 ||
	    fields->serial_len <= 0) {
		r = ca_error_set(err, CA_ERR_INTERNAL,
		    "encoding the certificate's subject, issuer and serial "
		    "failed");
		goto out;
	}
	r = CA_OK;
out:
	if (r != CA_OK)
		certificate_fields_free(fields);
	X509_free(cert);
	return r;
}

static enum ca_status
token_destroy(struct token *token, CK_OBJECT_HANDLE object,
	      struct ca_error *err)
{
	CK_RV rv = token->module->C_DestroyObject(token->session, object);

	if (rv != CKR_OK)
		return ckr_error(err, "C_DestroyObject", rv);
	return CA_OK;
}

enum ca_status
token_store_certificate(struct token *token, const struct key_id *id,
			const char *label, const unsigned char *der,
			size_t der_len, struct ca_error *err)
{
	CK_OBJECT_CLASS class = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE cert_type = CKC_X_509;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_OBJECT_HANDLE old[TOKEN_FIND_MAX], created = CK_INVALID_HANDLE;
	CK_ATTRIBUTE find[] = {
		{ CKA_CLASS, &class, sizeof(class) },
		{ CKA_TOKEN, token_attribute_value(&on_token),
		    sizeof(on_token) },
		{ CKA_ID, NULL, 0 },
	};
	struct certificate_fields fields;
	size_t old_count = 0, i;
	enum ca_status r = CA_ERR_INTERNAL;
	CK_RV rv;

	ca_error_clear(err);
	memset(&fields, 0, sizeof(fields));
	if (token == NULL || id == NULL || label == NULL || der == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL,
		    "token_store_certificate: missing argument");
	find[2].pValue = token_attribute_value(id->bytes);
	find[2].ulValueLen = sizeof(id->bytes);

	if ((r = certificate_fields_read(der, der_len, &fields, err)) != CA_OK)
		goto out;
	if ((r = token_find_objects(token, find, 3, old, &old_count,
	    err)) != CA_OK)
		goto out;
	if (old_count > TOKEN_FIND_MAX) {
		r = ca_error_set(err, CA_ERR_TOKEN,
		    "%zu certificates share one ID on token '%s'; delete them "
		    "with pkcs11-tool --delete-object", old_count, token->label);
		goto out;
	}

	{
		CK_ATTRIBUTE template[] = {
			{ CKA_CLASS, &class, sizeof(class) },
			{ CKA_CERTIFICATE_TYPE, &cert_type, sizeof(cert_type) },
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_PRIVATE, &no, sizeof(no) },
			{ CKA_ID, token_attribute_value(id->bytes), sizeof(id->bytes) },
			{ CKA_LABEL, token_attribute_value(label), (CK_ULONG)strlen(label) },
			{ CKA_SUBJECT, fields.subject,
			    (CK_ULONG)fields.subject_len },
			{ CKA_ISSUER, fields.issuer, (CK_ULONG)fields.issuer_len },
			{ CKA_SERIAL_NUMBER, fields.serial,
			    (CK_ULONG)fields.serial_len },
			{ CKA_VALUE, token_attribute_value(der), (CK_ULONG)der_len },
		};

		rv = token->module->C_CreateObject(token->session, template,
		    sizeof(template) / sizeof(template[0]), &created);
		if (rv != CKR_OK) {
			r = ckr_error(err, "C_CreateObject", rv);
			goto out;
		}
	}

	/* The new object exists before the old one goes, so one is always there. */
	for (i = 0; i < old_count; i++) {
		if ((r = token_destroy(token, old[i], err)) != CA_OK) {
			(void)ca_error_prefix(err,
			    "replacing the old certificate");
			goto out;
		}
	}
	r = CA_OK;
out:
	certificate_fields_free(&fields);
	return r;
}

static const CK_OBJECT_CLASS generation_classes[] = {
	CKO_PRIVATE_KEY, CKO_PUBLIC_KEY, CKO_CERTIFICATE,
};

/* Destroy every object of class with CKA_ID id. Finding none is success. */
static enum ca_status
token_destroy_class(struct token *token, CK_OBJECT_CLASS class,
		    const struct key_id *id, size_t *remaining,
		    struct ca_error *err)
{
	CK_ATTRIBUTE template[] = {
		{ CKA_CLASS, &class, sizeof(class) },
		{ CKA_TOKEN, token_attribute_value(&on_token),
		    sizeof(on_token) },
		{ CKA_ID, token_attribute_value(id->bytes), sizeof(id->bytes) },
	};
	CK_OBJECT_HANDLE handles[TOKEN_FIND_MAX];
	size_t count = 0, i;
	enum ca_status r;

	*remaining = 0;
	r = token_find_objects(token, template, 3, handles, &count, err);
	if (r != CA_OK)
		return r;
	for (i = 0; i < count && i < TOKEN_FIND_MAX; i++) {
		if ((r = token_destroy(token, handles[i], err)) != CA_OK)
			return r;
	}
	*remaining = count - i;
	return CA_OK;
}

enum ca_status
token_delete_generation(struct token *token, const struct key_id *id,
			struct ca_error *err)
{
	char hex[2 * KEY_ID_LEN + 1];
	size_t remaining = 0, i;
	enum ca_status r;

	ca_error_clear(err);
	if (token == NULL || id == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL,
		    "token_delete_generation: missing argument");
	key_id_to_hex(id, hex);

	for (i = 0; i < sizeof(generation_classes) / sizeof(generation_classes[0]);
	    i++) {
		r = token_destroy_class(token, generation_classes[i], id,
		    &remaining, err);
		if (r != CA_OK)
			return ca_error_prefix(err, "deleting key ID %s", hex);
	}

	/* A token may report success and keep the object, so search again. */
	for (i = 0; i < sizeof(generation_classes) / sizeof(generation_classes[0]);
	    i++) {
		CK_OBJECT_CLASS class = generation_classes[i];
		CK_ATTRIBUTE template[] = {
			{ CKA_CLASS, &class, sizeof(class) },
			{ CKA_TOKEN, token_attribute_value(&on_token),
			    sizeof(on_token) },
			{ CKA_ID, token_attribute_value(id->bytes), sizeof(id->bytes) },
		};
		CK_OBJECT_HANDLE handles[TOKEN_FIND_MAX];

		r = token_find_objects(token, template, 3, handles, &remaining,
		    err);
		if (r != CA_OK)
			return ca_error_prefix(err, "checking deletion of key "
			    "ID %s", hex);
		if (remaining > 0)
			return ca_error_set(err, CA_ERR_TOKEN,
			    "token '%s' still holds %zu objects with key ID %s "
			    "after deleting them; delete them with pkcs11-tool "
			    "--delete-object", token->label, remaining, hex);
	}
	return CA_OK;
}

enum ca_status
token_count_objects(struct token *token, const char *label,
		    struct object_count *count, struct ca_error *err)
{
	unsigned int *slots[3];
	size_t found = 0, i;
	enum ca_status r;

	ca_error_clear(err);
	if (count != NULL)
		memset(count, 0, sizeof(*count));
	if (token == NULL || label == NULL || count == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL,
		    "token_count_objects: missing argument");
	slots[0] = &count->private_keys;
	slots[1] = &count->public_keys;
	slots[2] = &count->certificates;

	for (i = 0; i < 3; i++) {
		CK_OBJECT_CLASS class = generation_classes[i];
		CK_ATTRIBUTE template[] = {
			{ CKA_CLASS, &class, sizeof(class) },
			{ CKA_TOKEN, token_attribute_value(&on_token),
			    sizeof(on_token) },
			{ CKA_LABEL, token_attribute_value(label), (CK_ULONG)strlen(label) },
		};
		CK_OBJECT_HANDLE handles[TOKEN_FIND_MAX];

		r = token_find_objects(token, template, 3, handles, &found, err);
		if (r != CA_OK)
			return r;
		*slots[i] = (unsigned int)found;
	}
	return CA_OK;
}
