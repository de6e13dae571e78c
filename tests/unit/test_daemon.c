/* The daemon's schedule, backoff and log-level rules, and hook splitting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../agent/hook.h"
#include "../../agent/schedule.h"

#define DAY 86400
/* A 90-day certificate starting at 1 000 000 s. */
#define NB 1000000
#define NA (NB + 90 * DAY)

static void
renewal_without_jitter_is_due_time(void **state)
{
	struct schedule_policy p;

	(void)state;
	schedule_policy_init(&p, "30%", 1);
	/* 30 % of 90 days left: 63 days after not_before. */
	assert_int_equal(schedule_renewal_ms(&p, NB, NA, 0),
	    (int64_t)(NB + 63 * DAY) * 1000);
	schedule_policy_init(&p, "7d", 1);
	assert_int_equal(schedule_renewal_ms(&p, NB, NA, 0),
	    (int64_t)(NB + 83 * DAY) * 1000);
}

static void
renewal_jitter_is_earlier_within_5_percent(void **state)
{
	struct schedule_policy p;
	int64_t due = (int64_t)(NB + 63 * DAY) * 1000;
	int64_t five_percent = (int64_t)(90 * DAY) * 1000 / 20;
	double u;

	(void)state;
	schedule_policy_init(&p, "30%", 1);
	for (u = 0; u < 1; u += 0.125) {
		int64_t at = schedule_renewal_ms(&p, NB, NA, u);

		assert_true(at <= due);
		assert_true(at >= due - five_percent);
	}
	/* Out-of-range random input is treated as no jitter. */
	assert_int_equal(schedule_renewal_ms(&p, NB, NA, 1.5), due);
	assert_int_equal(schedule_renewal_ms(&p, NB, NA, -1), due);
}

static void
renewal_never_before_not_before(void **state)
{
	struct schedule_policy p;

	(void)state;
	schedule_policy_init(&p, "99%", 1);
	assert_int_equal(schedule_renewal_ms(&p, NB, NB + 100, 0.999),
	    (int64_t)NB * 1000);
}

static void
backoff_stays_between_min_and_cap(void **state)
{
	struct schedule_policy p;
	unsigned int failures;
	double u;

	(void)state;
	schedule_policy_init(&p, "30%", 1);
	for (failures = 1; failures < 40; failures++) {
		for (u = 0; u < 1; u += 0.1) {
			int64_t d = schedule_backoff_ms(&p, NB, NA, failures,
			    u);

			assert_true(d >= 30 * 1000);
			/* 5 % of 90 days exceeds 1 h, so 1 h caps. */
			assert_true(d <= 3600 * 1000);
		}
	}
}

static void
backoff_window_doubles(void **state)
{
	struct schedule_policy p;

	(void)state;
	schedule_policy_init(&p, "30%", 1);
	/* Just under 1: the top of the window, 2^failures times 30 s. */
	assert_true(schedule_backoff_ms(&p, NB, NA, 1, 0.999999) <= 60 * 1000);
	assert_true(schedule_backoff_ms(&p, NB, NA, 1, 0.999999) > 59 * 1000);
	assert_true(schedule_backoff_ms(&p, NB, NA, 2, 0.999999) > 119 * 1000);
	assert_true(schedule_backoff_ms(&p, NB, NA, 3, 0.999999) > 239 * 1000);
	assert_true(schedule_backoff_ms(&p, NB, NA, 30, 0.999999) >
	    3599 * 1000);
	/* Zero jitter is the minimum, whatever the count. */
	assert_int_equal(schedule_backoff_ms(&p, NB, NA, 7, 0), 30 * 1000);
}

static void
backoff_capped_by_lifetime(void **state)
{
	struct schedule_policy p;
	int64_t d;

	(void)state;
	schedule_policy_init(&p, "30%", 1);
	/* A 1-hour certificate: 5 % is 180 s. */
	d = schedule_backoff_ms(&p, NB, NB + 3600, 20, 0.999999);
	assert_true(d <= 180 * 1000);
	assert_true(d > 179 * 1000);
	/* A 20-second certificate: 5 % is 1 s, below the 30 s minimum. */
	assert_int_equal(schedule_backoff_ms(&p, NB, NB + 20, 5, 0.5),
	    30 * 1000);
}

