/*
 * Tests of the token layer and the provider bridge on a real SoftHSM token
 * created for this run by softhsm/make-token.sh. Run from the repository
 * root, where the script is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

#include "../../pkcs11/provider.h"
#include "../../pkcs11/token.h"
#include "../../pkcs11/token_internal.h"

#define LABEL "compass-test"

/* Assert that call returns expected; print the local err's message if not. */
#define assert_status(call, expected) do {				\
	enum ca_status status_ = (call);				\
	if (status_ != (expected))					\
		print_error("%s\n", err.message);			\
	assert_int_equal(status_, (expected));				\
} while (0)

static struct {
	char dir[64];
	char module[256];
	char uri[128];
	struct secret *pin;
	struct secret *spare_pin;
} fixture;

/* Copy the value of NAME='value' from a line printed by make-token.sh. */
static int
read_assignment(const char *line, const char *name, char *out, size_t size)
{
	size_t name_len = strlen(name);
	const char *value, *end;

	if (strncmp(line, name, name_len) != 0 || line[name_len] != '=' ||
	    line[name_len + 1] != '\'')
		return 0;
	value = line + name_len + 2;
	end = strchr(value, '\'');
	if (end == NULL || (size_t)(end - value) >= size)
		return 0;
	memcpy(out, value, (size_t)(end - value));
	out[end - value] = '\0';
	return 1;
}

static struct secret *
read_pin(const char *path)
{
	struct ca_error err;
	struct secret *pin;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	pin = secret_read_fd(fd, "test PIN file", &err);
	close(fd);
	if (pin != NULL)
		secret_trim_newline(pin);
	return pin;
}

/* Create the test token and a second one, "spare", in a fresh directory. */
static int
group_setup(void **state)
{
	char command[512], line[512], conf[256] = "", pin_file[256] = "";
	char spare_pin_file[300];
	FILE *out;
	int ok;

	(void)state;
	strcpy(fixture.dir, "/tmp/compass-test-token-XXXXXX");
	if (mkdtemp(fixture.dir) == NULL)
		return -1;

	(void)snprintf(command, sizeof(command),
	    "sh softhsm/make-token.sh %s " LABEL, fixture.dir);
	if ((out = popen(command, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), out) != NULL) {
		(void)read_assignment(line, "SOFTHSM2_CONF", conf,
		    sizeof(conf));
		(void)read_assignment(line, "MODULE", fixture.module,
		    sizeof(fixture.module));
		(void)read_assignment(line, "TOKEN_URI", fixture.uri,
		    sizeof(fixture.uri));
		(void)read_assignment(line, "PIN_FILE", pin_file,
		    sizeof(pin_file));
	}
	if (pclose(out) != 0 || conf[0] == '\0' || pin_file[0] == '\0')
		return -1;
	if (setenv("SOFTHSM2_CONF", conf, 1) != 0)
		return -1;

	/* Another token in the same store, for selection and PIN tests. */
	(void)snprintf(command, sizeof(command),
	    "od -An -N8 -tx1 /dev/urandom | tr -d ' \\n' > %s/spare-pin && "
	    "softhsm2-util --init-token --free --label spare "
	    "--pin \"$(cat %s/spare-pin)\" --so-pin \"$(cat %s/so-pin)\" "
	    ">/dev/null", fixture.dir, fixture.dir, fixture.dir);
	ok = system(command) == 0;
	(void)snprintf(spare_pin_file, sizeof(spare_pin_file), "%s/spare-pin",
	    fixture.dir);

	fixture.pin = read_pin(pin_file);
	fixture.spare_pin = read_pin(spare_pin_file);
	return ok && fixture.pin != NULL && fixture.spare_pin != NULL ? 0 : -1;
}

static int
group_teardown(void **state)
{
	char command[128];

	(void)state;
	secret_free(fixture.pin);
	secret_free(fixture.spare_pin);
	(void)snprintf(command, sizeof(command), "rm -rf %s", fixture.dir);
	return system(command) == 0 ? 0 : -1;
}

