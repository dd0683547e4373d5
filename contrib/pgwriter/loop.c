/*
 * loop.c: poll, batch, store, commit (see loop.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "loop.h"

/* How often an idle writer checks that the database is still there. */
#define LOOP_PING_MS 1000
/* A retry streak logs once at its start, then this often. */
#define LOOP_LOG_EVERY_MS 30000
/* While a batch is in the database thread, poll at least this often, so
 * its offsets are committed soon after it is. */
#define LOOP_INFLIGHT_POLL_MS 5
/* Stopping: how long the database may still take over the batch in
 * flight (a lock wait, a slow server) before its statement is cancelled. */
#define LOOP_STOP_GRACE_MS 5000

volatile sig_atomic_t loop_stop;

void loop_init(struct loop *l, const struct config *cfg, struct metrics *m,
	       struct db *db, struct dlq *dlq)
{
	memset(l, 0, sizeof(*l));
	l->cfg = cfg;
	l->m = m;
	l->db = db;
	l->dlq = dlq;
	l->b = batch_new(cfg);
	l->w = batch_new(cfg);
	l->st = store_new(db);
	l->stored = rd_kafka_topic_partition_list_new(8);
	l->db_up = 1;
}

void loop_free(struct loop *l)
{
	if (l->inflight) {
		int64_t ms;
		store_wait(l->st, &ms);
	}
	store_free(l->st);
	batch_free(l->b);
	batch_free(l->w);
	rd_kafka_topic_partition_list_destroy(l->stored);
}

/* The database's health, logged when it changes. */
static void loop_db_health(struct loop *l, int up)
{
	metrics_set_db(l->m, up, up ? NULL : db_error(l->db));
	if (up != l->db_up) {
		if (up)
			log_info("database: reachable again");
		else
			log_warn("database: unreachable: %s", db_error(l->db));
	}
	l->db_up = up;
	l->last_db_ms = batch_now_ms();
}

/* Remember the batch's offsets as done (committed again on a revoke and
 * at the end, synchronously). */
static void loop_remember(struct loop *l, const struct batch *b)
{
	const rd_kafka_topic_partition_list_t *o = b->offsets;

	for (int i = 0; i < o->cnt; i++) {
		rd_kafka_topic_partition_t *p;
		p = rd_kafka_topic_partition_list_find(l->stored,
				o->elems[i].topic, o->elems[i].partition);
		if (!p)
			p = rd_kafka_topic_partition_list_add(l->stored,
				o->elems[i].topic, o->elems[i].partition);
		p->offset = o->elems[i].offset;
	}
}

/*
 * Wait for the batch in the database thread.  Once stopping, it has
 * LOOP_STOP_GRACE_MS (counted from the first wait that saw the stop) and
 * then its statement is cancelled (again each second: a cancel that
 * arrives between two statements is ignored): db_write() fails, rolls
 * back, and the batch is left uncommitted, to be consumed again after a
 * restart.
 */
static enum db_result loop_store_wait(struct loop *l, int64_t *ms)
{
	enum db_result r;
	int64_t now, next_cancel = 0;

	while (!store_wait_for(l->st, 100, &r, ms)) {
		if (!loop_stop)
			continue;
		now = batch_now_ms();
		if (!l->stop_ms) {
			l->stop_ms = now;
			log_info("stopping: the batch in the database has %d s "
				 "to finish", LOOP_STOP_GRACE_MS / 1000);
		} else if (now - l->stop_ms >= LOOP_STOP_GRACE_MS &&
			   now >= next_cancel) {
			if (!next_cancel)
				log_warn("stopping: batch still in the database "
					 "after %d s: cancelling its statement",
					 LOOP_STOP_GRACE_MS / 1000);
			db_cancel(l->db);
			next_cancel = now + 1000;
		}
	}
	return r;
}

/*
 * One attempt at the stages of b not yet done (the database's in the
 * database thread, waited for: loop_store_wait()).  0 when
 * the batch is stored and its offsets committed (async); -1 with err on
 * a transient failure.
 */
static int loop_flush_once(struct loop *l, struct batch *b, char *err,
			   size_t errlen)
{
	if (!b->db_done) {
		int64_t ms;

		store_start(l->st, b);
		if (loop_store_wait(l, &ms) != DB_OK) {
			loop_db_health(l, 0);
			snprintf(err, errlen, "database: %s", db_error(l->db));
			return -1;
		}
		b->db_done = 1;
		loop_db_health(l, 1);
	}
	if (b->ndead > 0 && dlq_send(l->dlq, b, err, errlen) < 0)
		return -1;
	/* A failed commit loses nothing: the rows are stored, the next
	 * commit covers these offsets, a redelivery is a no-op. */
	kafka_commit(l->k, b->offsets, 0);
	loop_remember(l, b);
	return 0;
}

