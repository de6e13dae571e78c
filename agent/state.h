/*
 * The state directory: the state file (the single commit point), cert.pem,
 * chain.pem, ca.pem and the lock file. Every write goes to a temporary file
 * in the same directory, is fsync'd and renamed over the target, and the
 * directory is fsync'd.
 */
#ifndef COMPASS_AGENT_STATE_H
#define COMPASS_AGENT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "../common/error.h"

#define STATE_FILE "state.json"
#define STATE_VERSION 1

/*
 * The persisted step of a rotation in progress (see enroll.h), so that the
 * next start can finish or roll back what a crash interrupted.
 */
#define ROTATION_STEP_GENERATE_KEY "generate-key"	/* key may exist */
#define ROTATION_STEP_ISSUE "issue"		/* pending_key_id names it */
#define ROTATION_STEP_INSTALL "install"		/* committed, next-*.pem staged */
#define ROTATION_STEP_PROVE "prove"		/* installed, not yet proven */

/* The committed state of the agent. Strings are malloc'd; NULL when absent. */
struct agent_state {
	bool connected;			/* a certificate was issued */
	bool revoked;			/* revokeCertificate succeeded */
	char *client_id;		/* CN of the certificate */
	char *subject;			/* subject string from the Connector */
	char *key_type;			/* such as "rsa:2048" */
	char *key_label;		/* CKA_LABEL on the token */
	char *key_id;			/* hex CKA_ID of the active generation */
	char *previous_key_id;		/* old generation not yet deleted */
	char *pending_key_id;		/* new key generated, not committed */
	char *rotation_step;		/* ROTATION_STEP_*, NULL when idle */
	char *token_label;
	char *token_serial;
	char *connector_url;		/* token-secured Connector */
	char *certificate_secured_connector_url;
	char *director_url;
	char *certificate_serial;	/* hex */
	char *certificate_sha256;	/* hex of the leaf DER */
	time_t not_before;
	time_t not_after;
	time_t last_renewal;		/* 0 when never renewed */
};

/* An opened, locked state directory. */
struct state_dir {
	char *path;
	int dir_fd;
	int lock_fd;
};

/*
 * Open the state directory, creating it with mode 0700 when create is true,
 * and take the lock without waiting. Another instance holding the lock, a
 * directory that others can access, or one that cannot be created is
 * CA_ERR_STATE.
 */
enum ca_status state_dir_open(const char *path, bool create,
			      struct state_dir *out,
			      struct ca_error *err) CA_WARN_UNUSED;
void state_dir_close(struct state_dir *dir);

/* Write data atomically to name inside the directory, mode 0600. */
enum ca_status state_write_file(const struct state_dir *dir, const char *name,
				const void *data, size_t len,
				struct ca_error *err) CA_WARN_UNUSED;

/*
 * Read a whole file of the directory (at most max bytes) into a malloc'd,
 * NUL-terminated buffer. A missing file is CA_ERR_STATE with missing set.
 */
enum ca_status state_read_file(const struct state_dir *dir, const char *name,
			       size_t max, char **data, size_t *len,
			       bool *missing,
			       struct ca_error *err) CA_WARN_UNUSED;

/*
 * Rename from over to inside the directory and fsync the directory. A
 * missing from is success with *installed false, so that a rotation
 * interrupted halfway through its renames can repeat them.
 */
enum ca_status state_install_file(const struct state_dir *dir,
				  const char *from, const char *to,
				  bool *installed,
				  struct ca_error *err) CA_WARN_UNUSED;

/*
 * Remove the temporary files (".NAME.tmp") that a process killed inside
 * state_write_file() leaves behind. *removed counts them.
 */
enum ca_status state_remove_temporary_files(const struct state_dir *dir,
					    unsigned int *removed,
					    struct ca_error *err) CA_WARN_UNUSED;

/* Remove a file of the directory; a missing file is success. */
enum ca_status state_remove_file(const struct state_dir *dir, const char *name,
				 struct ca_error *err) CA_WARN_UNUSED;

/* Load the state file; a missing file gives an empty, unconnected state. */
enum ca_status state_load(const struct state_dir *dir, struct agent_state *out,
			  struct ca_error *err) CA_WARN_UNUSED;

/* Commit state to the state file. */
enum ca_status state_save(const struct state_dir *dir,
			  const struct agent_state *state,
			  struct ca_error *err) CA_WARN_UNUSED;

/* Parse and serialize the state file format; exposed for tests and fuzzing. */
enum ca_status state_parse(const char *text, size_t len,
			   struct agent_state *out,
			   struct ca_error *err) CA_WARN_UNUSED;
char *state_serialize(const struct agent_state *state) CA_WARN_UNUSED;

void state_free(struct agent_state *state);

/* Replace *field with a copy of value (NULL clears). Returns false on ENOMEM. */
bool state_set(char **field, const char *value) CA_WARN_UNUSED;

/* RFC 3339 UTC form of t ("2026-12-04T19:43:29Z"). */
void time_to_rfc3339(time_t t, char out[static 32]);
bool time_from_rfc3339(const char *text, time_t *out);

#endif