/* Open the test token by module path and URI, and log in. */
static struct token *
open_logged_in(void)
{
	struct ca_error err;
	struct token *token = NULL;

	assert_status(token_open(fixture.module, fixture.uri, &token, &err),
	    CA_OK);
	assert_status(token_login(token, fixture.pin, &err), CA_OK);
	return token;
}

static struct provider *
open_provider(struct token *token)
{
	struct provider_options options = {
		.module_path = token_module_path(token),
		.pin = NULL,
		.softhsm_quirks = true,
	};
	struct provider *provider = NULL;
	struct ca_error err;

	assert_status(provider_open(&options, &provider, &err), CA_OK);
	return provider;
}

static void
token_open_by_path(void **state)
{
	struct ca_error err;
	struct token *token = NULL;
	char *real;

	(void)state;
	assert_status(token_open(fixture.module, fixture.uri, &token, &err),
	    CA_OK);
	assert_non_null(token);
	assert_string_equal(token_label(token), LABEL);
	assert_string_equal(token_manufacturer(token), "SoftHSM project");
	assert_true(strlen(token_serial(token)) > 0);
	/* The module path is the checked file, symbolic links resolved. */
	real = realpath(fixture.module, NULL);
	assert_non_null(real);
	assert_string_equal(token_module_path(token), real);
	free(real);
	token_close(token);
}

static void
token_open_by_module_name(void **state)
{
	struct ca_error err;
	struct token *token = NULL;

	(void)state;
	/* Debian registers SoftHSM with p11-kit as "softhsm2". */
	if (access("/usr/share/p11-kit/modules/softhsm2.module", R_OK) != 0)
		skip();
	assert_status(token_open("softhsm2", fixture.uri, &token, &err), CA_OK);
	assert_string_equal(token_label(token), LABEL);
	assert_true(token_module_path(token)[0] == '/');
	assert_non_null(strstr(token_module_path(token), "libsofthsm2.so"));
	token_close(token);
}

static void
token_unknown_module_name_rejected(void **state)
{
	struct ca_error err;
	struct token *token = (struct token *)1;

	(void)state;
	assert_status(token_open("no-such-module", fixture.uri, &token,
	    &err), CA_ERR_TOKEN);
	assert_null(token);
	assert_non_null(strstr(err.message, "no-such-module"));
}

static void
token_relative_module_rejected(void **state)
{
	struct ca_error err;
	struct token *token = NULL;

	(void)state;
	assert_status(token_open("lib/libsofthsm2.so", fixture.uri, &token,
	    &err), CA_ERR_USAGE);
	assert_null(token);
}

static void
token_uri_no_match_names_candidates(void **state)
{
	struct ca_error err;
	struct token *token = NULL;

	(void)state;
	assert_status(token_open(fixture.module, "pkcs11:token=absent",
	    &token, &err), CA_ERR_TOKEN);
	assert_null(token);
	assert_non_null(strstr(err.message, "'" LABEL "'"));
	assert_non_null(strstr(err.message, "'spare'"));
	assert_non_null(strstr(err.message, "pkcs11-tool -L"));
}

static void
token_uri_two_matches_rejected(void **state)
{
	struct ca_error err;
	struct token *token = NULL;

	(void)state;
	assert_status(token_open(fixture.module,
	    "pkcs11:manufacturer=SoftHSM%20project", &token, &err),
	    CA_ERR_TOKEN);
	assert_null(token);
	assert_non_null(strstr(err.message, "2 tokens match"));
	assert_non_null(strstr(err.message, "'spare'"));
}

static void
token_uri_invalid_rejected(void **state)
{
	struct ca_error err;
	struct token *token = NULL;

	(void)state;
	assert_status(token_open(fixture.module, "token=compass", &token,
	    &err), CA_ERR_USAGE);
	assert_status(token_open(fixture.module,
	    "pkcs11:token=x;pin-value=hunter2%", &token, &err), CA_ERR_USAGE);
	assert_null(strstr(err.message, "hunter2"));
}

