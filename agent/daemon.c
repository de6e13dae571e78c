/* The renewal daemon's loop; see daemon.h and docs/daemon.md. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "../graphql/connector.h"
#include "commands.h"
#include "daemon.h"
#include "enroll.h"
#include "events.h"
#include "hook.h"
#include "log.h"
#include "onetime.h"
#include "options.h"
#include "recovery.h"
#include "schedule.h"

/* /proc/self/cmdline is read again on SIGHUP; argv is far shorter. */
#define CMDLINE_MAX (64 * 1024)

struct daemon {
	struct agent *agent;
	struct events events;
	double time_scale;
	struct schedule_policy policy;
	int64_t sync_interval_ms;
	int64_t hook_timeout_ms;
	int64_t token_file_poll_ms;
	uint64_t watchdog_usec;		/* 0: no watchdog */

	/* Renewal schedule of the current certificate. */
	double jitter;
	char jitter_serial[130];
	unsigned int failures;
	int64_t retry_at_ms;		/* 0: no failure pending */
	int64_t last_attempt_ms;
	int64_t next_sync_ms;
	int64_t next_token_check_ms;

	bool pin_blocked;		/* a PIN was rejected: wait for SIGHUP */
	bool waiting_announced;		/* expiry or revocation was logged */
	struct stat failed_token_file;	/* a token file that failed once */
	bool failed_token_file_valid;

	char *cmdline;			/* argv of the last reload */
	char status[512];
};

/* A uniform random number in [0, 1). */
static double
random_unit(void)
{
	uint64_t v = 0;

	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		v = (uint64_t)events_boottime_ms() * 0x9e3779b97f4a7c15ULL;
	return (double)(v >> 11) / 9007199254740992.0;	/* 2^53 */
}

static void
format_ms(int64_t ms, char out[static 32])
{
	time_to_rfc3339((time_t)(ms / 1000), out);
}

static void
set_status(struct daemon *d, const char *fmt, ...) CA_PRINTF(2, 3);

static void
set_status(struct daemon *d, const char *fmt, ...)
{
	char text[sizeof(d->status)];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (strcmp(text, d->status) == 0)
		return;
	(void)snprintf(d->status, sizeof(d->status), "%s", text);
	log_debug("status: %s", d->status);
	(void)sd_notifyf(0, "STATUS=%s", d->status);
}

/* Log at the level that the certificate's remaining lifetime calls for. */
static void
log_at(enum log_level level, const char *fmt, ...) CA_PRINTF(2, 3);

