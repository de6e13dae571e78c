/* The state directory, its lock, atomic writes and the state file. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "crashpoint.h"
#include "state.h"

#define LOCK_FILE "lock"
/* The state file is small; anything larger is not ours. */
#define STATE_FILE_MAX (64 * 1024)

/* The string fields of the state file, by JSON name. */
struct string_field {
	const char *name;
	size_t offset;
};

#define FIELD(name, member) { name, offsetof(struct agent_state, member) }
static const struct string_field string_fields[] = {
	FIELD("client_id", client_id),
	FIELD("subject", subject),
	FIELD("key_type", key_type),
	FIELD("key_label", key_label),
	FIELD("key_id", key_id),
	FIELD("previous_key_id", previous_key_id),
	FIELD("pending_key_id", pending_key_id),
	FIELD("rotation_step", rotation_step),
	FIELD("token_label", token_label),
	FIELD("token_serial", token_serial),
	FIELD("connector_url", connector_url),
	FIELD("certificate_secured_connector_url",
	    certificate_secured_connector_url),
	FIELD("director_url", director_url),
	FIELD("certificate_serial", certificate_serial),
	FIELD("certificate_sha256", certificate_sha256),
};
#undef FIELD

struct time_field {
	const char *name;
	size_t offset;
};

static const struct time_field time_fields[] = {
	{ "not_before", offsetof(struct agent_state, not_before) },
	{ "not_after", offsetof(struct agent_state, not_after) },
	{ "last_renewal", offsetof(struct agent_state, last_renewal) },
};

static char **
string_member(struct agent_state *state, const struct string_field *field)
{
	return (char **)(void *)((char *)state + field->offset);
}

static const char *
string_value(const struct agent_state *state, const struct string_field *field)
{
	return *(char *const *)(const void *)((const char *)state +
	    field->offset);
}

static time_t
time_value(const struct agent_state *state, const struct time_field *field)
{
	return *(const time_t *)(const void *)((const char *)state +
	    field->offset);
}

static time_t *
time_member(struct agent_state *state, const struct time_field *field)
{
	return (time_t *)(void *)((char *)state + field->offset);
}

/*
 * GCC 12's analyzer reports the copy as leaked: it does not follow the
 * ownership that moves into *field.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
bool
state_set(char **field, const char *value)
{
	char *copy = NULL;

	if (value != NULL && (copy = strdup(value)) == NULL)
		return false;
	free(*field);
	*field = copy;
	return true;
}
#pragma GCC diagnostic pop

void
time_to_rfc3339(time_t t, char out[static 32])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(out, 32, "invalid-time");
}

bool
time_from_rfc3339(const char *text, time_t *out)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(text, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return false;
	*out = timegm(&tm);
	return *out != (time_t)-1;
}

enum ca_status
state_dir_open(const char *path, bool create, struct state_dir *out,
	       struct ca_error *err)
{
	struct stat st;
	enum ca_status r = CA_ERR_STATE;

	out->path = NULL;
	out->dir_fd = -1;
	out->lock_fd = -1;

	if (create && mkdir(path, 0700) != 0 && errno != EEXIST) {
		return ca_error_set(err, CA_ERR_STATE, "cannot create state "
		    "directory %s: %s; check --state-dir", path,
		    strerror(errno));
	}
	out->dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (out->dir_fd < 0) {
		r = ca_error_set(err, CA_ERR_STATE, "cannot open state "
		    "directory %s: %s; check --state-dir or run connect first",
		    path, strerror(errno));
		goto out;
	}
	if (fstat(out->dir_fd, &st) != 0) {
		r = ca_error_set(err, CA_ERR_STATE, "cannot stat %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (st.st_uid != geteuid()) {
		r = ca_error_set(err, CA_ERR_STATE, "state directory %s is "
		    "owned by uid %u, not by uid %u that runs the agent; run "
		    "'chown -R %u %s' or use the state directory of this user",
		    path, (unsigned int)st.st_uid, (unsigned int)geteuid(),
		    (unsigned int)geteuid(), path);
		goto out;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		r = ca_error_set(err, CA_ERR_STATE, "state directory %s must "
		    "be accessible only by its owner (mode is %04o); run "
		    "'chmod 700 %s'", path, (unsigned int)(st.st_mode & 07777),
		    path);
		goto out;
	}

	out->lock_fd = openat(out->dir_fd, LOCK_FILE,
	    O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out->lock_fd < 0) {
		r = ca_error_set(err, CA_ERR_STATE, "cannot open lock file "
		    "%s/%s: %s", path, LOCK_FILE, strerror(errno));
		goto out;
	}
	if (flock(out->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		r = ca_error_set(err, CA_ERR_STATE, "state directory %s is "
		    "locked by another compass-agent process; wait for it to "
		    "finish or stop it", path);
		goto out;
	}
	out->path = strdup(path);
	if (out->path == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
		goto out;
	}
	r = CA_OK;
out:
	if (r != CA_OK)
		state_dir_close(out);
	return r;
}

void
state_dir_close(struct state_dir *dir)
{
	if (dir->lock_fd >= 0)
		(void)close(dir->lock_fd);	/* releases the lock */
	if (dir->dir_fd >= 0)
		(void)close(dir->dir_fd);
	free(dir->path);
	dir->path = NULL;
	dir->lock_fd = -1;
	dir->dir_fd = -1;
}

