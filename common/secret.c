/* Locked, dump-excluded, wiped-on-free memory for the PIN and tokens. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "secret.h"

static size_t
page_round(size_t n)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t p = page > 0 ? (size_t)page : 4096;

	return (n + p - 1) / p * p;
}

struct secret *
secret_new(size_t capacity)
{
	struct secret *secret;
	void *mem;
	size_t size;

	if (capacity > SECRET_MAX)
		return NULL;
	/* Room for the terminating NUL. */
	size = page_round(capacity + 1);

	secret = calloc(1, sizeof(*secret));
	if (secret == NULL)
		return NULL;
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		free(secret);
		return NULL;
	}
	/*
	 * Locking can fail under a small RLIMIT_MEMLOCK; the secret is still
	 * wiped and kept out of core dumps, so carry on.
	 */
	(void)mlock(mem, size);
	(void)madvise(mem, size, MADV_DONTDUMP);

	secret->data = mem;
	secret->len = 0;
	secret->capacity = size;
	return secret;
}

struct secret *
secret_from_bytes(const void *data, size_t len)
{
	struct secret *secret;

	secret = secret_new(len);
	if (secret == NULL)
		return NULL;
	memcpy(secret->data, data, len);
	secret->len = len;
	secret->data[len] = '\0';
	return secret;
}

void
secret_free(struct secret *secret)
{
	if (secret == NULL)
		return;
	if (secret->data != NULL) {
		explicit_bzero(secret->data, secret->capacity);
		(void)munlock(secret->data, secret->capacity);
		(void)munmap(secret->data, secret->capacity);
	}
	explicit_bzero(secret, sizeof(*secret));
	free(secret);
}

void
secret_trim_newline(struct secret *secret)
{
	if (secret == NULL)
		return;
	while (secret->len > 0 && (secret->data[secret->len - 1] == '\n' ||
	    secret->data[secret->len - 1] == '\r')) {
		secret->len--;
		secret->data[secret->len] = '\0';
	}
}

struct secret *
secret_read_fd(int fd, const char *what, struct ca_error *err)
{
	struct secret *secret;
	ssize_t n;

	secret = secret_new(SECRET_MAX);
	if (secret == NULL) {
		ca_error_set(err, CA_ERR_INTERNAL,
		    "cannot allocate memory for %s", what);
		return NULL;
	}
	for (;;) {
		/* Read one byte past the limit to tell "full" from "too long". */
		size_t room = SECRET_MAX + 1 - secret->len;

		if (room > secret->capacity - 1 - secret->len)
			room = secret->capacity - 1 - secret->len;
		if (room == 0 || secret->len > SECRET_MAX) {
			ca_error_set(err, CA_ERR_USAGE,
			    "%s is longer than %d bytes", what, SECRET_MAX);
			secret_free(secret);
			return NULL;
		}
		n = read(fd, secret->data + secret->len, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ca_error_set(err, CA_ERR_USAGE, "cannot read %s: %s",
			    what, strerror(errno));
			secret_free(secret);
			return NULL;
		}
		if (n == 0)
			break;
		secret->len += (size_t)n;
	}
	if (secret->len > SECRET_MAX) {
		ca_error_set(err, CA_ERR_USAGE, "%s is longer than %d bytes",
		    what, SECRET_MAX);
		secret_free(secret);
		return NULL;
	}
	secret->data[secret->len] = '\0';
	return secret;
}