static void
log_at(enum log_level level, const char *fmt, ...)
{
	char text[CA_ERROR_MESSAGE_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (level == LOG_LEVEL_ERROR)
		log_error("%s", text);
	else if (level == LOG_LEVEL_WARNING)
		log_warning("%s", text);
	else
		log_info("%s", text);
}

static bool
certificate_usable(const struct daemon *d, int64_t now_ms)
{
	const struct agent_state *s = &d->agent->state;

	return s->connected && !s->revoked &&
	    now_ms < (int64_t)s->not_after * 1000;
}

/* When the current certificate is to be renewed, with its own jitter. */
static int64_t
renewal_at(struct daemon *d)
{
	const struct agent_state *s = &d->agent->state;
	const char *serial = s->certificate_serial != NULL ?
	    s->certificate_serial : "";

	if (strcmp(serial, d->jitter_serial) != 0) {
		d->jitter = random_unit();
		(void)snprintf(d->jitter_serial, sizeof(d->jitter_serial), "%s",
		    serial);
	}
	return schedule_renewal_ms(&d->policy, s->not_before, s->not_after,
	    d->jitter);
}

/*
 * When the next attempt is wanted: at once after SIGUSR1 or with a
 * rotation waiting for its proof, else at the scheduled renewal.
 */
static int64_t
wanted_at(struct daemon *d, int64_t now_ms)
{
	if (d->events.renew || recovery_proof_pending(d->agent))
		return now_ms;
	return renewal_at(d);
}

static enum ca_status
apply_settings(struct daemon *d, struct ca_error *err)
{
	const struct agent_options *opt = &d->agent->opt;
	char **words = NULL;
	long seconds = 0;
	enum ca_status r;

	if (opt->post_renew_hook != NULL) {
		r = hook_split(opt->post_renew_hook, &words, err);
		hook_words_free(words);
		if (r != CA_OK)
			return r;
	}
	schedule_policy_init(&d->policy, opt->renew_before, d->time_scale);
	if (opt->sync_interval != NULL)
		(void)duration_parse(opt->sync_interval, &seconds);
	d->sync_interval_ms = schedule_sync_interval_ms((int64_t)seconds * 1000,
	    d->time_scale);
	d->hook_timeout_ms = DAEMON_HOOK_TIMEOUT_DEFAULT_MS;
	if (opt->hook_timeout != NULL &&
	    duration_parse(opt->hook_timeout, &seconds))
		d->hook_timeout_ms = (int64_t)seconds * 1000;
	d->token_file_poll_ms = (int64_t)((double)DAEMON_TOKEN_FILE_POLL_MS *
	    d->time_scale);
	if (d->token_file_poll_ms < 100)
		d->token_file_poll_ms = 100;
	if (opt->verbosity < 0)
		log_set_level(LOG_LEVEL_WARNING);
	else if (opt->verbosity > 0)
		log_set_level(LOG_LEVEL_DEBUG);
	else
		log_set_level(LOG_LEVEL_INFO);
	return CA_OK;
}

static void
run_hook(struct daemon *d)
{
	const struct agent_state *s = &d->agent->state;
	struct hook_facts facts;
	struct key_id id;
	struct ca_error err;
	char *key_uri = NULL;

	if (d->agent->opt.post_renew_hook == NULL)
		return;
	if (d->agent->token != NULL && s->key_id != NULL &&
	    key_id_from_hex(s->key_id, &id))
		key_uri = token_key_uri(d->agent->token, &id);

	memset(&facts, 0, sizeof(facts));
	facts.state_dir = d->agent->opt.state_dir;
	facts.serial = s->certificate_serial;
	facts.sha256 = s->certificate_sha256;
	facts.not_after = s->not_after;
	facts.client_id = s->client_id;
	facts.key_uri = key_uri;
	ca_error_clear(&err);
	events_step_begin(&d->events);
	if (hook_run(d->agent->opt.post_renew_hook, d->hook_timeout_ms, &facts,
	    events_stop_fd(&d->events), &err) != HOOK_SUCCEEDED)
		log_warning("%s; the new certificate stays in use", err.message);
	events_step_end(&d->events);
	free(key_uri);
}

/* A new generation is active: log it, reset the schedule, run the hook. */
static void
generation_changed(struct daemon *d, const char *how)
{
	const struct agent_state *s = &d->agent->state;
	char until[32], next[32];

	d->failures = 0;
	d->retry_at_ms = 0;
	d->waiting_announced = false;
	time_to_rfc3339(s->not_after, until);
	format_ms(renewal_at(d), next);
	log_info("%s: certificate serial %s (SHA-256 %s) valid until %s; next "
	    "renewal at %s", how, s->certificate_serial,
	    s->certificate_sha256, until, next);
	run_hook(d);
}

/*
 * React to a failed step. A rejected PIN stops every login until SIGHUP.
 * A token error drops the session, so that the next attempt reopens it.
 * Everything else waits for the next backoff slot.
 */
static void
step_failed(struct daemon *d, const char *what, const struct ca_error *err,
	    int64_t now_ms)
{
	const struct agent_state *s = &d->agent->state;
	enum log_level level;
	char retry[32];
	int64_t delay;

	if (err->status == CA_ERR_PIN) {
		d->pin_blocked = true;
		agent_reset_token(d->agent);
		log_error("%s failed: %s; no more logins until the PIN source "
		    "is fixed and the daemon gets SIGHUP (systemctl reload "
		    "compass-agent)", what, err->message);
		set_status(d, "PIN rejected; fix the PIN source, then reload");
		return;
	}
	if (err->status == CA_ERR_TOKEN)
		agent_reset_token(d->agent);

	d->failures++;
	delay = schedule_backoff_ms(&d->policy, s->not_before, s->not_after,
	    d->failures, random_unit());
	d->retry_at_ms = now_ms + delay;
	format_ms(d->retry_at_ms, retry);
	level = schedule_expiry_level(s->not_before, s->not_after, now_ms);
	if (level == LOG_LEVEL_INFO)
		level = LOG_LEVEL_WARNING;
	log_at(level, "%s failed (attempt %u): %s; retrying in %" PRId64
	    " ms, at %s", what, d->failures, err->message, delay, retry);
	set_status(d, "%s failed %u time(s) (%s); retry at %s", what,
	    d->failures, ca_status_name(err->status), retry);
}

/* One renewal attempt: recovery first, then the renewal when due. */
static void
attempt_renewal(struct daemon *d, bool due, int64_t now_ms)
{
	struct agent *agent = d->agent;
	struct ca_error err;
	bool rotated = false;
	enum ca_status r;

	d->last_attempt_ms = now_ms;
	ca_error_clear(&err);
	events_step_begin(&d->events);
	r = recovery_run_local(agent, &err);
	if (r == CA_OK && recovery_proof_pending(agent)) {
		r = recovery_run(agent, &err);
		rotated = r == CA_OK;
	}
	if (r == CA_OK && due && !d->events.stop) {
		r = agent_load_credential(agent, &err);
		if (r == CA_OK)
			r = enroll_renew(agent, false, &err);
		rotated = r == CA_OK;
	}
	events_step_end(&d->events);

	if (r != CA_OK) {
		step_failed(d, "renewal", &err, events_wall_ms());
		return;
	}
	d->events.renew = false;
	if (rotated)
		generation_changed(d, "renewed");
}

/* Fetch the configuration over mTLS and store changed URLs. */
static void
sync_configuration(struct daemon *d, int64_t now_ms)
{
	struct agent *agent = d->agent;
	struct agent_state *s = &agent->state;
	struct connector_configuration config;
	struct http_options http;
	struct ca_error err;
	bool changed = false;
	enum ca_status r;

	d->next_sync_ms = now_ms + d->sync_interval_ms;
	memset(&config, 0, sizeof(config));
	ca_error_clear(&err);

	events_step_begin(&d->events);
	r = agent_load_credential(agent, &err);
	if (r == CA_OK) {
		agent_http_options(agent, true, &http);
		r = connector_configuration(&http,
		    s->certificate_secured_connector_url, NULL, &config, &err);
	}
	if (r == CA_OK && config.certificate_secured_connector_url != NULL &&
	    strcmp(config.certificate_secured_connector_url,
	    s->certificate_secured_connector_url) != 0) {
		log_info("the Connector moved its certificate-secured URL from "
		    "%s to %s", s->certificate_secured_connector_url,
		    config.certificate_secured_connector_url);
		changed = true;
		if (!state_set(&s->certificate_secured_connector_url,
		    config.certificate_secured_connector_url))
			r = ca_error_set(&err, CA_ERR_INTERNAL, "out of memory");
	}
	if (r == CA_OK && config.director_url != NULL &&
	    (s->director_url == NULL ||
	    strcmp(config.director_url, s->director_url) != 0)) {
		log_info("the Director URL is now %s", config.director_url);
		changed = true;
		if (!state_set(&s->director_url, config.director_url))
			r = ca_error_set(&err, CA_ERR_INTERNAL, "out of memory");
	}
	if (r == CA_OK && changed)
		r = state_save(&agent->dir, s, &err);
	events_step_end(&d->events);
	connector_configuration_free(&config);

	if (r != CA_OK) {
		if (err.status == CA_ERR_TOKEN)
			agent_reset_token(agent);
		log_warning("configuration sync failed: %s; next sync in %"
		    PRId64 " ms", err.message, d->sync_interval_ms);
		return;
	}
	log_debug("configuration sync done%s", changed ? "; URLs updated" : "");
}

/* Return true unless the token file is unchanged since it last failed. */
static bool
token_file_is_new(const struct daemon *d, const struct stat *st)
{
	const struct stat *old = &d->failed_token_file;

	if (!d->failed_token_file_valid)
		return true;
	return st->st_ino != old->st_ino || st->st_dev != old->st_dev ||
	    st->st_size != old->st_size ||
	    st->st_mtim.tv_sec != old->st_mtim.tv_sec ||
	    st->st_mtim.tv_nsec != old->st_mtim.tv_nsec ||
	    st->st_ctim.tv_sec != old->st_ctim.tv_sec ||
	    st->st_ctim.tv_nsec != old->st_ctim.tv_nsec;
}

/*
 * connect with the token file. Without --connector-url, and when the file
 * holds only the raw token, the Connector URL stored at the last connect
 * is used.
 */
static enum ca_status
connect_with_token_file(struct daemon *d, struct ca_error *err)
{
	struct agent *agent = d->agent;
	struct onetime_token ott;
	bool borrowed_url = false;
	cJSON *result = NULL;
	enum ca_status r;

	memset(&ott, 0, sizeof(ott));
	if (agent->opt.connector_url == NULL) {
		r = onetime_token_read(agent->opt.one_time_token_file, &ott, err);
		if (r != CA_OK)
			goto out;
		if (ott.connector_url == NULL &&
		    agent->state.connector_url != NULL) {
			if (!state_set(&agent->opt.connector_url,
			    agent->state.connector_url)) {
				r = ca_error_set(err, CA_ERR_INTERNAL,
				    "out of memory");
				goto out;
			}
			borrowed_url = true;
		}
	}
	result = cJSON_CreateObject();
	if (result == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
		goto out;
	}
	r = cmd_connect(agent, result, err);
out:
	if (borrowed_url) {
		free(agent->opt.connector_url);
		agent->opt.connector_url = NULL;
	}
	cJSON_Delete(result);
	onetime_token_free(&ott);
	return r;
}

/*
 * No usable certificate: log it once, then connect again as soon as a new
 * one-time token appears in the one-time-token-file. The old state stays
 * until the new connection is committed, and the file is deleted after.
 */
static void
reestablish(struct daemon *d, int64_t now_ms)
{
	struct agent *agent = d->agent;
	const struct agent_state *s = &agent->state;
	const char *file = agent->opt.one_time_token_file;
	const char *why = !s->connected ? "not connected" :
	    s->revoked ? "certificate revoked" : "certificate expired";
	struct ca_error err;
	struct stat st;
	enum ca_status r;

	if (!d->waiting_announced) {
		if (file != NULL)
			log_error("%s (serial %s); waiting for a new one-time "
			    "token in %s", why, s->certificate_serial != NULL ?
			    s->certificate_serial : "none", file);
		else
			log_error("%s (serial %s); set one-time-token-file to "
			    "reconnect by itself, or stop the daemon and run "
			    "'compass-agent connect'", why,
			    s->certificate_serial != NULL ?
			    s->certificate_serial : "none");
		d->waiting_announced = true;
	}
	set_status(d, "%s; waiting for a one-time token in %s", why,
	    file != NULL ? file : "(no one-time-token-file set)");
	if (file == NULL || now_ms < d->next_token_check_ms)
		return;
	d->next_token_check_ms = now_ms + d->token_file_poll_ms;
	if (stat(file, &st) != 0 || !token_file_is_new(d, &st))
		return;

	log_info("found a one-time token in %s; connecting again", file);
	ca_error_clear(&err);
	events_step_begin(&d->events);
	r = connect_with_token_file(d, &err);
	events_step_end(&d->events);
	if (r != CA_OK) {
		d->failed_token_file = st;
		d->failed_token_file_valid = true;
		if (r == CA_ERR_PIN || r == CA_ERR_TOKEN) {
			step_failed(d, "connecting with the one-time token",
			    &err, now_ms);
			d->failed_token_file_valid = false;
			return;
		}
		/* A usage error means the token was never sent. */
		if (r == CA_ERR_USAGE)
			log_error("the one-time token in %s cannot be used: %s; "
			    "fix the file (any change to it, its mode or its "
			    "owner is noticed)", file, err.message);
		else
			log_error("connecting with the one-time token in %s "
			    "failed: %s; the Connector may have used up the "
			    "token, so put a new one in %s", file, err.message,
			    file);
		return;
	}
	d->failed_token_file_valid = false;
	if (unlink(file) != 0)
		log_warning("connected, but cannot delete %s: %s; delete it "
		    "by hand", file, strerror(errno));
	generation_changed(d, "connected again");
}

/* SIGHUP: parse this process's command line and config file again. */
static enum ca_status
reload_configuration(struct daemon *d, struct ca_error *err)
{
	struct agent_options fresh;
	char *buf = NULL;
	char **argv = NULL;
	size_t len = 0, i;
	int argc = 0;
	bool exit_now = false;
	ssize_t n;
	int fd = -1;
	enum ca_status r = CA_ERR_INTERNAL;

	memset(&fresh, 0, sizeof(fresh));
	buf = malloc(CMDLINE_MAX + 1);
	if (buf == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
		goto out;
	}
	fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "cannot read "
		    "/proc/self/cmdline: %s", strerror(errno));
		goto out;
	}
	while ((n = read(fd, buf + len, CMDLINE_MAX - len)) > 0)
		len += (size_t)n;
	if (n < 0 || len == 0 || len == CMDLINE_MAX) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "cannot read "
		    "/proc/self/cmdline");
		goto out;
	}
	buf[len] = '\0';
	for (i = 0; i < len; i++)
		if (buf[i] == '\0')
			argc++;
	argv = calloc((size_t)argc + 1, sizeof(*argv));
	if (argv == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
		goto out;
	}
	for (i = 0, argc = 0; i < len; i += strlen(buf + i) + 1)
		argv[argc++] = buf + i;

	r = options_parse(argc, argv, &fresh, &exit_now, err);
	if (r != CA_OK)
		goto out;
	/*
	 * Check what apply_settings() would reject before anything is
	 * swapped, so that a rejected file leaves every old setting in use.
	 */
	if (fresh.post_renew_hook != NULL) {
		char **words = NULL;

		r = hook_split(fresh.post_renew_hook, &words, err);
		hook_words_free(words);
		if (r != CA_OK)
			goto out;
	}
	if (strcmp(fresh.state_dir, d->agent->opt.state_dir) != 0)
		log_warning("state-dir changed to %s; it takes effect only at "
		    "the next start, %s stays in use", fresh.state_dir,
		    d->agent->opt.state_dir);
	/* Keep the state directory that is open and locked. */
	free(fresh.state_dir);
	fresh.state_dir = d->agent->opt.state_dir;
	d->agent->opt.state_dir = NULL;
	options_free(&d->agent->opt);
	d->agent->opt = fresh;
	memset(&fresh, 0, sizeof(fresh));
	/* opt.command points into buf. */
	free(d->cmdline);
	d->cmdline = buf;
	buf = NULL;
	r = CA_OK;
