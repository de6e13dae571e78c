/* Command-line parsing and the config file (INI, read with inih). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "options.h"

enum {
	OPT_STATE_DIR = 256,
	OPT_MODULE,
	OPT_TOKEN,
	OPT_PIN_SOURCE,
	OPT_CA_FILE,
	OPT_KEY_LABEL,
	OPT_JSON,
	OPT_VERSION,
	OPT_CONNECTOR_URL,
	OPT_ONE_TIME_TOKEN_FILE,
	OPT_KEY_TYPE,
	OPT_FORCE,
	OPT_KEEP_KEY,
	OPT_YES,
	OPT_RENEW_BEFORE,
	OPT_TIMEOUT,
	OPT_MODULE_DIRS,
	OPT_SERVER_KEY_PIN,
	OPT_SYNC_INTERVAL,
	OPT_POST_RENEW_HOOK,
	OPT_HOOK_TIMEOUT,
};

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "module", required_argument, NULL, OPT_MODULE },
	{ "token", required_argument, NULL, OPT_TOKEN },
	{ "pin-source", required_argument, NULL, OPT_PIN_SOURCE },
	{ "ca-file", required_argument, NULL, OPT_CA_FILE },
	{ "key-label", required_argument, NULL, OPT_KEY_LABEL },
	{ "renew-before", required_argument, NULL, OPT_RENEW_BEFORE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "module-dirs", required_argument, NULL, OPT_MODULE_DIRS },
	{ "server-key-pin", required_argument, NULL, OPT_SERVER_KEY_PIN },
	{ "sync-interval", required_argument, NULL, OPT_SYNC_INTERVAL },
	{ "post-renew-hook", required_argument, NULL, OPT_POST_RENEW_HOOK },
	{ "hook-timeout", required_argument, NULL, OPT_HOOK_TIMEOUT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, 'h' },
	/* Command options; each command checks which of them it accepts. */
	{ "connector-url", required_argument, NULL, OPT_CONNECTOR_URL },
	{ "one-time-token-file", required_argument, NULL,
	    OPT_ONE_TIME_TOKEN_FILE },
	{ "key-type", required_argument, NULL, OPT_KEY_TYPE },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "keep-key", no_argument, NULL, OPT_KEEP_KEY },
	{ "yes", no_argument, NULL, OPT_YES },
	{ NULL, 0, NULL, 0 },
};

void
options_print_usage(void)
{
	(void)printf(
"usage: compass-agent [GLOBAL OPTIONS] COMMAND [COMMAND OPTIONS]\n"
"\n"
"Connects this machine to Kyma Compass with a client certificate whose\n"
"private key is generated inside a PKCS#11 token and never leaves it.\n"
"\n"
"Global options (each can also be set in the config file, same name):\n"
"  -c, --config FILE     config file (default " DEFAULT_CONFIG_FILE " if present)\n"
"      --state-dir DIR   state directory (default " DEFAULT_STATE_DIR ")\n"
"      --module MODULE   PKCS#11 module: absolute path of a .so, or a p11-kit module name\n"
"      --token URI       PKCS#11 URI selecting the token, e.g. pkcs11:token=compass\n"
"      --pin-source SRC  file:PATH | fd:N | env:NAME | prompt; pin-source= in --token also works\n"
"      --ca-file FILE    trust only these CAs for the Compass servers (default: system store)\n"
"      --key-label LABEL CKA_LABEL of the agent's key and certificate objects\n"
"                        (default " DEFAULT_KEY_LABEL ")\n"
"      --renew-before V  renew when less than V of the lifetime is left: a percentage\n"
"                        (default 30%%) or a duration such as 12h or 7d\n"
"      --timeout SEC     total time limit of one request in seconds (default 30)\n"
"      --module-dirs DIRS  colon-separated directories PKCS#11 modules may be loaded\n"
"                        from (default " "/usr/lib:/usr/lib64:/lib:/lib64:/usr/local/lib" ")\n"
"      --server-key-pin PIN  accept only Compass servers with this public key:\n"
"                        sha256//BASE64[;sha256//BASE64...]\n"
"      --json            print one JSON object on stdout instead of text\n"
"  -v, --verbose; -q, --quiet; --version; -h, --help\n"
"\n"
"Commands:\n"
"  connect --connector-url URL --one-time-token-file FILE|-  [--key-type TYPE]\n"
"        establish the connection; the file holds the raw one-time token, or the\n"
"        Director's raw / rawEncoded JSON (then it also supplies the URL)\n"
"  config        fetch the configuration over mTLS and print it\n"
"  renew [--force] [--keep-key]\n"
"                renew if due (always with --force); new key unless --keep-key\n"
"  status        the local state and the key as the token reports it; no network\n"
"  revoke [--yes]\n"
"                revoke the certificate; asks for confirmation unless --yes\n"
"  run           the renewal daemon: renews on schedule, syncs the configuration,\n"
"                reconnects from --one-time-token-file after expiry or revocation;\n"
"                --sync-interval DUR (default 10m, at least 1m),\n"
"                --post-renew-hook CMD (run without a shell after each renewal),\n"
"                --hook-timeout DUR (default 60s); SIGHUP reloads, SIGUSR1 renews\n""\n"
"Key types: rsa:2048 (default), rsa:3072, rsa:4096, ec:p256, ec:p384.\n"
"Exit codes: 0 success, 1 failure, 2 usage or configuration, 3 token,\n"
"4 PIN, 5 network/TLS/protocol, 6 rejected by Compass, 7 certificate expired\n"
"or revoked, 8 state directory locked or unusable. See compass-agent(1).\n");
}

