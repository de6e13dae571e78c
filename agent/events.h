/*
 * The daemon's event sources: signals read through a signalfd, and a sleep
 * timer on CLOCK_BOOTTIME, which keeps counting while the machine is
 * suspended. A CLOCK_REALTIME timer fires when the wall clock is set, so
 * that deadlines computed from the wall clock are recomputed.
 *
 * SIGTERM, SIGINT, SIGHUP and SIGUSR1 stay blocked, so no library call is
 * ever interrupted by them, except inside a step (a renewal, a sync, a
 * hook): there SIGTERM and SIGINT are delivered to a handler that records
 * the stop request and gives the step EVENTS_STOP_GRACE_SECONDS to finish.
 * A step still running then is abandoned: the process exits with status 0
 * as if it had crashed at that point, and the next start's recovery
 * finishes or rolls back the rotation.
 */
#ifndef COMPASS_AGENT_EVENTS_H
#define COMPASS_AGENT_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/error.h"

#define EVENTS_STOP_GRACE_SECONDS 4

struct events {
	int signal_fd;
	int sleep_fd;		/* timerfd, CLOCK_BOOTTIME */
	int clock_fd;		/* timerfd, CLOCK_REALTIME, cancel on set */
	int stop_pipe[2];	/* written by the stop handler inside a step */
	bool stop;		/* SIGTERM or SIGINT arrived */
	bool reload;		/* SIGHUP arrived */
	bool renew;		/* SIGUSR1 arrived */
	bool clock_changed;	/* the wall clock was set */
	int stop_signal;
};

/* Block the signals, install the handlers and create the descriptors. */
enum ca_status events_open(struct events *events,
			   struct ca_error *err) CA_WARN_UNUSED;
void events_close(struct events *events);

/*
 * Sleep for at most delay_ms on CLOCK_BOOTTIME, or until a signal arrives
 * or the wall clock is set; then record what happened in the flags.
 */
enum ca_status events_wait(struct events *events, int64_t delay_ms,
			   struct ca_error *err) CA_WARN_UNUSED;

/*
 * Bracket a step: let SIGTERM and SIGINT through to the stop handler, and
 * block them again afterwards, recording a stop that arrived meanwhile.
 * events_stop_fd() becomes readable on a stop inside the step.
 */
void events_step_begin(struct events *events);
void events_step_end(struct events *events);
int events_stop_fd(const struct events *events);

/* Wall clock and CLOCK_BOOTTIME in milliseconds. */
int64_t events_wall_ms(void);
int64_t events_boottime_ms(void);

#endif
