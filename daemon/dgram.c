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
	size_t held_len;           /* a datagram waiting for the journal */
	struct proto_source held_src;
	int polling;
};

/* Ingest buf[0..len).  Returns -1 when the journal asks us to wait. */
static int dgram_ingest(struct dgram *d, size_t len, const struct proto_source *src)
{
	while (len > 0 && (d->buf[len - 1] == '\n' || d->buf[len - 1] == '\r'))
		len--;
	if (len == 0)
		return 0;
	uint64_t seq;
	uint8_t id[16];
	char err[PROTO_ERR_MAX];
	int r = ingest_line(d->s, d->buf, len, src, &seq, id, err);
	if (r == 0)
		log_debug("rejected a datagram from pid %lld: %s", (long long)src->pid, err);
	return r < 0 ? -1 : 0;
}

static void dgram_on_readable(uv_poll_t *p, int status, int events);

/* Receive and ingest one datagram.  Returns 1, 0 when none is queued or
 * the journal asks us to wait (the datagram is then held). */
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
	if (dgram_ingest(d, (size_t)n, &src) < 0) {
		d->held_len = (size_t)n;
		d->held_src = src;
		if (d->polling) {
			uv_poll_stop(&d->poll);
			d->polling = 0;
		}
		return 0;
	}
	return 1;
}

int dgram_retry(struct dgram *d)
{
	if (d->held_len > 0) {
		if (dgram_ingest(d, d->held_len, &d->held_src) < 0)
			return -1;
		d->held_len = 0;
	}
	if (!d->polling && uv_poll_start(&d->poll, UV_READABLE, dgram_on_readable) == 0)
		d->polling = 1;
	return 0;
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
	d->poll.data = d;
	int r = uv_poll_init(s->loop, &d->poll, fd);
	if (r == 0)
		r = uv_poll_start(&d->poll, UV_READABLE, dgram_on_readable);
	d->polling = r == 0;
	if (r != 0) {
		free(d->buf);
		free(d);
		return r;
	}
	d->poll.data = d;    /* uv_poll_init cleared it */
	*out = d;
	return 0;
}

int dgram_drain(struct dgram *d)
{
	if (dgram_retry(d) < 0)
		return -1;
	while (dgram_one(d))
		;
	return d->held_len > 0 ? -1 : 0;
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
