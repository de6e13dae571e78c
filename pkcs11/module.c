/* Loading a PKCS#11 module through p11-kit, by file name or module name. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/p11-kit.h>

#include "module.h"

/* The message p11-kit left for the last failed call, never NULL. */
static const char *
module_p11_kit_message(void)
{
	const char *message = p11_kit_message();

	return message != NULL ? message : "no details from p11-kit";
}

/* Append "'name'" to a comma-separated list in out, escaped. */
static void
module_append_name(char *out, size_t out_size, const char *name)
{
	char escaped[128];
	size_t used = strlen(out);

	ca_escape_untrusted(escaped, sizeof(escaped), name, 64);
	(void)snprintf(out + used, out_size - used, "%s'%s'",
	    used > 0 ? ", " : "", escaped);
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

/*
 * Load every module registered with p11-kit, keep the one called name and
 * release the others.
 */
static enum ca_status
module_load_by_name(const char *name, CK_FUNCTION_LIST **out,
		    struct ca_error *err)
{
	CK_FUNCTION_LIST **modules = NULL;
	CK_FUNCTION_LIST *found = NULL;
	char candidates[512] = "";
	char escaped[128];
	char *module_name;
	size_t i;

	modules = p11_kit_modules_load(NULL, 0);
	if (modules == NULL)
		return ca_error_set(err, CA_ERR_TOKEN,
		    "loading the p11-kit modules failed: %s",
		    module_p11_kit_message());

	found = p11_kit_module_for_name(modules, name);
	for (i = 0; modules[i] != NULL; i++) {
		if (modules[i] == found)
			continue;
		module_name = p11_kit_module_get_name(modules[i]);
		if (module_name != NULL)
			module_append_name(candidates, sizeof(candidates),
			    module_name);
		free(module_name);
		p11_kit_module_release(modules[i]);
	}
	free(modules);

	if (found == NULL) {
		ca_escape_untrusted(escaped, sizeof(escaped), name, 64);
		return ca_error_set(err, CA_ERR_TOKEN,
		    "no p11-kit module is called '%s' (registered: %s); give "
		    "--module as an absolute .so path or one of these names",
		    escaped, candidates[0] != '\0' ? candidates : "none");
	}
	*out = found;
	return CA_OK;
}

enum ca_status
module_load(const char *module, CK_FUNCTION_LIST **out, char **path,
	    struct ca_error *err)
{
	CK_FUNCTION_LIST *loaded = NULL;
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

	if (module[0] == '/')
		r = module_load_by_path(module, &loaded, err);
	else
		r = module_load_by_name(module, &loaded, err);
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
	return r;
}
