/* write_all: writes the whole buffer, retrying on EINTR and, for a non-blocking
 * fd, waiting (poll, 1 s at a time) on EAGAIN. 0 on success, -1 on error.
 * Shared by pier's small C helpers (pier-attach, pier-spawn). */
#ifndef PIER_WRITE_ALL_H
#define PIER_WRITE_ALL_H
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <unistd.h>

static int write_all(int fd, const void *buf, size_t len) {
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR) continue;
			if (errno == EAGAIN) {
				struct pollfd w = { .fd = fd, .events = POLLOUT };
				poll(&w, 1, 1000);
				continue;
			}
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
#endif
