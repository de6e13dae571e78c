/* The module allow-list and the lookup of p11-kit module names. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "module_path.h"

#ifndef P11_MODULE_PATH
#define P11_MODULE_PATH "/usr/lib/x86_64-linux-gnu/pkcs11"
#endif
#ifndef P11_MODULE_CONFIGS
#define P11_MODULE_CONFIGS "/usr/share/p11-kit/modules"
#endif
/* p11-kit reads the system configuration before the packaged one. */
static const char *const module_config_dirs[] = {
	"/etc/pkcs11/modules",
	P11_MODULE_CONFIGS,
};

/* A module name is a file name without a path: letters, digits, . _ - */
static bool
is_module_name(const char *name)
{
	size_t i;

	if (name[0] == '\0' || name[0] == '.')
		return false;
	for (i = 0; name[i] != '\0'; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return i < 128;
}

/* Read the value of the "module:" line of a p11-kit module config file. */
static bool
read_module_line(const char *config, char *value, size_t value_size)
{
	char line[PATH_MAX + 32];
	bool found = false;
	FILE *f;

	f = fopen(config, "re");
	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *end;

		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "module:", 7) != 0)
			continue;
		p += 7;
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strlen(p);
		while (end > p && (end[-1] == '\n' || end[-1] == '\r' ||
		    end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*p != '\0' && (size_t)snprintf(value, value_size, "%s",
		    p) < value_size)
			found = true;
	}
	(void)fclose(f);
	return found;
}

/* Append the names of the registered modules to out, for messages. */
static void
list_module_names(char *out, size_t out_size)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < sizeof(module_config_dirs) /
	    sizeof(module_config_dirs[0]); i++) {
		DIR *dir = opendir(module_config_dirs[i]);
		struct dirent *entry;

		if (dir == NULL)
			continue;
		while ((entry = readdir(dir)) != NULL) {
			size_t len = strlen(entry->d_name), used = strlen(out);

			if (len <= 7 || strcmp(entry->d_name + len - 7,
			    ".module") != 0)
				continue;
			(void)snprintf(out + used, out_size - used, "%s'%.*s'",
			    used > 0 ? ", " : "", (int)(len - 7),
			    entry->d_name);
		}
		(void)closedir(dir);
	}
	if (out[0] == '\0')
		(void)snprintf(out, out_size, "none");
}

enum ca_status
module_resolve_name(const char *name, char **path, struct ca_error *err)
{
	char config[PATH_MAX], value[PATH_MAX], full[PATH_MAX];
	char names[512];
	size_t i;

	*path = NULL;

	if (!is_module_name(name))
		return ca_error_set(err, CA_ERR_USAGE, "invalid p11-kit module "
		    "name; give --module as an absolute .so path or a "
		    "registered module name");
	for (i = 0; i < sizeof(module_config_dirs) /
	    sizeof(module_config_dirs[0]); i++) {
		if ((size_t)snprintf(config, sizeof(config), "%s/%s.module",
		    module_config_dirs[i], name) >= sizeof(config))
			continue;
		if (!read_module_line(config, value, sizeof(value)))
			continue;
		if (value[0] != '/') {
			if ((size_t)snprintf(full, sizeof(full), "%s/%s",
			    P11_MODULE_PATH, value) >= sizeof(full))
				continue;
		} else {
			(void)snprintf(full, sizeof(full), "%s", value);
		}
		*path = strdup(full);
		if (*path == NULL)
			return ca_error_set(err, CA_ERR_INTERNAL,
			    "out of memory");
		return CA_OK;
	}

	list_module_names(names, sizeof(names));
	return ca_error_set(err, CA_ERR_TOKEN, "no p11-kit module is called "
	    "'%s' (registered: %s); give --module as an absolute .so path or "
	    "one of these names", name, names);
}

/* Writable by group or others, and not a root-owned sticky directory. */
static bool
writable_by_others(const struct stat *st)
{
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return false;
	return !(S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX) &&
	    st->st_uid == 0);
}

