/*
 * listen.c: create or adopt the stream and datagram sockets.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#ifdef __APPLE__
#include <launch.h>
#endif

#include "config.h"
#include "listen.h"
#include "log.h"

/* Non-blocking and close-on-exec, portably (no SOCK_NONBLOCK on macOS). */
static int listen_fd_flags(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* Let the kernel attach the sender's credentials to each datagram. */
static int listen_dgram_setup(int fd)
{
#ifdef SO_PASSCRED
	int one = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0)
		return -1;
#endif
	int rcvbuf = 4 << 20;   /* absorb bursts of fire-and-forget packets */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	return 0;
}

/*
 * Adopt sockets passed by systemd (LISTEN_PID/LISTEN_FDS, fds from 3) or
 * launchd.  Returns 1 when some were adopted, 0 when none were passed.
 */
static int listen_activated(struct listeners *l)
{
#ifdef __APPLE__
	int *fds = NULL;
	size_t n = 0;
	if (launch_activate_socket("Listeners", &fds, &n) == 0 && n > 0) {
		l->stream_fd = fds[0];
		free(fds);
		fds = NULL;
		if (launch_activate_socket("Datagram", &fds, &n) == 0 && n > 0)
			l->dgram_fd = fds[0];
		free(fds);
		goto adopted;
	}
	return 0;
#else
	const char *pid = getenv("LISTEN_PID");
	const char *nfds = getenv("LISTEN_FDS");
	if (pid == NULL || nfds == NULL || atol(pid) != (long)getpid())
		return 0;
	int n = atoi(nfds);
	for (int fd = 3; fd < 3 + n; fd++) {
		int type = 0;
		socklen_t len = sizeof type;
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
			continue;
		if (type == SOCK_STREAM && l->stream_fd < 0)
			l->stream_fd = fd;
		else if (type == SOCK_DGRAM && l->dgram_fd < 0)
			l->dgram_fd = fd;
		else
			log_warn("ignoring activated fd %d of socket type %d", fd, type);
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (l->stream_fd < 0 && l->dgram_fd < 0)
		return 0;
	goto adopted;
#endif
adopted:
	l->activated = 1;
	if (l->stream_fd >= 0)
		listen_fd_flags(l->stream_fd);
	if (l->dgram_fd >= 0) {
		listen_fd_flags(l->dgram_fd);
		listen_dgram_setup(l->dgram_fd);
	}
	return 1;
}

/*
 * The socket's directory: create it private if missing; refuse one that
 * another user could swap our socket in (owned by someone else, or
 * writable by others without the sticky bit).
 */
static int listen_check_dir(const char *path, const struct config *cfg,
			    char *err, size_t errlen)
{
	char tmp[sizeof cfg->socket_path];
	snprintf(tmp, sizeof tmp, "%s", path);
	const char *dir = dirname(tmp);
	struct stat st;
	if (lstat(dir, &st) < 0) {
		if (errno != ENOENT)
			return snprintf(err, errlen, "lstat(%s) failed: %s", dir,
					strerror(errno)), -1;
		mode_t mode = cfg->socket_group ? 0750 : 0700;
		if (mkdir(dir, mode) < 0 && errno != EEXIST)
			return snprintf(err, errlen, "mkdir(%s) failed: %s", dir,
					strerror(errno)), -1;
		if (cfg->socket_group && chown(dir, (uid_t)-1, cfg->socket_gid) < 0)
			return snprintf(err, errlen, "chown(%s) failed: %s", dir,
					strerror(errno)), -1;
		(void)chmod(dir, mode);
		if (lstat(dir, &st) < 0)
			return snprintf(err, errlen, "lstat(%s) failed: %s", dir,
					strerror(errno)), -1;
	}
	if (!S_ISDIR(st.st_mode))
		return snprintf(err, errlen, "%s is not a directory", dir), -1;
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return snprintf(err, errlen,
				"refusing socket directory %s: owned by uid %ld, not us",
				dir, (long)st.st_uid), -1;
	if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
		return snprintf(err, errlen,
				"refusing socket directory %s: world-writable", dir), -1;
	return 0;
}

/* Is someone answering on this socket path? */
static int listen_alive(const char *path, int type)
{
	int fd = socket(AF_UNIX, type, 0);
	if (fd < 0)
		return 0;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	int alive = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return alive;
}

/*
 * Make path free for bind(): nothing there, or a stale socket we remove.
 * Anything else is refused and left alone.
 */
static int listen_clear_path(const char *path, int type, char *err,
			     size_t errlen)
{
	struct stat st;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return snprintf(err, errlen, "lstat(%s) failed: %s", path,
				strerror(errno)), -1;
	}
	if (S_ISLNK(st.st_mode))
		return snprintf(err, errlen,
				"refusing %s: it is a symbolic link", path), -1;
	if (!S_ISSOCK(st.st_mode))
		return snprintf(err, errlen,
				"refusing %s: it exists and is not a socket (not removing it)",
				path), -1;
	if (listen_alive(path, type))
		return snprintf(err, errlen,
				"another daemon is listening on %s", path), -1;
	if (unlink(path) < 0 && errno != ENOENT)
		return snprintf(err, errlen, "unlink(%s) failed: %s", path,
				strerror(errno)), -1;
	log_info("replaced stale socket %s", path);
	return 0;
}

