/*
 * test_journal_sync: durability and failure paths, with faults injected
 * through daemon/journal_fault.h (this build has AGENTLOG_FAULTS).
 *   - fsync always: the durable callback comes only after the sync
 *     completes (a slowed fdatasync makes that visible), and many flushes
 *     during a sync share the next one (group commit: syncs < appends).
 *   - fsync interval: by bytes (at once) and by time (not before).
 *   - fdatasync fails: durable_seq does not move, the bytes are rewritten
 *     and synced again, then it moves; persistent failure bounds RAM.
 *   - pwrite fails (ENOSPC, EIO), including after a short write: no
 *     crash, nothing acknowledged, reserve refuses at the bound, and the
 *     retry timer alone writes everything once the fault clears.
 *   - opening a new segment fails: retried, nothing lost.
 *   - a partial batch at close: reopen cuts the torn tail.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "journal_fault.h"
#include "jtest.h"
#include "tdir.h"

static uint64_t want_durable;

static int durable_reached(struct jt *t)
{
	return t->durable >= want_durable;
}

static void test_always_waits_for_sync(void)
{
	struct jt t;
	int err;

	jt_init(&t, "jsync");
	t.o.fsync = JOURNAL_FSYNC_ALWAYS;
	jt_open(&t);
	journal_fault_delay(JOURNAL_FAULT_FSYNC, 60);
	double t0 = tdir_now_ms();
	CHECK(jt_append1(&t, 300, &err) == 1);
	CHECK_EQ_U64(journal_flush(t.j), 0);
	CHECK_EQ_U64(jt_stats(&t).written_seq, 1);
	CHECK_EQ_U64(t.written_calls, 1);       /* forwarder already has it */
	jt_run_for(&t, 20);
	CHECK_EQ_U64(t.durable, 0);             /* sync still running */
	CHECK_EQ_U64(jt_stats(&t).durable_seq, 0);
	want_durable = 1;
	CHECK(jt_wait(&t, durable_reached, 5000));
	CHECK(tdir_now_ms() - t0 >= 55);
	CHECK_EQ_U64(jt_stats(&t).fsyncs, 1);
	journal_fault_delay(JOURNAL_FAULT_FSYNC, 0);
	jt_fini(&t);
}

static void test_group_commit(void)
{
	struct jt t;
	int err;

	jt_init(&t, "jgroup");
	t.o.fsync = JOURNAL_FSYNC_ALWAYS;
	jt_open(&t);
	journal_fault_delay(JOURNAL_FAULT_FSYNC, 5);
	/* 3000 appends, each flushed on its own loop turn, spread over
	 * about 300 ms (60 sync times) */
	for (int i = 0; i < 3000; i++) {
		CHECK(jt_append1(&t, 400, &err) != 0);
		CHECK_EQ_U64(journal_flush(t.j), 0);
		if (i % 10 == 9)
			jt_run_for(&t, 1);
		else
			uv_run(&t.loop, UV_RUN_NOWAIT);
	}
	want_durable = 3000;
	CHECK(jt_wait(&t, durable_reached, 10000));
	struct journal_stats st = jt_stats(&t);
	printf("group commit: 3000 appends+flushes, %llu syncs, %llu durable "
	       "callbacks\n", (unsigned long long)st.fsyncs,
	       (unsigned long long)t.durable_calls);
	CHECK(st.fsyncs < 3000 / 10);
	CHECK(st.fsyncs >= 1);
	CHECK_EQ_U64(t.durable_calls, st.fsyncs);
	journal_fault_delay(JOURNAL_FAULT_FSYNC, 0);
	uint64_t first, last;
	CHECK_EQ_U64(jt_read_all(&t, 1, &first, &last, NULL, 0), 3000);
	jt_fini(&t);
}

