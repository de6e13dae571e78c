/* Shared helpers: base64, escaping of untrusted text, error messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../common/base64.h"
#include "../../common/error.h"
#include "../../common/secret.h"

static void
decode_expect(const char *text, const char *want)
{
	unsigned char *out = NULL;
	size_t len = 0;
	struct ca_error err;

	assert_int_equal(base64_decode(text, strlen(text), "test", &out, &len,
	    &err), CA_OK);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
	free(out);
}

static void
decode_rejects(const char *text)
{
	unsigned char *out = NULL;
	size_t len = 0;
	struct ca_error err;

	assert_int_equal(base64_decode(text, strlen(text), "test", &out, &len,
	    &err), CA_ERR_NETWORK);
	assert_null(out);
	assert_non_null(strstr(err.message, "test"));
}

static void
base64_decodes_padded_input(void **state)
{
	(void)state;
	decode_expect("", "");
	decode_expect("Zg==", "f");
	decode_expect("Zm8=", "fo");
	decode_expect("Zm9v", "foo");
	decode_expect("Zm9v\nYmFy\n", "foobar");
}

static void
base64_rejects_malformed_input(void **state)
{
	(void)state;
	decode_rejects("Zg");
	decode_rejects("Zg=");
	decode_rejects("Z===");
	decode_rejects("Zg==Zg==");
	decode_rejects("Zm9v!");
	decode_rejects("Zm-v");
	decode_rejects("=Zm9");
}

static void
base64_round_trip(void **state)
{
	unsigned char data[256];
	unsigned char *out = NULL;
	size_t len = 0, i;
	struct ca_error err;
	char *text;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)i;
	text = base64_encode(data, sizeof(data));
	assert_non_null(text);
	assert_null(strchr(text, '\n'));
	assert_int_equal(base64_decode(text, strlen(text), "test", &out, &len,
	    &err), CA_OK);
	assert_int_equal(len, sizeof(data));
	assert_memory_equal(out, data, len);
	free(out);
	free(text);
}

static void
escape_hides_control_bytes(void **state)
{
	char out[64];

	(void)state;
	ca_escape_untrusted(out, sizeof(out), "ok\n\x1b[2Jx", 100);
	assert_string_equal(out, "ok\\x0a\\x1b[2Jx");
	ca_escape_untrusted(out, sizeof(out), "abcdefghij", 4);
	assert_string_equal(out, "abcd...");
	/* Four characters, "..." and the NUL fill all eight bytes. */
	ca_escape_untrusted(out, 8, "abcdefghij", 100);
	assert_string_equal(out, "abcd...");
}

static void
error_prefix_keeps_status(void **state)
{
	struct ca_error err;

	(void)state;
	assert_int_equal(ca_error_set(&err, CA_ERR_TOKEN, "C_Login failed"),
	    CA_ERR_TOKEN);
	assert_int_equal(ca_error_prefix(&err, "token '%s'", "x"),
	    CA_ERR_TOKEN);
	assert_string_equal(err.message, "token 'x': C_Login failed");
}

static void
secret_read_rejects_oversize_input(void **state)
{
	struct secret *secret;
	struct ca_error err;
	char buf[SECRET_MAX + 2];
	int fds[2];

	(void)state;
	memset(buf, 'p', sizeof(buf));
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], buf, sizeof(buf)), (ssize_t)sizeof(buf));
	close(fds[1]);
	secret = secret_read_fd(fds[0], "PIN pipe", &err);
	close(fds[0]);
	assert_null(secret);
	assert_int_equal(err.status, CA_ERR_USAGE);

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "1234\n", 5), 5);
	close(fds[1]);
	secret = secret_read_fd(fds[0], "PIN pipe", &err);
	close(fds[0]);
	assert_non_null(secret);
	secret_trim_newline(secret);
	assert_string_equal(secret->data, "1234");
	assert_int_equal(secret->len, 4);
	secret_free(secret);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(base64_decodes_padded_input),
		cmocka_unit_test(base64_rejects_malformed_input),
		cmocka_unit_test(base64_round_trip),
		cmocka_unit_test(escape_hides_control_bytes),
		cmocka_unit_test(error_prefix_keeps_status),
		cmocka_unit_test(secret_read_rejects_oversize_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