/*
 * The database thread's attempt at w, then its other stages: what
 * loop_flush_once() does, the first stage done by the thread.  *ms is how
 * long it all took (the thread's part as the thread timed it).
 */
static int loop_collect(struct loop *l, char *err, size_t errlen,
			int64_t *ms)
{
	enum db_result r = loop_store_wait(l, ms);
	int64_t t0 = batch_now_ms();
	int rc;

	l->inflight = 0;
	if (r != DB_OK) {
		loop_db_health(l, 0);
		snprintf(err, errlen, "database: %s", db_error(l->db));
		return -1;
	}
	l->w->db_done = 1;
	loop_db_health(l, 1);
	rc = loop_flush_once(l, l->w, err, errlen);
	*ms += batch_now_ms() - t0;
	return rc;
}

/* A retry streak: log its start, then every LOOP_LOG_EVERY_MS. */
static void loop_failing(struct loop *l, const struct batch *b,
			 const char *err)
{
	int64_t now = batch_now_ms();

	if (!l->failing_since) {
		l->failing_since = l->failing_logged = now;
		log_warn("batch of %d not stored yet, retrying: %s", b->n, err);
	} else if (now - l->failing_logged >= LOOP_LOG_EVERY_MS) {
		l->failing_logged = now;
		log_warn("batch of %d still not stored after %lld s: %s",
			 b->n, (long long)(now - l->failing_since) / 1000, err);
	}
}

static void loop_message(struct loop *l, rd_kafka_message_t *rkm);

/* Wait ms while serving the consumer (rebalances, statistics). */
static void loop_wait(struct loop *l, int ms)
{
	int64_t end = batch_now_ms() + ms;
	int64_t left;

	while (!loop_stop && !l->dropped &&
	       (left = end - batch_now_ms()) > 0) {
		rd_kafka_message_t *rkm = kafka_poll(l->k,
						     left > 100 ? 100 : (int)left);
		if (rkm)
			loop_message(l, rkm);
	}
}

/* Log what happened to batch b and account for it (loop_done() then
 * empties it). */
static void loop_account(struct loop *l, const struct batch *b, int stored,
			 int64_t ms)
{
	if (stored) {
		metrics_batch(l->m, (uint64_t)b->n, b->inserted,
			      (uint64_t)b->ndead, (double)ms);
		if (l->failing_since)
			log_info("batch of %d stored after %.1f s of retries",
				 b->n, (double)(batch_now_ms() -
						l->failing_since) / 1000);
		l->failing_since = 0;
		log_debug("batch: %d events, %llu inserted, %d dead letters, "
			  "%lld ms", b->n, (unsigned long long)b->inserted,
			  b->ndead, (long long)ms);
	} else if (b->n) {
		log_warn("batch of %d rolled back, not committed: it will be "
			 "consumed again", b->n);
	}
}

/* Log what happened to batch b and account for it; then empty it. */
static void loop_done(struct loop *l, struct batch *b, int stored,
		      int64_t ms)
{
	loop_account(l, b, stored, ms);
	batch_clear(b);
}

/*
 * Finish w, the batch in the thread: collect it, then retry transient
 * failures (see loop.h) until it is stored, the writer stops, or a
 * revoke drops it.  Messages polled meanwhile go to the next batch.
 * Returns 1 when w was stored; with keep, w is then left for the caller
 * to empty (batch_clear()), else it is emptied here.
 */
static int loop_settle(struct loop *l, int keep)
{
	int backoff = 100, stored = 0;
	int64_t ms = 0, t0;
	char err[768];

	l->flushing = 1;
	l->dropped = 0;
	if (loop_collect(l, err, sizeof(err), &ms) == 0)
		stored = 1;
	while (!stored) {
		loop_failing(l, l->w, err);
		if (loop_stop)
			break;
		kafka_pause(l->k);
		loop_wait(l, backoff);
		if (l->dropped || loop_stop)
			break;
		backoff = backoff * 2 > l->cfg->retry_max_ms ?
			  l->cfg->retry_max_ms : backoff * 2;
		t0 = batch_now_ms();
		stored = loop_flush_once(l, l->w, err, sizeof(err)) == 0;
		ms = batch_now_ms() - t0;
	}
	l->flushing = 0;
	kafka_resume(l->k);
	if (stored && keep) {
		loop_account(l, l->w, stored, ms);
		return 1;
	}
	loop_done(l, l->w, stored, ms);
	/* Stopping (or revoked) with w not stored: b, after it, goes too. */
	if (!stored)
		loop_done(l, l->b, 0, 0);
	return stored;
}

