/* The subcommands. Each returns a status that main() maps to the exit code. */
#ifndef COMPASS_AGENT_COMMANDS_H
#define COMPASS_AGENT_COMMANDS_H

#include <cjson/cJSON.h>

#include "../common/error.h"
#include "session.h"

/*
 * A command fills result (printed with --json) and prints its text form
 * itself when --json is not set.
 */
typedef enum ca_status (*command_fn)(struct agent *agent, cJSON *result,
				     struct ca_error *err);

enum ca_status cmd_connect(struct agent *agent, cJSON *result,
			   struct ca_error *err);
enum ca_status cmd_config(struct agent *agent, cJSON *result,
			  struct ca_error *err);
enum ca_status cmd_renew(struct agent *agent, cJSON *result,
			 struct ca_error *err);
enum ca_status cmd_status(struct agent *agent, cJSON *result,
			  struct ca_error *err);
enum ca_status cmd_revoke(struct agent *agent, cJSON *result,
			  struct ca_error *err);
enum ca_status cmd_run(struct agent *agent, cJSON *result,
		       struct ca_error *err);

/* Shared by commands that report the active generation (report.c). */
enum ca_status report_generation(struct agent *agent, cJSON *result,
				 struct ca_error *err);

#endif
