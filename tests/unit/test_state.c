/* The state file format and the state directory's atomic writes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../agent/state.h"

static void
state_round_trip(void **state)
{
	struct agent_state in, out;
	struct ca_error err;
	char *text;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.connected = true;
	assert_true(state_set(&in.key_id, "00112233445566778899aabbccddeeff"));
	assert_true(state_set(&in.subject, "O=My Org,CN=abc"));
	assert_true(state_set(&in.certificate_serial, "0a1b"));
	in.not_before = 1780000000;
	in.not_after = 1790000000;

	text = state_serialize(&in);
	assert_non_null(text);
	assert_int_equal(state_parse(text, strlen(text), &out, &err), CA_OK);
	assert_true(out.connected);
	assert_false(out.revoked);
	assert_string_equal(out.key_id, in.key_id);
	assert_string_equal(out.subject, in.subject);
	assert_string_equal(out.certificate_serial, in.certificate_serial);
	assert_null(out.previous_key_id);
	assert_int_equal(out.not_before, in.not_before);
	assert_int_equal(out.not_after, in.not_after);
	free(text);
	state_free(&in);
	state_free(&out);
}

static void
state_rejects_bad_files(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{}",
		"{\"version\": 2}",
		"{\"version\": 1, \"key_id\": 5}",
		"{\"version\": 1, \"connected\": \"yes\"}",
		"{\"version\": 1, \"not_after\": \"tomorrow\"}",
		"{\"version\": 1",
	};
	struct agent_state out;
	struct ca_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(state_parse(bad[i], strlen(bad[i]), &out,
		    &err), CA_ERR_STATE);
		assert_null(out.key_id);
	}
}

static void
rfc3339_round_trip(void **state)
{
	char text[32];
	time_t t = 0;

	(void)state;
	time_to_rfc3339(1796428800, text);
	assert_string_equal(text, "2026-12-05T00:00:00Z");
	assert_true(time_from_rfc3339(text, &t));
	assert_int_equal(t, 1796428800);
	assert_false(time_from_rfc3339("2026-12-05 00:00:00", &t));
	assert_false(time_from_rfc3339("2026-12-05T00:00:00Zjunk", &t));
}

static void
state_dir_writes_atomically_and_locks(void **state)
{
	char path[] = "/tmp/compass-agent-state-test.XXXXXX";
	char sub[sizeof(path) + 16];
	struct state_dir dir, second;
	struct ca_error err;
	struct stat st;
	char *data = NULL;
	size_t len = 0;
	bool missing = false;

	(void)state;
	assert_non_null(mkdtemp(path));
	(void)snprintf(sub, sizeof(sub), "%s/state", path);

	assert_int_equal(state_dir_open(sub, true, &dir, &err), CA_OK);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	assert_int_equal(state_write_file(&dir, "a.pem", "one", 3, &err),
	    CA_OK);
	assert_int_equal(state_write_file(&dir, "a.pem", "two!", 4, &err),
	    CA_OK);
	assert_int_equal(state_read_file(&dir, "a.pem", 100, &data, &len,
	    &missing, &err), CA_OK);
	assert_int_equal(len, 4);
	assert_string_equal(data, "two!");
	free(data);
	assert_int_equal(state_read_file(&dir, "a.pem", 3, &data, &len,
	    &missing, &err), CA_ERR_STATE);
	assert_int_equal(state_read_file(&dir, "none", 3, &data, &len,
	    &missing, &err), CA_ERR_STATE);
	assert_true(missing);

	/* A second open of the same directory finds it locked. */
	assert_int_equal(state_dir_open(sub, false, &second, &err),
	    CA_ERR_STATE);
	assert_non_null(strstr(err.message, "locked"));

	assert_int_equal(state_remove_file(&dir, "a.pem", &err), CA_OK);
	state_dir_close(&dir);
	(void)snprintf(sub, sizeof(sub), "%s/state/lock", path);
	assert_int_equal(unlink(sub), 0);
	(void)snprintf(sub, sizeof(sub), "%s/state", path);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(rmdir(path), 0);
}

static void
state_dir_open_to_others_rejected(void **state)
{
	char path[] = "/tmp/compass-agent-state-test.XXXXXX";
	struct state_dir dir;
	struct ca_error err;

	(void)state;
	assert_non_null(mkdtemp(path));
	assert_int_equal(chmod(path, 0755), 0);
	assert_int_equal(state_dir_open(path, false, &dir, &err), CA_ERR_STATE);
	assert_non_null(strstr(err.message, "chmod 700"));
	assert_int_equal(rmdir(path), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(state_round_trip),
		cmocka_unit_test(state_rejects_bad_files),
		cmocka_unit_test(rfc3339_round_trip),
		cmocka_unit_test(state_dir_writes_atomically_and_locks),
		cmocka_unit_test(state_dir_open_to_others_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
