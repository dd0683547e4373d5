/*
 * send.c: agentlog_send (fire and forget), agentlog_send_wait
 * (acknowledged) and agentlog_request (control requests).
 *
 * Fire and forget is one sendmsg() of the line and its newline on the
 * handle's connection.  Acknowledged mode uses a second connection, opened
 * with ".hello <version> ack" written in the same sendmsg() as the first
 * event, so it costs no extra round trip; keeping it apart means the
 * fire-and-forget connection never receives replies nobody reads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "agentlog_int.h"
#include "wire.h"

#define STR2(x) #x
#define STR(x) STR2(x)
#define HELLO_ACK ".hello " STR(PROTO_WIRE_VERSION) " ack\n"

/* Strip one trailing newline (and a '\r' before it); refuse inner ones. */
static int send_frame(agentlog_t *h, const char *json, size_t *len)
{
	if (*len > 0 && json[*len - 1] == '\n')
		(*len)--;
	if (*len > 0 && json[*len - 1] == '\r')
		(*len)--;
	if (*len == 0)
		return agentlog__fail(h, -EINVAL, "empty event");
	if (memchr(json, '\n', *len))
		return agentlog__fail(h, -EINVAL,
				      "event: a newline inside the event");
	return 0;
}

/* Validate into h->ev.  Returns 0 or -EINVAL with the validator's reason. */
static int send_validate(agentlog_t *h, const char *json, size_t len)
{
	char msg[PROTO_ERR_MAX];

	if (proto_event_parse(&h->ev, json, len, h->default_type, msg) < 0)
		return agentlog__fail(h, -EINVAL, "%s", msg);
	return 0;
}

static int send_is_disconnect(int rc)
{
	return rc == -EPIPE || rc == -ECONNRESET || rc == -ENOTCONN;
}

/* connect() found no daemon listening. */
static int send_unreachable(int rc)
{
	return rc == -ENOENT || rc == -ECONNREFUSED || rc == -EAGAIN ||
	       rc == -ENOTDIR || rc == -EACCES;
}

/*
 * Write the line on the fire-and-forget connection, connecting if needed
 * and reconnecting once when the daemon closed it (a restart).
 */
static int send_line(agentlog_t *h, const char *json, size_t len)
{
	struct iovec iov[2] = {
		{ .iov_base = (void *)json, .iov_len = len },
		{ .iov_base = "\n", .iov_len = 1 },
	};
	int64_t deadline = agentlog__now_mono_ms() + h->timeout_ms;
	size_t sent;
	int attempt, rc = 0;

	for (attempt = 0; attempt < 2; attempt++) {
		if (h->fd < 0) {
			rc = agentlog__conn_open(h, h->sock_path, h->timeout_ms);
			if (rc < 0)
				return rc;
			h->fd = rc;
		}
		rc = agentlog__conn_writev(h->fd, iov, 2, deadline,
					   h->timeout_ms, &sent);
		if (rc == 0)
			return 0;
		close(h->fd);   /* a torn line or a dead peer: start afresh */
		h->fd = -1;
		agentlog__fail(h, rc, "write(%s) failed: %s", h->sock_path,
			       strerror(-rc));
		if (!send_is_disconnect(rc))
			break;
	}
	return rc;
}

/* Whether the validated event has a top-level "type" member. */
static int send_has_type(const agentlog_t *h, const char *json)
{
	const struct proto_member *m;
	uint16_t i;

	for (i = 0; i < h->ev.nmembers; i++) {
		m = &h->ev.member[i];
		if (m->key_end - m->start == 6 && !memcmp(json + m->start, "\"type\"", 6))
			return 1;
	}
	return 0;
}

/*
 * An event that relied on the default type gets "type" spliced in after
 * its '{', so an inbox record is valid by itself.  Returns a malloc'd
 * line (its length in *len), or NULL when json can be stored as it is.
 */
static char *send_typed(agentlog_t *h, const char *json, size_t *len)
{
	const char *name = proto_type_name(h->ev.type);
	size_t open = h->ev.open + 1, n;
	char *out;

	if (send_has_type(h, json))
		return NULL;
	n = strlen(name) + 10;
	out = malloc(*len + n + 1);
	if (!out)
		return NULL;
	memcpy(out, json, open);
	snprintf(out + open, n + 1, "\"type\":\"%s\",", name);
	memcpy(out + open + n, json + open, *len - open);
	*len += n;
	return out;
}

