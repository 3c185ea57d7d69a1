/*
 * pier-attach: bridges one conmon attach socket (AF_UNIX SOCK_SEQPACKET, which
 * Node's net module cannot open) to this process's stdin/stdout, so pierd can
 * treat an attach as an ordinary child process with stream pipes.
 *
 *   pier-attach [--tty] [--stdout] [--stderr] [--stdin] [--wait-ms N] <socket path>
 *
 * --wait-ms: the socket may not exist yet (conmon creates it while the runtime
 * is still creating the container): retry the connect every millisecond for up
 * to N ms, so pierd can attach in parallel with create instead of after it.
 *
 * conmon packets are 1 byte of stream id (2 stdout, 3 stderr) + payload. Without
 * --tty every payload is written to stdout inside Docker's 8-byte multiplexed
 * frame header (stream 1 stdout, 2 stderr); with --tty it is written raw.
 * Streams not asked for are dropped. stdin bytes are sent to conmon as packets;
 * stdin EOF half-closes the socket, which makes conmon close the container's
 * stdin. Exits 0 when conmon closes the socket (the container exited), 1 on errors.
 * The socket path may exceed sun_path's 108 bytes: we chdir to its directory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "write-all.h"

int main(int argc, char **argv) {
	int tty = 0, want_out = 0, want_err = 0, want_in = 0;
	long wait_ms = 0;
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--tty")) tty = 1;
		else if (!strcmp(argv[i], "--stdout")) want_out = 1;
		else if (!strcmp(argv[i], "--stderr")) want_err = 1;
		else if (!strcmp(argv[i], "--stdin")) want_in = 1;
		else if (!strcmp(argv[i], "--wait-ms") && i + 1 < argc) wait_ms = atol(argv[++i]);
		else path = argv[i];
	}
	if (!path) {
		fprintf(stderr, "usage: pier-attach [--tty] [--stdout] [--stderr] [--stdin] <socket>\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);

	char *dir = strdup(path);
	char *slash = strrchr(dir, '/');
	const char *base = path;
	if (slash) {
		*slash = '\0';
		base = slash + 1;
		if (chdir(*dir ? dir : "/") < 0) {
			fprintf(stderr, "pier-attach: chdir %s: %s\n", dir, strerror(errno));
			return 1;
		}
	}
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("pier-attach: socket");
		return 1;
	}
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(base) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "pier-attach: socket name too long\n");
		return 1;
	}
	strcpy(addr.sun_path, base);
	for (long waited = 0;; waited++) {
		if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) break;
		if (waited < wait_ms && (errno == ENOENT || errno == ECONNREFUSED)) {
			usleep(1000);
			continue;
		}
		fprintf(stderr, "pier-attach: connect %s: %s\n", path, strerror(errno));
		return 1;
	}
	/* Tell the parent the attach is live: one byte on fd 3 if it is open. */
	if (write(3, "R", 1) < 0) { /* fd 3 absent: nobody waits for the signal */ }
	close(3);

	char buf[8192 + 1 + 8];
	struct pollfd fds[2] = {{.fd = fd, .events = POLLIN}, {.fd = want_in ? 0 : -1, .events = POLLIN}};
	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR) continue;
			return 1;
		}
		if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = recv(fd, buf + 7, 8192 + 1, 0);
			if (n < 0) {
				if (errno == EINTR || errno == EAGAIN) continue;
				return 1;
			}
			if (n == 0) return 0;
			unsigned char id = (unsigned char)buf[7];
			size_t len = (size_t)(n - 1);
			int stream = id == 3 ? 2 : 1;
			if (len == 0 || (stream == 1 && !want_out) || (stream == 2 && !want_err)) continue;
			if (tty) {
				if (write_all(1, buf + 8, len) < 0) return 1;
			} else {
				unsigned char *h = (unsigned char *)buf;
				h[0] = (unsigned char)stream;
				h[1] = h[2] = h[3] = 0;
				h[4] = (unsigned char)(len >> 24);
				h[5] = (unsigned char)(len >> 16);
				h[6] = (unsigned char)(len >> 8);
				h[7] = (unsigned char)len;
				if (write_all(1, buf, len + 8) < 0) return 1;
			}
		}
		if (fds[1].fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			char in[8192];
			ssize_t n = read(0, in, sizeof(in));
			if (n < 0 && errno == EINTR) continue;
			if (n <= 0) {
				shutdown(fd, SHUT_WR);
				fds[1].fd = -1;
				continue;
			}
			if (send(fd, in, (size_t)n, 0) < 0 && errno != EINTR) return 1;
		}
	}
}
