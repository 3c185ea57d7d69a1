/*
 * pier-spawn: pierd's fork server. Node's child_process.spawn forks the whole
 * daemon on its main thread (4-8 ms per spawn on a 2-vCPU VM, measured, and the
 * event loop is blocked meanwhile); this tiny process forks in well under a
 * millisecond and lets pierd run its short helpers (mount, umount, crun start,
 * crun delete ...) and its long-lived ones (conmon, pier-attach) without that.
 *
 *   PIER_SPAWN_SOCKET=<socket path> pier-spawn
 *
 * (The path comes from the environment, not argv, so the command line names no
 * daemon root: tools that look for processes left behind under a root see pierd,
 * whose child this is, and not a stray helper.)
 *
 * It listens on an AF_UNIX stream socket (mode 0600), prints "ready\n" on
 * stdout, and exits when its stdin (a pipe from pierd) reaches EOF, so it never
 * outlives the daemon. Children it started are not killed then: conmon must
 * outlive pierd.
 *
 * One request per connection: a 4-byte little-endian length, then that many
 * bytes of NUL-terminated tokens.
 *
 *   run  <flags> <cwd> <nfds> <fdspec>... <nenv> <env>... <nargs> <file> <args>... [stdin bytes]
 *     flags: 'd' new session (setsid), 'w' keep the exit status for a later
 *     "wait", 'E' start from an empty environment (else pier-spawn's own, with
 *     <env> entries added or replaced). fdspec for child fd i (0..nfds-1):
 *       n       /dev/null
 *       -       closed
 *       s       this connection (stream mode)
 *       h<tok>  a connection set aside earlier with "hold"
 *       c       captured (fd 1 or 2): returned in the reply
 *       i       a pipe fed with the trailing stdin bytes (fd 0, capture mode)
 *       a<path> the file opened for appending (created 0640)
 *       r       a pipe relayed to/from this connection by pier-spawn (relay
 *               mode): fd 0 reads what pierd writes, other fds' output is
 *               written to the connection; the child sees a real pipe
 *               (/dev/stdout can be opened), as docker's exec gives it
 *       rh<tok> the same, relayed through a held connection
 *     fds from nfds up are closed. <file> must be an absolute path.
 *     Capture mode (no 's'): the reply, after the child exits and its output
 *       ends, is "x <status> <outlen> <errlen>\n" + stdout + stderr, where
 *       status is the exit code, 128+signal, or -errno when exec failed.
 *     Stream mode: the child writes "p <pid>\n" on the connection before it
 *       execs; after that the connection is the child's. "e <errno>\n" instead
 *       when the file cannot be executed.
 *     Relay mode (an 'r' spec, no 's'): pier-spawn writes "p <pid>\n" and
 *       then relays; each connection is shut down for writing when the
 *       output relayed into it ends, and closed when no relay uses it.
 *   hold
 *     Sets this connection aside for a later run's h<tok> spec; reply "h <tok>\n".
 *   wait <pid>
 *     Reply "x <status>\n" once a child run with 'w' has exited.
 *   mount <source> <target> <fstype> <flags> <data>
 *     mount(2) itself, no mount(8) process: reply "x 0\n" or "x -<errno>\n".
 *     Empty fstype/data mean NULL; flags is the decimal MS_* mask.
 *   umount <target> <flags>
 *     umount2(2); the same reply.
 *   seal <path>
 *     A sealed in-memory copy of the executable at <path> (memfd, sealed against
 *     writes, growth, shrinking and further seals), kept open for pier-spawn's
 *     lifetime and run as /proc/<pier-spawn pid>/fd/<fd>. crun, run from it,
 *     sees /proc/self/exe already sealed and skips copying itself (the
 *     CVE-2019-5736 defence, kept: the container cannot write the copy) on every
 *     create and exec: ~6 ms each here. Reply "x <fd>\n" (the same fd for the
 *     same path) or "x -<errno>\n".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "write-all.h"

#define MAX_REQ (1u << 20)
#define MAX_CLIENTS 1024
#define MAX_HELD 256
#define MAX_EXITS 4096

extern char **environ;

enum kind { K_FREE, K_READING, K_CAPTURE, K_WAIT };

struct client {
	enum kind kind;
	int fd;
	/* K_READING */
	uint8_t *buf;
	size_t len, cap;
	/* K_CAPTURE */
	pid_t pid;
	int out, err;           /* pipe read ends, -1 when done */
	char *obuf, *ebuf;
	size_t olen, ocap, elen, ecap;
	int exited, status;
	/* K_WAIT */
	pid_t wait_pid;
};