static void test_interval(void)
{
	struct jt t;
	int err;

	jt_init(&t, "jinterval");
	t.o.fsync = JOURNAL_FSYNC_INTERVAL;
	t.o.fsync_interval_ms = 10000;
	t.o.fsync_bytes = 64 * 1024;
	jt_open(&t);
	/* 100 KB at once: past fsync_bytes, synced without waiting 10 s */
	CHECK_EQ_U64(jt_append(&t, 250, 400, 250, &err), 250);
	want_durable = 250;
	CHECK(jt_wait(&t, durable_reached, 3000));
	/* a little: waits for the interval */
	jt_fini(&t);

	jt_init(&t, "jinterval");
	t.o.fsync = JOURNAL_FSYNC_INTERVAL;
	t.o.fsync_interval_ms = 300;
	t.o.fsync_bytes = 1 << 30;
	jt_open(&t);
	double t0 = tdir_now_ms();
	CHECK_EQ_U64(jt_append(&t, 3, 400, 3, &err), 3);
	jt_run_for(&t, 100);
	CHECK_EQ_U64(t.durable, 0);
	want_durable = 3;
	CHECK(jt_wait(&t, durable_reached, 3000));
	double el = tdir_now_ms() - t0;
	CHECK(el >= 290 && el < 2000);
	CHECK_EQ_U64(jt_stats(&t).fsyncs, 1);
	jt_fini(&t);
}

static int fsync_failed_once(struct jt *t)
{
	return jt_stats(t).fsync_errors >= 1;
}

static void test_fsync_failure(void)
{
	struct jt t;
	int err;

	jt_init(&t, "jfsyncfail");
	t.quiet = 1;
	t.o.fsync = JOURNAL_FSYNC_ALWAYS;
	jt_open(&t);
	journal_fault_set(JOURNAL_FAULT_FSYNC, 2, EIO);
	uint64_t writes0 = journal_fault_calls(JOURNAL_FAULT_WRITE);
	CHECK_EQ_U64(jt_append(&t, 50, 400, 50, &err), 50);
	CHECK(jt_wait(&t, fsync_failed_once, 3000));
	CHECK_EQ_U64(t.durable, 0);             /* a failed sync proves nothing */
	CHECK_EQ_U64(jt_stats(&t).durable_seq, 0);
	want_durable = 50;
	CHECK(jt_wait(&t, durable_reached, 5000));
	struct journal_stats st = jt_stats(&t);
	/* two failed calls: the data file's and (same job) the directory's,
	 * or two jobs */
	CHECK_EQ_U64(journal_fault_hits(JOURNAL_FAULT_FSYNC), 2);
	CHECK(st.fsync_errors >= 1 && st.fsync_errors <= 2);
	CHECK_EQ_U64(st.fsyncs, 1);
	/* the data was written again after each failure */
	CHECK(journal_fault_calls(JOURNAL_FAULT_WRITE) - writes0 >=
	      1 + st.fsync_errors);
	CHECK(jt_log_has(&t, "fdatasync(segments/"));
	CHECK(jt_log_has(&t, "rewriting"));
	uint64_t first, last;
	CHECK_EQ_U64(jt_read_all(&t, 1, &first, &last, NULL, 0), 50);

	/* failing for good: accepted until the bound, then -EIO; RAM stays
	 * bounded; all of it durable once syncs work again */
	journal_fault_set(JOURNAL_FAULT_FSYNC, -1, EIO);
	uint64_t n = jt_append(&t, 100000, 400, 100, &err);
	CHECK_EQ_U64(err, -EIO);
	CHECK(n > 1000 && n < 100000);
	CHECK(jt_stats(&t).ram_bytes <= JOURNAL_PENDING_MAX);
	CHECK_EQ_U64(t.durable, 50);
	journal_fault_set(JOURNAL_FAULT_FSYNC, 0, 0);
	want_durable = 50 + n;
	CHECK(jt_wait(&t, durable_reached, 10000));
	CHECK_EQ_U64(jt_read_all(&t, 1, &first, &last, NULL, 0), 50 + n);
	CHECK(jt_append1(&t, 400, &err) != 0);
	jt_fini(&t);
}

static int all_written(struct jt *t)
{
	struct journal_stats st = jt_stats(t);
	return st.written_seq + 1 == st.next_seq && !st.write_failing;
}

