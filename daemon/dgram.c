/*
 * dgram.c: read datagrams with recvmsg() and hand each to ingest.
 *
 * libuv's UDP handle does not take AF_UNIX sockets, so the socket is
 * watched with a uv_poll_t and read here, a bounded number of datagrams
 * per loop turn so the stream connections are served in between.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <uv.h>

#include "dgram.h"
#include "ingest.h"
#include "log.h"
#include "server.h"

#define DGRAM_PER_TURN 512

struct dgram {
	uv_poll_t poll;
	struct server *s;
	int fd;
	char *buf;
	size_t cap;
	uint64_t received;
};

/* Receive and ingest one datagram.  Returns 1, 0 when none is queued. */
static int dgram_one(struct dgram *d)
{
	struct iovec iov = { d->buf, d->cap };
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(64)];
	} ctl;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.b, .msg_controllen = sizeof ctl.b };
	ssize_t n = recvmsg(d->fd, &mh, MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			log_warn("recvmsg(datagram socket) failed: %s", strerror(errno));
		return 0;
	}
	d->received++;
	struct proto_source src = { -1, -1, -1, d->s->host, "dgram" };
#ifdef SCM_CREDENTIALS
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS) {
			struct ucred cr;
			memcpy(&cr, CMSG_DATA(cm), sizeof cr);
			src.pid = cr.pid;
			src.uid = cr.uid;
			src.gid = cr.gid;
		}
	}
#endif
	if (mh.msg_flags & MSG_TRUNC) {
		char msg[96];
		snprintf(msg, sizeof msg, "line: datagram longer than %zu bytes",
			 d->cap - 1);
		ingest_count_reject(d->s, msg);
		return 1;
	}
	size_t len = (size_t)n;
	while (len > 0 && (d->buf[len - 1] == '\n' || d->buf[len - 1] == '\r'))
		len--;
	if (len == 0)
		return 1;
	uint64_t seq;
	uint8_t id[16];
	char err[PROTO_ERR_MAX];
	if (!ingest_line(d->s, d->buf, len, &src, &seq, id, err))
		log_debug("rejected a datagram from pid %lld: %s", (long long)src.pid, err);
	return 1;
}

static void dgram_on_readable(uv_poll_t *p, int status, int events)
{
	struct dgram *d = p->data;
	for (int i = 0; i < DGRAM_PER_TURN && dgram_one(d); i++)
		;
}

int dgram_start(struct server *s, int fd, struct dgram **out)
{
	struct dgram *d = calloc(1, sizeof *d);
	if (d == NULL)
		return -ENOMEM;
	d->s = s;
	d->fd = fd;
	d->cap = (size_t)s->cfg->max_line + 1;
	d->buf = malloc(d->cap);
	if (d->buf == NULL) {
		free(d);
		return -ENOMEM;
	}
	int r = uv_poll_init(s->loop, &d->poll, fd);
	if (r == 0)
		r = uv_poll_start(&d->poll, UV_READABLE, dgram_on_readable);
	if (r != 0) {
		free(d->buf);
		free(d);
		return r;
	}
	d->poll.data = d;
	*out = d;
	return 0;
}

void dgram_drain(struct dgram *d)
{
	while (dgram_one(d))
		;
}

uint64_t dgram_received(const struct dgram *d)
{
	return d->received;
}

static void dgram_on_close(uv_handle_t *h)
{
	struct dgram *d = h->data;
	close(d->fd);
	free(d->buf);
	free(d);
}

void dgram_close(struct dgram *d)
{
	uv_close((uv_handle_t *)&d->poll, dgram_on_close);
}
