/*
 * listen.h: the daemon's sockets, created safely or taken from the service
 * manager (systemd LISTEN_FDS, launchd launch_activate_socket).
 *
 * A socket we create: its directory is made 0700 (0750 with a group) if
 * missing and must not be controlled by another user; a lock file beside it
 * (<path>.lock, flock) keeps a second daemon off the path; an existing
 * socket nobody answers on is replaced; a live one, a symlink or any other
 * file at the path is refused, never deleted.  Mode 0660 by default.
 */
#ifndef AGENTLOGD_LISTEN_H
#define AGENTLOGD_LISTEN_H

#include <stddef.h>

struct config;

struct listeners {
	int stream_fd;          /* listening, non-blocking; -1 when none */
	int dgram_fd;           /* bound, non-blocking, SO_PASSCRED; -1 when none */
	int lock_fd;
	int activated;          /* the service manager handed us the sockets */
	int created_stream;     /* we bound the path and unlink it at exit */
	int created_dgram;
};

/* Returns 0, or -1 with a message naming the path and the reason in err. */
int listen_open(struct listeners *l, const struct config *cfg, char *err,
		size_t errlen);

/* Close the sockets and unlink the paths we created. */
void listen_close(struct listeners *l, const struct config *cfg);

#endif