/*
 * The collected batch is due: settle the one before it, then hand this
 * one to the database thread and start collecting the next.  The one
 * before, stored, is emptied (its messages destroyed) only once the
 * thread has this one: the database waits for nothing but the handover.
 */
static void loop_flush(struct loop *l)
{
	struct batch *t;
	int stored = 0;

	if (l->inflight)
		stored = loop_settle(l, 1);
	if (loop_stop || l->b->n == 0) {
		if (stored)
			batch_clear(l->w);
		return;
	}
	t = l->w;
	l->w = l->b;
	l->b = t;
	store_start(l->st, l->w);
	l->inflight = 1;
	if (stored)
		batch_clear(l->b);
}

/* A consumed message or a consumer error. */
static void loop_message(struct loop *l, rd_kafka_message_t *rkm)
{
	if (rkm->err) {
		if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
			log_warn("kafka: consume: %s",
				 rd_kafka_message_errstr(rkm));
		rd_kafka_message_destroy(rkm);
		return;
	}
	batch_add(l->b, rkm);
}

/*
 * One attempt each at w (in the thread or not) and then b, for a revoke
 * or the stop.  A batch that fails is dropped, and so is b after a w that
 * failed: committing b's offsets would skip w's messages.
 */
static void loop_last(struct loop *l, const char *why)
{
	char err[768];
	int64_t ms = 0, t0;
	int ok = 1;

	if (l->inflight) {
		ok = loop_collect(l, err, sizeof(err), &ms) == 0;
		if (!ok)
			log_warn("%s: batch not stored: %s", why, err);
		loop_done(l, l->w, ok, ms);
	}
	if (l->b->n == 0)
		return;
	if (ok) {
		t0 = batch_now_ms();
		ok = loop_flush_once(l, l->b, err, sizeof(err)) == 0;
		if (!ok)
			log_warn("%s: batch not stored: %s", why, err);
		ms = batch_now_ms() - t0;
	}
	loop_done(l, l->b, ok, ms);
}

void loop_revoke(void *arg)
{
	struct loop *l = arg;

	if (l->flushing) {
		/* Inside a retry: drop w (loop_settle() sees dropped) and b;
		 * both are consumed again from the committed offsets after
		 * the rebalance. */
		l->dropped = 1;
		batch_clear(l->b);
		return;
	}
	loop_last(l, "rebalance");
	kafka_commit(l->k, l->stored, 1);
	rd_kafka_topic_partition_list_destroy(l->stored);
	l->stored = rd_kafka_topic_partition_list_new(8);
}

/* An idle writer still notices the database going away (for /health). */
static void loop_idle(struct loop *l)
{
	if (batch_now_ms() - l->last_db_ms < LOOP_PING_MS)
		return;
	loop_db_health(l, db_ping(l->db) == DB_OK);
}

/* The batch is due: full, or its first message batch_ms old. */
static int loop_due(const struct loop *l)
{
	const struct batch *b = l->b;

	return b->n > 0 && (b->n >= l->cfg->batch_size ||
			    batch_now_ms() - b->first_ms >= l->cfg->batch_ms);
}

/* The poll timeout: up to the batch's deadline, at most 100 ms (a few
 * ms while a batch is in the thread). */
static int loop_timeout(const struct loop *l)
{
	int64_t left, most = l->inflight ? LOOP_INFLIGHT_POLL_MS : 100;

	if (l->b->n == 0)
		return (int)most;
	left = l->b->first_ms + l->cfg->batch_ms - batch_now_ms();
	return left < 0 ? 0 : left > most ? (int)most : (int)left;
}

/* Stopping: one attempt at the batches, a final commit, leave the group. */
static void loop_finish(struct loop *l)
{
	metrics_set_state(l->m, "stopping");
	loop_last(l, "stopping");
	kafka_commit(l->k, l->stored, 1);
	kafka_close(l->k);
	l->k = NULL;
}

int loop_run(struct loop *l)
{
	metrics_set_state(l->m, "running");
	log_info("consuming as group %s", l->cfg->group);
	while (!loop_stop) {
		rd_kafka_message_t *rkm = kafka_poll(l->k, loop_timeout(l));
		if (rkm)
			loop_message(l, rkm);
		if (l->inflight && store_ready(l->st))
			loop_settle(l, 0);
		if (loop_due(l))
			loop_flush(l);
		else if (l->b->n == 0 && !l->inflight)
			loop_idle(l);
	}
	loop_finish(l);
	return 0;
}
