/* Unit tests for subject_parse(): the Connector's CSR subject string. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/objects.h>
#include <openssl/x509.h>

#include "../../pkcs11/provider.h"

/* Assert that entry i of name has attribute nid and the given UTF-8 value. */
static void
assert_entry(const X509_NAME *name, int i, int nid, const char *value)
{
	const X509_NAME_ENTRY *entry = X509_NAME_get_entry(name, i);
	const ASN1_STRING *data;

	assert_non_null(entry);
	assert_int_equal(OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry)), nid);
	data = X509_NAME_ENTRY_get_data(entry);
	assert_int_equal(ASN1_STRING_length(data), (int)strlen(value));
	assert_memory_equal(ASN1_STRING_get0_data(data), value, strlen(value));
}

static void
subject_connector_format(void **state)
{
	struct ca_error err;
	X509_NAME *name = NULL;

	(void)state;
	assert_int_equal(subject_parse(
	    "O=Org,OU=OrgUnit,L=Waldorf,ST=Waldorf,C=DE,"
	    "CN=4bd5a4c6-1c1b-4a9f-9d2a-7f0c3d2e1b00", &name, &err), CA_OK);
	assert_int_equal(err.status, CA_OK);
	assert_non_null(name);
	assert_int_equal(X509_NAME_entry_count(name), 6);
	assert_entry(name, 0, NID_organizationName, "Org");
	assert_entry(name, 1, NID_organizationalUnitName, "OrgUnit");
	assert_entry(name, 2, NID_localityName, "Waldorf");
	assert_entry(name, 3, NID_stateOrProvinceName, "Waldorf");
	assert_entry(name, 4, NID_countryName, "DE");
	assert_entry(name, 5, NID_commonName,
	    "4bd5a4c6-1c1b-4a9f-9d2a-7f0c3d2e1b00");
	X509_NAME_free(name);
}

static void
subject_values_keep_spaces(void **state)
{
	struct ca_error err;
	X509_NAME *name = NULL;

	(void)state;
	assert_int_equal(subject_parse("O=SAP SE,OU=Kyma Runtime ,CN= app one",
	    &name, &err), CA_OK);
	assert_int_equal(X509_NAME_entry_count(name), 3);
	assert_entry(name, 0, NID_organizationName, "SAP SE");
	assert_entry(name, 1, NID_organizationalUnitName, "Kyma Runtime ");
	assert_entry(name, 2, NID_commonName, " app one");
	X509_NAME_free(name);
}

static void
subject_order_preserved(void **state)
{
	struct ca_error err;
	X509_NAME *name = NULL;

	(void)state;
	assert_int_equal(subject_parse("CN=id,C=DE,OU=b,OU=a,O=Org", &name,
	    &err), CA_OK);
	assert_int_equal(X509_NAME_entry_count(name), 5);
	assert_entry(name, 0, NID_commonName, "id");
	assert_entry(name, 1, NID_countryName, "DE");
	assert_entry(name, 2, NID_organizationalUnitName, "b");
	assert_entry(name, 3, NID_organizationalUnitName, "a");
	assert_entry(name, 4, NID_organizationName, "Org");
	X509_NAME_free(name);
}

static void
subject_utf8_value(void **state)
{
	struct ca_error err;
	X509_NAME *name = NULL;

	(void)state;
	assert_int_equal(subject_parse("L=M\xc3\xbcnchen,CN=x", &name, &err),
	    CA_OK);
	assert_entry(name, 0, NID_localityName, "M\xc3\xbcnchen");
	X509_NAME_free(name);
}

/* Each malformed subject is CA_ERR_REJECTED, shows the string, sets no name. */
static void
subject_malformed_rejected(void **state)
{
	static const char *const malformed[] = {
		"",
		"CN",
		"O=Org,CN",
		"=Org,CN=id",
		"O=,CN=id",
		"O=Org,,CN=id",
		"O=Org,CN=id,",
		",O=Org",
		"X=1,CN=id",
		"cn=id",
		" CN=id",
		"C=Germany,CN=id",
		"EMAIL=a@b,CN=id",
	};
	struct ca_error err;
	X509_NAME *name;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		name = (X509_NAME *)1;
		assert_int_equal(subject_parse(malformed[i], &name, &err),
		    CA_ERR_REJECTED);
		assert_null(name);
		assert_int_equal(err.status, CA_ERR_REJECTED);
		assert_non_null(strstr(err.message, malformed[i]));
	}
}

static void
subject_control_bytes_escaped(void **state)
{
	struct ca_error err;
	X509_NAME *name = NULL;

	(void)state;
	assert_int_equal(subject_parse("O=Org\n,CN\x1b[2J", &name, &err),
	    CA_ERR_REJECTED);
	assert_null(name);
	assert_null(strchr(err.message, '\n'));
	assert_null(strchr(err.message, '\x1b'));
	assert_non_null(strstr(err.message, "\\x1b"));
}

static void
subject_too_long_rejected(void **state)
{
	char subject[2100];
	struct ca_error err;
	X509_NAME *name = NULL;

	(void)state;
	memcpy(subject, "CN=", 3);
	memset(subject + 3, 'a', sizeof(subject) - 4);
	subject[sizeof(subject) - 1] = '\0';
	assert_int_equal(subject_parse(subject, &name, &err), CA_ERR_REJECTED);
	assert_null(name);

	/* Common names are limited to 64 characters (RFC 5280 ub-common-name). */
	subject[3 + 65] = '\0';
	assert_int_equal(subject_parse(subject, &name, &err), CA_ERR_REJECTED);
	assert_null(name);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(subject_connector_format),
		cmocka_unit_test(subject_values_keep_spaces),
		cmocka_unit_test(subject_order_preserved),
		cmocka_unit_test(subject_utf8_value),
		cmocka_unit_test(subject_malformed_rejected),
		cmocka_unit_test(subject_control_bytes_escaped),
		cmocka_unit_test(subject_too_long_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
