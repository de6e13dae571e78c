/*
 * The DER SubjectPublicKeyInfo of a public key object, built with OpenSSL
 * from CKA_MODULUS and CKA_PUBLIC_EXPONENT (RSA) or CKA_EC_PARAMS and
 * CKA_EC_POINT (EC).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "ckr.h"
#include "token.h"
#include "token_internal.h"

/*
 * Return CKA_EC_POINT as the bare point. PKCS#11 2.40 specifies a DER OCTET
 * STRING, which SoftHSM 2.6 returns, but some tokens return the bare point.
 * point_len is the size of an uncompressed point on the curve.
 */
static const unsigned char *
spki_ec_point(const unsigned char *value, size_t len, size_t point_len,
	      size_t *out_len)
{
	const unsigned char *p = value;
	ASN1_OCTET_STRING *wrapped = NULL;
	const unsigned char *point = NULL;

	*out_len = 0;
	if (len == point_len && value[0] == 0x04) {
		*out_len = len;
		return value;
	}

	wrapped = d2i_ASN1_OCTET_STRING(NULL, &p, (long)len);
	if (wrapped != NULL && p == value + len &&
	    (size_t)ASN1_STRING_length(wrapped) == point_len) {
		/* Point into value: the content is its last point_len bytes. */
		point = value + len - point_len;
		if (point[0] == 0x04)
			*out_len = point_len;
		else
			point = NULL;
	}
	ASN1_OCTET_STRING_free(wrapped);
	return point;
}

/*
 * OSSL_PARAM_BLD keeps pointers to the values pushed, not copies, so each
 * function below converts to OSSL_PARAM before it frees the values.
 */
static enum ca_status
spki_rsa_params(struct token *token, CK_OBJECT_HANDLE key,
		enum key_type *type, unsigned int *bits, OSSL_PARAM **params,
		struct ca_error *err)
{
	OSSL_PARAM_BLD *bld = NULL;
	unsigned char *modulus = NULL, *exponent = NULL;
	size_t modulus_len = 0, exponent_len = 0;
	BIGNUM *n = NULL, *e = NULL;
	enum ca_status r = CA_ERR_INTERNAL;

	if ((r = token_get_bytes(token, key, CKA_MODULUS, &modulus,
	    &modulus_len, err)) != CA_OK ||
	    (r = token_get_bytes(token, key, CKA_PUBLIC_EXPONENT, &exponent,
	    &exponent_len, err)) != CA_OK)
		goto out;

	n = BN_bin2bn(modulus, (int)modulus_len, NULL);
	e = BN_bin2bn(exponent, (int)exponent_len, NULL);
	if (n == NULL || e == NULL || (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    (*params = OSSL_PARAM_BLD_to_param(bld)) == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
		goto out;
	}

	*bits = (unsigned int)BN_num_bits(n);
	switch (*bits) {
	case 2048:
		*type = KEY_RSA_2048;
		break;
	case 3072:
		*type = KEY_RSA_3072;
		break;
	case 4096:
		*type = KEY_RSA_4096;
		break;
	default:
		r = ca_error_set(err, CA_ERR_TOKEN,
		    "RSA key of %u bits on token '%s' is not a supported key "
		    "type (rsa:2048, rsa:3072, rsa:4096)", *bits, token->label);
		goto out;
	}
	r = CA_OK;
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	free(modulus);
	free(exponent);
	return r;
}

static enum ca_status
spki_ec_params(struct token *token, CK_OBJECT_HANDLE key, enum key_type *type,
	       unsigned int *bits, OSSL_PARAM **params, struct ca_error *err)
{
	OSSL_PARAM_BLD *bld = NULL;
	unsigned char *curve = NULL, *value = NULL;
	size_t curve_len = 0, value_len = 0, point_len = 0;
	const unsigned char *point;
	const char *group;
	enum ca_status r = CA_ERR_INTERNAL;

	if ((r = token_get_bytes(token, key, CKA_EC_PARAMS, &curve,
	    &curve_len, err)) != CA_OK ||
	    (r = token_get_bytes(token, key, CKA_EC_POINT, &value, &value_len,
	    err)) != CA_OK)
		goto out;

	if (curve_len == sizeof(token_oid_p256) &&
	    memcmp(curve, token_oid_p256, curve_len) == 0) {
		*type = KEY_EC_P256;
		*bits = 256;
		group = "prime256v1";
	} else if (curve_len == sizeof(token_oid_p384) &&
	    memcmp(curve, token_oid_p384, curve_len) == 0) {
		*type = KEY_EC_P384;
		*bits = 384;
		group = "secp384r1";
	} else {
		r = ca_error_set(err, CA_ERR_TOKEN,
		    "EC key on token '%s' uses a curve other than P-256 and "
		    "P-384", token->label);
		goto out;
	}

	point = spki_ec_point(value, value_len, 1 + 2 * (*bits / 8),
	    &point_len);
	if (point == NULL) {
		r = ca_error_set(err, CA_ERR_TOKEN,
		    "token '%s' returned a CKA_EC_POINT that is not an "
		    "uncompressed point on the key's curve", token->label);
		goto out;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	    point, point_len) ||
	    (*params = OSSL_PARAM_BLD_to_param(bld)) == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
		goto out;
	}
	r = CA_OK;
out:
	OSSL_PARAM_BLD_free(bld);
	free(curve);
	free(value);
	return r;
}

enum ca_status
token_public_key_der(struct token *token, CK_OBJECT_HANDLE public_key,
		     enum key_type *type, unsigned int *bits,
		     unsigned char **der, size_t *der_len, struct ca_error *err)
{
	OSSL_LIB_CTX *libctx = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	CK_ULONG key_type = 0;
	unsigned char *encoded = NULL;
	int encoded_len;
	enum ca_status r = CA_ERR_INTERNAL;

	*der = NULL;
	*der_len = 0;

	if ((r = token_get_ulong(token, public_key, CKA_KEY_TYPE, &key_type,
	    err)) != CA_OK)
		goto out;

	/* A private context, because the default one loads OPENSSL_CONF. */
	if ((libctx = OSSL_LIB_CTX_new()) == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (key_type == CKK_RSA)
		r = spki_rsa_params(token, public_key, type, bits, &params, err);
	else if (key_type == CKK_EC)
		r = spki_ec_params(token, public_key, type, bits, &params, err);
	else
		r = ca_error_set(err, CA_ERR_TOKEN,
		    "key on token '%s' is neither RSA nor EC (CKA_KEY_TYPE "
		    "0x%lx)", token->label, (unsigned long)key_type);
	if (r != CA_OK)
		goto out;

	if ((ctx = EVP_PKEY_CTX_new_from_name(libctx,
	    key_type == CKK_RSA ? "RSA" : "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1 ||
	    (encoded_len = i2d_PUBKEY(pkey, &encoded)) <= 0) {
		r = ca_error_set(err, CA_ERR_TOKEN,
		    "the public key on token '%s' is not a valid %s key",
		    token->label, key_type == CKK_RSA ? "RSA" : "EC");
		goto out;
	}

	*der = malloc((size_t)encoded_len);
	if (*der == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
		goto out;
	}
	memcpy(*der, encoded, (size_t)encoded_len);
	*der_len = (size_t)encoded_len;
	r = CA_OK;
out:
	OPENSSL_free(encoded);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_LIB_CTX_free(libctx);
	ERR_clear_error();
	return r;
}