/* A rejected PIN is not sent again, not even after reopening the token. */
static void
login_wrong_pin_not_retried(void **state)
{
	struct secret *wrong = secret_from_bytes("00000000", 8);
	struct ca_error err;
	struct token *token = NULL;

	(void)state;
	assert_non_null(wrong);
	assert_status(token_open(fixture.module, "pkcs11:token=spare",
	    &token, &err), CA_OK);

	assert_status(token_login(token, wrong, &err), CA_ERR_PIN);
	assert_non_null(strstr(err.message,
	    "C_Login failed: CKR_PIN_INCORRECT"));
	assert_null(strstr(err.message, "00000000"));
	assert_int_equal(token->login_calls, 1);

	/* After a rejection this token sends no PIN, not even the right one. */
	assert_status(token_login(token, fixture.spare_pin, &err), CA_ERR_PIN);
	assert_int_equal(token->login_calls, 1);
	token_close(token);

	/* A new session does not send the rejected PIN again either. */
	assert_status(token_open(fixture.module, "pkcs11:token=spare",
	    &token, &err), CA_OK);
	assert_status(token_login(token, wrong, &err), CA_ERR_PIN);
	assert_int_equal(token->login_calls, 0);

	/* A corrected PIN is accepted. */
	assert_status(token_login(token, fixture.spare_pin, &err), CA_OK);
	assert_int_equal(token->login_calls, 1);
	assert_status(token_login(token, fixture.spare_pin, &err), CA_OK);
	assert_int_equal(token->login_calls, 1);
	token_close(token);
	secret_free(wrong);
}

static void
login_missing_pin_rejected(void **state)
{
	struct ca_error err;
	struct token *token = NULL;

	(void)state;
	assert_status(token_open(fixture.module, fixture.uri, &token, &err),
	    CA_OK);
	assert_status(token_login(token, NULL, &err), CA_ERR_PIN);
	assert_int_equal(token->login_calls, 0);
	token_close(token);
}

/* Check the template of the private key beyond what struct key_info holds. */
static void
assert_sign_only(struct token *token, const struct key_id *id)
{
	CK_OBJECT_HANDLE key;
	struct ca_error err;
	bool value;

	assert_status(token_find_one(token, CKO_PRIVATE_KEY, id, "private key",
	    &key, &err), CA_OK);
	assert_status(token_get_bool(token, key, CKA_SIGN, &value, &err),
	    CA_OK);
	assert_true(value);
	assert_status(token_get_bool(token, key, CKA_DECRYPT, &value, &err),
	    CA_OK);
	assert_false(value);
	assert_status(token_get_bool(token, key, CKA_UNWRAP, &value, &err),
	    CA_OK);
	assert_false(value);
	assert_status(token_get_bool(token, key, CKA_DERIVE, &value, &err),
	    CA_OK);
	assert_false(value);
	assert_status(token_get_bool(token, key, CKA_PRIVATE, &value, &err),
	    CA_OK);
	assert_true(value);
	assert_status(token_get_bool(token, key, CKA_TOKEN, &value, &err),
	    CA_OK);
	assert_true(value);
}

