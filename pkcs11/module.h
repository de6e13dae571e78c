/* Loading a PKCS#11 module through p11-kit. Internal to pkcs11/. */
#ifndef COMPASS_AGENT_MODULE_H
#define COMPASS_AGENT_MODULE_H

#include <p11-kit/pkcs11.h>

#include "../common/error.h"

/*
 * Load module, an absolute path of a .so or the name of a module registered
 * with p11-kit, after module_check_path() accepted its file for
 * allowed_dirs (NULL: the system library directories). On success *out is
 * loaded but not initialized, and *path is its canonical file name
 * (malloc'd). The caller releases *out with p11_kit_module_release() and
 * frees *path.
 */
enum ca_status module_load(const char *module, const char *allowed_dirs,
			   CK_FUNCTION_LIST **out, char **path,
			   struct ca_error *err) CA_WARN_UNUSED;

#endif
