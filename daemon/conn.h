/*
 * conn.h: stream connections on the Unix socket.
 *
 * Each connection is framed into lines (PROTOCOL.md), every line handed to
 * ingest.  Complete lines are processed straight from the loop's shared read
 * buffer; only a partial line is copied, into a per-connection buffer that
 * never grows past --max-line-bytes (a longer line is rejected and skipped
 * to its newline without being buffered).  In acknowledged mode replies are
 * held in order until the journal's durable sequence covers them.
 *
 * Fairness: a connection reads at most CONN_SLICE bytes per loop turn, then
 * waits for the next turn; a connection whose peer does not read its
 * replies stops being read (backpressure) instead of buffering them.
 */
#ifndef AGENTLOGD_CONN_H
#define AGENTLOGD_CONN_H

#include <stdint.h>
#include <uv.h>

struct server;

#define CONN_SLICE (256 * 1024)

/* Accept on the stream listener (a uv_connection_cb). */
void conn_on_connection(uv_stream_t *listener, int status);

/* The journal's durable sequence advanced: release held replies. */
void conn_on_durable(struct server *s, uint64_t durable_seq);

/* A new loop turn: connections that used their slice read again. */
void conn_resume_paused(struct server *s);

/* Once a second: close connections idle in the middle of a line. */
void conn_sweep_idle(struct server *s, uint64_t now_ms);

/*
 * The journal made progress: offer the input of connections that had to
 * wait for it again.  Returns 0 when none is left waiting, else -1.
 */
int conn_retry_blocked(struct server *s);

/*
 * Shutdown: read what every client already wrote, then stop reading.
 * Returns -1 while some input waits for the journal (run the loop and call
 * again), 0 when everything written was ingested.
 */
int conn_drain_all(struct server *s);

/* Bytes of replies handed to the socket and not yet written. */
size_t conn_writes_pending(struct server *s);

/* Shutdown: write what replies can be written and close everything. */
void conn_close_all(struct server *s);

#endif
