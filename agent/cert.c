/* Verification of issued certificates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cert.h"

static void
hex_encode(const unsigned char *in, size_t len, char *out, size_t out_size)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len && 2 * i + 2 < out_size; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 0x0f];
	}
	out[2 * i] = '\0';
}

static const char *
openssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;

	return reason != NULL ? reason : "unknown OpenSSL error";
}

enum ca_status
cert_chain_parse(const char *pem, const char *what, STACK_OF(X509) **out,
		 struct ca_error *err)
{
	STACK_OF(X509) *chain = NULL;
	BIO *bio = NULL;
	X509 *cert = NULL;
	enum ca_status r = CA_ERR_REJECTED;

	*out = NULL;

	chain = sk_X509_new_null();
	bio = BIO_new_mem_buf(pem, -1);
	if (chain == NULL || bio == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
		goto out;
	}
	ERR_clear_error();
	while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_num(chain) >= CERT_CHAIN_MAX) {
			r = ca_error_set(err, CA_ERR_REJECTED, "%s holds more "
			    "than %d certificates", what, CERT_CHAIN_MAX);
			goto out;
		}
		if (!sk_X509_push(chain, cert)) {
			r = ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
			goto out;
		}
		cert = NULL;
	}
	/* The loop ends with "no start line" once the input is used up. */
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE) {
		r = ca_error_set(err, CA_ERR_REJECTED, "%s contains an invalid "
		    "certificate: %s", what, openssl_reason());
		goto out;
	}
	ERR_clear_error();
	if (sk_X509_num(chain) == 0) {
		r = ca_error_set(err, CA_ERR_REJECTED, "%s contains no "
		    "certificate", what);
		goto out;
	}
	*out = chain;
	chain = NULL;
	r = CA_OK;
out:
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
	BIO_free(bio);
	return r;
}

static bool
asn1_time_to_time_t(const ASN1_TIME *asn1, time_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (asn1 == NULL || ASN1_TIME_to_tm(asn1, &tm) != 1)
		return false;
	*out = timegm(&tm);
	return *out != (time_t)-1;
}

static void
name_to_text(const X509_NAME *name, char *out, size_t out_size)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int n = 0;

	out[0] = '\0';
	if (bio == NULL)
		return;
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0)
		n = BIO_read(bio, out, (int)out_size - 1);
	out[n > 0 ? n : 0] = '\0';
	BIO_free(bio);
}

enum ca_status
cert_get_facts(X509 *cert, struct cert_facts *facts, struct ca_error *err)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len = 0;
	unsigned char *serial_bytes = NULL;
	BIGNUM *serial = NULL;
	int serial_len, cn_len;

	memset(facts, 0, sizeof(*facts));

	if (X509_digest(cert, EVP_sha256(), digest, &digest_len) != 1)
		return ca_error_set(err, CA_ERR_INTERNAL, "cannot hash the "
		    "certificate: %s", openssl_reason());
	hex_encode(digest, digest_len, facts->sha256, sizeof(facts->sha256));

	serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	serial_len = serial != NULL ? BN_num_bytes(serial) : -1;
	if (serial_len < 0 || serial_len > 64 ||
	    (serial_bytes = malloc((size_t)serial_len + 1)) == NULL) {
		BN_free(serial);
		return ca_error_set(err, CA_ERR_REJECTED, "certificate serial "
		    "number is invalid or longer than 64 bytes");
	}
	(void)BN_bn2bin(serial, serial_bytes);
	hex_encode(serial_bytes, (size_t)serial_len, facts->serial,
	    sizeof(facts->serial));
	free(serial_bytes);
	BN_free(serial);

	name_to_text(X509_get_subject_name(cert), facts->subject,
	    sizeof(facts->subject));
	name_to_text(X509_get_issuer_name(cert), facts->issuer,
	    sizeof(facts->issuer));
	cn_len = X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
	    NID_commonName, facts->common_name,
	    (int)sizeof(facts->common_name));
	if (cn_len < 0)
		facts->common_name[0] = '\0';

	if (!asn1_time_to_time_t(X509_get0_notBefore(cert),
	    &facts->not_before) ||
	    !asn1_time_to_time_t(X509_get0_notAfter(cert), &facts->not_after))
		return ca_error_set(err, CA_ERR_REJECTED, "certificate has an "
		    "invalid validity period");
	return CA_OK;
}