out:
	options_free(&fresh);
	if (fd >= 0)
		(void)close(fd);
	free(argv);
	free(buf);
	return r;
}

static void
handle_reload(struct daemon *d)
{
	struct ca_error err;

	d->events.reload = false;
	(void)sd_notify(0, "RELOADING=1");
	ca_error_clear(&err);
	if (reload_configuration(d, &err) != CA_OK ||
	    apply_settings(d, &err) != CA_OK) {
		log_error("reloading the configuration failed: %s; the previous "
		    "settings stay in use; fix it and send SIGHUP again",
		    err.message);
		(void)sd_notify(0, "READY=1");
		return;
	}
	/* The module, token or PIN source may have changed: log in afresh. */
	agent_reset_token(d->agent);
	agent_forget_rereadable_pin(d->agent);
	d->pin_blocked = false;
	d->failures = 0;
	d->retry_at_ms = 0;
	d->last_attempt_ms = 0;
	d->failed_token_file_valid = false;
	d->waiting_announced = false;
	d->next_sync_ms = events_wall_ms() + d->sync_interval_ms;
	log_info("reloaded the configuration");
	(void)sd_notify(0, "READY=1");
}

/* Do what is due at now_ms; return the wall-clock time of the next work. */
static int64_t
do_due_work(struct daemon *d, int64_t now_ms)
{
	const struct agent_state *s = &d->agent->state;
	int64_t renew_ms, next_ms, earliest_ms;
	char until[32], next[32];
	bool due;

	if (d->pin_blocked)
		return now_ms + DAEMON_MAX_SLEEP_MS;
	if (!certificate_usable(d, now_ms) &&
	    !recovery_proof_pending(d->agent)) {
		reestablish(d, now_ms);
		if (d->agent->opt.one_time_token_file == NULL)
			return now_ms + DAEMON_MAX_SLEEP_MS;
		return d->next_token_check_ms;
	}

	/* At most one attempt per backoff_min_ms, whatever requests it. */
	earliest_ms = d->last_attempt_ms + d->policy.backoff_min_ms;
	if (d->retry_at_ms > earliest_ms)
		earliest_ms = d->retry_at_ms;
	renew_ms = wanted_at(d, now_ms);
	due = now_ms >= renewal_at(d) || d->events.renew;
	if (now_ms >= renew_ms && now_ms >= earliest_ms) {
		if (d->events.renew)
			log_info("renewing now on SIGUSR1");
		attempt_renewal(d, due, now_ms);
		if (d->events.stop)
			return now_ms;
		now_ms = events_wall_ms();
		renew_ms = wanted_at(d, now_ms);
		earliest_ms = d->retry_at_ms > 0 ? d->retry_at_ms :
		    now_ms + d->policy.backoff_min_ms;
	}
	if (!certificate_usable(d, now_ms))
		return now_ms;

	if (now_ms >= d->next_sync_ms)
		sync_configuration(d, now_ms);

	next_ms = renew_ms > earliest_ms ? renew_ms : earliest_ms;
	if (d->failures == 0) {
		time_to_rfc3339(s->not_after, until);
		format_ms(next_ms, next);
		set_status(d, "connected; certificate serial %s valid until %s; "
		    "next renewal at %s", s->certificate_serial, until, next);
	}
	return next_ms < d->next_sync_ms ? next_ms : d->next_sync_ms;
}