static enum ca_status
set_string(char **field, const char *value, const char *name,
	   struct ca_error *err)
{
	char *copy;

	if (value[0] == '\0')
		return ca_error_set(err, CA_ERR_USAGE, "%s: empty value", name);
	copy = strdup(value);
	if (copy == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
	free(*field);
	*field = copy;
	return CA_OK;
}

static enum ca_status
parse_timeout(const char *text, long *out, struct ca_error *err)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < 1 || v > 3600)
		return ca_error_set(err, CA_ERR_USAGE, "invalid timeout '%s': "
		    "expected whole seconds from 1 to 3600", text);
	*out = v;
	return CA_OK;
}

bool
renew_before_parse(const char *text, double *fraction, long *seconds)
{
	char *end = NULL;
	double percent;

	*fraction = 0;
	*seconds = 0;
	if (text == NULL || text[0] == '\0')
		return false;

	if (text[strlen(text) - 1] == '%') {
		errno = 0;
		percent = strtod(text, &end);
		if (errno != 0 || end == text || *end != '%' || end[1] != '\0' ||
		    !(percent > 0 && percent < 100))
			return false;
		*fraction = percent / 100.0;
		return true;
	}

	return duration_parse(text, seconds);
}

bool
duration_parse(const char *text, long *seconds)
{
	char *end = NULL;
	long v, unit;

	*seconds = 0;
	if (text == NULL || text[0] < '0' || text[0] > '9')
		return false;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || end == text || v <= 0)
		return false;
	if (strcmp(end, "s") == 0)
		unit = 1;
	else if (strcmp(end, "m") == 0)
		unit = 60;
	else if (strcmp(end, "h") == 0)
		unit = 3600;
	else if (strcmp(end, "d") == 0)
		unit = 86400;
	else
		return false;
	if (v > LONG_MAX / unit)
		return false;
	*seconds = v * unit;
	return true;
}

struct config_context {
	struct agent_options *opt;
	const char *path;
	struct ca_error *err;
	/* Keys seen in the file, so that the command line keeps priority. */
	struct agent_options from_file;
};

