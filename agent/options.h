/* Command-line and config-file options. */
#ifndef COMPASS_AGENT_OPTIONS_H
#define COMPASS_AGENT_OPTIONS_H

#include <stdbool.h>

#include "../common/error.h"

#define DEFAULT_CONFIG_FILE "/etc/compass-agent/agent.conf"
#define DEFAULT_STATE_DIR "/var/lib/compass-agent"
#define DEFAULT_KEY_LABEL "compass-agent"

/*
 * Every setting. Strings are malloc'd; NULL means "not set", and the
 * defaults are applied after the command line and the config file.
 */
struct agent_options {
	char *config_file;
	char *state_dir;
	char *module;
	char *token_uri;
	char *pin_source;
	char *ca_file;
	char *key_label;
	char *key_type;
	char *connector_url;
	char *one_time_token_file;
	char *renew_before;		/* "30%" or a duration such as "7d" */
	char *module_dirs;		/* colon-separated allow-list of module directories */
	char *server_key_pin;		/* "sha256//BASE64[;sha256//...]" */
	char *sync_interval;		/* daemon: duration between configuration calls */
	char *post_renew_hook;		/* daemon: command run after a renewal */
	char *hook_timeout;		/* daemon: duration the hook may run */
	long timeout_seconds;		/* 0: the transport's default */
	bool json;
	int verbosity;			/* -1 quiet, 0 normal, 1+ verbose */

	/* Command options. */
	const char *command;
	bool force;
	bool keep_key;
	bool yes;
};

/*
 * Parse argv into options, then read the config file (the one given with
 * --config, else DEFAULT_CONFIG_FILE when it exists) for settings the
 * command line left unset. --help and --version set *exit_now and print.
 * Errors are CA_ERR_USAGE.
 */
enum ca_status options_parse(int argc, char **argv, struct agent_options *opt,
			     bool *exit_now,
			     struct ca_error *err) CA_WARN_UNUSED;

/* Read one config file into unset fields of opt. */
enum ca_status options_read_config(const char *path, bool must_exist,
				   struct agent_options *opt,
				   struct ca_error *err) CA_WARN_UNUSED;

void options_free(struct agent_options *opt);

/*
 * Parse a renew-before value: a percentage of the lifetime ("30%") or a
 * duration ("12h", "7d", "3600s", "90m"). Exactly one of *fraction
 * (0 < f < 1) and *seconds is set, the other is 0.
 */
bool renew_before_parse(const char *text, double *fraction, long *seconds);

/* Parse a duration: whole seconds with a unit, "90s", "10m", "12h", "7d". */
bool duration_parse(const char *text, long *seconds);

void options_print_usage(void);

#endif