static int64_t
sleep_ms_until(const struct daemon *d, int64_t wake_ms, int64_t now_ms)
{
	int64_t delay = wake_ms - now_ms;

	if (delay > DAEMON_MAX_SLEEP_MS)
		delay = DAEMON_MAX_SLEEP_MS;
	if (d->watchdog_usec > 0 &&
	    delay > (int64_t)(d->watchdog_usec / 2000))
		delay = (int64_t)(d->watchdog_usec / 2000);
	return delay < 1 ? 1 : delay;
}

static enum ca_status
daemon_loop(struct daemon *d, struct ca_error *err)
{
	int64_t wake_ms, now_ms;
	enum ca_status r;

	for (;;) {
		if (d->events.reload)
			handle_reload(d);
		if (d->events.clock_changed) {
			log_info("the wall clock was set; recomputing the "
			    "schedule");
			d->events.clock_changed = false;
		}
		if (d->events.stop)
			return CA_OK;
		now_ms = events_wall_ms();
		wake_ms = do_due_work(d, now_ms);
		if (d->events.stop)
			return CA_OK;
		if (d->watchdog_usec > 0)
			(void)sd_notify(0, "WATCHDOG=1");
		r = events_wait(&d->events,
		    sleep_ms_until(d, wake_ms, events_wall_ms()), err);
		if (r != CA_OK)
			return r;
	}
}

