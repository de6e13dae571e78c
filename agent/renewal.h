/* When a certificate is due for renewal. */
#ifndef COMPASS_AGENT_RENEWAL_H
#define COMPASS_AGENT_RENEWAL_H

#include <stdbool.h>
#include <time.h>

/*
 * The moment renewal becomes due: when less than fraction of the lifetime
 * (not_before to not_after) is left, or, with fraction 0, when less than
 * seconds are left. Never earlier than not_before.
 */
time_t renewal_due_time(time_t not_before, time_t not_after, double fraction,
			long seconds);

#endif