static void test_write_failure(int errnum, int fsync)
{
	struct jt t;
	int err;

	jt_init(&t, "jwritefail");
	t.quiet = 1;
	t.o.fsync = fsync;
	t.o.segment_bytes = 1 << 20;
	jt_open(&t);
	CHECK_EQ_U64(jt_append(&t, 100, 400, 100, &err), 100);
	want_durable = 100;
	CHECK(jt_wait(&t, durable_reached, 3000));

	journal_fault_set(JOURNAL_FAULT_WRITE, -1, errnum);
	CHECK(jt_append1(&t, 400, &err) == 101);
	CHECK_EQ_U64(journal_flush(t.j), -errnum);
	struct journal_stats st = jt_stats(&t);
	CHECK(st.write_errors >= 1 && st.write_failing && st.last_errno == errnum);
	CHECK_EQ_U64(st.written_seq, 100);
	CHECK_EQ_U64(t.written_next, 101);      /* not handed to the forwarder */
	CHECK(jt_log_has(&t, "pwrite(segments/"));
	/* keep accepting until the bound, then refuse with the write's errno */
	uint64_t n = jt_append(&t, 100000, 400, 50, &err);
	CHECK_EQ_U64(err, -errnum);
	CHECK(n > 1000 && n < 100000);
	CHECK(jt_stats(&t).ram_bytes <= JOURNAL_PENDING_MAX + 4096);
	CHECK_EQ_U64(t.durable, 100);
	/* the disk comes back: the retry timer writes it all, no flush from us */
	journal_fault_set(JOURNAL_FAULT_WRITE, 0, 0);
	CHECK(jt_wait(&t, all_written, 5000));
	want_durable = 101 + n;
	CHECK(jt_wait(&t, durable_reached, 5000));
	CHECK(!t.written_gap);
	CHECK(jt_log_has(&t, "work again"));
	uint64_t first, last;
	CHECK_EQ_U64(jt_read_all(&t, 1, &first, &last, NULL, 0), 101 + n);
	CHECK(jt_append1(&t, 400, &err) != 0);
	jt_fini(&t);
}

static void test_short_write(void)
{
	struct jt t;
	int err;

	jt_init(&t, "jshort");
	t.quiet = 1;
	t.o.fsync = JOURNAL_FSYNC_ALWAYS;
	jt_open(&t);
	/* half a batch lands, then ENOSPC: whole records of the half go to
	 * the forwarder, the rest waits; nothing durable beyond them */
	journal_fault_set(JOURNAL_FAULT_SHORT, 1, 0);
	journal_fault_after(JOURNAL_FAULT_WRITE, 1);
	journal_fault_set(JOURNAL_FAULT_WRITE, -1, ENOSPC);
	CHECK_EQ_U64(jt_append(&t, 100, 400, 1000, &err), 100);
	struct journal_stats st = jt_stats(&t);
	CHECK(st.write_failing);
	CHECK(st.written_seq > 10 && st.written_seq < 100);
	CHECK_EQ_U64(t.written_next, st.written_seq + 1);
	journal_fault_set(JOURNAL_FAULT_WRITE, 0, 0);
	want_durable = 100;
	CHECK(jt_wait(&t, durable_reached, 5000));
	uint64_t first, last, cb;
	CHECK_EQ_U64(jt_read_all(&t, 1, &first, &last, &cb, 0), 100);
	CHECK_EQ_U64(cb, 0);
	jt_close(&t);

	/* the same, but the daemon stops while the batch is half written
	 * (101 records: the half ends inside one) */
	jt_open(&t);
	journal_fault_set(JOURNAL_FAULT_SHORT, 1, 0);
	journal_fault_after(JOURNAL_FAULT_WRITE, 1);
	journal_fault_set(JOURNAL_FAULT_WRITE, -1, ENOSPC);
	CHECK_EQ_U64(jt_append(&t, 101, 400, 1000, &err), 101);
	uint64_t written = jt_stats(&t).written_seq;
	CHECK(written > 100 && written < 201);
	jt_close(&t);
	CHECK(jt_log_has(&t, "not written"));
	journal_fault_set(JOURNAL_FAULT_WRITE, 0, 0);
	jt_open(&t);
	st = jt_stats(&t);
	CHECK_EQ_U64(st.next_seq, written + 1);
	CHECK(st.torn_bytes > 0);
	CHECK_EQ_U64(jt_read_all(&t, 1, &first, &last, &cb, 0), written);
	jt_fini(&t);
}