/* Settings a config file may hold, by key; the command line wins. */
static int
config_handler(void *user, const char *section, const char *name,
	       const char *value)
{
	struct config_context *ctx = user;
	struct agent_options *o = &ctx->from_file;
	static const struct {
		const char *name;
		size_t offset;
	} strings[] = {
		{ "state-dir", offsetof(struct agent_options, state_dir) },
		{ "module", offsetof(struct agent_options, module) },
		{ "token", offsetof(struct agent_options, token_uri) },
		{ "pin-source", offsetof(struct agent_options, pin_source) },
		{ "ca-file", offsetof(struct agent_options, ca_file) },
		{ "key-label", offsetof(struct agent_options, key_label) },
		{ "key-type", offsetof(struct agent_options, key_type) },
		{ "connector-url", offsetof(struct agent_options,
		    connector_url) },
		{ "one-time-token-file", offsetof(struct agent_options,
		    one_time_token_file) },
		{ "renew-before", offsetof(struct agent_options,
		    renew_before) },
		{ "module-dirs", offsetof(struct agent_options, module_dirs) },
		{ "server-key-pin", offsetof(struct agent_options,
		    server_key_pin) },
		{ "sync-interval", offsetof(struct agent_options,
		    sync_interval) },
		{ "post-renew-hook", offsetof(struct agent_options,
		    post_renew_hook) },
		{ "hook-timeout", offsetof(struct agent_options,
		    hook_timeout) },
	};
	size_t i;

	if (section[0] != '\0' && strcmp(section, "agent") != 0) {
		ca_error_set(ctx->err, CA_ERR_USAGE, "%s: unknown section "
		    "[%s]; settings go before any section or in [agent]",
		    ctx->path, section);
		return 0;
	}
	for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		if (strcmp(name, strings[i].name) == 0) {
			char **field = (char **)(void *)((char *)o +
			    strings[i].offset);

			return set_string(field, value, name, ctx->err) ==
			    CA_OK;
		}
	}
	if (strcmp(name, "timeout") == 0)
		return parse_timeout(value, &o->timeout_seconds, ctx->err) ==
		    CA_OK;
	if (strcmp(name, "json") == 0 || strcmp(name, "verbose") == 0 ||
	    strcmp(name, "quiet") == 0) {
		bool on = strcmp(value, "true") == 0 || strcmp(value, "yes") ==
		    0 || strcmp(value, "1") == 0;

		if (!on && strcmp(value, "false") != 0 && strcmp(value, "no") !=
		    0 && strcmp(value, "0") != 0) {
			ca_error_set(ctx->err, CA_ERR_USAGE, "%s: %s takes true "
			    "or false, not '%s'", ctx->path, name, value);
			return 0;
		}
		if (strcmp(name, "json") == 0)
			o->json = on;
		else if (on)
			o->verbosity = strcmp(name, "verbose") == 0 ? 1 : -1;
		return 1;
	}
	ca_error_set(ctx->err, CA_ERR_USAGE, "%s: unknown setting '%s'",
	    ctx->path, name);
	return 0;
}

/* Move a file setting into opt when the command line left it unset. */
static void
take_unset(char **dst, char **src)
{
	if (*dst == NULL) {
		*dst = *src;
		*src = NULL;
	}
}

enum ca_status
options_read_config(const char *path, bool must_exist,
		    struct agent_options *opt, struct ca_error *err)
{
	struct config_context ctx;
	struct stat st;
	FILE *f;
	int line;
	enum ca_status r = CA_ERR_USAGE;

	memset(&ctx, 0, sizeof(ctx));
	ctx.opt = opt;
	ctx.path = path;
	ctx.err = err;

	f = fopen(path, "re");
	if (f == NULL) {
		if (!must_exist && errno == ENOENT)
			return CA_OK;
		return ca_error_set(err, CA_ERR_USAGE, "cannot open config file "
		    "%s: %s", path, strerror(errno));
	}
	/* The file chooses the module that is loaded; others must not. */
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		(void)fclose(f);
		return ca_error_set(err, CA_ERR_USAGE, "config file %s must be "
		    "a regular file owned by root or uid %u that group and "
		    "others cannot write; run 'chmod go-w %s'", path,
		    (unsigned int)geteuid(), path);
	}
	ca_error_clear(err);
	line = ini_parse_file(f, config_handler, &ctx);
	(void)fclose(f);
	if (line != 0) {
		if (err != NULL && err->status == CA_OK)
			ca_error_set(err, CA_ERR_USAGE, "%s:%d: syntax error; "
			    "expected 'name = value'", path, line);
		else
			ca_error_prefix(err, "line %d", line);
		goto out;
	}

	take_unset(&opt->state_dir, &ctx.from_file.state_dir);
	take_unset(&opt->module, &ctx.from_file.module);
	take_unset(&opt->token_uri, &ctx.from_file.token_uri);
	take_unset(&opt->pin_source, &ctx.from_file.pin_source);
	take_unset(&opt->ca_file, &ctx.from_file.ca_file);
	take_unset(&opt->key_label, &ctx.from_file.key_label);
	take_unset(&opt->key_type, &ctx.from_file.key_type);
	take_unset(&opt->connector_url, &ctx.from_file.connector_url);
	take_unset(&opt->one_time_token_file,
	    &ctx.from_file.one_time_token_file);
	take_unset(&opt->renew_before, &ctx.from_file.renew_before);
	take_unset(&opt->module_dirs, &ctx.from_file.module_dirs);
	take_unset(&opt->server_key_pin, &ctx.from_file.server_key_pin);
	take_unset(&opt->sync_interval, &ctx.from_file.sync_interval);
	take_unset(&opt->post_renew_hook, &ctx.from_file.post_renew_hook);
	take_unset(&opt->hook_timeout, &ctx.from_file.hook_timeout);
	if (opt->timeout_seconds == 0)
		opt->timeout_seconds = ctx.from_file.timeout_seconds;
	if (ctx.from_file.json)
		opt->json = true;
	if (opt->verbosity == 0)
		opt->verbosity = ctx.from_file.verbosity;
	r = CA_OK;
