/* Opening files that hold a secret: the PIN file and one-time token files. */
#ifndef COMPASS_AGENT_PRIVATE_FILE_H
#define COMPASS_AGENT_PRIVATE_FILE_H

#include <stdbool.h>

#include "error.h"

/*
 * Open path for reading and return the descriptor in *fd. The file must be
 * a regular file owned by root or by this user that group and others cannot
 * access. With follow_links false, a symbolic link is rejected too.
 * O_NONBLOCK keeps open(2) of a FIFO from waiting for a writer; it is
 * cleared again before the descriptor is returned. what names the file in
 * messages. Failing to open the file is open_status; a file that breaks a
 * rule is CA_ERR_USAGE.
 */
enum ca_status private_file_open(const char *path, const char *what,
				 bool follow_links, enum ca_status open_status,
				 int *fd, struct ca_error *err) CA_WARN_UNUSED;

#endif
