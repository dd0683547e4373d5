/*
 * conn.c: the socket side of libagentlog: connect with a bounded wait,
 * write whole lines with a deadline, read reply lines with a deadline.
 *
 * Sockets stay blocking, with SO_SNDTIMEO set to the handle's timeout: it
 * bounds connect() when the daemon's backlog is full and each send when
 * its socket buffer is full, so the hot path is exactly one sendmsg() and
 * needs no fcntl() or poll().  Reads (replies) use MSG_DONTWAIT + poll().
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agentlog_int.h"

int64_t agentlog__now_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int agentlog__conn_open(agentlog_t *h, const char *path, int timeout_ms)
{
	struct sockaddr_un sa;
	struct timeval tv;
	size_t plen = strlen(path);
	int fd, err;

	if (plen >= sizeof(sa.sun_path))
		return agentlog__fail(h, -ENAMETOOLONG,
				      "socket path too long: %s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return agentlog__fail(h, -errno, "socket() failed: %s",
				      strerror(errno));
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, plen);
	if (connect(fd, (struct sockaddr *)&sa,
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1)) < 0) {
		err = errno == EINPROGRESS ? EAGAIN : errno;
		close(fd);
		return agentlog__fail(h, -err, "connect(%s) failed: %s", path,
				      strerror(err));
	}
	return fd;
}

/* Wait until fd is ready for events or the deadline passes. */
static int conn_wait(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left;
	int n;

	for (;;) {
		left = deadline - agentlog__now_mono_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/* Advance iov past n bytes already sent. */
static void conn_iov_skip(struct iovec **iov, int *cnt, size_t n)
{
	while (*cnt > 0 && n >= (*iov)->iov_len) {
		n -= (*iov)->iov_len;
		(*iov)++;
		(*cnt)--;
	}
	if (*cnt > 0) {
		(*iov)->iov_base = (char *)(*iov)->iov_base + n;
		(*iov)->iov_len -= n;
	}
}

/* Set SO_SNDTIMEO: how long one blocking send may wait for room. */
static void conn_sndtimeo(int fd, int64_t ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/*
 * The slow path of a write: a short count (the send timeout hit, or a
 * signal), EAGAIN (the timeout hit with nothing sent) or EINTR.  Retries
 * with SO_SNDTIMEO set to what is left until the deadline, then puts the
 * socket's full timeout back.
 */
static int conn_write_rest(int fd, struct iovec *iov, int n, int64_t deadline,
			   int64_t timeout_ms, size_t *sent)
{
	struct msghdr msg;
	int64_t left;
	ssize_t w;
	int rc = 0;

	while (n > 0) {
		left = deadline - agentlog__now_mono_ms();
		if (left <= 0) {
			rc = -ETIMEDOUT;
			break;
		}
		conn_sndtimeo(fd, left);
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = (size_t)n;
		w = sendmsg(fd, &msg, MSG_NOSIGNAL);
		if (w >= 0) {
			*sent += (size_t)w;
			conn_iov_skip(&iov, &n, (size_t)w);
		} else if (errno != EINTR && errno != EAGAIN) {
			rc = -errno;
			break;
		}
	}
	conn_sndtimeo(fd, timeout_ms);
	return rc;
}

int agentlog__conn_writev(int fd, const struct iovec *iov_in, int n,
			  int64_t deadline, int64_t timeout_ms, size_t *sent)
{
	struct iovec copy[8], *iov = copy;
	struct msghdr msg;
	size_t total = 0;
	ssize_t w;
	int i;

	if (n > 8)
		return -EINVAL;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = (struct iovec *)iov_in;
	msg.msg_iovlen = (size_t)n;
	for (i = 0; i < n; i++)
		total += iov_in[i].iov_len;
	*sent = 0;
	/* The socket is blocking with SO_SNDTIMEO: one call, which waits
	 * for room at most the timeout (cheaper than MSG_DONTWAIT + poll,
	 * which costs a failed send and a poll each time the buffer fills). */
	w = sendmsg(fd, &msg, MSG_NOSIGNAL);
	if (w == (ssize_t)total)
		return 0;
	if (w < 0 && errno != EINTR && errno != EAGAIN)
		return -errno;
	if (w < 0 && errno == EAGAIN)
		return -ETIMEDOUT;
	memcpy(copy, iov_in, sizeof(*iov) * (size_t)n);
	if (w > 0) {
		*sent = (size_t)w;
		conn_iov_skip(&iov, &n, (size_t)w);
	}
	return conn_write_rest(fd, iov, n, deadline, timeout_ms, sent);
}

int agentlog__conn_read_line(int fd, char *buf, size_t cap, size_t *have,
			     int64_t deadline)
{
	char *nl;
	ssize_t r;
	int rc;

	for (;;) {
		nl = memchr(buf, '\n', *have);
		if (nl) {
			*nl = '\0';
			return (int)(nl - buf);
		}
		if (*have >= cap - 1)
			return -EMSGSIZE;
		r = recv(fd, buf + *have, cap - 1 - *have, MSG_DONTWAIT);
		if (r > 0) {
			*have += (size_t)r;
			continue;
		}
		if (r == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		rc = conn_wait(fd, POLLIN, deadline);
		if (rc < 0)
			return rc;
	}
}

void agentlog__conn_consume(char *buf, size_t *have, size_t linelen)
{
	size_t used = linelen + 1;

	memmove(buf, buf + used, *have - used);
	*have -= used;
}
