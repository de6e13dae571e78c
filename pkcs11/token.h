/*
 * The token: module loading through p11-kit, token selection by PKCS#11 URI,
 * login, key pair generation, certificate objects.
 *
 * This interface is kept narrow on purpose: the module, the PIN and the login
 * state are meant to move into a separate signer process later. Nothing here
 * depends on Compass, prints, or exits.
 */
#ifndef COMPASS_AGENT_TOKEN_H
#define COMPASS_AGENT_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/error.h"
#include "../common/secret.h"

/* CKA_ID of one generation: random, KEY_ID_LEN bytes. */
#define KEY_ID_LEN 16

struct key_id {
	unsigned char bytes[KEY_ID_LEN];
};

enum key_type {
	KEY_RSA_2048,
	KEY_RSA_3072,
	KEY_RSA_4096,
	KEY_EC_P256,
	KEY_EC_P384,
};

/* Parse "rsa:2048", "ec:p256", ... Returns false for an unknown name. */
bool key_type_parse(const char *name, enum key_type *out);
/* Return the command-line name of a key type, such as "rsa:2048". */
const char *key_type_name(enum key_type type);

/* Attributes of a private key as the token reports them. */
struct key_info {
	enum key_type type;
	unsigned int bits;
	bool sensitive;
	bool extractable;
	bool always_sensitive;
	bool never_extractable;
	bool local;
};

/* An open session on the selected token. Opaque. */
struct token;

/*
 * Load the module and open a read-write session on the one token that uri
 * matches. module is an absolute path of a .so or a p11-kit module name.
 * uri is an RFC 7512 PKCS#11 URI; its token attributes select the token
 * (pin-source and other query attributes are ignored here). The module is
 * loaded only from the system library directories. No match, or
 * more than one, is CA_ERR_TOKEN with the candidates' labels in the message.
 * On success the caller owns *out and releases it with token_close().
 */
enum ca_status token_open(const char *module, const char *uri,
			  struct token **out, struct ca_error *err) CA_WARN_UNUSED;

/*
 * As token_open(), loading the module only from module_dirs, a
 * colon-separated list of directories (NULL: the system library
 * directories). The module file, its real location after symbolic links,
 * and every directory above it are checked before it is loaded; a module
 * outside the list, or one that other users can change, is CA_ERR_USAGE.
 */
enum ca_status token_open_allowed(const char *module, const char *module_dirs,
				  const char *uri, struct token **out,
				  struct ca_error *err) CA_WARN_UNUSED;

/* Log out, close the session and release the module. NULL is accepted. */
void token_close(struct token *token);

/* Absolute file name of the loaded module, for pkcs11-provider. */
const char *token_module_path(const struct token *token);
/* The selected token's label, serial and manufacturer as reported. */
const char *token_label(const struct token *token);
const char *token_serial(const struct token *token);
const char *token_manufacturer(const struct token *token);

/*
 * Log in as the user. Reads the token flags first: with CKF_USER_PIN_LOCKED
 * or CKF_USER_PIN_FINAL_TRY set no login is attempted (CA_ERR_PIN). A
 * rejected PIN is CA_ERR_PIN and is remembered: later calls on this token
 * fail without calling C_Login again. Already logged in is success.
 */
enum ca_status token_login(struct token *token, const struct secret *pin,
			   struct ca_error *err) CA_WARN_UNUSED;

/*
 * Generate a key pair on the token: CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE
 * true, CKA_EXTRACTABLE false, sign only (decrypt, unwrap, derive false),
 * with a new random CKA_ID and CKA_LABEL label. Reads the private key's
 * attributes back and, when it is not sensitive, is extractable, or was not
 * generated on the token, destroys the pair and fails with CA_ERR_TOKEN.
 */
enum ca_status token_generate_key_pair(struct token *token, enum key_type type,
				       const char *label, struct key_id *id_out,
				       struct ca_error *err) CA_WARN_UNUSED;

/* Fill id with KEY_ID_LEN random bytes from the kernel's CSPRNG. */
enum ca_status key_id_generate(struct key_id *id,
			       struct ca_error *err) CA_WARN_UNUSED;

/*
 * As token_generate_key_pair(), with a CKA_ID the caller chose, so that it
 * can record the ID before the key exists: a crash during generation then
 * leaves a key that can be found and deleted by that ID.
 */
enum ca_status token_generate_key_pair_with_id(struct token *token,
					       enum key_type type,
					       const char *label,
					       const struct key_id *id,
					       struct ca_error *err)
	CA_WARN_UNUSED;

/*
 * Read the private key with CKA_ID id. Exactly one private key must match.
 * Fills info and, when public_der is not NULL, the DER SubjectPublicKeyInfo
 * of the matching public key (malloc'd, caller frees).
 */
enum ca_status token_read_key(struct token *token, const struct key_id *id,
			      struct key_info *info, unsigned char **public_der,
			      size_t *public_der_len,
			      struct ca_error *err) CA_WARN_UNUSED;

/*
 * Store a DER X.509 certificate as a CKO_CERTIFICATE object with CKA_ID id
 * and CKA_LABEL label. An existing certificate object with the same CKA_ID
 * is replaced.
 */
enum ca_status token_store_certificate(struct token *token,
				       const struct key_id *id, const char *label,
				       const unsigned char *der, size_t der_len,
				       struct ca_error *err) CA_WARN_UNUSED;

/*
 * Destroy the private key, public key and certificate with CKA_ID id, then
 * search again and fail with CA_ERR_TOKEN if any of them is still found.
 * Finding none of them is success.
 */
enum ca_status token_delete_generation(struct token *token,
				       const struct key_id *id,
				       struct ca_error *err) CA_WARN_UNUSED;

/*
 * Count the objects with CKA_LABEL label by class: private keys, public keys
 * and certificates. Used by status and by tests of the rotation.
 */
struct object_count {
	unsigned int private_keys;
	unsigned int public_keys;
	unsigned int certificates;
};
enum ca_status token_count_objects(struct token *token, const char *label,
				   struct object_count *count,
				   struct ca_error *err) CA_WARN_UNUSED;

/*
 * Format a key URI for pkcs11-provider that names the token (label and
 * serial), the CKA_ID and the private key type. Returns a malloc'd string.
 */
char *token_key_uri(const struct token *token, const struct key_id *id)
	CA_WARN_UNUSED;

/* Hex form of a key ID (lower case, 2*KEY_ID_LEN characters and a NUL). */
void key_id_to_hex(const struct key_id *id, char out[static 2 * KEY_ID_LEN + 1]);
bool key_id_from_hex(const char *hex, struct key_id *id);

#endif
