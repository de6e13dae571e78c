/*
 * Memory of a rejected PIN across runs. A token may lock after a few wrong
 * PINs, so a PIN that the token rejected is never tried again by a later
 * run (a timer, cron job or restarted service) until the admin changes it.
 *
 * Only file: sources are remembered, by the file's identity and change
 * time, never by anything derived from the PIN. The record lives in the
 * state directory as "pin-rejected".
 */
#ifndef COMPASS_AGENT_PIN_REJECTION_H
#define COMPASS_AGENT_PIN_REJECTION_H

#include "../common/error.h"
#include "state.h"

/*
 * Fail with CA_ERR_PIN when source is a file: source that was rejected by
 * the token with serial token_serial and has not changed since.
 */
enum ca_status pin_rejection_check(const struct state_dir *dir,
				   const char *source, const char *token_serial,
				   struct ca_error *err) CA_WARN_UNUSED;

/* Record that the token rejected the PIN from source (file: only). */
void pin_rejection_record(const struct state_dir *dir, const char *source,
			  const char *token_serial);

/* Forget any record after a successful login. */
void pin_rejection_clear(const struct state_dir *dir);

#endif
