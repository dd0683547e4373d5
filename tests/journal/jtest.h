/*
 * jtest.h: a harness for the journal tests.  It plays the daemon: a real
 * uv loop, a journal in a temporary directory, records appended with
 * reserve/commit and flushed, callbacks recorded, the segments read back
 * with a rec_reader and every record checked (seq, key, value).
 */
#ifndef AGENTLOG_TEST_JTEST_H
#define AGENTLOG_TEST_JTEST_H

#include <stdint.h>
#include <uv.h>

#include "journal.h"

#define JT_KEY "0b7e2f4a-1c3d-4e5f-8a9b-0c1d2e3f4a5b"

struct jt {
	uv_loop_t loop;
	journal_t *j;
	const char *dir;
	char segdir[600];
	struct journal_opts o;
	/* callbacks seen */
	uint64_t durable, durable_calls;
	uint64_t written_next;       /* next seq the written cb should start at */
	uint64_t written_calls, written_bytes;
	uint64_t dropped_calls, dropped_events, dropped_cursor;
	int written_gap;             /* a written batch did not follow on */
	/* log lines */
	char log[32768];
	size_t loglen;
	int nlog;
	int quiet;
};

void jt_init(struct jt *t, const char *tag);
/* Open with t->o (dir filled in); exits on failure.  Returns open's rc
 * when allow_fail, else 0. */
int jt_open(struct jt *t);
void jt_close(struct jt *t);
/* Close the loop: every handle must be gone. */
void jt_fini(struct jt *t);
/* Append one record with a value of about vlen bytes (its seq inside).
 * Returns its seq, or 0 with *err set. */
uint64_t jt_append1(struct jt *t, size_t vlen, int *err);
/* Append n records and flush after every batch of per_flush.  Returns how
 * many were accepted (stops at the first refusal, its errno in *err). */
uint64_t jt_append(struct jt *t, uint64_t n, size_t vlen, uint64_t per_flush,
		   int *err);
/* Run the loop until pred(t) or timeout_ms; returns pred(t). */
int jt_wait(struct jt *t, int (*pred)(struct jt *), int timeout_ms);
/* Run the loop for ms (timers, worker completions). */
void jt_run_for(struct jt *t, int ms);
/* Read every record from from_seq on with a rec_reader, checking each
 * against what jt_append wrote.  Returns the count and the first and
 * last seqs read. */
uint64_t jt_read_all(struct jt *t, uint64_t from_seq, uint64_t *first,
		     uint64_t *last, uint64_t *corrupt_bytes, int quarantine);
int jt_log_has(const struct jt *t, const char *needle);
struct journal_stats jt_stats(const struct jt *t);
/* Mode bits of a path, or -1. */
int jt_mode(const char *path);

#endif