static void
generate_each_key_type(void **state)
{
	static const struct {
		const char *name;
		unsigned int bits;
		int evp_type;
	} types[] = {
		{ "rsa:2048", 2048, EVP_PKEY_RSA },
		{ "rsa:3072", 3072, EVP_PKEY_RSA },
		{ "rsa:4096", 4096, EVP_PKEY_RSA },
		{ "ec:p256", 256, EVP_PKEY_EC },
		{ "ec:p384", 384, EVP_PKEY_EC },
	};
	struct token *token = open_logged_in();
	struct ca_error err;
	struct key_info info;
	struct key_id id;
	enum key_type type;
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t der_len = 0, i;
	EVP_PKEY *public_key;

	(void)state;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		assert_true(key_type_parse(types[i].name, &type));
		assert_string_equal(key_type_name(type), types[i].name);
		assert_status(token_generate_key_pair(token, type, LABEL, &id,
		    &err), CA_OK);

		assert_status(token_read_key(token, &id, &info, &der,
		    &der_len, &err), CA_OK);
		assert_int_equal(info.type, type);
		assert_int_equal(info.bits, types[i].bits);
		assert_true(info.sensitive);
		assert_false(info.extractable);
		assert_true(info.always_sensitive);
		assert_true(info.never_extractable);
		assert_true(info.local);
		assert_sign_only(token, &id);

		p = der;
		public_key = d2i_PUBKEY(NULL, &p, (long)der_len);
		assert_non_null(public_key);
		assert_ptr_equal(p, der + der_len);
		assert_int_equal(EVP_PKEY_get_base_id(public_key),
		    types[i].evp_type);
		assert_int_equal(EVP_PKEY_get_bits(public_key),
		    (int)types[i].bits);
		EVP_PKEY_free(public_key);
		free(der);
		der = NULL;

		assert_status(token_delete_generation(token, &id, &err), CA_OK);
	}
	assert_false(key_type_parse("rsa:1024", &type));
	token_close(token);
}

static void
key_id_hex_round_trip(void **state)
{
	struct key_id id, parsed;
	char hex[2 * KEY_ID_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < KEY_ID_LEN; i++)
		id.bytes[i] = (unsigned char)(i * 17);
	key_id_to_hex(&id, hex);
	assert_string_equal(hex, "00112233445566778899aabbccddeeff");
	assert_true(key_id_from_hex("00112233445566778899AABBCCDDEEFF",
	    &parsed));
	assert_memory_equal(parsed.bytes, id.bytes, KEY_ID_LEN);
	assert_false(key_id_from_hex("0011", &parsed));
	assert_false(key_id_from_hex("g0112233445566778899aabbccddeeff",
	    &parsed));
}

static void
key_uri_percent_encoded(void **state)
{
	struct token token;
	struct key_id id;
	char *uri;
	size_t i;

	(void)state;
	memset(&token, 0, sizeof(token));
	strcpy(token.label, "my token;x=%");
	strcpy(token.serial, "0a1b");
	for (i = 0; i < KEY_ID_LEN; i++)
		id.bytes[i] = (unsigned char)(0xf0 + i);
	uri = token_key_uri(&token, &id);
	assert_non_null(uri);
	assert_string_equal(uri,
	    "pkcs11:token=my%20token%3Bx%3D%25;serial=0a1b;"
	    "id=%F0%F1%F2%F3%F4%F5%F6%F7%F8%F9%FA%FB%FC%FD%FE%FF;type=private");
	free(uri);
}

/* pkcs11-provider lives in the agent's library context only. */
static void
provider_context_is_private(void **state)
{
	struct token *token = open_logged_in();
	struct provider *provider;

	(void)state;
	/* The provider must not take its module from the environment. */
	assert_int_equal(setenv("PKCS11_PROVIDER_MODULE", "/nonexistent.so", 1),
	    0);
	provider = open_provider(token);
	assert_null(getenv("PKCS11_PROVIDER_MODULE"));
	assert_true(OSSL_PROVIDER_available(provider_libctx(provider),
	    "pkcs11"));
	assert_true(OSSL_PROVIDER_available(provider_libctx(provider),
	    "default"));
	assert_false(OSSL_PROVIDER_available(NULL, "pkcs11"));
	provider_close(provider);
	token_close(token);
}

static void
provider_rejects_unplain_module_path(void **state)
{
	struct provider_options options = {
		.module_path = "/tmp/x\nactivate = 0",
		.pin = NULL,
		.softhsm_quirks = true,
	};
	struct provider *provider = NULL;
	struct ca_error err;

	(void)state;
	assert_status(provider_open(&options, &provider, &err), CA_ERR_USAGE);
	assert_null(provider);
}

