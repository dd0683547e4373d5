/*
 * test_forward: the forwarder end to end, against a real journal and the
 * mock Kafka cluster in its helper process.
 *
 *   test_forward <case>
 *
 * Every case appends events to the journal, lets the forwarder deliver
 * them and reads all four topics back: each event must be there with its
 * key and headers, in append order per topic and key, and (unless the
 * case allows it) exactly once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>

#include "harness.h"

#define SIZE 400
#define KEYS 50

static int unreachable_lines, back_lines;

static void count_log(void *arg, int level, const char *msg)
{
	fprintf(stderr, "forward log [%d]: %s\n", level, msg);
	if (strncmp(msg, "Kafka unreachable", 17) == 0)
		unreachable_lines++;
	if (strncmp(msg, "Kafka back, draining", 20) == 0)
		back_lines++;
}

static int is_down(struct h_env *e)
{
	return !h_stats(e).up;
}

static int few_segments(struct h_env *e)
{
	struct journal_stats js;

	journal_get_stats(e->j, &js);
	return js.segments <= 1;
}

static int start(struct h_env *e)
{
	if (h_env_init(e, KEYS, SIZE) || h_journal_open(e))
		return -1;
	e->fopts.log = count_log;
	return h_fwd_start(e);
}

/* Reopen the journal: the persisted cursor is where delivery ended. */
static void check_cursor_persisted(struct h_env *e, uint64_t want)
{
	struct journal_stats js;

	h_fwd_stop(e, 1000);
	h_journal_close(e);
	if (h_journal_open(e))
		return;
	journal_get_stats(e->j, &js);
	CHECK(js.cursor == want);
	CHECK(js.next_seq == want);
}

/* Steady flow: everything delivered once, cursor persisted. */
static void case_basic(struct h_env *e)
{
	struct fwd_stats st;

	h_append(e, 20000, 500);
	CHECK(h_wait(e, h_all_delivered, 30000));
	st = h_stats(e);
	CHECK(st.delivered == 20000);
	CHECK(st.produced == 20000);
	CHECK(st.failed == 0 && st.rebuilds == 0 && st.missing == 0);
	CHECK(st.in_flight == 0);
	CHECK(h_check_kafka(e, 20000) == 0);
	CHECK(unreachable_lines == 0);
	check_cursor_persisted(e, st.cursor);
}

/* A tiny window: never more than it between cursor and next produced. */
static void case_window(struct h_env *e)
{
	struct fwd_stats st;
	uint64_t max_gap = 0;

	h_fwd_stop(e, 0);
	e->fopts.window = 256;
	CHECK(h_fwd_start(e) == 0);
	for (int k = 0; k < 40; k++) {
		h_append(e, 250, 50);
		st = h_stats(e);
		if (st.next_seq - st.cursor > max_gap)
			max_gap = st.next_seq - st.cursor;
	}
	CHECK(max_gap <= 256);
	CHECK(h_wait(e, h_all_delivered, 30000));
	CHECK(h_check_kafka(e, 10000) == 0);
}

/*
 * Every broker down mid-stream with a small librdkafka queue: the
 * forwarder stops feeding it, the journal spools, and when the brokers
 * come back the backlog drains from the segments; one log line each way.
 */
static void case_outage(struct h_env *e)
{
	struct journal_stats js;
	struct fwd_stats st;

	h_fwd_stop(e, 0);
	h_journal_close(e);
	e->jopts.segment_bytes = 1 << 20;
	e->fopts.queue_max_kbytes = 1024;
	CHECK(h_journal_open(e) == 0 && h_fwd_start(e) == 0);
	h_append(e, 5000, 500);
	CHECK(h_wait(e, h_all_delivered, 30000));
	CHECK(h_broker_cmd(&e->broker, "down all") == 0);
	h_append(e, 25000, 500);
	CHECK(h_wait(e, is_down, 30000));
	st = h_stats(e);
	journal_get_stats(e->j, &js);
	CHECK(st.cold);
	CHECK(st.cold_switches >= 1);
	CHECK(st.in_flight < 25000);        /* the queue cap held */
	CHECK(js.segments >= 5);            /* the journal is the spool */
	CHECK(unreachable_lines == 1);
	CHECK(h_broker_cmd(&e->broker, "up all") == 0);
	CHECK(h_wait(e, h_all_delivered, 60000));
	st = h_stats(e);
	CHECK(st.up && back_lines == 1 && unreachable_lines == 1);
	CHECK(st.failed == 0 && st.rebuilds == 0);
	CHECK(!st.cold);                    /* caught up: hot again */
	CHECK(h_wait(e, few_segments, 10000));
	CHECK(h_check_kafka(e, 30000) == 0);
	check_cursor_persisted(e, st.cursor);
}