out:
	options_free(&ctx.from_file);
	return r;
}

/* Each ';'-separated entry is "sha256//" and 44 base64 characters. */
static bool
server_key_pin_valid(const char *pin)
{
	const char *entry = pin;

	for (;;) {
		const char *end = strchr(entry, ';');
		size_t len = end != NULL ? (size_t)(end - entry) : strlen(entry);
		size_t i;

		if (len != 8 + 44 || strncmp(entry, "sha256//", 8) != 0 ||
		    entry[8 + 43] != '=')
			return false;
		for (i = 8; i < 8 + 43; i++) {
			char c = entry[i];

			if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			    (c >= '0' && c <= '9') || c == '+' || c == '/'))
				return false;
		}
		if (end == NULL)
			return true;
		entry = end + 1;
	}
}

static enum ca_status
apply_defaults(struct agent_options *opt, struct ca_error *err)
{
	double fraction;
	long seconds;

	if (opt->state_dir == NULL &&
	    set_string(&opt->state_dir, DEFAULT_STATE_DIR, "state-dir",
	    err) != CA_OK)
		return CA_ERR_INTERNAL;
	if (opt->key_label == NULL &&
	    set_string(&opt->key_label, DEFAULT_KEY_LABEL, "key-label",
	    err) != CA_OK)
		return CA_ERR_INTERNAL;
	if (opt->renew_before == NULL &&
	    set_string(&opt->renew_before, "30%", "renew-before",
	    err) != CA_OK)
		return CA_ERR_INTERNAL;
	if (!renew_before_parse(opt->renew_before, &fraction, &seconds))
		return ca_error_set(err, CA_ERR_USAGE, "invalid renew-before "
		    "'%s': expected a percentage such as 30%% or a duration "
		    "such as 12h or 7d", opt->renew_before);
	if (opt->server_key_pin != NULL &&
	    !server_key_pin_valid(opt->server_key_pin))
		return ca_error_set(err, CA_ERR_USAGE, "invalid server-key-pin "
		    "'%s': expected sha256// and the base64 of a SHA-256 hash, "
		    "several separated by ';'", opt->server_key_pin);
	if (opt->sync_interval != NULL &&
	    !duration_parse(opt->sync_interval, &seconds))
		return ca_error_set(err, CA_ERR_USAGE, "invalid sync-interval "
		    "'%s': expected a duration such as 10m", opt->sync_interval);
	if (opt->hook_timeout != NULL &&
	    !duration_parse(opt->hook_timeout, &seconds))
		return ca_error_set(err, CA_ERR_USAGE, "invalid hook-timeout "
		    "'%s': expected a duration such as 60s", opt->hook_timeout);
	return CA_OK;
}

