/* Remembering a rejected PIN file across runs, without storing the PIN. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "pin_rejection.h"

#define RECORD_FILE "pin-rejected"
#define RECORD_MAX 1024

/* The identity of a PIN file: what changes when the admin edits it. */
static bool
describe_pin_file(const char *source, const char *token_serial, char *out,
		  size_t out_size)
{
	struct stat st;
	const char *path;

	if (source == NULL || strncmp(source, "file:", 5) != 0)
		return false;
	path = source + 5;
	if (stat(path, &st) != 0)
		return false;
	return (size_t)snprintf(out, out_size,
	    "token=%s dev=%ju ino=%ju size=%jd mtime=%jd.%09ld "
	    "ctime=%jd.%09ld path=%s\n", token_serial,
	    (uintmax_t)st.st_dev, (uintmax_t)st.st_ino, (intmax_t)st.st_size,
	    (intmax_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
	    (intmax_t)st.st_ctim.tv_sec, st.st_ctim.tv_nsec, path) < out_size;
}

enum ca_status
pin_rejection_check(const struct state_dir *dir, const char *source,
		    const char *token_serial, struct ca_error *err)
{
	char current[RECORD_MAX];
	struct ca_error ignored;
	char *recorded = NULL;
	size_t len = 0;
	bool missing = false, same;

	if (!describe_pin_file(source, token_serial, current, sizeof(current)))
		return CA_OK;
	if (state_read_file(dir, RECORD_FILE, RECORD_MAX, &recorded, &len,
	    &missing, &ignored) != CA_OK)
		return CA_OK;
	same = strcmp(recorded, current) == 0;
	free(recorded);
	if (!same)
		return CA_OK;
	return ca_error_set(err, CA_ERR_PIN, "the token rejected the PIN in "
	    "%s before, and the file has not changed since; no login was "
	    "attempted, so that the token does not lock. Correct the PIN in "
	    "the file (any change to it allows one new attempt)", source + 5);
}

void
pin_rejection_record(const struct state_dir *dir, const char *source,
		     const char *token_serial)
{
	char current[RECORD_MAX];
	struct ca_error err;

	if (!describe_pin_file(source, token_serial, current, sizeof(current)))
		return;
	if (state_write_file(dir, RECORD_FILE, current, strlen(current),
	    &err) != CA_OK)
		log_warning("could not record the rejected PIN file: %s",
		    err.message);
}

void
pin_rejection_clear(const struct state_dir *dir)
{
	struct ca_error err;

	if (state_remove_file(dir, RECORD_FILE, &err) != CA_OK)
		log_warning("could not remove the rejected-PIN record: %s",
		    err.message);
}
