/* Loading a PKCS#11 module through p11-kit, by file name or module name. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/p11-kit.h>

#include "module.h"
#include "module_path.h"

/* The message p11-kit left for the last failed call, never NULL. */
static const char *
module_p11_kit_message(void)
{
	const char *message = p11_kit_message();

	return message != NULL ? message : "no details from p11-kit";
}

static enum ca_status
module_load_by_path(const char *path, CK_FUNCTION_LIST **out,
		    struct ca_error *err)
{
	char escaped[256];

	*out = p11_kit_module_load(path, P11_KIT_MODULE_CRITICAL);
	if (*out == NULL) {
		ca_escape_untrusted(escaped, sizeof(escaped), path, 200);
		return ca_error_set(err, CA_ERR_TOKEN,
		    "loading PKCS#11 module %s failed: %s; check --module",
		    escaped, module_p11_kit_message());
	}
	return CA_OK;
}

enum ca_status
module_load(const char *module, const char *allowed_dirs,
	    CK_FUNCTION_LIST **out, char **path, struct ca_error *err)
{
	CK_FUNCTION_LIST *loaded = NULL;
	char *file = NULL, *checked = NULL;
	enum ca_status r = CA_ERR_INTERNAL;
	char escaped[256];

	*out = NULL;
	*path = NULL;

	if (module[0] == '\0')
		return ca_error_set(err, CA_ERR_USAGE,
		    "--module is empty; give the absolute path of a PKCS#11 "
		    "module or a p11-kit module name");
	/* p11-kit would resolve a relative path against its own directory. */
	if (module[0] != '/' && strchr(module, '/') != NULL) {
		ca_escape_untrusted(escaped, sizeof(escaped), module, 200);
		return ca_error_set(err, CA_ERR_USAGE,
		    "--module %s is a relative path; give an absolute path or "
		    "a p11-kit module name", escaped);
	}

	/*
	 * A module name is resolved to its file without loading anything,
	 * so that the file is checked before any code of it runs.
	 */
	if (module[0] == '/') {
		file = strdup(module);
		r = file != NULL ? CA_OK : ca_error_set(err, CA_ERR_INTERNAL,
		    "out of memory");
	} else {
		r = module_resolve_name(module, &file, err);
	}
	if (r != CA_OK)
		goto out;
	r = module_check_path(file, allowed_dirs, &checked, err);
	if (r != CA_OK)
		goto out;
	r = module_load_by_path(checked, &loaded, err);
	if (r != CA_OK)
		goto out;

	/* pkcs11-provider loads the same file, so it needs the full path. */
	*path = p11_kit_module_get_filename(loaded);
	if (*path == NULL || (*path)[0] != '/') {
		ca_escape_untrusted(escaped, sizeof(escaped), module, 200);
		r = ca_error_set(err, CA_ERR_TOKEN,
		    "PKCS#11 module %s has no local file name; give --module "
		    "as an absolute .so path", escaped);
		free(*path);
		*path = NULL;
		goto out;
	}

	*out = loaded;
	loaded = NULL;
	r = CA_OK;
out:
	if (loaded != NULL)
		p11_kit_module_release(loaded);
	free(file);
	free(checked);
	return r;
}
