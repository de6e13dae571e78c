/* The daemon's timing rules; see schedule.h. */
#include "options.h"
#include "renewal.h"
#include "schedule.h"

static int64_t
scaled(int64_t ms, double time_scale)
{
	int64_t v = (int64_t)((double)ms * time_scale + 0.5);

	return v < 1 ? 1 : v;
}

void
schedule_policy_init(struct schedule_policy *policy, const char *renew_before,
		     double time_scale)
{
	if (!(time_scale > 0 && time_scale <= 1))
		time_scale = 1;
	(void)renew_before_parse(renew_before, &policy->renew_fraction,
	    &policy->renew_seconds);
	policy->backoff_min_ms = scaled(SCHEDULE_BACKOFF_MIN_MS, time_scale);
	policy->backoff_max_ms = scaled(SCHEDULE_BACKOFF_MAX_MS, time_scale);
}

static int64_t
lifetime_ms(time_t not_before, time_t not_after)
{
	if (not_after <= not_before)
		return 0;
	return ((int64_t)not_after - (int64_t)not_before) * 1000;
}

int64_t
schedule_renewal_ms(const struct schedule_policy *policy, time_t not_before,
		    time_t not_after, double jitter)
{
	time_t due = renewal_due_time(not_before, not_after,
	    policy->renew_fraction, policy->renew_seconds);
	int64_t at = (int64_t)due * 1000;
	int64_t earliest = (int64_t)not_before * 1000;

	if (jitter < 0 || jitter >= 1)
		jitter = 0;
	at -= (int64_t)((double)lifetime_ms(not_before, not_after) *
	    SCHEDULE_JITTER_FRACTION * jitter);
	return at < earliest ? earliest : at;
}

int64_t
schedule_backoff_ms(const struct schedule_policy *policy, time_t not_before,
		    time_t not_after, unsigned int failures, double jitter)
{
	int64_t min = policy->backoff_min_ms;
	int64_t cap, window;
	unsigned int i;

	cap = (int64_t)((double)lifetime_ms(not_before, not_after) *
	    SCHEDULE_BACKOFF_LIFETIME_FRACTION);
	if (cap > policy->backoff_max_ms)
		cap = policy->backoff_max_ms;
	if (cap < min)
		cap = min;

	window = 2 * min;
	for (i = 1; i < failures && window < cap; i++)
		window *= 2;
	if (window > cap)
		window = cap;

	if (jitter < 0 || jitter >= 1)
		jitter = 0;
	return min + (int64_t)((double)(window - min) * jitter);
}

int64_t
schedule_sync_interval_ms(int64_t configured_ms, double time_scale)
{
	int64_t min;

	if (!(time_scale > 0 && time_scale <= 1))
		time_scale = 1;
	min = scaled(SCHEDULE_SYNC_MIN_MS, time_scale);
	if (configured_ms <= 0)
		configured_ms = scaled(SCHEDULE_SYNC_DEFAULT_MS, time_scale);
	return configured_ms < min ? min : configured_ms;
}

enum log_level
schedule_expiry_level(time_t not_before, time_t not_after, int64_t now_ms)
{
	int64_t lifetime = lifetime_ms(not_before, not_after);
	double used;

	if (lifetime == 0)
		return LOG_LEVEL_ERROR;
	used = (double)(now_ms - (int64_t)not_before * 1000) /
	    (double)lifetime;
	if (used >= SCHEDULE_ERROR_FRACTION)
		return LOG_LEVEL_ERROR;
	if (used >= SCHEDULE_WARNING_FRACTION)
		return LOG_LEVEL_WARNING;
	return LOG_LEVEL_INFO;
}
