/*
 * The Connector's CSR subject ("O=Org,OU=OrgUnit,L=Waldorf,ST=Waldorf,C=DE,
 * CN=id") as an X509_NAME. The string comes from the network: anything but
 * KEY=VALUE segments with known attribute names is rejected, never guessed.
 */
#include <stdbool.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "provider.h"

/* Longer subjects than this are not what the Connector sends. */
#define SUBJECT_MAX 1024

static const struct {
	const char *key;
	int nid;
} subject_attributes[] = {
	{ "C", NID_countryName },
	{ "ST", NID_stateOrProvinceName },
	{ "L", NID_localityName },
	{ "O", NID_organizationName },
	{ "OU", NID_organizationalUnitName },
	{ "CN", NID_commonName },
};

static int
subject_attribute_nid(const char *key, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(subject_attributes) /
	    sizeof(subject_attributes[0]); i++) {
		if (strlen(subject_attributes[i].key) == len &&
		    memcmp(subject_attributes[i].key, key, len) == 0)
			return subject_attributes[i].nid;
	}
	return NID_undef;
}

static enum ca_status
subject_reject(struct ca_error *err, const char *subject, const char *why)
{
	char escaped[256];

	ca_escape_untrusted(escaped, sizeof(escaped), subject, 200);
	ERR_clear_error();
	return ca_error_set(err, CA_ERR_REJECTED,
	    "the Connector sent an invalid CSR subject '%s': %s", escaped, why);
}

/* Add one "KEY=VALUE" segment of len bytes at segment to name. */
static enum ca_status
subject_add_segment(X509_NAME *name, const char *subject, const char *segment,
		    size_t len, struct ca_error *err)
{
	const char *equals = memchr(segment, '=', len);
	size_t key_len, value_len;
	int nid;

	if (equals == NULL)
		return subject_reject(err, subject,
		    "a segment has no '='");
	key_len = (size_t)(equals - segment);
	value_len = len - key_len - 1;
	if (key_len == 0)
		return subject_reject(err, subject,
		    "a segment has an empty attribute name");
	if (value_len == 0)
		return subject_reject(err, subject,
		    "a segment has an empty value");

	nid = subject_attribute_nid(segment, key_len);
	if (nid == NID_undef)
		return subject_reject(err, subject,
		    "unknown attribute name (known: C, ST, L, O, OU, CN)");

	/* OpenSSL also enforces each attribute's length and alphabet. */
	if (X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
	    (const unsigned char *)equals + 1, (int)value_len, -1, 0) != 1)
		return subject_reject(err, subject,
		    "a value is too long or not allowed for its attribute");
	return CA_OK;
}

enum ca_status
subject_parse(const char *subject, X509_NAME **out, struct ca_error *err)
{
	X509_NAME *name = NULL;
	const char *segment, *comma;
	size_t len;
	enum ca_status r = CA_ERR_INTERNAL;

	ca_error_clear(err);
	if (out != NULL)
		*out = NULL;
	if (subject == NULL || out == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL,
		    "subject_parse: missing argument");

	if (subject[0] == '\0')
		return subject_reject(err, subject, "it is empty");
	if (strlen(subject) > SUBJECT_MAX)
		return subject_reject(err, subject, "it is too long");
	if ((name = X509_NAME_new()) == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL, "out of memory");

	/* Segments are added in the order given, because the CSR must match it. */
	for (segment = subject;; segment = comma + 1) {
		comma = strchr(segment, ',');
		len = comma != NULL ? (size_t)(comma - segment) : strlen(segment);
		if ((r = subject_add_segment(name, subject, segment, len,
		    err)) != CA_OK)
			goto out;
		if (comma == NULL)
			break;
	}

	*out = name;
	name = NULL;
	r = CA_OK;
out:
	X509_NAME_free(name);
	return r;
}