enum ca_status
cert_public_key_der(X509 *cert, unsigned char **der, size_t *len,
		    struct ca_error *err)
{
	unsigned char *p = NULL;
	int n;

	*der = NULL;
	*len = 0;
	n = i2d_PUBKEY(X509_get0_pubkey(cert), &p);
	if (n <= 0)
		return ca_error_set(err, CA_ERR_REJECTED, "cannot encode the "
		    "certificate's public key: %s", openssl_reason());
	*der = p;
	*len = (size_t)n;
	return CA_OK;
}

/* Every attribute of want appears in got with the same value, and no more. */
static bool
names_match_by_value(const X509_NAME *want, const X509_NAME *got)
{
	int i, j, n = X509_NAME_entry_count(want);

	if (n != X509_NAME_entry_count(got))
		return false;
	for (i = 0; i < n; i++) {
		const X509_NAME_ENTRY *w = X509_NAME_get_entry(want, i);
		bool found = false;

		for (j = 0; j < n && !found; j++) {
			const X509_NAME_ENTRY *g = X509_NAME_get_entry(got, j);

			found = OBJ_cmp(X509_NAME_ENTRY_get_object(w),
			    X509_NAME_ENTRY_get_object(g)) == 0 &&
			    ASN1_STRING_length(X509_NAME_ENTRY_get_data(w)) ==
			    ASN1_STRING_length(X509_NAME_ENTRY_get_data(g)) &&
			    memcmp(ASN1_STRING_get0_data(
			    X509_NAME_ENTRY_get_data(w)),
			    ASN1_STRING_get0_data(X509_NAME_ENTRY_get_data(g)),
			    (size_t)ASN1_STRING_length(
			    X509_NAME_ENTRY_get_data(w))) == 0;
		}
		if (!found)
			return false;
	}
	return true;
}

static enum ca_status
check_leaf(X509 *leaf, const struct cert_expectation *expect,
	   struct ca_error *err)
{
	unsigned char *der = NULL;
	size_t der_len = 0;
	time_t not_before, not_after;
	uint32_t eku;
	enum ca_status r;

	r = cert_public_key_der(leaf, &der, &der_len, err);
	if (r != CA_OK)
		return r;
	if (der == NULL || der_len != expect->public_key_der_len ||
	    memcmp(der, expect->public_key_der, der_len) != 0) {
		OPENSSL_free(der);
		return ca_error_set(err, CA_ERR_REJECTED, "the issued "
		    "certificate is for a different public key than the key "
		    "on the token");
	}
	OPENSSL_free(der);

	if (expect->subject != NULL &&
	    !names_match_by_value(expect->subject,
	    X509_get_subject_name(leaf)))
		return ca_error_set(err, CA_ERR_REJECTED, "the issued "
		    "certificate's subject differs from the requested one");

	if (!asn1_time_to_time_t(X509_get0_notBefore(leaf), &not_before) ||
	    !asn1_time_to_time_t(X509_get0_notAfter(leaf), &not_after))
		return ca_error_set(err, CA_ERR_REJECTED, "the issued "
		    "certificate has an invalid validity period");
	if (not_after <= expect->now)
		return ca_error_set(err, CA_ERR_REJECTED, "the issued "
		    "certificate has already expired");
	if (not_before > expect->now + CERT_CLOCK_SKEW_SECONDS)
		return ca_error_set(err, CA_ERR_REJECTED, "the issued "
		    "certificate is not valid yet; check this machine's clock");

