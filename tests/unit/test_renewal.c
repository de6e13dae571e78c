/* Renewal schedule: renew-before values and the due time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../agent/options.h"
#include "../../agent/renewal.h"

static void
renew_before_accepts_percent_and_durations(void **state)
{
	double fraction;
	long seconds;

	(void)state;
	assert_true(renew_before_parse("30%", &fraction, &seconds));
	assert_true(fraction > 0.2999 && fraction < 0.3001);
	assert_int_equal(seconds, 0);
	assert_true(renew_before_parse("12h", &fraction, &seconds));
	assert_int_equal(seconds, 12 * 3600);
	assert_true(fraction == 0);
	assert_true(renew_before_parse("7d", &fraction, &seconds));
	assert_int_equal(seconds, 7 * 86400);
	assert_true(renew_before_parse("90m", &fraction, &seconds));
	assert_int_equal(seconds, 90 * 60);
	assert_true(renew_before_parse("45s", &fraction, &seconds));
	assert_int_equal(seconds, 45);
}

static void
renew_before_rejects_bad_values(void **state)
{
	static const char *const bad[] = {
		"", "%", "0%", "100%", "150%", "-5%", "30", "7w", "d", "-1d",
		"1.5h", "30%%", "999999999999999999999d",
	};
	double fraction;
	long seconds;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(renew_before_parse(bad[i], &fraction, &seconds));
}

static void
due_time_is_fraction_of_lifetime(void **state)
{
	(void)state;
	/* 100 s lifetime, 30 % left: due at 70 s. */
	assert_int_equal(renewal_due_time(1000, 1100, 0.30, 0), 1070);
	/* 90 days, 30 %: 27 days before the end. */
	assert_int_equal(renewal_due_time(0, 90 * 86400, 0.30, 0),
	    63 * 86400);
}

static void
due_time_with_duration(void **state)
{
	(void)state;
	assert_int_equal(renewal_due_time(0, 90 * 86400, 0, 7 * 86400),
	    83 * 86400);
	/* A duration longer than the lifetime means due at once. */
	assert_int_equal(renewal_due_time(1000, 1100, 0, 500), 1000);
	/* A broken validity period is due at once. */
	assert_int_equal(renewal_due_time(1100, 1000, 0.3, 0), 1100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(renew_before_accepts_percent_and_durations),
		cmocka_unit_test(renew_before_rejects_bad_values),
		cmocka_unit_test(due_time_is_fraction_of_lifetime),
		cmocka_unit_test(due_time_with_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