static enum ca_status
apply_option(int c, char **argv, struct agent_options *opt, bool *exit_now,
	     struct ca_error *err)
{
	switch (c) {
	case 'c':
		return set_string(&opt->config_file, optarg, "--config", err);
	case OPT_STATE_DIR:
		return set_string(&opt->state_dir, optarg, "--state-dir", err);
	case OPT_MODULE:
		return set_string(&opt->module, optarg, "--module", err);
	case OPT_TOKEN:
		return set_string(&opt->token_uri, optarg, "--token", err);
	case OPT_PIN_SOURCE:
		return set_string(&opt->pin_source, optarg, "--pin-source",
		    err);
	case OPT_CA_FILE:
		return set_string(&opt->ca_file, optarg, "--ca-file", err);
	case OPT_KEY_LABEL:
		return set_string(&opt->key_label, optarg, "--key-label",
		    err);
	case OPT_RENEW_BEFORE:
		return set_string(&opt->renew_before, optarg,
		    "--renew-before", err);
	case OPT_MODULE_DIRS:
		return set_string(&opt->module_dirs, optarg, "--module-dirs",
		    err);
	case OPT_SERVER_KEY_PIN:
		return set_string(&opt->server_key_pin, optarg,
		    "--server-key-pin", err);
	case OPT_SYNC_INTERVAL:
		return set_string(&opt->sync_interval, optarg,
		    "--sync-interval", err);
	case OPT_POST_RENEW_HOOK:
		return set_string(&opt->post_renew_hook, optarg,
		    "--post-renew-hook", err);
	case OPT_HOOK_TIMEOUT:
		return set_string(&opt->hook_timeout, optarg, "--hook-timeout",
		    err);
	case OPT_TIMEOUT:
		return parse_timeout(optarg, &opt->timeout_seconds, err);
	case OPT_CONNECTOR_URL:
		return set_string(&opt->connector_url, optarg,
		    "--connector-url", err);
	case OPT_ONE_TIME_TOKEN_FILE:
		return set_string(&opt->one_time_token_file, optarg,
		    "--one-time-token-file", err);
	case OPT_KEY_TYPE:
		return set_string(&opt->key_type, optarg, "--key-type", err);
	case OPT_FORCE:
		opt->force = true;
		return CA_OK;
	case OPT_KEEP_KEY:
		opt->keep_key = true;
		return CA_OK;
	case OPT_YES:
		opt->yes = true;
		return CA_OK;
	case OPT_JSON:
		opt->json = true;
		return CA_OK;
	case 'v':
		opt->verbosity = opt->verbosity < 0 ? 1 :
		    opt->verbosity + 1;
		return CA_OK;
	case 'q':
		opt->verbosity = -1;
		return CA_OK;
	case OPT_VERSION:
		(void)printf("compass-agent %s\n", CA_VERSION);
		*exit_now = true;
		return CA_OK;
	case 'h':
		options_print_usage();
		*exit_now = true;
		return CA_OK;
	case ':':
		return ca_error_set(err, CA_ERR_USAGE, "option %s needs a "
		    "value; see compass-agent --help",
		    argv[optind - 1]);
	default:
		return ca_error_set(err, CA_ERR_USAGE, "unknown option %s; "
		    "see compass-agent --help", argv[optind - 1]);
	}
}

enum ca_status
options_parse(int argc, char **argv, struct agent_options *opt, bool *exit_now,
	      struct ca_error *err)
{
	int c;
	enum ca_status r = CA_OK;

	memset(opt, 0, sizeof(*opt));
	*exit_now = false;

	/*
	 * "+" makes getopt stop at the first operand, the command. Options
	 * may stand before and after it, so parsing resumes past it.
	 */
	opterr = 0;
	optind = 1;
	while (r == CA_OK && optind < argc) {
		c = getopt_long(argc, argv, "+:c:vqh", long_options, NULL);
		if (c == -1) {
			if (optind >= argc)
				break;
			if (opt->command != NULL)
				return ca_error_set(err, CA_ERR_USAGE,
				    "unexpected argument '%s'; see "
				    "compass-agent --help", argv[optind]);
			opt->command = argv[optind++];
			continue;
		}
		r = apply_option(c, argv, opt, exit_now, err);
		if (*exit_now)
			return CA_OK;
	}
	if (r != CA_OK)
		return r;
	if (opt->command == NULL)
		return ca_error_set(err, CA_ERR_USAGE, "no command given; see "
		    "compass-agent --help");

	if (opt->config_file != NULL)
		r = options_read_config(opt->config_file, true, opt, err);
	else
		r = options_read_config(DEFAULT_CONFIG_FILE, false, opt, err);
	if (r != CA_OK)
		return r;
	return apply_defaults(opt, err);
}

void
options_free(struct agent_options *opt)
{
	free(opt->config_file);
	free(opt->state_dir);
	free(opt->module);
	free(opt->token_uri);
	free(opt->pin_source);
	free(opt->ca_file);
	free(opt->key_label);
	free(opt->key_type);
	free(opt->connector_url);
	free(opt->one_time_token_file);
	free(opt->renew_before);
	free(opt->module_dirs);
	free(opt->server_key_pin);
	free(opt->sync_interval);
	free(opt->post_renew_hook);
	free(opt->hook_timeout);
	memset(opt, 0, sizeof(*opt));
}
