/* Command-line parsing and the config file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../agent/options.h"

static char config_path[] = "/tmp/compass-agent-options-test.XXXXXX";

static int
write_config(const char *text)
{
	FILE *f = fopen(config_path, "w");

	if (f == NULL)
		return -1;
	(void)fputs(text, f);
	return fclose(f);
}

static enum ca_status
parse(struct agent_options *opt, struct ca_error *err, int argc, ...)
{
	char *argv[32];
	bool exit_now = false;
	va_list ap;
	int i;

	va_start(ap, argc);
	for (i = 0; i < argc && i < 31; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[i] = NULL;
	return options_parse(argc, argv, opt, &exit_now, err);
}

static int
setup(void **state)
{
	int fd = mkstemp(config_path);

	(void)state;
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return unlink(config_path);
}

static void
options_before_and_after_command(void **state)
{
	struct agent_options opt;
	struct ca_error err;

	(void)state;
	assert_int_equal(write_config(""), 0);
	assert_int_equal(parse(&opt, &err, 8, "compass-agent", "-c",
	    config_path, "--state-dir", "/tmp/s", "renew", "--force",
	    "--keep-key"), CA_OK);
	assert_string_equal(opt.command, "renew");
	assert_string_equal(opt.state_dir, "/tmp/s");
	assert_true(opt.force);
	assert_true(opt.keep_key);
	/* Defaults fill what was not set. */
	assert_string_equal(opt.key_label, DEFAULT_KEY_LABEL);
	assert_string_equal(opt.renew_before, "30%");
	options_free(&opt);
}

static void
command_line_wins_over_config(void **state)
{
	struct agent_options opt;
	struct ca_error err;

	(void)state;
	assert_int_equal(write_config("# comment\nmodule = /from/file.so\n"
	    "[agent]\ntoken = pkcs11:token=file\ntimeout = 12\n"
	    "renew-before = 7d\n"), 0);
	assert_int_equal(parse(&opt, &err, 6, "compass-agent", "-c",
	    config_path, "--module", "/from/argv.so", "status"), CA_OK);
	assert_string_equal(opt.module, "/from/argv.so");
	assert_string_equal(opt.token_uri, "pkcs11:token=file");
	assert_int_equal(opt.timeout_seconds, 12);
	assert_string_equal(opt.renew_before, "7d");
	options_free(&opt);
}

static void
config_errors_name_the_line(void **state)
{
	struct agent_options opt;
	struct ca_error err;

	(void)state;
	assert_int_equal(write_config("module = /x.so\nmodul = typo\n"), 0);
	assert_int_equal(parse(&opt, &err, 4, "compass-agent", "-c",
	    config_path, "status"), CA_ERR_USAGE);
	assert_non_null(strstr(err.message, "modul"));
	assert_non_null(strstr(err.message, "line 2"));
	options_free(&opt);

	assert_int_equal(write_config("[other]\nmodule = /x.so\n"), 0);
	assert_int_equal(parse(&opt, &err, 4, "compass-agent", "-c",
	    config_path, "status"), CA_ERR_USAGE);
	assert_non_null(strstr(err.message, "[other]"));
	options_free(&opt);

	assert_int_equal(write_config("timeout = forever\n"), 0);
	assert_int_equal(parse(&opt, &err, 4, "compass-agent", "-c",
	    config_path, "status"), CA_ERR_USAGE);
	assert_non_null(strstr(err.message, "forever"));
	options_free(&opt);
}

static void
usage_errors_rejected(void **state)
{
	struct agent_options opt;
	struct ca_error err;

	(void)state;
	assert_int_equal(write_config(""), 0);
	assert_int_equal(parse(&opt, &err, 3, "compass-agent", "-c",
	    config_path), CA_ERR_USAGE);
	assert_non_null(strstr(err.message, "no command"));
	options_free(&opt);

	assert_int_equal(parse(&opt, &err, 5, "compass-agent", "-c",
	    config_path, "status", "extra"), CA_ERR_USAGE);
	assert_non_null(strstr(err.message, "extra"));
	options_free(&opt);

	assert_int_equal(parse(&opt, &err, 5, "compass-agent", "-c",
	    config_path, "status", "--bogus"), CA_ERR_USAGE);
	assert_non_null(strstr(err.message, "--bogus"));
	options_free(&opt);

	assert_int_equal(parse(&opt, &err, 5, "compass-agent", "-c",
	    config_path, "status", "--module"), CA_ERR_USAGE);
	assert_non_null(strstr(err.message, "needs a value"));
	options_free(&opt);

	assert_int_equal(parse(&opt, &err, 6, "compass-agent", "-c",
	    config_path, "--renew-before", "0%", "status"), CA_ERR_USAGE);
	assert_non_null(strstr(err.message, "0%"));
	options_free(&opt);

	assert_int_equal(chmod(config_path, 0666), 0);
	assert_int_equal(parse(&opt, &err, 4, "compass-agent", "-c",
	    config_path, "status"), CA_ERR_USAGE);
	assert_non_null(strstr(err.message, "chmod go-w"));
	options_free(&opt);
	assert_int_equal(chmod(config_path, 0600), 0);

	assert_int_equal(parse(&opt, &err, 4, "compass-agent", "-c",
	    "/nonexistent/agent.conf", "status"), CA_ERR_USAGE);
	assert_non_null(strstr(err.message, "/nonexistent/agent.conf"));
	options_free(&opt);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(options_before_and_after_command),
		cmocka_unit_test(command_line_wins_over_config),
		cmocka_unit_test(config_errors_name_the_line),
		cmocka_unit_test(usage_errors_rejected),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