/*
 * Store the event in the inbox; the daemon path failed with h->err.  The
 * event id it was given there is left in h->inbox_id (only this path makes
 * ids: on the socket the daemon assigns them).
 */
static int send_inbox(agentlog_t *h, const char *json, size_t len,
		      int validated)
{
	char why[AGENTLOG_ERR_MAX], ierr[AGENTLOG_ERR_MAX];
	char id[AGENTLOG_UUID_LEN + 1];
	int rc;

	snprintf(why, sizeof(why), "%s", h->err);
	if (!validated && send_validate(h, json, len) < 0)
		return -EINVAL;
	if (!h->inbox_path)
		return agentlog__fail(h, -ENOENT, "%s; no journal directory "
				      "for the inbox (set AGENTLOG_JOURNAL_DIR)",
				      why);
	/* json already carries "type" (send_prepare spliced it in when the
	 * default type was needed), so the record stands by itself. */
	rc = agentlog__inbox_append(h, h->inbox_path, h->ev.type, h->ev.corr,
				    strlen(h->ev.corr), json, len, id);
	if (rc < 0) {
		snprintf(ierr, sizeof(ierr), "%s", h->err);
		return agentlog__fail(h, rc, "%s; inbox: %s", why, ierr);
	}
	memcpy(h->inbox_id, id, sizeof(id));
	agentlog__fail(h, 0, "%s; stored in the inbox %s", why, h->inbox_path);
	return AGENTLOG_INBOXED;
}

/*
 * Frame and, when asked to (AGENTLOG_VALIDATE) or when a default type is
 * set, validate.  An event relying on the default type gets "type"
 * spliced in (*typed, malloc'd; the daemon has no notion of our default).
 * Returns 0, or -EINVAL with the reason in h.
 */
static int send_prepare(agentlog_t *h, const char **json, size_t *len,
			char **typed, int *validated)
{
	*typed = NULL;
	*validated = 0;
	if (send_frame(h, *json, len) < 0)
		return -EINVAL;
	if (!(h->flags & AGENTLOG_VALIDATE) && h->default_type < 0)
		return 0;
	if (send_validate(h, *json, *len) < 0)
		return -EINVAL;
	*validated = 1;
	*typed = send_typed(h, *json, len);
	if (*typed)
		*json = *typed;
	return 0;
}

int agentlog_send(agentlog_t *h, const char *json, size_t len)
{
	int validated, rc;
	char *typed;

	if (send_prepare(h, &json, &len, &typed, &validated) < 0)
		return -EINVAL;
	rc = send_line(h, json, len);
	if (rc != 0 && !(h->flags & AGENTLOG_NO_INBOX))
		rc = send_inbox(h, json, len, validated);
	free(typed);
	return rc;
}

/*
 * Read one reply line on the acknowledged connection and check "ok".
 * Copies "event_id" into event_id when asked.
 */
static int send_reply(agentlog_t *h, int64_t deadline, char *event_id)
{
	struct agentlog__reply r;
	int n, rc = 0;

	n = agentlog__conn_read_line(h->ack_fd, h->ack_buf, AGENTLOG_REPLY_MAX,
				     &h->ack_have, deadline);
	if (n < 0)
		return agentlog__fail(h, n, "no reply from %s: %s", h->sock_path,
				      n == -ECONNRESET ? "connection closed"
						       : strerror(-n));
	if (agentlog__reply_parse(h->ack_buf, (size_t)n, &r) < 0 || r.ok < 0)
		rc = agentlog__fail(h, -EPROTO, "bad reply: %.200s", h->ack_buf);
	else if (!r.ok)
		rc = agentlog__fail(h, -EBADMSG, "%s", r.error[0] ? r.error
								 : "rejected");
	else if (event_id && strlen(r.event_id) == AGENTLOG_UUID_LEN)
		memcpy(event_id, r.event_id, AGENTLOG_UUID_LEN + 1);
	else if (event_id)
		rc = agentlog__fail(h, -EPROTO, "reply without event_id: %.200s",
				    h->ack_buf);
	agentlog__conn_consume(h->ack_buf, &h->ack_have, (size_t)n);
	return rc;
}