/*
 * Produce requests failing with retriable errors: no loss, no fatal
 * error, no duplicate (an injected error appends nothing).
 */
static void case_errors(struct h_env *e)
{
	static const char *errs[] = { "NOT_LEADER_FOR_PARTITION",
		"REQUEST_TIMED_OUT", "NOT_ENOUGH_REPLICAS" };
	struct fwd_stats st;

	for (int k = 0; k < 3; k++) {
		h_append(e, 3000, 500);
		CHECK(h_broker_cmd(&e->broker, "err Produce 10 %s", errs[k]) == 0);
	}
	h_append(e, 3000, 500);
	CHECK(h_wait(e, h_all_delivered, 60000));
	st = h_stats(e);
	CHECK(st.rebuilds == 0);
	CHECK(st.delivered == 12000);
	CHECK(h_check_kafka(e, 12000) == 0);
}

/*
 * The broker dropping connections in mid-request: no loss, no fatal
 * error.  Duplicates are allowed here: requests already appended on the
 * dropped connection are retried, and librdkafka 2.0.2's mock broker
 * checks producer sequence numbers only for transactional producers (a
 * real broker drops such retries of an idempotent producer).
 */
static void case_disconnects(struct h_env *e)
{
	struct fwd_stats st;
	long dups;

	for (int k = 0; k < 4; k++) {
		h_append(e, 3000, 500);
		CHECK(h_broker_cmd(&e->broker, "err Produce 5 _TRANSPORT") == 0);
	}
	h_append(e, 3000, 500);
	CHECK(h_wait(e, h_all_delivered, 60000));
	st = h_stats(e);
	CHECK(st.rebuilds == 0);
	CHECK(st.delivered == 15000);
	dups = h_check_kafka(e, 15000);
	CHECK(dups >= 0);
	fprintf(stderr, "disconnects: %ld duplicates\n", dups);
}

/*
 * A fatal idempotence error (the broker reports a sequence gap on the
 * head request): the producer is rebuilt and resumes from the cursor;
 * nothing is lost, duplicates are at most what was in flight.
 */
static void case_fatal(struct h_env *e)
{
	struct fwd_stats st;
	long dups;

	h_append(e, 5000, 500);
	CHECK(h_wait(e, h_all_delivered, 30000));
	CHECK(h_broker_cmd(&e->broker, "err Produce 1 "
			   "OUT_OF_ORDER_SEQUENCE_NUMBER") == 0);
	h_append(e, 10000, 500);
	CHECK(h_wait(e, h_all_delivered, 60000));
	st = h_stats(e);
	CHECK(st.rebuilds >= 1);
	dups = h_check_kafka(e, 15000);
	CHECK(dups >= 0 && (uint64_t)dups <= st.reproduced);
	fprintf(stderr, "fatal: %llu rebuilds, %llu reproduced, %ld dups\n",
		(unsigned long long)st.rebuilds,
		(unsigned long long)st.reproduced, dups);
}

/*
 * Stop with undelivered events (brokers down), restart from the
 * persisted cursor: the rest arrives, nothing twice.
 */
static void case_restart(struct h_env *e)
{
	struct journal_stats js;

	h_append(e, 10000, 500);
	CHECK(h_wait(e, h_all_delivered, 30000));
	CHECK(h_broker_cmd(&e->broker, "down all") == 0);
	h_append(e, 10000, 500);
	CHECK(h_wait(e, is_down, 30000));
	h_fwd_stop(e, 0);
	h_journal_close(e);
	CHECK(h_broker_cmd(&e->broker, "up all") == 0);
	CHECK(h_journal_open(e) == 0);
	journal_get_stats(e->j, &js);
	CHECK(js.cursor == 10001);
	CHECK(js.next_seq == 20001);
	CHECK(h_fwd_start(e) == 0);
	CHECK(h_stats(e).cold);
	CHECK(h_wait(e, h_all_delivered, 60000));
	CHECK(h_check_kafka(e, 20000) == 0);
}

