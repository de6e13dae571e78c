/* PIN sources. The PIN is never echoed, logged or put in a message. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "../common/private_file.h"
#include "pin.h"

static enum ca_status
pin_from_file(const char *path, struct secret **out, struct ca_error *err)
{
	char what[PATH_MAX + 32];
	int fd = -1;
	enum ca_status r;

	(void)snprintf(what, sizeof(what), "PIN file %s", path);
	/* Links are followed: secret stores often mount the PIN as one. */
	r = private_file_open(path, what, true, CA_ERR_PIN, &fd, err);
	if (r != CA_OK)
		return r;
	*out = secret_read_fd(fd, what, err);
	if (*out == NULL)
		r = err != NULL ? err->status : CA_ERR_PIN;
	(void)close(fd);
	return r;
}

static enum ca_status
pin_from_fd(const char *number, struct secret **out, struct ca_error *err)
{
	char *end = NULL;
	long fd;
	enum ca_status r;

	errno = 0;
	fd = strtol(number, &end, 10);
	if (errno != 0 || end == number || *end != '\0' || fd < 0 ||
	    fd > INT_MAX) {
		return ca_error_set(err, CA_ERR_USAGE, "invalid PIN source "
		    "fd:%s: expected a descriptor number such as fd:3", number);
	}
	*out = secret_read_fd((int)fd, "PIN descriptor", err);
	r = CA_OK;
	if (*out == NULL)
		r = err != NULL ? err->status : CA_ERR_PIN;
	(void)close((int)fd);
	return r;
}

static enum ca_status
pin_from_env(const char *name, struct secret **out, struct ca_error *err)
{
	char *value;

	value = getenv(name);
	if (value == NULL) {
		return ca_error_set(err, CA_ERR_PIN, "PIN source env:%s: the "
		    "variable is not set", name);
	}
	*out = secret_from_bytes(value, strlen(value));
	/* Wipe the PIN from the environment block (/proc/PID/environ). */
	explicit_bzero(value, strlen(value));
	(void)unsetenv(name);
	if (*out == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL, "cannot allocate "
		    "memory for the PIN");
	return CA_OK;
}

/* Write all of text to fd; the prompt is best effort. */
static void
write_text(int fd, const char *text)
{
	size_t done = 0, len = strlen(text);

	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		done += (size_t)n;
	}
}

/*
 * Ask on the terminal with echo off. Plain read(2) and write(2) keep the
 * PIN out of stdio buffers.
 */
static enum ca_status
pin_from_prompt(const char *token_label, struct secret **out,
		struct ca_error *err)
{
	struct termios saved, quiet;
	struct secret *pin = NULL;
	char prompt[512];
	int fd = -1, echo_off = 0;
	enum ca_status r = CA_ERR_PIN;

	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = ca_error_set(err, CA_ERR_PIN, "no PIN source and no "
		    "terminal to ask on; set --pin-source file:PATH, fd:N or "
		    "env:NAME");
		goto out;
	}
	if (tcgetattr(fd, &saved) == 0) {
		quiet = saved;
		quiet.c_lflag &= (tcflag_t)~(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		if (tcsetattr(fd, TCSAFLUSH, &quiet) == 0)
			echo_off = 1;
	}
	if (!echo_off) {
		r = ca_error_set(err, CA_ERR_PIN, "cannot turn off echo on the "
		    "terminal; use --pin-source file:PATH instead");
		goto out;
	}

	pin = secret_new(SECRET_MAX);
	if (pin == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "cannot allocate memory "
		    "for the PIN");
		goto out;
	}
	(void)snprintf(prompt, sizeof(prompt), "PIN for token '%s': ",
	    token_label);
	write_text(fd, prompt);
	for (;;) {
		char c;
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = ca_error_set(err, CA_ERR_PIN, "cannot read the PIN "
			    "from the terminal: %s", strerror(errno));
			goto out;
		}
		if (n == 0 || c == '\n')
			break;
		if (pin->len >= SECRET_MAX) {
			r = ca_error_set(err, CA_ERR_PIN, "PIN longer than %d "
			    "bytes", SECRET_MAX);
			goto out;
		}
		pin->data[pin->len++] = c;
	}
	pin->data[pin->len] = '\0';
	write_text(fd, "\n");
	*out = pin;
	pin = NULL;
	r = CA_OK;
out:
	if (echo_off)
		(void)tcsetattr(fd, TCSAFLUSH, &saved);
	if (fd >= 0)
		(void)close(fd);
	secret_free(pin);
	return r;
}

enum ca_status
pin_read(const char *source, const char *token_label, struct secret **out,
	 struct ca_error *err)
{
	enum ca_status r;

	*out = NULL;

	if (source == NULL || strcmp(source, "prompt") == 0)
		r = pin_from_prompt(token_label, out, err);
	else if (strncmp(source, "file:", 5) == 0)
		r = pin_from_file(source + 5, out, err);
	else if (strncmp(source, "fd:", 3) == 0)
		r = pin_from_fd(source + 3, out, err);
	else if (strncmp(source, "env:", 4) == 0)
		r = pin_from_env(source + 4, out, err);
	else
		return ca_error_set(err, CA_ERR_USAGE, "invalid PIN source "
		    "'%s': expected file:PATH, fd:N, env:NAME or prompt",
		    source);
	if (r != CA_OK)
		return r;

	secret_trim_newline(*out);
	if ((*out)->len == 0) {
		secret_free(*out);
		*out = NULL;
		return ca_error_set(err, CA_ERR_PIN, "the PIN from %s is empty",
		    source == NULL ? "the prompt" : source);
	}
	return CA_OK;
}
