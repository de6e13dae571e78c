/*
 * Memory for secrets: the PIN and one-time tokens.
 *
 * A struct secret owns a buffer that is locked in memory where the system
 * allows it (mlock), excluded from core dumps (MADV_DONTDUMP), and wiped with
 * explicit_bzero before it is released. The buffer always ends with a NUL
 * byte after len bytes, so that it can be passed where C strings are needed.
 */
#ifndef COMPASS_AGENT_SECRET_H
#define COMPASS_AGENT_SECRET_H

#include <stddef.h>

#include "error.h"

/* Maximum secret length: PINs and one-time tokens are far shorter. */
#define SECRET_MAX 4096

struct secret {
	char *data;	/* len bytes, then a NUL byte */
	size_t len;
	size_t capacity;	/* bytes allocated, page-aligned */
};

/* Allocate an empty secret with room for capacity bytes (at most SECRET_MAX). */
struct secret *secret_new(size_t capacity) CA_WARN_UNUSED;

/* Allocate a secret holding a copy of len bytes from data. */
struct secret *secret_from_bytes(const void *data, size_t len) CA_WARN_UNUSED;

/* Wipe and free a secret. NULL is accepted. */
void secret_free(struct secret *secret);

/* Remove trailing CR and LF bytes, wiping them. */
void secret_trim_newline(struct secret *secret);

/*
 * Read a whole secret from fd, at most SECRET_MAX bytes. Returns NULL and
 * sets err when the read fails or the input is longer than the limit. what
 * names the source in messages ("PIN file /etc/x").
 */
struct secret *secret_read_fd(int fd, const char *what, struct ca_error *err)
	CA_WARN_UNUSED;

#endif