static struct client clients[MAX_CLIENTS];
static struct { int tok, fd; } held[MAX_HELD];
static int next_tok = 1;
static struct { pid_t pid; int status; int done; } exits[MAX_EXITS];
static int orig_cwd = -1;

/* Relays between a child's pipes and pierd's connections. */
#define MAX_RELAYS 512
#define RELAY_BUF 65536
struct relay { int active, from, to, from_sock, to_sock; char *buf; size_t len, off; };
static struct relay relays[MAX_RELAYS];
#define MAX_FD 65536
static unsigned short sockrefs[MAX_FD];

static void sock_unref(int fd) {
	if (fd < 0 || fd >= MAX_FD) return;
	if (sockrefs[fd] > 0 && --sockrefs[fd] == 0) close(fd);
}

static struct relay *new_relay(int from, int to, int from_sock, int to_sock) {
	for (int i = 0; i < MAX_RELAYS; i++) {
		struct relay *r = &relays[i];
		if (r->active) continue;
		char *b = malloc(RELAY_BUF);
		if (!b) return NULL;
		*r = (struct relay){ .active = 1, .from = from, .to = to, .from_sock = from_sock, .to_sock = to_sock, .buf = b };
		fcntl(from, F_SETFL, fcntl(from, F_GETFL) | O_NONBLOCK);
		if (!to_sock) fcntl(to, F_SETFL, fcntl(to, F_GETFL) | O_NONBLOCK);
		if (from_sock) sockrefs[from]++;
		if (to_sock) sockrefs[to]++;
		return r;
	}
	return NULL;
}

/* The source ended (or a side failed): release both ends. */
static void relay_end(struct relay *r) {
	if (r->from_sock) sock_unref(r->from); else close(r->from);
	if (r->to_sock) {
		shutdown(r->to, SHUT_WR);
		sock_unref(r->to);
	} else {
		close(r->to);
	}
	free(r->buf);
	memset(r, 0, sizeof *r);
}

static void relay_write(struct relay *r) {
	while (r->off < r->len) {
		/* MSG_NOSIGNAL/non-blocking on sockets; pipes are O_NONBLOCK already */
		ssize_t n = r->to_sock ? send(r->to, r->buf + r->off, r->len - r->off, MSG_NOSIGNAL | MSG_DONTWAIT)
		                       : write(r->to, r->buf + r->off, r->len - r->off);
		if (n < 0) {
			if (errno == EINTR) continue;
			if (errno == EAGAIN) return;
			relay_end(r);
			return;
		}
		r->off += (size_t)n;
	}
	r->len = r->off = 0;
}

static void relay_read(struct relay *r) {
	ssize_t n = read(r->from, r->buf, RELAY_BUF);
	if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
	if (n <= 0) { relay_end(r); return; }
	r->len = (size_t)n;
	r->off = 0;
	relay_write(r);
}

static void drop(struct client *c) {
	if (c->fd >= 0) close(c->fd);
	if (c->out >= 0) close(c->out);
	if (c->err >= 0) close(c->err);
	free(c->buf);
	free(c->obuf);
	free(c->ebuf);
	memset(c, 0, sizeof *c);
	c->kind = K_FREE;
	c->fd = c->out = c->err = -1;
}

static struct client *new_client(int fd) {
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (clients[i].kind == K_FREE) {
			struct client *c = &clients[i];
			memset(c, 0, sizeof *c);
			c->kind = K_READING;
			c->fd = fd;
			c->out = c->err = -1;
			return c;
		}
	}
	return NULL;
}

