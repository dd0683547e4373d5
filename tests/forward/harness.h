/*
 * harness.h: what the forwarder's tests and benchmark share.
 *
 * A real uv loop, a real journal in a temporary directory, the forwarder,
 * and the mock Kafka broker helper (tests/broker/agentlog-test-broker) as a
 * child process driven over its stdin; records are read back with
 * tests/broker/agentlog-test-consume.
 */
#ifndef AGENTLOG_TEST_HARNESS_H
#define AGENTLOG_TEST_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <uv.h>

#include "forward.h"
#include "journal.h"

extern int h_failures;

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n",       \
				__FILE__, __LINE__, #cond);                \
			h_failures++;                                      \
		}                                                          \
	} while (0)

/* The broker helper as a child process. */
struct h_broker {
	pid_t pid;
	FILE *in;                /* its stdin: commands */
	FILE *out;               /* its stdout: bootstrap line, answers */
	char bootstrap[512];
};

/* Start agentlog-test-broker with extra arguments (NULL-ended). */
int h_broker_start(struct h_broker *b, const char *const *args);
/* Send a command; 0 when it answered "ok". */
int h_broker_cmd(struct h_broker *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* SIGTERM by pid, wait. */
void h_broker_stop(struct h_broker *b);

/* A path to a tool of the build tree: $AGENTLOG_BUILD/tests/broker/name. */
const char *h_tool(const char *name);

/* One test's world. */
struct h_env {
	uv_loop_t loop;
	char dir[256];           /* temporary journal directory */
	journal_t *j;
	fwd_t *f;
	struct journal_opts jopts;
	struct fwd_opts fopts;
	struct h_broker broker;
	uint64_t appended;       /* events appended so far (value "i") */
	int nkeys;
	size_t size;             /* approximate value size */
	void *user;              /* for a test's wait predicates */
	long allow_missing;      /* h_check_kafka: events allowed absent */
};

/* Create the loop and the temporary directory, start the broker. */
int h_env_init(struct h_env *e, int nkeys, size_t size);
/* Open the journal (jopts as set) and route its callbacks. */
int h_journal_open(struct h_env *e);
/* Start the forwarder at the journal's cursor (fopts as set). */
int h_fwd_start(struct h_env *e);
/* fwd_stop + journal_close, running the loop until their handles close. */
void h_fwd_stop(struct h_env *e, int timeout_ms);
void h_journal_close(struct h_env *e);
/* Everything down, the directory removed; uv_loop_close must succeed. */
void h_env_done(struct h_env *e);

/* Append n events (about e->size bytes each), flushing and turning the
 * loop every chunk records. */
void h_append(struct h_env *e, uint64_t n, unsigned chunk);
/* Append one event only: no flush, no loop turn (for a callback that is
 * already inside the loop: turning it again from there recurses).
 * Returns 0 or a negative errno from journal_reserve(). */
int h_append_one(struct h_env *e);

/* Run the loop until pred(e) or timeout_ms; returns pred's last value. */
int h_wait(struct h_env *e, int (*pred)(struct h_env *), int timeout_ms);
int h_all_delivered(struct h_env *e);
/* Print both sides' figures (on a failed wait). */
void h_dump(struct h_env *e, const char *why);

struct fwd_stats h_stats(struct h_env *e);

/*
 * Read the four topics back and check every appended event 0..n-1 is
 * there with its key, headers (type, event_id matching the value,
 * schema_version) and, per topic and key, in append order (at most
 * e->allow_missing absent).  Returns the number of duplicates found (or
 * -1 on a failed check).
 */
long h_check_kafka(struct h_env *e, uint64_t n);

/* The sum of the four topics' high watermarks. */
long h_kafka_total(struct h_env *e);

#endif
