/*
 * store.h: the database thread, so that a batch is parsed while the one
 * before it is written.
 *
 * The consume loop hands a complete batch to store_start() and goes on
 * polling Kafka and parsing the next one; the thread runs db_write() on
 * it (BEGIN, the COPYs, COMMIT: the server's work and the fsync of the
 * commit).  At most one batch is in the thread at a time, and the loop
 * collects its result with store_wait() before it starts the next, does
 * the dead letters, or commits offsets: the order of the stages and of
 * the batches is what it was without the thread.  While a batch is in
 * the thread, only the thread touches the database connection and that
 * batch.
 */
#ifndef PGW_STORE_H
#define PGW_STORE_H

#include <stdint.h>

#include "batch.h"
#include "db.h"

struct store;

/* Start the thread; exits the process when it cannot. */
struct store *store_new(struct db *db);
/* Stop and join the thread (no batch may be in it). */
void store_free(struct store *s);

/* Hand b to the thread, which runs db_write(db, b).  None may be in it.
 * Returns once the thread has started on b: the caller's CPU goes to it
 * now, not when the caller next sleeps (on 2 cores that was ~0.5 ms per
 * batch with the database idle). */
void store_start(struct store *s, struct batch *b);
/* 1 when the batch handed over is written (store_wait() won't block). */
int store_ready(struct store *s);
/* Wait for the batch handed over; its db_write() result, and how long it
 * took in *ms. */
enum db_result store_wait(struct store *s, int64_t *ms);
/* store_wait() for at most timeout_ms: 1 with *r and *ms when the batch
 * is written, 0 when it is still in the thread. */
int store_wait_for(struct store *s, int timeout_ms, enum db_result *r,
		   int64_t *ms);

#endif