static bool
owned_by_root_or_me(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

/* Check every directory from / down to the parent of resolved. */
static enum ca_status
check_parents(const char *resolved, struct ca_error *err)
{
	char prefix[PATH_MAX];
	struct stat st;
	size_t k, len;

	for (k = 0; resolved[k] != '\0'; k++) {
		if (resolved[k] != '/')
			continue;
		/* The slash at k ends the directory resolved[0..k). */
		len = k == 0 ? 1 : k;
		if (len >= sizeof(prefix))
			break;
		memcpy(prefix, resolved, len);
		prefix[len] = '\0';
		if (stat(prefix, &st) != 0)
			return ca_error_set(err, CA_ERR_USAGE, "cannot check "
			    "directory %s of PKCS#11 module %s: %s", prefix,
			    resolved, strerror(errno));
		if (!owned_by_root_or_me(&st) || writable_by_others(&st))
			return ca_error_set(err, CA_ERR_USAGE, "PKCS#11 module "
			    "%s rejected: directory %s can be changed by other "
			    "users (mode %04o, owner uid %u)", resolved, prefix,
			    (unsigned int)(st.st_mode & 07777),
			    (unsigned int)st.st_uid);
	}
	return CA_OK;
}

/* Is resolved inside one of the colon-separated directories in dirs? */
static bool
inside_allowed_dirs(const char *resolved, const char *dirs)
{
	char *copy, *cursor, *dir;
	char real[PATH_MAX];
	bool inside = false;

	copy = strdup(dirs);
	if (copy == NULL)
		return false;
	cursor = copy;
	while (!inside && (dir = strsep(&cursor, ":")) != NULL) {
		size_t len;

		if (dir[0] != '/' || realpath(dir, real) == NULL)
			continue;
		len = strlen(real);
		if (len == 1)
			inside = true;	/* "/" allows everything */
		else
			inside = strncmp(resolved, real, len) == 0 &&
			    resolved[len] == '/';
	}
	free(copy);
	return inside;
}

enum ca_status
module_check_path(const char *path, const char *dirs, char **resolved,
		  struct ca_error *err)
{
	char real[PATH_MAX];
	struct stat st;
	enum ca_status r;

	*resolved = NULL;
	if (dirs == NULL)
		dirs = MODULE_DEFAULT_DIRS;

	if (realpath(path, real) == NULL)
		return ca_error_set(err, CA_ERR_TOKEN, "PKCS#11 module %s not "
		    "found: %s; check --module", path, strerror(errno));
	if (!inside_allowed_dirs(real, dirs)) {
		if (strcmp(real, path) != 0)
			return ca_error_set(err, CA_ERR_USAGE, "PKCS#11 module "
			    "%s rejected: it resolves to %s, outside the allowed "
			    "directories %s; install the module there or add "
			    "its directory to --module-dirs", path, real, dirs);
		return ca_error_set(err, CA_ERR_USAGE, "PKCS#11 module %s "
		    "rejected: it is outside the allowed directories %s; "
		    "install it there or add its directory to --module-dirs",
		    path, dirs);
	}
	if (stat(real, &st) != 0)
		return ca_error_set(err, CA_ERR_TOKEN, "cannot check PKCS#11 "
		    "module %s: %s", real, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return ca_error_set(err, CA_ERR_USAGE, "PKCS#11 module %s "
		    "rejected: not a regular file", real);
	if (!owned_by_root_or_me(&st) || writable_by_others(&st))
		return ca_error_set(err, CA_ERR_USAGE, "PKCS#11 module %s "
		    "rejected: other users can change it (mode %04o, owner uid "
		    "%u); run 'chmod go-w %s'", real,
		    (unsigned int)(st.st_mode & 07777),
		    (unsigned int)st.st_uid, real);
	r = check_parents(real, err);
	if (r != CA_OK)
		return r;

	*resolved = strdup(real);
	if (*resolved == NULL)
		return ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
	return CA_OK;
}