/* Load the key by URI, build a CSR, and verify it outside the provider. */
static void
provider_key_signs_csr(enum key_type type)
{
	static const char subject[] =
	    "O=Org,OU=OrgUnit,L=Waldorf,ST=Waldorf,C=DE,CN=test runtime";
	struct token *token = open_logged_in();
	struct provider *provider = open_provider(token);
	struct ca_error err;
	struct key_info info;
	struct key_id id;
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t der_len = 0;
	char *uri, *pem = NULL, *text;
	EVP_PKEY *key = NULL, *token_public, *csr_public;
	X509_REQ *req;
	BIO *bio;

	assert_status(token_generate_key_pair(token, type, LABEL, &id, &err),
	    CA_OK);
	assert_status(token_read_key(token, &id, &info, &der, &der_len,
	    &err), CA_OK);
	uri = token_key_uri(token, &id);
	assert_non_null(uri);
	assert_status(provider_load_private_key(provider, uri, &key, &err),
	    CA_OK);
	assert_non_null(key);

	assert_status(csr_build(provider, key, subject, &pem, &err), CA_OK);
	assert_non_null(strstr(pem, "-----BEGIN CERTIFICATE REQUEST-----"));

	/* Parse and verify in the default context, without the provider. */
	bio = BIO_new_mem_buf(pem, -1);
	req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
	assert_non_null(req);
	csr_public = X509_REQ_get0_pubkey(req);
	assert_int_equal(X509_REQ_verify(req, csr_public), 1);

	p = der;
	token_public = d2i_PUBKEY(NULL, &p, (long)der_len);
	assert_non_null(token_public);
	assert_int_equal(EVP_PKEY_eq(token_public, csr_public), 1);

	text = X509_NAME_oneline(X509_REQ_get_subject_name(req), NULL, 0);
	assert_string_equal(text,
	    "/O=Org/OU=OrgUnit/L=Waldorf/ST=Waldorf/C=DE/CN=test runtime");
	OPENSSL_free(text);

	X509_REQ_free(req);
	BIO_free(bio);
	EVP_PKEY_free(token_public);
	EVP_PKEY_free(key);
	free(pem);
	free(uri);
	free(der);
	assert_status(token_delete_generation(token, &id, &err), CA_OK);
	provider_close(provider);
	token_close(token);
}

static void
provider_rsa_key_signs_csr(void **state)
{
	(void)state;
	provider_key_signs_csr(KEY_RSA_2048);
}

static void
provider_ec_key_signs_csr(void **state)
{
	(void)state;
	provider_key_signs_csr(KEY_EC_P384);
}

static void
provider_missing_key_rejected(void **state)
{
	struct token *token = open_logged_in();
	struct provider *provider = open_provider(token);
	struct ca_error err;
	struct key_id id;
	EVP_PKEY *key = NULL;
	char *uri;

	(void)state;
	memset(&id, 0x5a, sizeof(id));
	uri = token_key_uri(token, &id);
	assert_int_not_equal(provider_load_private_key(provider, uri, &key,
	    &err), CA_OK);
	assert_null(key);
	free(uri);
	provider_close(provider);
	token_close(token);
}

/* Without a login by the token layer, the provider logs in with the PIN. */
static void
provider_logs_in_with_pin(void **state)
{
	struct token *token = open_logged_in();
	struct provider_options options = { .pin = fixture.pin,
	    .softhsm_quirks = true };
	struct provider *provider = NULL;
	struct ca_error err;
	struct key_id id;
	EVP_PKEY *key = NULL;
	char *uri, *pem = NULL;

	(void)state;
	assert_status(token_generate_key_pair(token, KEY_EC_P256, LABEL, &id,
	    &err), CA_OK);
	uri = token_key_uri(token, &id);
	token_close(token);

	assert_status(token_open(fixture.module, fixture.uri, &token, &err),
	    CA_OK);
	options.module_path = token_module_path(token);
	assert_status(provider_open(&options, &provider, &err), CA_OK);
	assert_status(provider_load_private_key(provider, uri, &key, &err),
	    CA_OK);
	assert_status(csr_build(provider, key, "CN=pin test", &pem, &err),
	    CA_OK);

	free(pem);
	EVP_PKEY_free(key);
	free(uri);
	provider_close(provider);
	assert_status(token_login(token, fixture.pin, &err), CA_OK);
	assert_status(token_delete_generation(token, &id, &err), CA_OK);
	token_close(token);
}

