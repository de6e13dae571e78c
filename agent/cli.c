/* Process set-up, command dispatch, result output and exit codes. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "../graphql/http.h"
#include "cli.h"
#include "commands.h"
#include "log.h"
#include "options.h"

/* Command options, so that each command rejects those it does not take. */
enum {
	TAKES_NOTHING = 0,
	TAKES_RENEW = 1 << 1,
	TAKES_YES = 1 << 2,
};

static const struct {
	const char *name;
	command_fn run;
	unsigned int takes;
} commands[] = {
	{ "connect", cmd_connect, TAKES_NOTHING },
	{ "config", cmd_config, TAKES_NOTHING },
	{ "renew", cmd_renew, TAKES_RENEW },
	{ "status", cmd_status, TAKES_NOTHING },
	{ "revoke", cmd_revoke, TAKES_YES },
	{ "run", cmd_run, TAKES_NOTHING },
};

/*
 * Variables that would let the environment choose OpenSSL configuration,
 * modules or provider behaviour. The agent configures OpenSSL itself.
 */
static const char *const ignored_environment[] = {
	"OPENSSL_CONF",
	"OPENSSL_CONF_INCLUDE",
	"OPENSSL_MODULES",
	"OPENSSL_ENGINES",
	"PKCS11_PROVIDER_MODULE",
	"PKCS11_PROVIDER_DEBUG",
	"PKCS11_PROVIDER_FORKFIX",
};

static void
harden_process(void)
{
	struct rlimit no_core = { 0, 0 };
	size_t i;

	(void)umask(077);
	/* No core dumps, no ptrace by other users, no setuid gains. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	(void)setrlimit(RLIMIT_CORE, &no_core);
	(void)signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(ignored_environment) /
	    sizeof(ignored_environment[0]); i++)
		(void)unsetenv(ignored_environment[i]);
	/* Later LOAD_CONFIG requests (libcurl makes one) do nothing. */
	(void)OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
}

/*
 * Close every descriptor inherited beyond stdin, stdout and stderr, except
 * the one that --pin-source fd:N names, so that nothing a parent left open
 * leaks into the token module or a hook. Missing standard descriptors are
 * opened on /dev/null, so that no file is ever written through them by
 * accident.
 */
static enum ca_status
close_inherited_descriptors(const struct agent_options *opt,
			    struct ca_error *err)
{
	long keep = -1;
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF &&
		    open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			return ca_error_set(err, CA_ERR_INTERNAL, "cannot open "
			    "/dev/null for descriptor %d", fd);
	}
	if (opt->pin_source != NULL && strncmp(opt->pin_source, "fd:", 3) == 0) {
		char *end = NULL;

		keep = strtol(opt->pin_source + 3, &end, 10);
		if (end == opt->pin_source + 3 || *end != '\0' || keep < 3 ||
		    keep > INT_MAX - 1)
			keep = -1;
	}
	if (keep < 0)
		return close_range(3, ~0U, 0) == 0 ? CA_OK : ca_error_set(err,
		    CA_ERR_INTERNAL, "close_range failed: %s", strerror(errno));
	if ((keep > 3 && close_range(3, (unsigned int)keep - 1, 0) != 0) ||
	    close_range((unsigned int)keep + 1, ~0U, 0) != 0)
		return ca_error_set(err, CA_ERR_INTERNAL, "close_range failed: "
		    "%s", strerror(errno));
	return CA_OK;
}

/* Check files named by options early, so that a typo is a usage error. */
static enum ca_status
check_option_files(const struct agent_options *opt, struct ca_error *err)
{
	struct stat st;

	if (opt->ca_file != NULL && (stat(opt->ca_file, &st) != 0 ||
	    !S_ISREG(st.st_mode) || access(opt->ca_file, R_OK) != 0))
		return ca_error_set(err, CA_ERR_USAGE, "--ca-file %s is not a "
		    "readable file; give the PEM file of the CAs that issue "
		    "the Compass servers' certificates", opt->ca_file);
	return CA_OK;
}

