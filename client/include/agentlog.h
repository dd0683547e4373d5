/*
 * agentlog.h: libagentlog, the client library of the agentlog sidecar.
 *
 * A program that logs many events opens one handle, then calls
 * agentlog_send() per event.  The handle keeps one connection to
 * agentlogd's stream socket; a send is one socket write of the event line
 * (no buffering in the library, no reply to wait for).  When the daemon is
 * down or its socket is missing, the event is appended to the fallback
 * inbox in the journal directory, which agentlogd ingests when it starts,
 * so logging never breaks the caller's workflow.
 *
 * Thread-safety: a handle is not thread-safe.  Use one handle per thread
 * (handles are cheap: one socket each).  Different handles may be used
 * concurrently from different threads and processes; the inbox is safe
 * with any number of concurrent writers.
 *
 * Signals: the library never raises SIGPIPE (it sends with MSG_NOSIGNAL).
 *
 * Return codes: 0 or AGENTLOG_INBOXED on success, a negative errno-style
 * code on failure; agentlog_error() then says what happened in one line.
 */
#ifndef AGENTLOG_H
#define AGENTLOG_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define AGENTLOG_EXPORT __attribute__((visibility("default")))
#else
#define AGENTLOG_EXPORT
#endif

#define AGENTLOG_VERSION_MAJOR 0
#define AGENTLOG_VERSION_MINOR 1
#define AGENTLOG_VERSION_PATCH 0

/* The event was not sent to the daemon but stored in the inbox. */
#define AGENTLOG_INBOXED 1

/* Length of a UUID in canonical text form (without the NUL). */
#define AGENTLOG_UUID_LEN 36

/* Longest one-line error message agentlog_error() returns, NUL included. */
#define AGENTLOG_ERR_MAX 512

/* Flags of struct agentlog_opts. */
#define AGENTLOG_NO_INBOX    0x1  /* fail with -ECONNREFUSED instead */
#define AGENTLOG_VALIDATE    0x2  /* validate in agentlog_send() (~0.5 us) */

typedef struct agentlog agentlog_t;

/*
 * Options of agentlog_open().  Zero (or agentlog_opts_init()) means the
 * defaults; NULL strings mean "resolve as agentlogctl does".
 */
struct agentlog_opts {
	const char *socket_path;  /* NULL: $AGENTLOG_SOCKET or the default */
	const char *journal_dir;  /* NULL: $AGENTLOG_JOURNAL_DIR or default;
				   * the inbox is <journal_dir>/inbox */
	int timeout_ms;           /* longest any call blocks; 0: 1000 ms */
	const char *default_type; /* type of events without a "type" member:
				   * "agent_action", ... or a topic name;
				   * NULL: such events are invalid */
	unsigned flags;           /* AGENTLOG_NO_INBOX | AGENTLOG_VALIDATE */
	void *reserved[4];        /* room for options to come: leave zero */
};

/* Fill o with the defaults (all zero: the same as a zeroed struct). */
AGENTLOG_EXPORT void agentlog_opts_init(struct agentlog_opts *o);

/*
 * Create a handle.  It connects on the first send (and once per daemon
 * restart), so a daemon that is not running is not an error here: sends
 * go to the inbox until it is.  Returns 0 and *out, or a negative errno:
 * -ENOMEM, -ENAMETOOLONG for a path that does not fit a Unix socket
 * address, -EINVAL for an unknown default_type.
 */
AGENTLOG_EXPORT int agentlog_open(agentlog_t **out,
				  const struct agentlog_opts *opts);

/*
 * Send one event: one JSON object, without or with a trailing newline,
 * that must not contain another newline.  Fire and forget: the line is
 * written to the socket (one write) and the call returns.  agentlogd
 * validates every event; an invalid one is dropped there and counted in
 * its status.  With AGENTLOG_VALIDATE the event is first validated here,
 * exactly as agentlogd would, so the caller learns why (it costs about as
 * much as the write).  An event bound for the inbox is always validated.
 *
 * Returns 0 when written to the daemon's socket, AGENTLOG_INBOXED when
 * stored in the inbox (daemon down, socket missing, or the daemon did not
 * take the line within the timeout; agentlog_inbox_event_id() then gives
 * its event id), -EINVAL for an invalid event (nothing sent), or another
 * negative errno when the event could be stored nowhere.
 *
 * After a daemon restart the next send finds the connection closed,
 * reconnects and writes again.  Lines already written into the socket of
 * a daemon that then died without reading them are lost: use
 * agentlog_send_wait() when each event must be confirmed.
 */
AGENTLOG_EXPORT int agentlog_send(agentlog_t *h, const char *json,
				  size_t len);

/*
 * Send one event in acknowledged mode and wait (at most the timeout) for
 * the daemon's reply, which comes once the event is in its journal (the
 * daemon validates it, so AGENTLOG_VALIDATE only saves the round trip for
 * an invalid event).  On success writes the event id (36 characters and a NUL) into event_id
 * unless NULL.  Returns 0, -EINVAL for an event invalid here,
 * -EBADMSG when the daemon rejected it (agentlog_error() has its reason),
 * -ETIMEDOUT when no reply came in time (the event may or may not have
 * been journaled; it is not put into the inbox, which could double it).
 * When the daemon cannot be reached at all (nothing was written), the
 * event goes to the inbox as with agentlog_send() and the call returns
 * AGENTLOG_INBOXED with the event id the event was given there (it is
 * stored, not yet journaled), or -ECONNREFUSED/-ENOENT with
 * AGENTLOG_NO_INBOX.
 */
AGENTLOG_EXPORT int agentlog_send_wait(agentlog_t *h, const char *json,
				       size_t len,
				       char event_id[AGENTLOG_UUID_LEN + 1]);

/*
 * Send a control request (".ping", ".status") and copy the daemon's
 * one-line JSON reply, NUL-terminated, into reply.  Returns the reply's
 * length or a negative errno (-EMSGSIZE when it does not fit).
 */
AGENTLOG_EXPORT int agentlog_request(agentlog_t *h, const char *request,
				     char *reply, size_t replylen);

/* The last failure of this handle, one line; "" when none. */
AGENTLOG_EXPORT const char *agentlog_error(const agentlog_t *h);

/* The socket path and the inbox file this handle uses. */
AGENTLOG_EXPORT const char *agentlog_socket_path(const agentlog_t *h);
AGENTLOG_EXPORT const char *agentlog_inbox_path(const agentlog_t *h);

/*
 * The event id (36 characters) of the event the last send that returned
 * AGENTLOG_INBOXED stored in the inbox: a UUIDv7 made by the library, which
 * agentlogd keeps when it ingests the inbox, so it is the event_id the
 * event is journaled and forwarded under (and an inbox ingested twice
 * after a daemon crash yields duplicates with the same id).  "" before any
 * event went to the inbox, or in the rare case the kernel had no
 * randomness to make one (the daemon then assigns the id).  Events sent
 * on the socket get their id from the daemon: agentlog_send_wait() says it.
 */
AGENTLOG_EXPORT const char *agentlog_inbox_event_id(const agentlog_t *h);

/* Close the connection and free the handle.  NULL is fine. */
AGENTLOG_EXPORT void agentlog_close(agentlog_t *h);

/* "0.1.0": the library's version. */
AGENTLOG_EXPORT const char *agentlog_version(void);

#ifdef __cplusplus
}
#endif

#endif
