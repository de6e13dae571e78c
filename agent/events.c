/* Signals, the sleep timer and wall-clock changes; see events.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "log.h"

/* The write end of the stop pipe, for the signal handler. */
static volatile int stop_pipe_write = -1;
static volatile sig_atomic_t stop_in_step;

static void
on_stop_in_step(int sig)
{
	int saved = errno;

	stop_in_step = sig;
	if (stop_pipe_write >= 0)
		(void)!write(stop_pipe_write, "s", 1);
	(void)alarm(EVENTS_STOP_GRACE_SECONDS);
	errno = saved;
}

static void
on_grace_expired(int sig)
{
	static const char message[] = "compass-agent: the current step did "
	    "not finish within the stop grace time; exiting now, the next "
	    "start finishes or rolls back the rotation\n";

	(void)sig;
	(void)!write(STDERR_FILENO, message, sizeof(message) - 1);
	_exit(0);
}

static void
daemon_signals(sigset_t *set)
{
	(void)sigemptyset(set);
	(void)sigaddset(set, SIGTERM);
	(void)sigaddset(set, SIGINT);
	(void)sigaddset(set, SIGHUP);
	(void)sigaddset(set, SIGUSR1);
}

static void
stop_signals(sigset_t *set)
{
	(void)sigemptyset(set);
	(void)sigaddset(set, SIGTERM);
	(void)sigaddset(set, SIGINT);
}

/* Arm the clock timer far in the future; it fires only when the clock is set. */
static enum ca_status
arm_clock_timer(struct events *events, struct ca_error *err)
{
	struct itimerspec spec;

	memset(&spec, 0, sizeof(spec));
	spec.it_value.tv_sec = (time_t)INT32_MAX;
	if (timerfd_settime(events->clock_fd,
	    TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &spec, NULL) != 0)
		return ca_error_set(err, CA_ERR_INTERNAL, "cannot arm the "
		    "wall-clock timer: %s", strerror(errno));
	return CA_OK;
}

enum ca_status
events_open(struct events *events, struct ca_error *err)
{
	struct sigaction sa;
	sigset_t set;
	enum ca_status r = CA_ERR_INTERNAL;

	memset(events, 0, sizeof(*events));
	events->signal_fd = events->sleep_fd = events->clock_fd = -1;
	events->stop_pipe[0] = events->stop_pipe[1] = -1;

	daemon_signals(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "cannot block signals: "
		    "%s", strerror(errno));
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	(void)sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_stop_in_step;
	if (sigaction(SIGTERM, &sa, NULL) != 0 ||
	    sigaction(SIGINT, &sa, NULL) != 0) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "cannot install the stop "
		    "handler: %s", strerror(errno));
		goto out;
	}
	sa.sa_handler = on_grace_expired;
	if (sigaction(SIGALRM, &sa, NULL) != 0) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "cannot install the "
		    "alarm handler: %s", strerror(errno));
		goto out;
	}

	events->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	events->sleep_fd = timerfd_create(CLOCK_BOOTTIME,
	    TFD_NONBLOCK | TFD_CLOEXEC);
	events->clock_fd = timerfd_create(CLOCK_REALTIME,
	    TFD_NONBLOCK | TFD_CLOEXEC);
	if (events->signal_fd < 0 || events->sleep_fd < 0 ||
	    events->clock_fd < 0 ||
	    pipe2(events->stop_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "cannot create the "
		    "daemon's signal and timer descriptors: %s",
		    strerror(errno));
		goto out;
	}
	stop_pipe_write = events->stop_pipe[1];
	r = arm_clock_timer(events, err);
out:
	if (r != CA_OK)
		events_close(events);
	return r;
}

void
events_close(struct events *events)
{
	sigset_t set;

	stop_pipe_write = -1;
	if (events->signal_fd >= 0)
		(void)close(events->signal_fd);
	if (events->sleep_fd >= 0)
		(void)close(events->sleep_fd);
	if (events->clock_fd >= 0)
		(void)close(events->clock_fd);
	if (events->stop_pipe[0] >= 0)
		(void)close(events->stop_pipe[0]);
	if (events->stop_pipe[1] >= 0)
		(void)close(events->stop_pipe[1]);
	events->signal_fd = events->sleep_fd = events->clock_fd = -1;
	events->stop_pipe[0] = events->stop_pipe[1] = -1;
	daemon_signals(&set);
	(void)sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void
read_signals(struct events *events)
{
	struct signalfd_siginfo info;

	while (read(events->signal_fd, &info, sizeof(info)) ==
	    (ssize_t)sizeof(info)) {
		switch (info.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			events->stop = true;
			events->stop_signal = (int)info.ssi_signo;
			break;
		case SIGHUP:
			events->reload = true;
			break;
		case SIGUSR1:
			events->renew = true;
			break;
		default:
			break;
		}
	}
}

static void
read_clock(struct events *events, struct ca_error *err)
{
	uint64_t expirations;

	if (read(events->clock_fd, &expirations, sizeof(expirations)) < 0 &&
	    errno == ECANCELED) {
		events->clock_changed = true;
		if (arm_clock_timer(events, err) != CA_OK)
			log_warning("%s", err->message);
	}
}

enum ca_status
events_wait(struct events *events, int64_t delay_ms, struct ca_error *err)
{
	struct itimerspec spec;
	struct pollfd fds[3];
	uint64_t expirations;
	int n;

	/* A zero it_value would disarm the timer instead of firing it. */
	if (delay_ms < 1)
		delay_ms = 1;
	memset(&spec, 0, sizeof(spec));
	spec.it_value.tv_sec = (time_t)(delay_ms / 1000);
	spec.it_value.tv_nsec = (long)(delay_ms % 1000) * 1000000L;
	if (timerfd_settime(events->sleep_fd, 0, &spec, NULL) != 0)
		return ca_error_set(err, CA_ERR_INTERNAL, "cannot arm the sleep "
		    "timer: %s", strerror(errno));

	fds[0].fd = events->signal_fd;
	fds[1].fd = events->sleep_fd;
	fds[2].fd = events->clock_fd;
	fds[0].events = fds[1].events = fds[2].events = POLLIN;
	do {
		n = poll(fds, 3, -1);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return ca_error_set(err, CA_ERR_INTERNAL, "poll failed: %s",
		    strerror(errno));
	if (fds[0].revents != 0)
		read_signals(events);
	if (fds[1].revents != 0)
		(void)!read(events->sleep_fd, &expirations,
		    sizeof(expirations));
	if (fds[2].revents != 0)
		read_clock(events, err);
	return CA_OK;
}

void
events_step_begin(struct events *events)
{
	sigset_t set;

	(void)events;
	stop_in_step = 0;
	stop_signals(&set);
	(void)sigprocmask(SIG_UNBLOCK, &set, NULL);
}

void
events_step_end(struct events *events)
{
	sigset_t set;
	char drain[16];

	stop_signals(&set);
	(void)sigprocmask(SIG_BLOCK, &set, NULL);
	(void)alarm(0);
	if (stop_in_step != 0) {
		events->stop = true;
		events->stop_signal = (int)stop_in_step;
		stop_in_step = 0;
	}
	while (read(events->stop_pipe[0], drain, sizeof(drain)) > 0)
		;
	read_signals(events);
}

int
events_stop_fd(const struct events *events)
{
	return events->stop_pipe[0];
}

static int64_t
clock_ms(clockid_t clock)
{
	struct timespec ts;

	(void)clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
events_wall_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

int64_t
events_boottime_ms(void)
{
	return clock_ms(CLOCK_BOOTTIME);
}