static void replyf(int fd, const char *fmt, long a) {
	char line[64];
	int n = snprintf(line, sizeof line, fmt, a);
	write_all(fd, line, (size_t)n);
}

static int status_code(int st) {
	if (WIFEXITED(st)) return WEXITSTATUS(st);
	if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
	return 255;
}

/* Exit statuses kept for "wait". */
static int *exit_slot_status(pid_t pid, int create) {
	int free_i = -1;
	for (int i = 0; i < MAX_EXITS; i++) {
		if (exits[i].pid == pid) return &exits[i].status;
		if (exits[i].pid == 0 && free_i < 0) free_i = i;
	}
	if (!create || free_i < 0) return NULL;
	exits[free_i].pid = pid;
	exits[free_i].done = 0;
	return &exits[free_i].status;
}

static int exit_index(pid_t pid) {
	for (int i = 0; i < MAX_EXITS; i++) if (exits[i].pid == pid) return i;
	return -1;
}

static void finish_capture(struct client *c) {
	if (!c->exited || c->out >= 0 || c->err >= 0) return;
	char head[96];
	int n = snprintf(head, sizeof head, "x %d %zu %zu\n", c->status, c->olen, c->elen);
	if (write_all(c->fd, head, (size_t)n) == 0 && write_all(c->fd, c->obuf ? c->obuf : "", c->olen) == 0)
		write_all(c->fd, c->ebuf ? c->ebuf : "", c->elen);
	drop(c);
}

static void answer_waits(pid_t pid, int status) {
	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &clients[i];
		if (c->kind == K_WAIT && c->wait_pid == pid) {
			replyf(c->fd, "x %ld\n", status);
			drop(c);
		}
	}
}

static void reap(void) {
	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG);
		if (pid <= 0) return;
		int code = status_code(st);
		int handled = 0;
		for (int i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = &clients[i];
			if (c->kind == K_CAPTURE && c->pid == pid) {
				c->exited = 1;
				c->status = code;
				finish_capture(c);
				handled = 1;
				break;
			}
		}
		if (handled) continue;
		int ix = exit_index(pid);
		if (ix >= 0) {
			int waited = 0;
			for (int i = 0; i < MAX_CLIENTS; i++)
				if (clients[i].kind == K_WAIT && clients[i].wait_pid == pid) waited = 1;
			if (waited) {
				answer_waits(pid, code);
				exits[ix].pid = 0;
			} else {
				exits[ix].status = code;
				exits[ix].done = 1;
			}
		}
	}
}

/* Child side: set up fds and exec. Never returns. */
struct fdplan { int src; int null; int closed; };

static void child_exec(struct fdplan *plan, int nfds, const char *flags, const char *cwd,
		char **env_add, int nenv, char **argv, int errpipe, int announce_fd) {
	int ep = -1;
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
	if (strchr(flags, 'd')) setsid();
	if (strchr(flags, 'E')) clearenv();
	for (int i = 0; i < nenv; i++) putenv(env_add[i]);
	if (*cwd) {
		if (chdir(cwd) < 0) goto fail;
	} else if (orig_cwd >= 0 && fchdir(orig_cwd) < 0) {
		goto fail;
	}
	if (announce_fd >= 0) {
		char line[32];
		int n = snprintf(line, sizeof line, "p %d\n", (int)getpid());
		if (write_all(announce_fd, line, (size_t)n) < 0) _exit(127);
	}
	/* Move every source above the target range, then place them. */
	int base = nfds + 3 > 64 ? nfds + 3 : 64;
	for (int i = 0; i < nfds; i++) {
		if (plan[i].closed) continue;
		int src = plan[i].src;
		if (plan[i].null) src = open("/dev/null", O_RDWR);
		if (src < 0) goto fail;
		int hi = fcntl(src, F_DUPFD, base + i);
		if (hi < 0) goto fail;
		plan[i].src = hi;
	}
	if (errpipe >= 0) {
		ep = fcntl(errpipe, F_DUPFD_CLOEXEC, base + nfds);
		if (ep < 0) goto fail;
	}
	for (int i = 0; i < nfds; i++) {
		if (plan[i].closed) { close(i); continue; }
		if (dup2(plan[i].src, i) < 0) goto fail;
	}
	/* Close everything else except the error pipe (which sits above the rest). */
	if (ep >= 0) {
		if (ep > nfds) close_range((unsigned)nfds, (unsigned)ep - 1, 0);
		close_range((unsigned)ep + 1, ~0U, 0);
	} else {
		close_range((unsigned)nfds, ~0U, 0);
	}
	execve(argv[0], argv, environ);
fail:;
	int e = errno;
	if (errpipe >= 0 || ep >= 0) {
		int w = ep >= 0 ? ep : errpipe;
		if (write(w, &e, sizeof e) < 0) { /* parent sees EOF: reported as 127 */ }
	}
	_exit(127);
}