/* socket(), bind() under a umask that never exposes it, chmod, chown. */
static int listen_bind(const char *path, int type, const struct config *cfg,
		       char *err, size_t errlen)
{
	int fd = socket(AF_UNIX, type, 0);
	if (fd < 0)
		return snprintf(err, errlen, "socket() failed: %s",
				strerror(errno)), -1;
	if (listen_fd_flags(fd) < 0)
		goto fail_errno;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	mode_t old = umask(0177);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (r < 0) {
		snprintf(err, errlen, "bind(%s) failed: %s", path, strerror(errno));
		goto fail;
	}
	if (cfg->socket_group && chown(path, (uid_t)-1, cfg->socket_gid) < 0) {
		snprintf(err, errlen, "chown(%s) failed: %s", path, strerror(errno));
		goto fail_unlink;
	}
	if (chmod(path, cfg->socket_mode) < 0) {
		snprintf(err, errlen, "chmod(%s) failed: %s", path, strerror(errno));
		goto fail_unlink;
	}
	if (type == SOCK_STREAM && listen(fd, 1024) < 0) {
		snprintf(err, errlen, "listen(%s) failed: %s", path, strerror(errno));
		goto fail_unlink;
	}
	if (type == SOCK_DGRAM && listen_dgram_setup(fd) < 0) {
		snprintf(err, errlen, "setsockopt(SO_PASSCRED) failed: %s",
			 strerror(errno));
		goto fail_unlink;
	}
	return fd;
fail_errno:
	snprintf(err, errlen, "fcntl() failed: %s", strerror(errno));
	goto fail;
fail_unlink:
	unlink(path);
fail:
	close(fd);
	return -1;
}

/* Hold <path>.lock for the daemon's life: one daemon per socket path. */
static int listen_lock(struct listeners *l, const char *path, char *err,
		       size_t errlen)
{
	char lock[sizeof ((struct config *)0)->socket_path + 8];
	snprintf(lock, sizeof lock, "%s.lock", path);
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return snprintf(err, errlen, "open(%s) failed: %s", lock,
				strerror(errno)), -1;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		if (e == EWOULDBLOCK)
			return snprintf(err, errlen,
					"another agentlogd is running on %s (it holds %s)",
					path, lock), -1;
		return snprintf(err, errlen, "flock(%s) failed: %s", lock,
				strerror(e)), -1;
	}
	l->lock_fd = fd;
	return 0;
}

int listen_open(struct listeners *l, const struct config *cfg, char *err,
		size_t errlen)
{
	memset(l, 0, sizeof *l);
	l->stream_fd = l->dgram_fd = l->lock_fd = -1;
	if (listen_activated(l))
		return 0;
	if (listen_check_dir(cfg->socket_path, cfg, err, errlen) < 0 ||
	    listen_lock(l, cfg->socket_path, err, errlen) < 0)
		goto fail;
	if (listen_clear_path(cfg->socket_path, SOCK_STREAM, err, errlen) < 0)
		goto fail;
	l->stream_fd = listen_bind(cfg->socket_path, SOCK_STREAM, cfg, err, errlen);
	if (l->stream_fd < 0)
		goto fail;
	l->created_stream = 1;
	if (cfg->dgram_path[0]) {
		if (listen_check_dir(cfg->dgram_path, cfg, err, errlen) < 0 ||
		    listen_clear_path(cfg->dgram_path, SOCK_DGRAM, err, errlen) < 0)
			goto fail;
		l->dgram_fd = listen_bind(cfg->dgram_path, SOCK_DGRAM, cfg, err, errlen);
		if (l->dgram_fd < 0)
			goto fail;
		l->created_dgram = 1;
	}
	return 0;
fail:
	listen_close(l, cfg);
	return -1;
}

void listen_close(struct listeners *l, const struct config *cfg)
{
	if (l->created_stream)
		unlink(cfg->socket_path);
	if (l->created_dgram)
		unlink(cfg->dgram_path);
	l->created_stream = l->created_dgram = 0;
	if (l->stream_fd >= 0)
		close(l->stream_fd);
	if (l->dgram_fd >= 0)
		close(l->dgram_fd);
	if (l->lock_fd >= 0)
		close(l->lock_fd);
	l->stream_fd = l->dgram_fd = l->lock_fd = -1;
}
