/* Checks of files that hold a secret, made on the open descriptor. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "private_file.h"

enum ca_status
private_file_open(const char *path, const char *what, bool follow_links,
		  enum ca_status open_status, int *fd_out,
		  struct ca_error *err)
{
	struct stat st;
	int fd, flags;
	enum ca_status r = CA_ERR_USAGE;

	*fd_out = -1;

	flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	if (!follow_links)
		flags |= O_NOFOLLOW;
	fd = open(path, flags);
	if (fd < 0 && errno == ELOOP && !follow_links)
		return ca_error_set(err, CA_ERR_USAGE, "%s is a symbolic link; "
		    "give the file itself", what);
	if (fd < 0)
		return ca_error_set(err, open_status, "cannot open %s: %s",
		    what, strerror(errno));

	if (fstat(fd, &st) != 0) {
		r = ca_error_set(err, open_status, "cannot stat %s: %s", what,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = ca_error_set(err, CA_ERR_USAGE, "%s is not a regular file",
		    what);
		goto out;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		r = ca_error_set(err, CA_ERR_USAGE, "%s is owned by uid %u; it "
		    "must belong to root or to uid %u that runs the agent",
		    what, (unsigned int)st.st_uid, (unsigned int)geteuid());
		goto out;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		r = ca_error_set(err, CA_ERR_USAGE, "%s is accessible by group "
		    "or others (mode %04o); run 'chmod 600 %s'", what,
		    (unsigned int)(st.st_mode & 07777), path);
		goto out;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "cannot clear O_NONBLOCK "
		    "on %s: %s", what, strerror(errno));
		goto out;
	}

	*fd_out = fd;
	fd = -1;
	r = CA_OK;
out:
	if (fd >= 0)
		(void)close(fd);
	return r;
}
