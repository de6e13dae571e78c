/*
 * The certificate signing request: subject from the Connector, public key
 * and SHA-256 signature from the token key, checked before it leaves.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ossl_error.h"
#include "provider.h"

/* Sign req with key through the provider's library context. */
static enum ca_status
csr_sign(OSSL_LIB_CTX *libctx, X509_REQ *req, EVP_PKEY *key,
	 struct ca_error *err)
{
	EVP_MD_CTX *md_ctx = NULL;
	enum ca_status r = CA_ERR_INTERNAL;

	if ((md_ctx = EVP_MD_CTX_new()) == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (EVP_DigestSignInit_ex(md_ctx, NULL, "SHA256", libctx, NULL, key,
	    NULL) != 1) {
		r = ossl_error(err, CA_ERR_TOKEN,
		    "starting the CSR signature with the token key failed");
		goto out;
	}
	if (X509_REQ_sign_ctx(req, md_ctx) <= 0) {
		r = ossl_error(err, CA_ERR_TOKEN,
		    "signing the CSR with the token key failed");
		goto out;
	}
	r = CA_OK;
out:
	EVP_MD_CTX_free(md_ctx);
	return r;
}

/*
 * Check the signature over the encoded CSR exactly as it will be sent, by
 * decoding it anew and verifying with the default provider only. The CSR
 * object that was signed keeps the token key as its public key, and
 * verifying with that key through pkcs11-provider 1.0 fails for RSA although
 * the signature is valid (seen with SoftHSM 2.6.1).
 */
static enum ca_status
csr_verify(OSSL_LIB_CTX *libctx, X509_REQ *req, struct ca_error *err)
{
	static const char propq[] = "provider=default";
	X509_REQ *decoded = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	EVP_PKEY *public_key;
	int der_len;
	enum ca_status r = CA_ERR_INTERNAL;

	if ((der_len = i2d_X509_REQ(req, &der)) <= 0 ||
	    (decoded = X509_REQ_new_ex(libctx, propq)) == NULL) {
		r = ossl_error(err, CA_ERR_INTERNAL, "encoding the CSR failed");
		goto out;
	}
	p = der;
	if (d2i_X509_REQ(&decoded, &p, der_len) == NULL ||
	    p != der + der_len ||
	    (public_key = X509_REQ_get0_pubkey(decoded)) == NULL) {
		r = ossl_error(err, CA_ERR_INTERNAL,
		    "decoding the CSR that was just built failed");
		goto out;
	}
	if (X509_REQ_verify_ex(decoded, public_key, libctx, propq) != 1) {
		r = ossl_error(err, CA_ERR_TOKEN,
		    "the CSR signed by the token key does not verify");
		goto out;
	}
	r = CA_OK;
out:
	X509_REQ_free(decoded);
	OPENSSL_free(der);
	return r;
}

static enum ca_status
csr_to_pem(X509_REQ *req, char **pem_out, struct ca_error *err)
{
	BIO *bio = NULL;
	char *data = NULL, *pem = NULL;
	long len;
	enum ca_status r = CA_ERR_INTERNAL;

	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509_REQ(bio, req) != 1) {
		r = ossl_error(err, CA_ERR_INTERNAL,
		    "encoding the CSR as PEM failed");
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	if (len <= 0 || (pem = malloc((size_t)len + 1)) == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
		goto out;
	}
	memcpy(pem, data, (size_t)len);
	pem[len] = '\0';
	*pem_out = pem;
	r = CA_OK;
out:
	BIO_free(bio);
	return r;
}

enum ca_status
csr_build(struct provider *provider, EVP_PKEY *key, const char *subject,
	  char **pem_out, struct ca_error *err)
{
	OSSL_LIB_CTX *libctx;
	X509_REQ *req = NULL;
	X509_NAME *name = NULL;
	enum ca_status r = CA_ERR_INTERNAL;

	ca_error_clear(err);
	if (pem_out != NULL)
		*pem_out = NULL;
	if (provider == NULL || key == NULL || subject == NULL ||
	    pem_out == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL,
		    "csr_build: missing argument");
	libctx = provider_libctx(provider);

	if ((r = subject_parse(subject, &name, err)) != CA_OK)
		goto out;

	if ((req = X509_REQ_new_ex(libctx, NULL)) == NULL ||
	    X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1 ||
	    X509_REQ_set_subject_name(req, name) != 1 ||
	    X509_REQ_set_pubkey(req, key) != 1) {
		r = ossl_error(err, CA_ERR_TOKEN,
		    "putting the subject and the token's public key into the "
		    "CSR failed");
		goto out;
	}

	if ((r = csr_sign(libctx, req, key, err)) != CA_OK ||
	    (r = csr_verify(libctx, req, err)) != CA_OK ||
	    (r = csr_to_pem(req, pem_out, err)) != CA_OK)
		goto out;
	r = CA_OK;
out:
	X509_NAME_free(name);
	X509_REQ_free(req);
	ERR_clear_error();
	return r;
}