/* Drop the acknowledged connection (after a failure it is out of step). */
static void send_ack_reset(agentlog_t *h)
{
	if (h->ack_fd >= 0)
		close(h->ack_fd);
	h->ack_fd = -1;
	h->ack_have = 0;
}

/* Write the line on the acknowledged connection, opening it if needed. */
static int send_ack_write(agentlog_t *h, const char *json, size_t len,
			  int64_t deadline, int *fresh)
{
	struct iovec iov[3];
	size_t sent;
	int attempt, n, rc = 0;

	for (attempt = 0; attempt < 2; attempt++) {
		*fresh = h->ack_fd < 0;
		if (!h->ack_buf && !(h->ack_buf = malloc(AGENTLOG_REPLY_MAX)))
			return agentlog__fail(h, -ENOMEM, "out of memory");
		if (*fresh) {
			rc = agentlog__conn_open(h, h->sock_path, h->timeout_ms);
			if (rc < 0)
				return rc;
			h->ack_fd = rc;
		}
		n = 0;
		if (*fresh)
			iov[n++] = (struct iovec){ HELLO_ACK, sizeof(HELLO_ACK) - 1 };
		iov[n++] = (struct iovec){ (void *)json, len };
		iov[n++] = (struct iovec){ "\n", 1 };
		rc = agentlog__conn_writev(h->ack_fd, iov, n, deadline,
					   h->timeout_ms, &sent);
		if (rc == 0)
			return 0;
		send_ack_reset(h);
		agentlog__fail(h, rc, "write(%s) failed: %s", h->sock_path,
			       strerror(-rc));
		if (!send_is_disconnect(rc) || sent > 0)
			break;
	}
	return rc;
}

/* The acknowledged exchange for one prepared line. */
static int send_wait_line(agentlog_t *h, const char *json, size_t len,
			  int validated, char *event_id)
{
	int64_t deadline = agentlog__now_mono_ms() + h->timeout_ms;
	int fresh, rc;

	rc = send_ack_write(h, json, len, deadline, &fresh);
	if (rc < 0 && fresh && h->ack_fd < 0 && send_unreachable(rc) &&
	    !(h->flags & AGENTLOG_NO_INBOX)) {
		rc = send_inbox(h, json, len, validated);
		if (rc == AGENTLOG_INBOXED && event_id)
			memcpy(event_id, h->inbox_id, sizeof(h->inbox_id));
		return rc;
	}
	if (rc < 0)
		return rc;
	if (fresh && (rc = send_reply(h, deadline, NULL)) < 0)
		goto fail;
	rc = send_reply(h, deadline, event_id);
	if (rc == 0 || rc == -EBADMSG)
		return rc;
fail:
	send_ack_reset(h);
	return rc;
}

int agentlog_send_wait(agentlog_t *h, const char *json, size_t len,
		       char event_id[AGENTLOG_UUID_LEN + 1])
{
	int validated, rc;
	char *typed;

	if (send_prepare(h, &json, &len, &typed, &validated) < 0)
		return -EINVAL;
	rc = send_wait_line(h, json, len, validated, event_id);
	free(typed);
	return rc;
}

int agentlog_request(agentlog_t *h, const char *request, char *reply,
		     size_t replylen)
{
	struct iovec iov[2] = {
		{ .iov_base = (void *)request, .iov_len = strlen(request) },
		{ .iov_base = "\n", .iov_len = 1 },
	};
	int64_t deadline = agentlog__now_mono_ms() + h->timeout_ms;
	size_t sent, have = 0;
	int fd, rc;

	if (replylen < 2)
		return -EINVAL;
	fd = agentlog__conn_open(h, h->sock_path, h->timeout_ms);
	if (fd < 0)
		return fd;
	rc = agentlog__conn_writev(fd, iov, 2, deadline, h->timeout_ms,
					   &sent);
	if (rc == 0)
		rc = agentlog__conn_read_line(fd, reply, replylen, &have, deadline);
	if (rc < 0)
		agentlog__fail(h, rc, "%s to %s failed: %s", request, h->sock_path,
			       rc == -ECONNRESET ? "connection closed"
						 : strerror(-rc));
	close(fd);
	return rc;
}
