/*
 * wire.h: the agentlog wire protocol between a sender and agentlogd.
 *
 * Bump PROTO_WIRE_VERSION whenever a request or reply below changes
 * meaning; a peer speaking another version gets a clear error (see
 * PROTOCOL.md, "Versions").
 *
 * Stream socket: newline-delimited.  A line starting with '{' is an event.
 * A line starting with '.' is a control request:
 *   .hello <version> [ack]   negotiate; "ack" turns on acknowledged mode
 *   .ping                    reply {"pong":true,"version":N,...}
 *   .status                  reply the daemon's status object
 *   .ack                     acknowledged mode from here on
 * Anything else is rejected like an invalid event.  Empty lines (and a
 * lone "\r") are ignored.  A trailing "\r" is stripped.
 *
 * Replies are one JSON object per line, only in acknowledged mode or to a
 * control request, always in the order of the requests:
 *   {"ok":true,"event_id":"<uuid>"}          accepted and journaled
 *   {"ok":false,"error":"<field>: <reason>"}  rejected (this line only)
 *
 * Datagram socket: one event per datagram, never a reply.
 */
#ifndef AGENTLOG_WIRE_H
#define AGENTLOG_WIRE_H

#include <stddef.h>

#define PROTO_WIRE_VERSION 1

#define PROTO_SOCKET_NAME "agentlogd.sock"
#define PROTO_DGRAM_NAME "agentlogd.dgram"

/*
 * Resolve the stream socket path: $AGENTLOG_SOCKET, else
 * $XDG_RUNTIME_DIR/agentlog/agentlogd.sock, else /run/agentlog/agentlogd.sock
 * for root, else /tmp/agentlog-<uid>/agentlogd.sock.  Returns 0, or -1 when
 * the result would not fit in out (size outlen, which should be at least
 * the size of sun_path).
 */
int proto_socket_path(char *out, size_t outlen);
/*
 * The datagram socket: $AGENTLOG_DGRAM_SOCKET, else the stream socket's
 * path with its ".sock" replaced by ".dgram" (appended when it has none):
 * agentlogd.sock -> agentlogd.dgram beside it.
 */
int proto_dgram_path(const char *stream_path, char *out, size_t outlen);

/*
 * Resolve the journal directory: $AGENTLOG_JOURNAL_DIR, else
 * $XDG_STATE_HOME/agentlog, else /var/lib/agentlog for root, else
 * $HOME/.local/state/agentlog.  Returns 0 or -1 (does not fit, no HOME).
 */
int proto_journal_dir(char *out, size_t outlen);

/* The inbox a client falls back to when the daemon is down: <dir>/inbox */
#define PROTO_INBOX_DIR "inbox"

#endif
