/*
 * The post-renew hook: a command run after every rotation, without a
 * shell, with a timeout and a fixed environment.
 *
 * The command line is split into words at blanks (spaces and tabs).
 * Single quotes keep everything up to the next single quote. Double quotes
 * keep everything up to the next double quote, and a backslash inside them
 * escapes only " and \. Outside quotes a backslash escapes the next
 * character.
 * Nothing is expanded: no variables, globs, redirections or pipes. The
 * first word must be an absolute path.
 *
 * The hook gets only these variables, never the agent's own environment
 * (which may hold the PIN): PATH, COMPASS_AGENT_STATE_DIR,
 * COMPASS_AGENT_CERT_FILE, COMPASS_AGENT_CHAIN_FILE, COMPASS_AGENT_CA_FILE,
 * COMPASS_AGENT_SERIAL, COMPASS_AGENT_SHA256, COMPASS_AGENT_NOT_AFTER
 * (RFC 3339 UTC), COMPASS_AGENT_CLIENT_ID and COMPASS_AGENT_KEY_URI (the
 * key's PKCS#11 URI, without a PIN).
 */
#ifndef COMPASS_AGENT_HOOK_H
#define COMPASS_AGENT_HOOK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "../common/error.h"

#define HOOK_MAX_WORDS 64
#define HOOK_MAX_LENGTH 4096

/* Facts about the new generation for the hook; NULL fields are left out. */
struct hook_facts {
	const char *state_dir;
	const char *serial;
	const char *sha256;
	time_t not_after;
	const char *client_id;
	const char *key_uri;
};

/*
 * Split command into a NULL-terminated, malloc'd word vector; free it with
 * hook_words_free(). An unterminated quote, a trailing backslash, more than
 * HOOK_MAX_WORDS words, no word at all or a first word that is not an
 * absolute path is CA_ERR_USAGE.
 */
enum ca_status hook_split(const char *command, char ***words_out,
			  struct ca_error *err) CA_WARN_UNUSED;
void hook_words_free(char **words);

/* Outcome of one hook run. */
enum hook_result {
	HOOK_SUCCEEDED,
	HOOK_FAILED,		/* could not start, or exited non-zero */
	HOOK_TIMED_OUT,		/* killed after timeout_ms */
	HOOK_INTERRUPTED,	/* killed because stop_fd became readable */
};

/*
 * Run command in its own process group with stdin from /dev/null and
 * stdout and stderr shared with the agent, and wait at most timeout_ms.
 * A hook that runs longer, or that is still running when stop_fd (-1 for
 * none) becomes readable, gets SIGTERM, then SIGKILL two seconds later.
 * Every outcome is logged; err carries the reason of a failure.
 */
enum hook_result hook_run(const char *command, int64_t timeout_ms,
			  const struct hook_facts *facts, int stop_fd,
			  struct ca_error *err);

#endif