static void
time_scale_shortens_backoff(void **state)
{
	struct schedule_policy p;

	(void)state;
	schedule_policy_init(&p, "30%", 0.1);
	assert_int_equal(p.backoff_min_ms, 3000);
	assert_int_equal(p.backoff_max_ms, 360 * 1000);
	/* A scale out of range is ignored. */
	schedule_policy_init(&p, "30%", 0);
	assert_int_equal(p.backoff_min_ms, 30 * 1000);
	schedule_policy_init(&p, "30%", 2);
	assert_int_equal(p.backoff_min_ms, 30 * 1000);
}

static void
sync_interval_has_floor_and_default(void **state)
{
	(void)state;
	assert_int_equal(schedule_sync_interval_ms(0, 1), 600 * 1000);
	assert_int_equal(schedule_sync_interval_ms(5 * 1000, 1), 60 * 1000);
	assert_int_equal(schedule_sync_interval_ms(3600 * 1000, 1),
	    3600 * 1000);
	assert_int_equal(schedule_sync_interval_ms(1000, 0.01), 1000);
	assert_int_equal(schedule_sync_interval_ms(100, 0.01), 600);
}

static void
expiry_level_rises(void **state)
{
	int64_t nb = (int64_t)NB * 1000;
	int64_t life = (int64_t)(NA - NB) * 1000;

	(void)state;
	assert_int_equal(schedule_expiry_level(NB, NA, nb), LOG_LEVEL_INFO);
	assert_int_equal(schedule_expiry_level(NB, NA, nb + life * 79 / 100),
	    LOG_LEVEL_INFO);
	assert_int_equal(schedule_expiry_level(NB, NA, nb + life * 80 / 100),
	    LOG_LEVEL_WARNING);
	assert_int_equal(schedule_expiry_level(NB, NA, nb + life * 89 / 100),
	    LOG_LEVEL_WARNING);
	assert_int_equal(schedule_expiry_level(NB, NA, nb + life * 90 / 100),
	    LOG_LEVEL_ERROR);
	assert_int_equal(schedule_expiry_level(NB, NA, nb + life * 2),
	    LOG_LEVEL_ERROR);
	assert_int_equal(schedule_expiry_level(NA, NB, nb), LOG_LEVEL_ERROR);
}

static void
hook_split_words_and_quotes(void **state)
{
	char **w = NULL;

	(void)state;
	assert_int_equal(hook_split("/bin/reload  'a b'\t\"c \\\" d\" e\\ f "
	    "g'h'i \"\\n\"", &w, NULL), CA_OK);
	assert_string_equal(w[0], "/bin/reload");
	assert_string_equal(w[1], "a b");
	assert_string_equal(w[2], "c \" d");
	assert_string_equal(w[3], "e f");
	assert_string_equal(w[4], "ghi");
	/* Inside double quotes a backslash escapes only " and \. */
	assert_string_equal(w[5], "\\n");
	assert_null(w[6]);
	hook_words_free(w);

	assert_int_equal(hook_split("/x ''", &w, NULL), CA_OK);
	assert_string_equal(w[1], "");
	hook_words_free(w);
}

static void
hook_split_rejects_bad_commands(void **state)
{
	static const char *const bad[] = {
		"", "   ", "relative/path", "/x 'open", "/x \"open", "/x \\",
		"$HOME/bin/x",
	};
	struct ca_error err;
	char **w;
	char many[HOOK_MAX_WORDS * 2 + 8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		w = NULL;
		assert_int_equal(hook_split(bad[i], &w, &err), CA_ERR_USAGE);
		assert_null(w);
	}
	/* "/x" and HOOK_MAX_WORDS more words. */
	memcpy(many, "/x", 2);
	for (i = 0; i < HOOK_MAX_WORDS; i++)
		memcpy(many + 2 + 2 * i, " a", 2);
	many[2 + 2 * HOOK_MAX_WORDS] = '\0';
	assert_int_equal(hook_split(many, &w, &err), CA_ERR_USAGE);
	assert_non_null(strstr(err.message, "more than"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(renewal_without_jitter_is_due_time),
		cmocka_unit_test(renewal_jitter_is_earlier_within_5_percent),
		cmocka_unit_test(renewal_never_before_not_before),
		cmocka_unit_test(backoff_stays_between_min_and_cap),
		cmocka_unit_test(backoff_window_doubles),
		cmocka_unit_test(backoff_capped_by_lifetime),
		cmocka_unit_test(time_scale_shortens_backoff),
		cmocka_unit_test(sync_interval_has_floor_and_default),
		cmocka_unit_test(expiry_level_rises),
		cmocka_unit_test(hook_split_words_and_quotes),
		cmocka_unit_test(hook_split_rejects_bad_commands),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
