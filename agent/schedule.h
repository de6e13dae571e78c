/*
 * The daemon's timing rules as pure functions, so that the unit tests can
 * check them without clocks. Times are milliseconds since the Unix epoch
 * (wall clock); random inputs are uniform numbers in [0, 1).
 */
#ifndef COMPASS_AGENT_SCHEDULE_H
#define COMPASS_AGENT_SCHEDULE_H

#include <stdint.h>
#include <time.h>

#include "log.h"

/* Renewal jitter: up to this fraction of the lifetime earlier. */
#define SCHEDULE_JITTER_FRACTION 0.05
/* Backoff bounds after a failure, before the test time scale. */
#define SCHEDULE_BACKOFF_MIN_MS (30 * 1000LL)
#define SCHEDULE_BACKOFF_MAX_MS (3600 * 1000LL)
#define SCHEDULE_BACKOFF_LIFETIME_FRACTION 0.05
/* Configuration sync: default and shortest interval. */
#define SCHEDULE_SYNC_DEFAULT_MS (600 * 1000LL)
#define SCHEDULE_SYNC_MIN_MS (60 * 1000LL)
/* Share of the lifetime used from which messages become warnings, errors. */
#define SCHEDULE_WARNING_FRACTION 0.80
#define SCHEDULE_ERROR_FRACTION 0.90

struct schedule_policy {
	double renew_fraction;		/* renew-before as a share, or 0 */
	long renew_seconds;		/* renew-before as a duration, or 0 */
	int64_t backoff_min_ms;
	int64_t backoff_max_ms;
};

/*
 * Fill policy from a renew-before value (already validated) and the time
 * scale, a factor in (0, 1] that shortens the backoff bounds in test
 * builds; 1 in production.
 */
void schedule_policy_init(struct schedule_policy *policy,
			  const char *renew_before, double time_scale);

/*
 * The moment to renew a certificate valid from not_before to not_after:
 * when less than renew-before is left, made earlier by jitter times
 * SCHEDULE_JITTER_FRACTION of the lifetime, never before not_before.
 */
int64_t schedule_renewal_ms(const struct schedule_policy *policy,
			    time_t not_before, time_t not_after, double jitter);

/*
 * The wait before the next attempt after failures consecutive failures
 * (1 after the first): capped exponential backoff with full jitter. The
 * window starts at twice the minimum and doubles per failure. Its cap is
 * the smaller of backoff_max_ms and 5 % of the lifetime, but at least the
 * minimum. The result lies between the minimum and the window.
 */
int64_t schedule_backoff_ms(const struct schedule_policy *policy,
			    time_t not_before, time_t not_after,
			    unsigned int failures, double jitter);

/* The configuration sync interval: configured_ms (0: default), floored. */
int64_t schedule_sync_interval_ms(int64_t configured_ms, double time_scale);

/*
 * The level for messages about a certificate at now_ms: info, then warning
 * from 80 % of the lifetime used, error from 90 % and after expiry.
 */
enum log_level schedule_expiry_level(time_t not_before, time_t not_after,
				     int64_t now_ms);

#endif