/* Flip one byte in the middle of the first segment file. */
static int flip_byte(struct h_env *e)
{
	char path[600];
	struct stat st;
	unsigned char c;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/segments/%020d.seg", e->dir, 1);
	if (stat(path, &st) || !(fp = fopen(path, "r+b")))
		return -1;
	fseek(fp, st.st_size / 2, SEEK_SET);
	c = (unsigned char)fgetc(fp);
	fseek(fp, st.st_size / 2, SEEK_SET);
	fputc(c ^ 0x20, fp);
	fclose(fp);
	return 0;
}

/*
 * A flipped byte inside a segment, found by the cold path: the record is
 * quarantined and stepped over (counted as missing), everything else is
 * delivered and the cursor reaches the end.
 */
static void case_corrupt(struct h_env *e)
{
	struct journal_stats js;
	struct fwd_stats st;

	h_fwd_stop(e, 0);
	h_append(e, 10000, 500);
	h_journal_close(e);
	CHECK(flip_byte(e) == 0);
	CHECK(h_journal_open(e) == 0 && h_fwd_start(e) == 0);
	CHECK(h_wait(e, h_all_delivered, 30000));
	st = h_stats(e);
	journal_get_stats(e->j, &js);
	CHECK(st.missing == 1);
	CHECK(st.delivered == 9999);
	CHECK(js.quarantined >= 1);
	e->allow_missing = 1;
	CHECK(h_check_kafka(e, 10000) == 0);
}

/*
 * --when-full drop-oldest during an outage: the journal drops undelivered
 * segments and tells the forwarder, which stops waiting for them; when
 * the brokers return the rest is delivered and the cursor reaches the
 * end.  Kafka holds every event not dropped, once.
 */
static void case_dropped(struct h_env *e)
{
	struct journal_stats js;

	h_fwd_stop(e, 0);
	h_journal_close(e);
	e->jopts.max_bytes = 4 << 20;
	e->jopts.segment_bytes = 1 << 20;
	e->jopts.when_full = JOURNAL_FULL_DROP_OLDEST;
	/* A segment with unsynced bytes is never dropped: no syncs to wait
	 * for keeps what is dropped independent of timing. */
	e->jopts.fsync = JOURNAL_FSYNC_NEVER;
	e->fopts.queue_max_kbytes = 256;
	CHECK(h_journal_open(e) == 0 && h_fwd_start(e) == 0);
	CHECK(h_broker_cmd(&e->broker, "down all") == 0);
	h_append(e, 20000, 200);
	CHECK(h_wait(e, is_down, 30000));
	journal_get_stats(e->j, &js);
	CHECK(js.dropped_oldest > 0);
	CHECK(h_stats(e).cursor >= js.cursor);
	CHECK(h_broker_cmd(&e->broker, "up all") == 0);
	CHECK(h_wait(e, h_all_delivered, 60000));
	e->allow_missing = (long)js.dropped_oldest;
	CHECK(h_check_kafka(e, 20000) == 0);
	fprintf(stderr, "dropped: %llu events dropped by the journal\n",
		(unsigned long long)js.dropped_oldest);
}

static const struct {
	const char *name;
	void (*run)(struct h_env *);
} cases[] = {
	{ "basic", case_basic },
	{ "window", case_window }, { "outage", case_outage },
	{ "errors", case_errors }, { "disconnects", case_disconnects },
	{ "fatal", case_fatal },
	{ "restart", case_restart }, { "corrupt", case_corrupt },
	{ "dropped", case_dropped },
};

int main(int argc, char **argv)
{
	struct h_env e;
	size_t i;

	for (i = 0; argc == 2 && i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(argv[1], cases[i].name) != 0)
			continue;
		if (start(&e) == 0)
			cases[i].run(&e);
		else
			h_failures++;
		h_env_done(&e);
		fprintf(stderr, "test_forward %s: %s\n", argv[1],
			h_failures ? "FAILED" : "ok");
		return h_failures ? 1 : 0;
	}
	fprintf(stderr, "usage: test_forward <case>\n");
	return 2;
}