/* Make a self-signed certificate for the token key, signed by the token. */
static unsigned char *
self_signed_der(struct provider *provider, EVP_PKEY *key, int *len)
{
	X509 *cert = X509_new_ex(provider_libctx(provider), NULL);
	X509_NAME *name = X509_NAME_new();
	EVP_MD_CTX *md_ctx = EVP_MD_CTX_new();
	unsigned char *der = NULL;

	assert_non_null(cert);
	assert_non_null(name);
	assert_non_null(md_ctx);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)"token test", -1, -1, 0), 1);
	assert_int_equal(X509_set_version(cert, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(cert), 4242),
	    1);
	assert_int_equal(X509_set_subject_name(cert, name), 1);
	assert_int_equal(X509_set_issuer_name(cert, name), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(cert), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(cert), 3600));
	assert_int_equal(X509_set_pubkey(cert, key), 1);
	assert_int_equal(EVP_DigestSignInit_ex(md_ctx, NULL, "SHA256",
	    provider_libctx(provider), NULL, key, NULL), 1);
	assert_true(X509_sign_ctx(cert, md_ctx) > 0);

	*len = i2d_X509(cert, &der);
	assert_true(*len > 0);
	EVP_MD_CTX_free(md_ctx);
	X509_NAME_free(name);
	X509_free(cert);
	return der;
}

static void
certificate_store_and_find(void **state)
{
	struct token *token = open_logged_in();
	struct provider *provider = open_provider(token);
	struct object_count count;
	struct ca_error err;
	struct key_id id;
	CK_OBJECT_HANDLE object;
	EVP_PKEY *key = NULL;
	unsigned char *der, *value = NULL;
	size_t value_len = 0;
	char *uri;
	int der_len = 0;

	(void)state;
	assert_status(token_generate_key_pair(token, KEY_EC_P256, "cert-test",
	    &id,
	    &err), CA_OK);
	uri = token_key_uri(token, &id);
	assert_status(provider_load_private_key(provider, uri, &key, &err),
	    CA_OK);
	der = self_signed_der(provider, key, &der_len);

	assert_status(token_store_certificate(token, &id, "cert-test", der,
	    (size_t)der_len, &err), CA_OK);
	assert_status(token_find_one(token, CKO_CERTIFICATE, &id,
	    "certificate", &object, &err), CA_OK);
	assert_status(token_get_bytes(token, object, CKA_VALUE, &value,
	    &value_len, &err), CA_OK);
	assert_int_equal(value_len, (size_t)der_len);
	assert_memory_equal(value, der, value_len);
	free(value);

	/* Storing again replaces the certificate instead of adding one. */
	assert_status(token_store_certificate(token, &id, "cert-test", der,
	    (size_t)der_len, &err), CA_OK);
	assert_status(token_count_objects(token, "cert-test", &count, &err),
	    CA_OK);
	assert_int_equal(count.private_keys, 1);
	assert_int_equal(count.public_keys, 1);
	assert_int_equal(count.certificates, 1);

	/* Bytes that are not a certificate are never stored. */
	assert_int_not_equal(token_store_certificate(token, &id, "cert-test",
	    der,
	    (size_t)der_len - 1, &err), CA_OK);

	OPENSSL_free(der);
	EVP_PKEY_free(key);
	free(uri);
	assert_status(token_delete_generation(token, &id, &err), CA_OK);
	provider_close(provider);
	token_close(token);
}