	/* X509_get_extended_key_usage() is all ones without the extension. */
	eku = X509_get_extended_key_usage(leaf);
	if ((X509_get_extension_flags(leaf) & EXFLAG_XKUSAGE) == 0 ||
	    (eku & XKU_SSL_CLIENT) == 0)
		return ca_error_set(err, CA_ERR_REJECTED, "the issued "
		    "certificate does not allow TLS client authentication");
	if ((X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) != 0 &&
	    (X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE) == 0)
		return ca_error_set(err, CA_ERR_REJECTED, "the issued "
		    "certificate's key usage lacks digitalSignature");
	return CA_OK;
}

static enum ca_status
verify_to_ca(STACK_OF(X509) *chain, STACK_OF(X509) *cas,
	     struct ca_error *err)
{
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	STACK_OF(X509) *untrusted = NULL;
	int i;
	enum ca_status r = CA_ERR_REJECTED;

	store = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	untrusted = sk_X509_new_null();
	if (store == NULL || ctx == NULL || untrusted == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
		goto out;
	}
	for (i = 0; i < sk_X509_num(cas); i++) {
		if (X509_STORE_add_cert(store, sk_X509_value(cas, i)) != 1) {
			r = ca_error_set(err, CA_ERR_INTERNAL, "cannot add the "
			    "CA certificate to a store: %s", openssl_reason());
			goto out;
		}
	}
	for (i = 1; i < sk_X509_num(chain); i++) {
		if (!sk_X509_push(untrusted, sk_X509_value(chain, i))) {
			r = ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
			goto out;
		}
	}
	if (X509_STORE_CTX_init(ctx, store, sk_X509_value(chain, 0),
	    untrusted) != 1) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "X509_STORE_CTX_init "
		    "failed: %s", openssl_reason());
		goto out;
	}
	/* Times are checked by check_leaf() with a tolerance for skew. */
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME |
	    X509_V_FLAG_X509_STRICT);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
	if (X509_verify_cert(ctx) != 1) {
		r = ca_error_set(err, CA_ERR_REJECTED, "the issued certificate "
		    "does not verify against the Connector's CA certificate: "
		    "%s", X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	r = CA_OK;
out:
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return r;
}

enum ca_status
cert_check_issued(const char *chain_pem, const char *ca_pem,
		  const char *client_pem, const struct cert_expectation *expect,
		  STACK_OF(X509) **chain_out, struct ca_error *err)
{
	STACK_OF(X509) *chain = NULL, *cas = NULL, *client = NULL;
	int i;
	enum ca_status r;

	*chain_out = NULL;

	r = cert_chain_parse(chain_pem, "certificateChain", &chain, err);
	if (r != CA_OK)
		goto out;
	r = cert_chain_parse(ca_pem, "caCertificate", &cas, err);
	if (r != CA_OK)
		goto out;
	r = cert_chain_parse(client_pem, "clientCertificate", &client, err);
	if (r != CA_OK)
		goto out;

	r = CA_ERR_REJECTED;
	if (sk_X509_num(client) != 1 ||
	    X509_cmp(sk_X509_value(client, 0), sk_X509_value(chain, 0)) != 0) {
		ca_error_set(err, CA_ERR_REJECTED, "clientCertificate is not "
		    "the first certificate of certificateChain; the chain must "
		    "start with the leaf");
		goto out;
	}
	for (i = 0; i + 1 < sk_X509_num(chain); i++) {
		if (X509_check_issued(sk_X509_value(chain, i + 1),
		    sk_X509_value(chain, i)) != X509_V_OK) {
			ca_error_set(err, CA_ERR_REJECTED, "certificateChain is "
			    "not in order: certificate %d was not issued by "
			    "certificate %d", i + 1, i + 2);
			goto out;
		}
	}

	r = check_leaf(sk_X509_value(chain, 0), expect, err);
	if (r != CA_OK)
		goto out;
	r = verify_to_ca(chain, cas, err);
	if (r != CA_OK)
		goto out;

	*chain_out = chain;
	chain = NULL;
	r = CA_OK;
out:
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(cas, X509_free);
	sk_X509_pop_free(client, X509_free);
	return r;
}
