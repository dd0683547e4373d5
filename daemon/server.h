/*
 * server.h: the state of one agentlogd, owned by the loop thread.
 *
 * Every module gets the server and touches only its own part; nothing here
 * is shared with another thread, so there are no locks on the event path.
 */
#ifndef AGENTLOGD_SERVER_H
#define AGENTLOGD_SERVER_H

#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "forward.h"
#include "ingest.h"
#include "journal.h"
#include "listen.h"

struct conn;
struct dgram;
struct metrics_http;

struct server {
	uv_loop_t *loop;
	struct config *cfg;
	journal_t *journal;
	fwd_t *fwd;                 /* NULL in journal-only mode */
	struct ingest ingest;
	struct listeners listeners;

	uv_pipe_t listener;         /* the stream socket */
	int listening;
	struct dgram *dgram;
	uv_check_t flush_check;     /* journal_flush once per loop turn */
	uv_timer_t tick;            /* once a second: idle sweep, rates, notify */
	uv_signal_t sig[4];         /* TERM, INT, HUP, PIPE */
	struct metrics_http *http;

	struct conn *conns;         /* every open stream connection */
	struct conn *waiting;       /* connections with held acknowledgements */
	struct conn *paused;        /* read slice used up this turn */
	struct conn *blocked;       /* input waiting for the journal (backpressure) */
	int journal_moved;          /* a write went through since the last offer */
	uint32_t nconns;
	uint64_t conns_total;
	uint64_t conns_refused;
	uint64_t idle_closed;

	uint64_t durable_seq;       /* last seq durable at the fsync policy */
	uint64_t start_ms;          /* wall clock */
	char host[256];
	int stopping;
	int exit_code;
};

/* Wall-clock Unix time in milliseconds (coarse clock: cheap per event). */
int64_t server_now_ms(void);

/* Begin an orderly shutdown (SIGTERM/SIGINT). */
void server_stop(struct server *s);

#endif