static void test_roll_failure(void)
{
	struct jt t;
	int err;

	jt_init(&t, "jroll");
	t.quiet = 1;
	t.o.segment_bytes = 16 * 1024;
	jt_open(&t);
	CHECK_EQ_U64(jt_append(&t, 50, 400, 50, &err), 50);
	journal_fault_set(JOURNAL_FAULT_OPEN, 2, EMFILE);
	CHECK_EQ_U64(jt_append(&t, 50, 400, 50, &err), 50);
	CHECK(jt_stats(&t).write_errors >= 1);
	CHECK(jt_log_has(&t, "open(segments/"));
	CHECK(jt_wait(&t, all_written, 5000));
	uint64_t first, last;
	CHECK_EQ_U64(jt_read_all(&t, 1, &first, &last, NULL, 0), 100);
	CHECK(jt_stats(&t).segments >= 2);
	jt_fini(&t);
}

/* Closing while syncs fail for good must not hang; the loss window is
 * logged.  The data is still in the page cache: a reopen reads it all. */
static void test_close_while_failing(int mode)
{
	struct jt t;
	uint64_t first, last;
	int err;

	jt_init(&t, "jclosefail");
	t.quiet = 1;
	t.o.fsync = mode;
	jt_open(&t);
	journal_fault_set(JOURNAL_FAULT_FSYNC, -1, EIO);
	CHECK_EQ_U64(jt_append(&t, 10, 400, 10, &err), 10);
	jt_run_for(&t, 50);
	jt_close(&t);
	CHECK(jt_log_has(&t, "the final sync failed"));
	journal_fault_set(JOURNAL_FAULT_FSYNC, 0, 0);
	jt_open(&t);
	CHECK_EQ_U64(jt_read_all(&t, 1, &first, &last, NULL, 0), 10);
	jt_fini(&t);
}

/*
 * A writer slower than ingest, across segment rolls, as agentlogd drives
 * the journal (journal_flush_async each turn, completions from the loop):
 * the records held in memory never pass JOURNAL_RAM_MAX, nor does the
 * buffer holding them; ingest is told to wait (-ENOBUFS) instead, and
 * everything is written in the end.  (A
 * roll used to double a full buffer and the cap was checked only when
 * the buffer was full: memory grew to 137 MB at full speed.)
 */
static void test_ram_bound_slow_writer(void)
{
	struct jt t;
	uint64_t n = 0, waits = 0, max_ram = 0, max_buf = 0, first, last;
	int err;

	jt_init(&t, "jrambound");
	t.o.fsync = JOURNAL_FSYNC_INTERVAL;
	t.o.segment_bytes = 4 << 20;
	jt_open(&t);
	journal_fault_delay(JOURNAL_FAULT_WRITE, 20);
	while (n < 120000) {
		if (jt_append1(&t, 600, &err) == 0) {
			CHECK_EQ_U64(err, -ENOBUFS);
			waits++;
			journal_flush_async(t.j);
			uv_run(&t.loop, UV_RUN_ONCE);
			continue;
		}
		n++;
		struct journal_stats st = jt_stats(&t);
		if (st.ram_bytes > max_ram)
			max_ram = st.ram_bytes;
		if (st.buf_bytes > max_buf)
			max_buf = st.buf_bytes;
		if (n % 100 == 0) {
			journal_flush_async(t.j);
			uv_run(&t.loop, UV_RUN_NOWAIT);
		}
	}
	journal_fault_delay(JOURNAL_FAULT_WRITE, 0);
	CHECK_EQ_U64(journal_flush(t.j), 0);
	printf("slow writer: %llu records, %llu waits, at most %llu bytes held\n",
	       (unsigned long long)n, (unsigned long long)waits,
	       (unsigned long long)max_ram);
	CHECK(waits > 0);
	CHECK(max_ram <= JOURNAL_RAM_MAX);
	CHECK(max_buf <= JOURNAL_RAM_MAX);
	CHECK(jt_stats(&t).segments > 10);
	CHECK_EQ_U64(jt_read_all(&t, 1, &first, &last, NULL, 0), n);
	jt_fini(&t);
}

int main(void)
{
	test_ram_bound_slow_writer();
	test_always_waits_for_sync();
	test_group_commit();
	test_interval();
	test_fsync_failure();
	test_write_failure(ENOSPC, JOURNAL_FSYNC_NEVER);
	test_write_failure(EIO, JOURNAL_FSYNC_ALWAYS);
	test_short_write();
	test_roll_failure();
	test_close_while_failing(JOURNAL_FSYNC_ALWAYS);
	test_close_while_failing(JOURNAL_FSYNC_INTERVAL);
	printf("journal sync ok\n");
	return 0;
}