/*
 * The Connector reports a revoked or expired client certificate only as a
 * GraphQL error message. Such a rejection of a certificate-secured call
 * means that only a new one-time token helps, and exit code 7 reports
 * exactly that to scripts.
 * NOTE: this matches the message text ("revoked", "expired"), because
 * Compass sends no machine-readable error codes.
 */
static enum ca_status
classify_rejection(const struct agent_options *opt, enum ca_status r,
		   struct ca_error *err)
{
	if (r != CA_ERR_REJECTED || strcmp(opt->command, "connect") == 0)
		return r;
	/* Only the Connector's errors[], not a failed check of our own. */
	if (strstr(err->message, "Compass rejected ") == NULL)
		return r;
	if (strcasestr(err->message, "revoked") == NULL &&
	    strcasestr(err->message, "expired") == NULL)
		return r;
	err->status = CA_ERR_EXPIRED;
	return ca_error_prefix(err, "the certificate is no longer accepted; "
	    "connect again with a new one-time token");
}

static enum ca_status
check_command_options(const struct agent_options *opt, unsigned int takes,
		      struct ca_error *err)
{
	const char *bad = NULL;

	if (!(takes & TAKES_RENEW) && opt->force)
		bad = "--force";
	if (!(takes & TAKES_RENEW) && opt->keep_key)
		bad = "--keep-key";
	if (!(takes & TAKES_YES) && opt->yes)
		bad = "--yes";
	if (bad != NULL)
		return ca_error_set(err, CA_ERR_USAGE, "%s does not apply to "
		    "'%s'; see compass-agent --help", bad, opt->command);
	return CA_OK;
}

static void
print_json(cJSON *result, const struct ca_error *err)
{
	char *text;

	if (err->status != CA_OK) {
		cJSON *error = cJSON_AddObjectToObject(result, "error");

		if (error == NULL ||
		    cJSON_AddNumberToObject(error, "exit_code",
		    err->status) == NULL ||
		    cJSON_AddStringToObject(error, "kind",
		    ca_status_name(err->status)) == NULL ||
		    cJSON_AddStringToObject(error, "message",
		    err->message) == NULL)
			return;
	}
	text = cJSON_Print(result);
	if (text != NULL) {
		(void)printf("%s\n", text);
		free(text);
	}
}

int
agent_main(int argc, char **argv)
{
	struct agent agent;
	struct ca_error err;
	cJSON *result = NULL;
	bool exit_now = false;
	size_t i;
	enum ca_status r;

	memset(&agent, 0, sizeof(agent));
	ca_error_clear(&err);
	harden_process();
	result = cJSON_CreateObject();
	if (result == NULL) {
		r = ca_error_set(&err, CA_ERR_INTERNAL, "out of memory");
		goto out;
	}

	r = options_parse(argc, argv, &agent.opt, &exit_now, &err);
	if (r != CA_OK || exit_now)
		goto out;
	r = close_inherited_descriptors(&agent.opt, &err);
	if (r != CA_OK)
		goto out;
	if (agent.opt.verbosity < 0)
		log_set_level(LOG_LEVEL_WARNING);
	else if (agent.opt.verbosity > 0)
		log_set_level(LOG_LEVEL_DEBUG);

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(agent.opt.command, commands[i].name) == 0)
			break;
	if (i == sizeof(commands) / sizeof(commands[0])) {
		r = ca_error_set(&err, CA_ERR_USAGE, "unknown command '%s'; "
		    "see compass-agent --help", agent.opt.command);
		goto out;
	}
	r = check_command_options(&agent.opt, commands[i].takes, &err);
	if (r != CA_OK)
		goto out;
	r = check_option_files(&agent.opt, &err);
	if (r != CA_OK)
		goto out;

	r = http_global_init(&err);
	if (r != CA_OK)
		goto out;
	r = commands[i].run(&agent, result, &err);
	r = classify_rejection(&agent.opt, r, &err);
	http_global_cleanup();
out:
	if (r != CA_OK)
		log_error("%s", err.message);
	if (agent.opt.json && !exit_now && result != NULL)
		print_json(result, &err);
	cJSON_Delete(result);
	agent_close(&agent);
	return (int)r;
}
