/*
 * pkcs11-provider in a library context of the agent's own, and token keys
 * loaded through it as EVP_PKEY.
 *
 * OpenSSL 3.0 passes parameters to a provider only from a configuration, so
 * the configuration is built in memory from provider_options and loaded into
 * the private context. It names the provider's file by absolute path, so
 * OPENSSL_MODULES plays no part, and it never contains the PIN.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/conf.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include <openssl/store.h>
#include <openssl/ui.h>

#include "ossl_error.h"
#include "provider.h"

struct provider {
	OSSL_LIB_CTX *libctx;
	struct secret *pin;	/* copy of the options' PIN, or NULL */
};

/*
 * pkcs11-provider 1.0 reads these in every process that loads it:
 * PKCS11_PROVIDER_MODULE replaces the configured module path, and
 * PKCS11_PROVIDER_DEBUG writes a trace to a file it names.
 */
static const char *const provider_environment[] = {
	"PKCS11_PROVIDER_MODULE",
	"PKCS11_PROVIDER_DEBUG",
};

/*
 * Accept only paths that need no quoting in an OpenSSL configuration, where
 * '$', '#', '\\', quotes and blanks have meanings of their own.
 */
static bool
provider_path_is_plain(const char *path)
{
	const char *p;

	if (path == NULL || path[0] != '/')
		return false;
	for (p = path; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '/' || *p == '.' ||
		    *p == '_' || *p == '-' || *p == '+'))
			return false;
	}
	return true;
}

static enum ca_status
provider_build_config(const struct provider_options *options, char **out,
		      struct ca_error *err)
{
	const char *modules_dir = OPENSSL_info(OPENSSL_INFO_MODULES_DIR);
	char escaped[256];
	char *text = NULL;
	int len;

	*out = NULL;
	if (!provider_path_is_plain(options->module_path)) {
		ca_escape_untrusted(escaped, sizeof(escaped),
		    options->module_path, 200);
		return ca_error_set(err, CA_ERR_USAGE,
		    "PKCS#11 module path '%s' is not absolute or contains "
		    "characters other than letters, digits and / . _ - +; "
		    "install the module under a plain path", escaped);
	}
	if (!provider_path_is_plain(modules_dir))
		return ca_error_set(err, CA_ERR_INTERNAL,
		    "OpenSSL's module directory is not a plain absolute path");

	len = asprintf(&text,
	    "agent_conf = agent\n"
	    "[agent]\n"
	    "providers = agent_providers\n"
	    "[agent_providers]\n"
	    "default = agent_default\n"
	    "pkcs11 = agent_pkcs11\n"
	    "[agent_default]\n"
	    "activate = 1\n"
	    "[agent_pkcs11]\n"
	    "module = %s/pkcs11.so\n"
	    "pkcs11-module-path = %s\n"
	    "pkcs11-module-load-behavior = early\n"
	    "%s"
	    "activate = 1\n",
	    modules_dir, options->module_path,
	    options->softhsm_quirks ?
	    "pkcs11-module-quirks = no-deinit no-operation-state\n" : "");
	if (len < 0)
		return ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
	*out = text;
	return CA_OK;
}

/* Load the configuration text into libctx, activating its providers. */
static enum ca_status
provider_load_config(OSSL_LIB_CTX *libctx, const char *text,
		     struct ca_error *err)
{
	CONF *conf = NULL;
	BIO *bio = NULL;
	long error_line = 0;
	enum ca_status r = CA_ERR_INTERNAL;

