/*
 * batch.h: the messages of one transaction.
 *
 * batch_add() takes a consumed message, parses and validates it and keeps
 * either its row or the reason it can never be stored (a dead letter).
 * The message itself is kept until the batch is done: a dead letter is
 * its original bytes and headers, and the offsets to commit come from it.
 * Each stage of storing a batch (rows, dead letters, offsets) is marked
 * done, so a retry after a transient failure resumes where it stopped.
 */
#ifndef PGW_BATCH_H
#define PGW_BATCH_H

#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "config.h"
#include "row.h"

struct batch_msg {
	rd_kafka_message_t *rkm;
	char *error;          /* malloc'd: why it is a dead letter, or NULL */
	int dlq_done;         /* the DLQ topic acknowledged it */
	int in_copy;          /* its row is in the batch's COPY text */
	struct row row;       /* its values, when error is NULL */
};

struct batch {
	struct batch_msg *msgs;
	int n;
	int cap;
	int ndead;
	struct row_buf buf;                       /* the rows' values */
	/* The COPY text of each table's rows, written as they are parsed
	 * (so the database thread only sends it); stale once a row in it
	 * has become a dead letter (the database refused it), and then
	 * written again from the values. */
	struct row_buf copy[ROW_TYPE_COUNT];
	int copy_rows[ROW_TYPE_COUNT];
	int copy_stale;
	rd_kafka_topic_partition_list_t *offsets; /* next offset per partition */
	int64_t first_ms;     /* monotonic ms when the first message came */
	int db_done;          /* rows stored and committed */
	uint64_t inserted;    /* rows the database took (not duplicates) */
	const struct config *cfg;
};

struct batch *batch_new(const struct config *cfg);
void batch_free(struct batch *b);
/* Forget every message (destroying them) and start over. */
void batch_clear(struct batch *b);

/*
 * Add a consumed message (taken over: destroyed by batch_clear()).
 * Never fails: a message that cannot be stored becomes a dead letter.
 */
void batch_add(struct batch *b, rd_kafka_message_t *rkm);

/* Make message i a dead letter, for the reason given. */
void batch_kill(struct batch *b, int i, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Monotonic milliseconds. */
int64_t batch_now_ms(void);

#endif
