/* Renewal schedule arithmetic. */
#include "renewal.h"

time_t
renewal_due_time(time_t not_before, time_t not_after, double fraction,
		 long seconds)
{
	double lifetime = difftime(not_after, not_before);
	double before;
	time_t due;

	if (lifetime <= 0)
		return not_before;
	before = fraction > 0 ? lifetime * fraction : (double)seconds;
	if (before >= lifetime)
		return not_before;
	due = not_after - (time_t)before;
	return due < not_before ? not_before : due;
}