static void
delete_generation_confirmed(void **state)
{
	struct token *token = open_logged_in();
	struct provider *provider = open_provider(token);
	struct object_count count;
	struct key_info info;
	struct ca_error err;
	struct key_id id;
	EVP_PKEY *key = NULL;
	unsigned char *der;
	char *uri;
	int der_len = 0;

	(void)state;
	assert_status(token_generate_key_pair(token, KEY_EC_P256, "delete-test",
	    &id,
	    &err), CA_OK);
	uri = token_key_uri(token, &id);
	assert_status(provider_load_private_key(provider, uri, &key, &err),
	    CA_OK);
	der = self_signed_der(provider, key, &der_len);
	assert_status(token_store_certificate(token, &id, "delete-test", der,
	    (size_t)der_len, &err), CA_OK);
	EVP_PKEY_free(key);
	OPENSSL_free(der);

	assert_status(token_delete_generation(token, &id, &err), CA_OK);
	assert_status(token_count_objects(token, "delete-test", &count, &err),
	    CA_OK);
	assert_int_equal(count.private_keys, 0);
	assert_int_equal(count.public_keys, 0);
	assert_int_equal(count.certificates, 0);
	assert_status(token_read_key(token, &id, &info, NULL, NULL, &err),
	    CA_ERR_TOKEN);
	key = NULL;
	assert_int_not_equal(provider_load_private_key(provider, uri, &key,
	    &err), CA_OK);
	assert_null(key);

	/* Deleting what is gone already is success. */
	assert_status(token_delete_generation(token, &id, &err), CA_OK);
	free(uri);
	provider_close(provider);
	token_close(token);
}

/* Two private keys with one CKA_ID: every lookup by that ID must fail. */
static void
duplicate_id_lookup_fails(void **state)
{
	struct token *token = open_logged_in();
	struct provider *provider = open_provider(token);
	struct ca_error err;
	struct key_info info;
	struct key_id first, second;
	CK_OBJECT_HANDLE key;
	CK_ATTRIBUTE id_attribute = { CKA_ID, NULL, KEY_ID_LEN };
	EVP_PKEY *pkey = NULL;
	char *uri;

	(void)state;
	assert_status(token_generate_key_pair(token, KEY_EC_P256, LABEL,
	    &first, &err), CA_OK);
	assert_status(token_generate_key_pair(token, KEY_EC_P256, LABEL,
	    &second, &err), CA_OK);
	assert_status(token_find_one(token, CKO_PRIVATE_KEY, &second,
	    "private key", &key, &err), CA_OK);
	id_attribute.pValue = first.bytes;
	assert_int_equal(token->module->C_SetAttributeValue(token->session, key,
	    &id_attribute, 1), CKR_OK);

	assert_status(token_read_key(token, &first, &info, NULL, NULL, &err),
	    CA_ERR_TOKEN);
	assert_non_null(strstr(err.message, "share ID"));
	uri = token_key_uri(token, &first);
	assert_status(provider_load_private_key(provider, uri, &pkey, &err),
	    CA_ERR_TOKEN);
	assert_null(pkey);
	free(uri);

	assert_status(token_delete_generation(token, &first, &err), CA_OK);
	assert_status(token_delete_generation(token, &second, &err), CA_OK);
	provider_close(provider);
	token_close(token);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(token_open_by_path),
		cmocka_unit_test(token_open_by_module_name),
		cmocka_unit_test(token_unknown_module_name_rejected),
		cmocka_unit_test(token_relative_module_rejected),
		cmocka_unit_test(token_uri_no_match_names_candidates),
		cmocka_unit_test(token_uri_two_matches_rejected),
		cmocka_unit_test(token_uri_invalid_rejected),
		cmocka_unit_test(login_wrong_pin_not_retried),
		cmocka_unit_test(login_missing_pin_rejected),
		cmocka_unit_test(generate_each_key_type),
		cmocka_unit_test(key_id_hex_round_trip),
		cmocka_unit_test(key_uri_percent_encoded),
		cmocka_unit_test(provider_context_is_private),
		cmocka_unit_test(provider_rejects_unplain_module_path),
		cmocka_unit_test(provider_rsa_key_signs_csr),
		cmocka_unit_test(provider_ec_key_signs_csr),
		cmocka_unit_test(provider_missing_key_rejected),
		cmocka_unit_test(provider_logs_in_with_pin),
		cmocka_unit_test(certificate_store_and_find),
		cmocka_unit_test(delete_generation_confirmed),
		cmocka_unit_test(duplicate_id_lookup_fails),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