enum ca_status
state_write_file(const struct state_dir *dir, const char *name,
		 const void *data, size_t len, struct ca_error *err)
{
	char tmp[256];
	const char *p = data;
	size_t done = 0;
	int fd = -1;
	enum ca_status r = CA_ERR_STATE;

	if ((size_t)snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >=
	    sizeof(tmp))
		return ca_error_set(err, CA_ERR_INTERNAL, "file name %s too "
		    "long", name);

	(void)unlinkat(dir->dir_fd, tmp, 0);
	fd = openat(dir->dir_fd, tmp,
	    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = ca_error_set(err, CA_ERR_STATE, "cannot create %s/%s: %s",
		    dir->path, tmp, strerror(errno));
		goto out;
	}
	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = ca_error_set(err, CA_ERR_STATE, "cannot write "
			    "%s/%s: %s", dir->path, tmp, strerror(errno));
			goto out;
		}
		done += (size_t)n;
	}
	crash_point_file("after-temp-write", name);
	if (fsync(fd) != 0) {
		r = ca_error_set(err, CA_ERR_STATE, "fsync of %s/%s failed: %s",
		    dir->path, tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		r = ca_error_set(err, CA_ERR_STATE, "cannot close %s/%s: %s",
		    dir->path, tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	crash_point_file("after-fsync", name);
	if (renameat(dir->dir_fd, tmp, dir->dir_fd, name) != 0) {
		r = ca_error_set(err, CA_ERR_STATE, "cannot rename %s/%s to "
		    "%s: %s", dir->path, tmp, name, strerror(errno));
		goto out;
	}
	crash_point_file("after-rename", name);
	if (fsync(dir->dir_fd) != 0) {
		r = ca_error_set(err, CA_ERR_STATE, "fsync of directory %s "
		    "failed: %s", dir->path, strerror(errno));
		goto out;
	}
	r = CA_OK;
out:
	if (fd >= 0)
		(void)close(fd);
	if (r != CA_OK)
		(void)unlinkat(dir->dir_fd, tmp, 0);
	return r;
}

enum ca_status
state_read_file(const struct state_dir *dir, const char *name, size_t max,
		char **data, size_t *len, bool *missing, struct ca_error *err)
{
	char *buf = NULL;
	size_t used = 0;
	int fd = -1;
	enum ca_status r = CA_ERR_STATE;

	*data = NULL;
	*len = 0;
	*missing = false;

	fd = openat(dir->dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		*missing = errno == ENOENT;
		r = ca_error_set(err, CA_ERR_STATE, "cannot open %s/%s: %s",
		    dir->path, name, strerror(errno));
		goto out;
	}
	buf = malloc(max + 1);
	if (buf == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + used, max + 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = ca_error_set(err, CA_ERR_STATE, "cannot read %s/%s: "
			    "%s", dir->path, name, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max) {
			r = ca_error_set(err, CA_ERR_STATE, "%s/%s is larger "
			    "than %zu bytes", dir->path, name, max);
			goto out;
		}
	}
	buf[used] = '\0';
	*data = buf;
	*len = used;
	buf = NULL;
	r = CA_OK;
out:
	if (fd >= 0)
		(void)close(fd);
	free(buf);
	return r;
}

enum ca_status
state_remove_file(const struct state_dir *dir, const char *name,
		  struct ca_error *err)
{
	if (unlinkat(dir->dir_fd, name, 0) != 0 && errno != ENOENT)
		return ca_error_set(err, CA_ERR_STATE, "cannot remove %s/%s: "
		    "%s", dir->path, name, strerror(errno));
	if (fsync(dir->dir_fd) != 0)
		return ca_error_set(err, CA_ERR_STATE, "fsync of directory %s "
		    "failed: %s", dir->path, strerror(errno));
	return CA_OK;
}

enum ca_status
state_install_file(const struct state_dir *dir, const char *from,
		   const char *to, bool *installed, struct ca_error *err)
{
	*installed = false;
	if (renameat(dir->dir_fd, from, dir->dir_fd, to) != 0) {
		if (errno == ENOENT)
			return CA_OK;
		return ca_error_set(err, CA_ERR_STATE, "cannot rename %s/%s to "
		    "%s: %s", dir->path, from, to, strerror(errno));
	}
	*installed = true;
	crash_point_file("after-install", to);
	if (fsync(dir->dir_fd) != 0)
		return ca_error_set(err, CA_ERR_STATE, "fsync of directory %s "
		    "failed: %s", dir->path, strerror(errno));
	return CA_OK;
}

enum ca_status
state_remove_temporary_files(const struct state_dir *dir, unsigned int *removed,
			     struct ca_error *err)
{
	struct dirent *entry;
	DIR *d = NULL;
	size_t len;
	int fd;
	enum ca_status r = CA_ERR_STATE;

	*removed = 0;
	fd = openat(dir->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		r = ca_error_set(err, CA_ERR_STATE, "cannot list state "
		    "directory %s: %s", dir->path, strerror(errno));
		if (fd >= 0)
			(void)close(fd);
		goto out;
	}
	while ((errno = 0, entry = readdir(d)) != NULL) {
		/* Only names that state_write_file() creates: ".NAME.tmp". */
		len = strlen(entry->d_name);
		if (entry->d_name[0] != '.' || len <= 5 ||
		    strcmp(entry->d_name + len - 4, ".tmp") != 0)
			continue;
		if (unlinkat(dir->dir_fd, entry->d_name, 0) != 0 &&
		    errno != ENOENT) {
			r = ca_error_set(err, CA_ERR_STATE, "cannot remove "
			    "%s/%s: %s", dir->path, entry->d_name,
			    strerror(errno));
			goto out;
		}
		(*removed)++;
	}
	if (errno != 0) {
		r = ca_error_set(err, CA_ERR_STATE, "cannot list state "
		    "directory %s: %s", dir->path, strerror(errno));
		goto out;
	}
	if (*removed > 0 && fsync(dir->dir_fd) != 0) {
		r = ca_error_set(err, CA_ERR_STATE, "fsync of directory %s "
		    "failed: %s", dir->path, strerror(errno));
		goto out;
	}
	r = CA_OK;
out:
	if (d != NULL)
		(void)closedir(d);
	return r;
}

enum ca_status
state_parse(const char *text, size_t len, struct agent_state *out,
	    struct ca_error *err)
{
	cJSON *root = NULL, *item;
	size_t i;
	enum ca_status r = CA_ERR_STATE;

	memset(out, 0, sizeof(*out));

	root = cJSON_ParseWithLength(text, len);
	if (root == NULL || !cJSON_IsObject(root)) {
		r = ca_error_set(err, CA_ERR_STATE, "state file is not a JSON "
		    "object");
		goto out;
	}
	item = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (!cJSON_IsNumber(item) || item->valuedouble != STATE_VERSION) {
		r = ca_error_set(err, CA_ERR_STATE, "state file has an "
		    "unsupported version; expected version %d", STATE_VERSION);
		goto out;
	}
	item = cJSON_GetObjectItemCaseSensitive(root, "connected");
	if (item != NULL && !cJSON_IsBool(item)) {
		r = ca_error_set(err, CA_ERR_STATE, "state file: \"connected\" "
		    "is not a boolean");
		goto out;
	}
	out->connected = cJSON_IsTrue(item);
	item = cJSON_GetObjectItemCaseSensitive(root, "revoked");
	if (item != NULL && !cJSON_IsBool(item)) {
		r = ca_error_set(err, CA_ERR_STATE, "state file: \"revoked\" "
		    "is not a boolean");
		goto out;
	}
	out->revoked = cJSON_IsTrue(item);

	for (i = 0; i < sizeof(string_fields) / sizeof(string_fields[0]); i++) {
		item = cJSON_GetObjectItemCaseSensitive(root,
		    string_fields[i].name);
		if (item == NULL || cJSON_IsNull(item))
			continue;
		if (!cJSON_IsString(item)) {
			r = ca_error_set(err, CA_ERR_STATE, "state file: \"%s\" "
			    "is not a string", string_fields[i].name);
			goto out;
		}
		if (!state_set(string_member(out, &string_fields[i]),
		    item->valuestring)) {
			r = ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
			goto out;
		}
	}
	for (i = 0; i < sizeof(time_fields) / sizeof(time_fields[0]); i++) {
		item = cJSON_GetObjectItemCaseSensitive(root,
		    time_fields[i].name);
		if (item == NULL || cJSON_IsNull(item))
			continue;
		if (!cJSON_IsString(item) ||
		    !time_from_rfc3339(item->valuestring,
		    time_member(out, &time_fields[i]))) {
			r = ca_error_set(err, CA_ERR_STATE, "state file: \"%s\" "
			    "is not an RFC 3339 UTC time", time_fields[i].name);
			goto out;
		}
	}
	r = CA_OK;
out:
	cJSON_Delete(root);
	if (r != CA_OK)
		state_free(out);
	return r;
}

char *
state_serialize(const struct agent_state *state)
{
	cJSON *root;
	char when[32];
	char *text = NULL;
	size_t i;

	root = cJSON_CreateObject();
	if (root == NULL)
		return NULL;
	if (cJSON_AddNumberToObject(root, "version", STATE_VERSION) == NULL ||
	    cJSON_AddBoolToObject(root, "connected", state->connected) == NULL ||
	    cJSON_AddBoolToObject(root, "revoked", state->revoked) == NULL)
		goto out;
	for (i = 0; i < sizeof(string_fields) / sizeof(string_fields[0]); i++) {
		const char *value = string_value(state, &string_fields[i]);

		if (value != NULL && cJSON_AddStringToObject(root,
		    string_fields[i].name, value) == NULL)
			goto out;
	}
	for (i = 0; i < sizeof(time_fields) / sizeof(time_fields[0]); i++) {
		time_t t = time_value(state, &time_fields[i]);

		if (t == 0)
			continue;
		time_to_rfc3339(t, when);
		if (cJSON_AddStringToObject(root, time_fields[i].name,
		    when) == NULL)
			goto out;
	}
	text = cJSON_Print(root);
out:
	cJSON_Delete(root);
	return text;
}

enum ca_status
state_load(const struct state_dir *dir, struct agent_state *out,
	   struct ca_error *err)
{
	char *text = NULL;
	size_t len = 0;
	bool missing = false;
	enum ca_status r;

	memset(out, 0, sizeof(*out));
	r = state_read_file(dir, STATE_FILE, STATE_FILE_MAX, &text, &len,
	    &missing, err);
	if (r != CA_OK && missing) {
		ca_error_clear(err);
		return CA_OK;
	}
	if (r != CA_OK)
		return r;
	r = state_parse(text, len, out, err);
	if (r != CA_OK)
		ca_error_prefix(err, "%s/%s", dir->path, STATE_FILE);
	free(text);
	return r;
}

enum ca_status
state_save(const struct state_dir *dir, const struct agent_state *state,
	   struct ca_error *err)
{
	char *text;
	enum ca_status r;

	text = state_serialize(state);
	if (text == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL, "cannot serialize "
		    "the state: out of memory");
	r = state_write_file(dir, STATE_FILE, text, strlen(text), err);
	free(text);
	return r;
}

void
state_free(struct agent_state *state)
{
	size_t i;

	for (i = 0; i < sizeof(string_fields) / sizeof(string_fields[0]); i++) {
		char **field = string_member(state, &string_fields[i]);

		free(*field);
		*field = NULL;
	}
	memset(state, 0, sizeof(*state));
}
