/*
 * Recovery at start: finish or roll back the rotation that a crash or a
 * kill interrupted, as the state file's rotation_step records it (see
 * enroll.h for the steps).
 */
#ifndef COMPASS_AGENT_RECOVERY_H
#define COMPASS_AGENT_RECOVERY_H

#include <stdbool.h>

#include "../common/error.h"
#include "session.h"

/*
 * Do the local part of the recovery, without any network call: remove
 * temporary files, roll back an uncommitted generation (delete its key,
 * certificate object and staged files) and install the files of a
 * committed one. Opens the token only when something on it must be
 * deleted or checked. The state must be open.
 */
enum ca_status recovery_run_local(struct agent *agent,
				  struct ca_error *err) CA_WARN_UNUSED;

/*
 * True when a committed generation still waits for its proof and for the
 * deletion of the previous one (enroll_prove_and_clean_up() does both).
 */
bool recovery_proof_pending(const struct agent *agent);

/* Run recovery_run_local() and then the pending proof, if any. */
enum ca_status recovery_run(struct agent *agent,
			    struct ca_error *err) CA_WARN_UNUSED;

#endif