	if ((conf = NCONF_new_ex(libctx, NULL)) == NULL ||
	    (bio = BIO_new_mem_buf(text, -1)) == NULL) {
		r = ossl_error(err, CA_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (NCONF_load_bio(conf, bio, &error_line) <= 0) {
		r = ossl_error(err, CA_ERR_INTERNAL,
		    "parsing the provider configuration failed");
		goto out;
	}
	/* CONF_modules_load() activates providers in the CONF's libctx. */
	if (CONF_modules_load(conf, "agent_conf", 0) <= 0) {
		r = ossl_error(err, CA_ERR_TOKEN,
		    "loading pkcs11-provider failed; check --module and that "
		    "pkcs11-provider is installed");
		goto out;
	}
	r = CA_OK;
out:
	BIO_free(bio);
	NCONF_free(conf);
	return r;
}

enum ca_status
provider_open(const struct provider_options *options, struct provider **out,
	      struct ca_error *err)
{
	struct provider *provider = NULL;
	char *config = NULL;
	enum ca_status r = CA_ERR_INTERNAL;
	size_t i;

	ca_error_clear(err);
	if (out != NULL)
		*out = NULL;
	if (options == NULL || out == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL,
		    "provider_open: missing argument");

	/*
	 * NOTE: unsetenv() is not thread-safe. The agent should call it at
	 * start; doing it here too keeps the rule for every caller.
	 */
	for (i = 0; i < sizeof(provider_environment) /
	    sizeof(provider_environment[0]); i++)
		(void)unsetenv(provider_environment[i]);

	if ((r = provider_build_config(options, &config, err)) != CA_OK)
		goto out;
	if ((provider = calloc(1, sizeof(*provider))) == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (options->pin != NULL) {
		provider->pin = secret_from_bytes(options->pin->data,
		    options->pin->len);
		if (provider->pin == NULL) {
			r = ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
			goto out;
		}
	}

	if ((provider->libctx = OSSL_LIB_CTX_new()) == NULL) {
		r = ossl_error(err, CA_ERR_INTERNAL,
		    "creating a library context failed");
		goto out;
	}
	if ((r = provider_load_config(provider->libctx, config, err)) != CA_OK)
		goto out;
	if (!OSSL_PROVIDER_available(provider->libctx, "pkcs11") ||
	    !OSSL_PROVIDER_available(provider->libctx, "default")) {
		r = ca_error_set(err, CA_ERR_TOKEN,
		    "pkcs11-provider did not start; check --module and that "
		    "pkcs11-provider is installed");
		goto out;
	}

	*out = provider;
	provider = NULL;
	r = CA_OK;
out:
	free(config);
	provider_close(provider);
	return r;
}

void
provider_close(struct provider *provider)
{
	if (provider == NULL)
		return;
	OSSL_LIB_CTX_free(provider->libctx);
	secret_free(provider->pin);
	free(provider);
}

OSSL_LIB_CTX *
provider_libctx(const struct provider *provider)
{
	return provider->libctx;
}

/*
 * Hand the PIN to pkcs11-provider when it has to log in itself. Returns the
 * length copied, or -1 when there is no PIN or it does not fit.
 */
static int
provider_pin_callback(char *buf, int size, int rwflag, void *userdata)
{
	const struct provider *provider = userdata;
	const struct secret *pin = provider != NULL ? provider->pin : NULL;

	(void)rwflag;
	if (pin == NULL || size <= 0 || pin->len >= (size_t)size)
		return -1;
	memcpy(buf, pin->data, pin->len);
	buf[pin->len] = '\0';
	return (int)pin->len;
}

enum ca_status
provider_load_private_key(struct provider *provider, const char *key_uri,
			  EVP_PKEY **out, struct ca_error *err)
{
	UI_METHOD *ui = NULL;
	OSSL_STORE_CTX *store = NULL;
	OSSL_STORE_INFO *info = NULL;
	EVP_PKEY *key = NULL;
	unsigned int keys = 0;
	char escaped[512];
	enum ca_status r = CA_ERR_INTERNAL;

	ca_error_clear(err);
	if (out != NULL)
		*out = NULL;
	if (provider == NULL || key_uri == NULL || out == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL,
		    "provider_load_private_key: missing argument");
	ca_escape_untrusted(escaped, sizeof(escaped), key_uri, 400);

	if ((ui = UI_UTIL_wrap_read_pem_callback(provider_pin_callback,
	    0)) == NULL) {
		r = ossl_error(err, CA_ERR_INTERNAL, "out of memory");
		goto out;
	}
	store = OSSL_STORE_open_ex(key_uri, provider->libctx, NULL, ui,
	    provider, NULL, NULL, NULL);
	if (store == NULL) {
		r = ossl_error(err, CA_ERR_TOKEN, "opening the key URI failed");
		goto out;
	}
	if (OSSL_STORE_expect(store, OSSL_STORE_INFO_PKEY) != 1) {
		r = ossl_error(err, CA_ERR_INTERNAL,
		    "restricting the key search to private keys failed");
		goto out;
	}

	while (!OSSL_STORE_eof(store)) {
		info = OSSL_STORE_load(store);
		if (info == NULL) {
			if (OSSL_STORE_error(store)) {
				r = ossl_error(err, CA_ERR_TOKEN,
				    "reading the key failed");
				goto out;
			}
			continue;
		}
		if (OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY) {
			keys++;
			if (key == NULL)
				key = OSSL_STORE_INFO_get1_PKEY(info);
		}
		OSSL_STORE_INFO_free(info);
		info = NULL;
	}

	if (keys != 1 || key == NULL) {
		r = ca_error_set(err, CA_ERR_TOKEN,
		    "%u private keys match; a key URI must match exactly one "
		    "key; check the token with pkcs11-tool -O", keys);
		goto out;
	}
	*out = key;
	key = NULL;
	r = CA_OK;
out:
	if (r != CA_OK)
		(void)ca_error_prefix(err, "key %s", escaped);
	OSSL_STORE_INFO_free(info);
	EVP_PKEY_free(key);
	if (store != NULL)
		(void)OSSL_STORE_close(store);
	UI_destroy_method(ui);
	ERR_clear_error();
	return r;
}
