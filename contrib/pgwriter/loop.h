/*
 * loop.h: the consume loop.
 *
 * Messages are collected into a batch until it holds batch_size events or
 * its first is batch_ms old; then the batch is stored:
 *   1. its rows, in one transaction (db_write, in the database thread:
 *      store.h; the loop parses the next batch meanwhile);
 *   2. its dead letters, acknowledged by the DLQ topic (dlq_send);
 *   3. its offsets, committed (only now: at-least-once from Kafka plus
 *      idempotent inserts is each event stored exactly once).
 * A batch is handed to the thread only once the one before it has been
 * through all three, so batches are stored and committed in order.
 * A transient failure in 1 or 2 pauses the assignment and retries the
 * same stage with exponential backoff (100 ms up to retry_max_ms) for as
 * long as it takes; nothing is dead-lettered for it and nothing skipped.
 *
 * Stopping (loop_stop set by SIGTERM/SIGINT) or a revoke: the batch in
 * the thread, then the one being collected, get one attempt each; one
 * that fails is rolled back and left uncommitted (consumed again after a
 * restart), and so is every batch after it.  Then offsets are committed
 * (and, stopping, the group left).  Stopping, the database gets a few
 * seconds in all (LOOP_STOP_GRACE_MS) before the statement in flight is
 * cancelled (db_cancel()), so that a lock wait or a slow server does not
 * hold up the exit: the batch fails, as above.
 */
#ifndef PGW_LOOP_H
#define PGW_LOOP_H

#include <signal.h>

#include "batch.h"
#include "config.h"
#include "db.h"
#include "dlq.h"
#include "kafka.h"
#include "metrics.h"
#include "store.h"

extern volatile sig_atomic_t loop_stop;

struct loop {
	const struct config *cfg;
	struct metrics *m;
	struct db *db;
	struct dlq *dlq;
	struct kafka *k;
	struct store *st;
	struct batch *b;                /* being collected */
	struct batch *w;                /* being written: in the thread, or
					 * retried; empty when neither */
	rd_kafka_topic_partition_list_t *stored; /* done since the last revoke */
	int inflight;                   /* w is in the thread */
	int flushing;                   /* w is being retried */
	int dropped;                    /* a revoke dropped the batches */
	int db_up;
	int64_t last_db_ms;             /* last database round trip */
	int64_t failing_since;          /* 0 when the last batch was stored */
	int64_t failing_logged;
	int64_t stop_ms;                /* stopping: when a wait for the
					 * database first saw it, or 0 */
};

/* Set up l around its parts (k is set by the caller after kafka_new(),
 * which takes loop_revoke and l as its revoke callback). */
void loop_init(struct loop *l, const struct config *cfg, struct metrics *m,
	       struct db *db, struct dlq *dlq);
/* Called by the consumer before its assignment is revoked. */
void loop_revoke(void *arg);
/* Consume until loop_stop; then finish (see above) and close the
 * consumer.  Returns 0. */
int loop_run(struct loop *l);
void loop_free(struct loop *l);

#endif