/* Recover before the first renewal; only a broken state directory is fatal. */
static enum ca_status
start_up(struct daemon *d, struct ca_error *err)
{
	struct ca_error local;
	enum ca_status r;

	ca_error_clear(&local);
	r = recovery_run_local(d->agent, &local);
	if (r == CA_ERR_STATE || r == CA_ERR_INTERNAL || r == CA_ERR_USAGE) {
		*err = local;
		return r;
	}
	if (r != CA_OK)
		step_failed(d, "recovery", &local, events_wall_ms());
	return CA_OK;
}

enum ca_status
daemon_run(struct agent *agent, double time_scale, struct ca_error *err)
{
	struct daemon d;
	enum ca_status r;

	memset(&d, 0, sizeof(d));
	d.agent = agent;
	d.time_scale = time_scale;
	d.events.signal_fd = d.events.sleep_fd = d.events.clock_fd = -1;
	d.events.stop_pipe[0] = d.events.stop_pipe[1] = -1;

	r = apply_settings(&d, err);
	if (r != CA_OK)
		goto out;
	r = events_open(&d.events, err);
	if (r != CA_OK)
		goto out;
	if (sd_watchdog_enabled(0, &d.watchdog_usec) <= 0)
		d.watchdog_usec = 0;
	log_info("renewal daemon started for %s (pid %ld)", agent->opt.state_dir,
	    (long)getpid());
	if (time_scale < 1)
		log_warning("test time scale %.4f: backoff and sync intervals "
		    "are shortened; never use this in production", time_scale);

	r = start_up(&d, err);
	if (r != CA_OK)
		goto out;
	d.next_sync_ms = events_wall_ms() + d.sync_interval_ms;
	(void)sd_notify(0, "READY=1");

	r = daemon_loop(&d, err);
	if (r == CA_OK) {
		log_info("stopping on signal %d", d.events.stop_signal);
		(void)sd_notify(0, "STOPPING=1");
	}
out:
	events_close(&d.events);
	free(d.cmdline);
	return r;
}
