/*
 * Where a PKCS#11 module may be loaded from. Internal to pkcs11/.
 *
 * A module is loaded only from an allow-list of directories, and the check
 * runs before the dynamic loader opens the file. The resolved path (all
 * symbolic links followed) must lie inside an allowed directory. The file
 * must be a regular file, owned by root or this user and not writable by
 * others. No directory on the way from / may be writable by others, unless
 * it is a root-owned sticky directory such as /tmp.
 */
#ifndef COMPASS_AGENT_MODULE_PATH_H
#define COMPASS_AGENT_MODULE_PATH_H

#include "../common/error.h"

/* The system library directories, used when no allow-list is given. */
#define MODULE_DEFAULT_DIRS "/usr/lib:/usr/lib64:/lib:/lib64:/usr/local/lib"

/*
 * Find the file of a module registered with p11-kit by name: the "module:"
 * line of NAME.module in the system's p11-kit module configuration, with
 * a relative file taken from p11-kit's module directory. *path is malloc'd.
 * No module is loaded. An unknown name is CA_ERR_TOKEN listing the names.
 */
enum ca_status module_resolve_name(const char *name, char **path,
				   struct ca_error *err) CA_WARN_UNUSED;

/*
 * Check path against dirs (colon-separated absolute directories; NULL for
 * MODULE_DEFAULT_DIRS). On success *resolved is the canonical path to load
 * (malloc'd). Failures are CA_ERR_USAGE naming the path and the rule.
 */
enum ca_status module_check_path(const char *path, const char *dirs,
				 char **resolved,
				 struct ca_error *err) CA_WARN_UNUSED;

#endif
