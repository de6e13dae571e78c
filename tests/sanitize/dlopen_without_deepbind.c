/*
 * Linked only into the sanitizer build. pkcs11-provider 1.0 opens the
 * PKCS#11 module with RTLD_DEEPBIND, which the AddressSanitizer runtime
 * refuses (it aborts the process). The executable's own dlopen comes first
 * in the global symbol lookup, so this one drops the flag and passes the
 * call on to the next definition, the sanitizer's.
 *
 * It also adds RTLD_NODELETE: OpenSSL unloads the provider when its library
 * context is freed, and LeakSanitizer can then neither name nor suppress
 * allocations made by the unloaded code.
 */
#include <dlfcn.h>
#include <stddef.h>

void *dlopen(const char *file, int mode);

void *
dlopen(const char *file, int mode)
{
	void *(*next)(const char *, int);

	*(void **)(&next) = dlsym(RTLD_NEXT, "dlopen");
	if (next == NULL)
		return NULL;
	return next(file, (mode & ~RTLD_DEEPBIND) | RTLD_NODELETE);
}