static void handle_run(struct client *c, char **tok, int ntok, const uint8_t *input, size_t inlen) {
	/* tok[0]="run" */
	int t = 1;
#define NEED(k) do { if (t + (k) > ntok) goto bad; } while (0)
	NEED(3);
	const char *flags = tok[t++];
	const char *cwd = tok[t++];
	int nfds = atoi(tok[t++]);
	if (nfds < 0 || nfds > 16) goto bad;
	NEED(nfds);
	char **specs = &tok[t];
	t += nfds;
	NEED(1);
	int nenv = atoi(tok[t++]);
	if (nenv < 0) goto bad;
	NEED(nenv);
	char **env = &tok[t];
	t += nenv;
	NEED(1);
	int nargs = atoi(tok[t++]);
	if (nargs < 1) goto bad;
	NEED(nargs);
	char **args = calloc((size_t)nargs + 1, sizeof *args);
	if (!args) goto bad;
	for (int i = 0; i < nargs; i++) args[i] = tok[t + i];
	if (args[0][0] != '/') { free(args); goto bad; }

	int stream = 0, relay = 0, capture_out = -1, capture_err = -1, feed = 0;
	int rpipe[16][2];
	int rsock[16];
	for (int i = 0; i < 16; i++) { rpipe[i][0] = rpipe[i][1] = -1; rsock[i] = -1; }
	struct fdplan plan[16];
	int pipes_out[2] = { -1, -1 }, pipes_err[2] = { -1, -1 }, pipe_in[2] = { -1, -1 };
	int opened[16];
	int nopened = 0;
	int held_used[16];
	int nheld = 0;
	for (int i = 0; i < nfds; i++) {
		const char *s = specs[i];
		plan[i] = (struct fdplan){ .src = -1 };
		if (!strcmp(s, "n")) plan[i].null = 1;
		else if (!strcmp(s, "-")) plan[i].closed = 1;
		else if (!strcmp(s, "s")) { plan[i].src = c->fd; stream = 1; }
		else if (s[0] == 'r') {
			int sock = c->fd;
			if (s[1] == 'h') {
				int tk = atoi(s + 2);
				sock = -1;
				for (int j = 0; j < MAX_HELD; j++) if (held[j].fd > 0 && held[j].tok == tk) { sock = held[j].fd; held_used[nheld++] = j; }
				if (sock < 0) goto bad_free;
			}
			if (pipe2(rpipe[i], O_CLOEXEC) < 0) goto fail_free;
			plan[i].src = i == 0 ? rpipe[i][0] : rpipe[i][1];
			rsock[i] = sock;
			relay = 1;
		} else if (s[0] == 'h') {
			int tk = atoi(s + 1);
			for (int j = 0; j < MAX_HELD; j++) if (held[j].fd > 0 && held[j].tok == tk) { plan[i].src = held[j].fd; held_used[nheld++] = j; }
			if (plan[i].src < 0) goto bad_free;
		} else if (!strcmp(s, "c") && i == 1) {
			if (pipes_out[0] < 0 && pipe2(pipes_out, O_CLOEXEC) < 0) goto fail_free;
			plan[i].src = pipes_out[1];
			capture_out = 1;
		} else if (!strcmp(s, "c") && i == 2) {
			if (pipes_err[0] < 0 && pipe2(pipes_err, O_CLOEXEC) < 0) goto fail_free;
			plan[i].src = pipes_err[1];
			capture_err = 1;
		} else if (!strcmp(s, "i") && i == 0) {
			if (pipe2(pipe_in, O_CLOEXEC) < 0) goto fail_free;
			plan[i].src = pipe_in[0];
			feed = 1;
		} else if (s[0] == 'a') {
			int fd = open(s + 1, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
			if (fd < 0) goto fail_free;
			opened[nopened++] = fd;
			plan[i].src = fd;
		} else goto bad_free;
	}
	if (stream && relay) goto bad_free;
	if (access(args[0], X_OK) < 0) goto fail_free;

	int errpipe[2] = { -1, -1 };
	if (!stream && pipe2(errpipe, O_CLOEXEC) < 0) goto fail_free;
	pid_t pid = fork();
	if (pid < 0) goto fail_free;
	if (pid == 0) {
		if (errpipe[0] >= 0) close(errpipe[0]);
		child_exec(plan, nfds, flags, cwd, env, nenv, args, errpipe[1], stream ? c->fd : -1);
	}
	free(args);
	args = NULL;
	for (int i = 0; i < nopened; i++) close(opened[i]);
	/* Held connections now belong to the child, or to the relays set up below. */
	for (int i = 0; i < nheld; i++) {
		int j = held_used[i];
		int relayed = 0;
		for (int k = 0; k < nfds; k++) if (rsock[k] == held[j].fd) relayed = 1;
		if (!relayed) close(held[j].fd);
		held[j].fd = 0;
	}
	if (pipes_out[1] >= 0) close(pipes_out[1]);
	if (pipes_err[1] >= 0) close(pipes_err[1]);
	if (pipe_in[0] >= 0) close(pipe_in[0]);
	if (feed) {
		/* Inputs are small (config snippets): a pipe buffer holds them. */
		fcntl(pipe_in[1], F_SETFL, O_NONBLOCK);
		if (inlen > 0 && write(pipe_in[1], input, inlen) < 0) { /* child reads EOF */ }
		close(pipe_in[1]);
	}
	if (strchr(flags, 'w')) exit_slot_status(pid, 1);
	if (relay) {
		replyf(c->fd, "p %ld\n", pid);
		int owned[16];
		int nowned = 0;
		for (int i = 0; i < nfds; i++) {
			if (rsock[i] < 0) continue;
			struct relay *r = i == 0 ? new_relay(rsock[i], rpipe[i][1], 1, 0) : new_relay(rpipe[i][0], rsock[i], 0, 1);
			if (i == 0) close(rpipe[i][0]); else close(rpipe[i][1]);
			if (!r) { close(i == 0 ? rpipe[i][1] : rpipe[i][0]); }
			int seen = 0;
			for (int k = 0; k < nowned; k++) if (owned[k] == rsock[i]) seen = 1;
			if (!seen) owned[nowned++] = rsock[i];
		}
		/* The relays hold the connections now; drop the references taken above. */
		for (int k = 0; k < nowned; k++) {
			if (owned[k] != c->fd && owned[k] < MAX_FD && sockrefs[owned[k]] == 0) close(owned[k]);
		}
		if (c->fd >= MAX_FD || sockrefs[c->fd] == 0) close(c->fd);
		c->fd = -1;
		drop(c);
		if (errpipe[0] >= 0) { close(errpipe[0]); close(errpipe[1]); }
		return;
	}
	if (stream) {
		/* The connection now belongs to the child: close our copy. */
		drop(c);
		return;
	}
	close(errpipe[1]);
	int e = 0;
	ssize_t n;
	do n = read(errpipe[0], &e, sizeof e); while (n < 0 && errno == EINTR);
	close(errpipe[0]);
	c->kind = K_CAPTURE;
	c->pid = pid;
	c->out = capture_out > 0 ? pipes_out[0] : -1;
	c->err = capture_err > 0 ? pipes_err[0] : -1;
	free(c->buf);
	c->buf = NULL;
	if (n == (ssize_t)sizeof e) {
		/* exec failed: report -errno with its text once the child is reaped */
		const char *msg = strerror(e);
		c->status = -e;
		c->ebuf = strdup(msg);
		c->elen = c->ebuf ? strlen(c->ebuf) : 0;
		if (c->out >= 0) { close(c->out); c->out = -1; }
		if (c->err >= 0) { close(c->err); c->err = -1; }
		c->pid = -pid; /* reaped below without overwriting the status */
		int st;
		waitpid(pid, &st, 0);
		c->exited = 1;
		finish_capture(c);
	}
	return;
fail_free:;
	int err = errno;
	free(args);
	for (int i = 0; i < nopened; i++) close(opened[i]);
	if (pipes_out[0] >= 0) { close(pipes_out[0]); close(pipes_out[1]); }
	if (pipes_err[0] >= 0) { close(pipes_err[0]); close(pipes_err[1]); }
	if (pipe_in[0] >= 0) { close(pipe_in[0]); close(pipe_in[1]); }
	for (int i = 0; i < 16; i++) if (rpipe[i][0] >= 0) { close(rpipe[i][0]); close(rpipe[i][1]); }
	if (stream || relay) replyf(c->fd, "e %ld\n", err);
	else {
		char head[300];
		const char *msg = strerror(err);
		int hn = snprintf(head, sizeof head, "x %d 0 %zu\n%s", -err, strlen(msg), msg);
		write_all(c->fd, head, (size_t)hn);
	}
	drop(c);
	return;
bad_free:
	free(args);
bad:
	write_all(c->fd, "x -22 0 15\nbad run request", 26);
	drop(c);
#undef NEED
}

#define MAX_SEALED 8
static struct { char *path; int fd; } sealed[MAX_SEALED];

/* See "seal" above. Returns the fd or -errno. */
static int seal_copy(const char *path) {
	for (int i = 0; i < MAX_SEALED; i++)
		if (sealed[i].path && !strcmp(sealed[i].path, path)) return sealed[i].fd;
	int slot = -1;
	for (int i = 0; i < MAX_SEALED && slot < 0; i++)
		if (!sealed[i].path) slot = i;
	if (slot < 0) return -ENOSPC;
	int src = open(path, O_RDONLY | O_CLOEXEC);
	if (src < 0) return -errno;
	struct stat st;
	int err = 0;
	int fd = -1;
	if (fstat(src, &st) < 0) { err = errno; goto out; }
	if (!S_ISREG(st.st_mode)) { err = EINVAL; goto out; }
	fd = memfd_create("pier-sealed-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) { err = errno; goto out; }
	off_t left = st.st_size;
	while (left > 0) {
		ssize_t n = sendfile(fd, src, NULL, (size_t)left);
		if (n <= 0) { err = n < 0 ? errno : EIO; goto out; }
		left -= n;
	}
	if (fchmod(fd, 0555) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) { err = errno; goto out; }
	sealed[slot].path = strdup(path);
	if (!sealed[slot].path) { err = ENOMEM; goto out; }
	sealed[slot].fd = fd;
	close(src);
	return fd;
out:
	if (fd >= 0) close(fd);
	close(src);
	return -err;
}

static void handle_request(struct client *c) {
	uint32_t len;
	memcpy(&len, c->buf, 4);
	uint8_t *body = c->buf + 4;
	char *tok[4096];
	int ntok = 0;
	size_t off = 0;
	/* Tokens up to the count the op needs; the rest is stdin for "run". */
	while (off < len && ntok < 4096) {
		uint8_t *z = memchr(body + off, 0, len - off);
		if (!z) break;
		tok[ntok++] = (char *)body + off;
		off = (size_t)(z - body) + 1;
		if (ntok == 1 && strcmp(tok[0], "run")) continue;
		if (!strcmp(tok[0], "run") && ntok >= 4) {
			/* Stop once args are complete: walk the counts. */
			int t = 3;
			int nfds = atoi(tok[3]);
			t = 4 + nfds;
			if (ntok <= t) continue;
			int nenv = atoi(tok[t]);
			t += 1 + nenv;
			if (ntok <= t) continue;
			int nargs = atoi(tok[t]);
			if (ntok >= t + 1 + nargs) break;
		}
	}
	if (ntok == 0) { drop(c); return; }
	if (!strcmp(tok[0], "run")) {
		handle_run(c, tok, ntok, body + off, len - off);
	} else if (!strcmp(tok[0], "hold")) {
		for (int j = 0; j < MAX_HELD; j++) {
			if (held[j].fd <= 0) {
				held[j].fd = c->fd;
				held[j].tok = next_tok++;
				replyf(c->fd, "h %ld\n", held[j].tok);
				c->fd = -1;
				drop(c);
				return;
			}
		}
		drop(c);
	} else if (!strcmp(tok[0], "mount") && ntok >= 6) {
		unsigned long flags = strtoul(tok[4], NULL, 10);
		int r = mount(tok[1], tok[2], tok[3][0] ? tok[3] : NULL, flags, tok[5][0] ? tok[5] : NULL);
		replyf(c->fd, "x %ld\n", r < 0 ? -errno : 0);
		drop(c);
	} else if (!strcmp(tok[0], "umount") && ntok >= 3) {
		int r = umount2(tok[1], atoi(tok[2]));
		replyf(c->fd, "x %ld\n", r < 0 ? -errno : 0);
		drop(c);
	} else if (!strcmp(tok[0], "seal") && ntok >= 2) {
		replyf(c->fd, "x %ld\n", seal_copy(tok[1]));
		drop(c);
	} else if (!strcmp(tok[0], "wait") && ntok >= 2) {
		pid_t pid = atoi(tok[1]);
		int ix = exit_index(pid);
		if (ix < 0) { replyf(c->fd, "x %ld\n", -ECHILD); drop(c); return; }
		if (exits[ix].done) {
			replyf(c->fd, "x %ld\n", exits[ix].status);
			exits[ix].pid = 0;
			drop(c);
			return;
		}
		free(c->buf);
		c->buf = NULL;
		c->kind = K_WAIT;
		c->wait_pid = pid;
	} else {
		drop(c);
	}
}

static void read_request(struct client *c) {
	if (c->cap - c->len < 4096) {
		size_t ncap = c->cap ? c->cap * 2 : 8192;
		uint8_t *nb = realloc(c->buf, ncap);
		if (!nb) { drop(c); return; }
		c->buf = nb;
		c->cap = ncap;
	}
	ssize_t n = read(c->fd, c->buf + c->len, c->cap - c->len);
	if (n <= 0) {
		if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
		drop(c);
		return;
	}
	c->len += (size_t)n;
	if (c->len < 4) return;
	uint32_t len;
	memcpy(&len, c->buf, 4);
	if (len > MAX_REQ) { drop(c); return; }
	if (c->len < 4 + (size_t)len) return;
	int fl = fcntl(c->fd, F_GETFL);
	fcntl(c->fd, F_SETFL, fl & ~O_NONBLOCK);
	handle_request(c);
}

static void read_capture(struct client *c, int which) {
	int *fd = which == 1 ? &c->out : &c->err;
	char **b = which == 1 ? &c->obuf : &c->ebuf;
	size_t *l = which == 1 ? &c->olen : &c->elen;
	size_t *cap = which == 1 ? &c->ocap : &c->ecap;
	if (*cap - *l < 4096) {
		size_t ncap = *cap ? *cap * 2 : 8192;
		if (ncap > (64u << 20)) ncap = 64u << 20;
		char *nb = realloc(*b, ncap);
		if (!nb) return;
		*b = nb;
		*cap = ncap;
	}
	if (*cap == *l) { /* over the cap: keep draining, drop the excess */
		char sink[4096];
		if (read(*fd, sink, sizeof sink) <= 0) { close(*fd); *fd = -1; finish_capture(c); }
		return;
	}
	ssize_t n = read(*fd, *b + *l, *cap - *l);
	if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
	if (n <= 0) { close(*fd); *fd = -1; finish_capture(c); return; }
	*l += (size_t)n;
}

int main(int argc, char **argv) {
	const char *path = argc == 2 ? argv[1] : getenv("PIER_SPAWN_SOCKET");
	if (!path || !*path) {
		fprintf(stderr, "usage: PIER_SPAWN_SOCKET=<socket path> pier-spawn\n");
		return 2;
	}
	path = strdup(path);
	unsetenv("PIER_SPAWN_SOCKET"); /* children inherit this environment */
	signal(SIGPIPE, SIG_IGN);
	orig_cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; i < MAX_CLIENTS; i++) { clients[i].fd = clients[i].out = clients[i].err = -1; }

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) { perror("pier-spawn: signalfd"); return 1; }

	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path) {
		fprintf(stderr, "pier-spawn: socket path too long: %s\n", path);
		return 1;
	}
	strcpy(sa.sun_path, path);
	unlink(path);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	mode_t old = umask(077);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 128) < 0) {
		perror("pier-spawn: listen");
		return 1;
	}
	umask(old);
	if (write_all(1, "ready\n", 6) < 0) return 1;

	static struct pollfd pfd[3 + 2 * MAX_CLIENTS + MAX_RELAYS];
	static struct { struct client *c; int which; struct relay *r; } owner[3 + 2 * MAX_CLIENTS + MAX_RELAYS];
	for (;;) {
		int n = 0;
		pfd[n++] = (struct pollfd){ .fd = 0, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		for (int i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = &clients[i];
			if (c->kind == K_READING) { owner[n].c = c; owner[n].r = NULL; owner[n].which = 0; pfd[n++] = (struct pollfd){ .fd = c->fd, .events = POLLIN }; }
			if (c->kind == K_CAPTURE) {
				if (c->out >= 0) { owner[n].c = c; owner[n].r = NULL; owner[n].which = 1; pfd[n++] = (struct pollfd){ .fd = c->out, .events = POLLIN }; }
				if (c->err >= 0) { owner[n].c = c; owner[n].r = NULL; owner[n].which = 2; pfd[n++] = (struct pollfd){ .fd = c->err, .events = POLLIN }; }
			}
		}
		for (int i = 0; i < MAX_RELAYS; i++) {
			struct relay *r = &relays[i];
			if (!r->active) continue;
			owner[n].c = NULL; owner[n].r = r;
			if (r->len > r->off) pfd[n++] = (struct pollfd){ .fd = r->to, .events = POLLOUT };
			else pfd[n++] = (struct pollfd){ .fd = r->from, .events = POLLIN };
		}
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR) continue;
			perror("pier-spawn: poll");
			return 1;
		}
		if (pfd[0].revents) {
			char b[64];
			ssize_t r = read(0, b, sizeof b);
			if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
				unlink(path);
				return 0;
			}
		}
		if (pfd[2].revents) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof si) > 0) { }
			reap();
		}
		for (int i = 3; i < n; i++) {
			if (!pfd[i].revents) continue;
			if (owner[i].c == NULL) {
				struct relay *r = owner[i].r;
				if (!r->active) continue;
				if (pfd[i].events == POLLOUT) {
					if (pfd[i].revents & (POLLERR | POLLHUP) && !(pfd[i].revents & POLLOUT)) relay_end(r);
					else relay_write(r);
				} else {
					relay_read(r);
				}
				continue;
			}
			struct client *c = owner[i].c;
			if (owner[i].which == 0) { if (c->kind == K_READING) read_request(c); }
			else if (c->kind == K_CAPTURE) read_capture(c, owner[i].which);
		}
		if (pfd[1].revents) {
			for (;;) {
				int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
				if (fd < 0) break;
				if (!new_client(fd)) close(fd);
			}
		}
		/* A child reaped before its pipes closed finishes in read_capture;
		   one whose pipes closed first finishes in reap. */
	}
}
