/*
 * The renewal daemon: renews the certificate on schedule with backoff,
 * syncs the configuration, re-establishes the connection from a one-time
 * token file after expiry or revocation, runs the post-renew hook, and
 * reports to systemd. See docs/daemon.md for the operator's view.
 */
#ifndef COMPASS_AGENT_DAEMON_H
#define COMPASS_AGENT_DAEMON_H

#include "../common/error.h"
#include "session.h"

/* Time between checks of the one-time token file, before the time scale. */
#define DAEMON_TOKEN_FILE_POLL_MS (5 * 1000LL)
/*
 * Maximum sleep, so that deadlines are recomputed from the wall clock at
 * least this often.
 */
#define DAEMON_MAX_SLEEP_MS (3600 * 1000LL)
/* Default hook-timeout. */
#define DAEMON_HOOK_TIMEOUT_DEFAULT_MS (60 * 1000LL)

/*
 * Run until SIGTERM or SIGINT, then return CA_OK. time_scale in (0, 1]
 * shortens the backoff bounds, the sync floor and the token file poll for
 * tests; 1 in production. Fails only when the daemon cannot start or the
 * state directory becomes unusable.
 */
enum ca_status daemon_run(struct agent *agent, double time_scale,
			  struct ca_error *err) CA_WARN_UNUSED;

#endif
