/*
 * test_journal_cursor: the delivered prefix.
 *   - journal_set_cursor persists the cursor file (tmp + rename, 0600) and
 *     then deletes exactly the segments wholly behind it; the reader then
 *     starts at the segment holding the cursor.
 *   - persisting is rate-limited (a burst of 2000 updates costs a handful
 *     of cursor writes), and done at close.
 *   - the persisted cursor never passes durable_seq + 1 (fsync always with
 *     a slow sync: the file waits for the data).
 *   - reopen: the cursor is read back; a corrupt or missing file falls
 *     back to the oldest segment, logged; a cursor past the end moves the
 *     sequence on instead of reusing numbers.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "crc32c.h"
#include "journal_fault.h"
#include "jtest.h"
#include "tdir.h"

/* The cursor file's value, or 0 when missing. */
static uint64_t cursor_file(struct jt *t)
{
	char p[700];
	size_t len;
	snprintf(p, sizeof p, "%s/j/cursor", t->dir);
	char *b = tdir_read(p, &len);
	if (b == NULL)
		return 0;
	uint64_t v = strtoull(b, NULL, 10);
	free(b);
	return v;
}

static uint64_t want_cursor;

static int cursor_persisted(struct jt *t)
{
	return cursor_file(t) == want_cursor;
}

static int segs_now;

static int segments_down(struct jt *t)
{
	return tdir_count(t->segdir, ".seg") == segs_now;
}

static int segs_before;

static int deleted_behind(struct jt *t)
{
	uint64_t n = jt_stats(t).segments;
	return n < (uint64_t)segs_before &&
	       n == (uint64_t)tdir_count(t->segdir, ".seg");
}

static void test_persist_and_delete(void)
{
	struct jt t;
	uint64_t first, last;
	int err;

	jt_init(&t, "jcursor");
	t.o.segment_bytes = 16 * 1024;
	jt_open(&t);
	want_cursor = 1;
	CHECK(jt_wait(&t, cursor_persisted, 2000));   /* written at open */
	/* the first segment of a new journal is dated by its first record
	 * (it once stayed 0 until the first roll: status showed no age) */
	CHECK_EQ_U64(jt_append(&t, 3, 400, 3, &err), 3);
	CHECK_EQ_U64(jt_stats(&t).oldest_ms, 1700000000000 + 1);
	CHECK_EQ_U64(jt_append(&t, 997, 400, 5, &err), 997);
	int nseg = tdir_count(t.segdir, ".seg");
	CHECK(nseg >= 20);
	CHECK_EQ_U64(jt_read_all(&t, 1, &first, &last, NULL, 0), 1000);

	journal_set_cursor(t.j, 500);
	want_cursor = 500;
	CHECK(jt_wait(&t, cursor_persisted, 2000));
	/* the unlinks follow the cursor file; their completion updates the
	 * segment count */
	segs_before = nseg;
	CHECK(jt_wait(&t, deleted_behind, 2000));
	/* the segment holding 500 stays, every one before it goes */
	CHECK_EQ_U64(jt_read_all(&t, 1, &first, &last, NULL, 0),
		     1000 - first + 1);
	CHECK(first <= 500 && first > 450);
	CHECK_EQ_U64(last, 1000);
	struct journal_stats st = jt_stats(&t);
	CHECK_EQ_U64(st.cursor, 500);
	CHECK_EQ_U64(st.backlog_events, 501);
	CHECK_EQ_U64(st.segments, (uint64_t)tdir_count(t.segdir, ".seg"));
	CHECK(st.oldest_ms >= 1700000000000 + (int64_t)first);
	char p[700];
	snprintf(p, sizeof p, "%s/j/cursor", t.dir);
	CHECK_EQ_U64(jt_mode(p), 0600);
	snprintf(p, sizeof p, "%s/j/cursor.tmp", t.dir);
	CHECK_EQ_U64(jt_mode(p), (uint64_t)-1);

	/* the cursor never moves back, and is clamped to the end */
	journal_set_cursor(t.j, 10);
	CHECK_EQ_U64(jt_stats(&t).cursor, 500);
	journal_set_cursor(t.j, 99999);
	CHECK_EQ_U64(jt_stats(&t).cursor, 1001);
	segs_now = 1;
	CHECK(jt_wait(&t, segments_down, 2000));   /* all but the current */
	CHECK_EQ_U64(jt_stats(&t).backlog_events, 0);
	CHECK_EQ_U64(jt_stats(&t).oldest_ms, 0);
	jt_fini(&t);
}

static void test_rate_limit_and_close(void)
{
	struct jt t;
	int err;

	jt_init(&t, "jcursorrate");
	t.o.segment_bytes = 16 * 1024;
	jt_open(&t);
	CHECK_EQ_U64(jt_append(&t, 3000, 400, 100, &err), 3000);
	jt_run_for(&t, 150);
	/* fsync never: the only fsyncs are the cursor file's (2 each) */
	uint64_t calls0 = journal_fault_calls(JOURNAL_FAULT_FSYNC);
	double t0 = tdir_now_ms();
	for (uint64_t c = 2; c <= 2000; c++) {
		journal_set_cursor(t.j, c);
		if (c % 20 == 0)
			jt_run_for(&t, 1);
	}
	double el = tdir_now_ms() - t0;
	want_cursor = 2000;
	CHECK(jt_wait(&t, cursor_persisted, 2000));
	uint64_t writes = (journal_fault_calls(JOURNAL_FAULT_FSYNC) - calls0) / 2;
	printf("cursor: 1999 updates over %.0f ms -> %llu cursor writes\n", el,
	       (unsigned long long)writes);
	CHECK(writes >= 1 && writes <= el / 100 + 3);
	/* at close, whatever the rate limit */
	journal_set_cursor(t.j, 2500);
	jt_close(&t);
	want_cursor = 2500;
	CHECK(cursor_persisted(&t));
	jt_open(&t);
	CHECK_EQ_U64(jt_stats(&t).cursor, 2500);
	CHECK_EQ_U64(jt_stats(&t).next_seq, 3001);
	jt_fini(&t);
}

static void test_cursor_waits_for_durable(void)
{
	struct jt t;
	int err;

	jt_init(&t, "jcursordur");
	t.o.fsync = JOURNAL_FSYNC_ALWAYS;
	jt_open(&t);
	want_cursor = 1;
	CHECK(jt_wait(&t, cursor_persisted, 2000));
	journal_fault_delay(JOURNAL_FAULT_FSYNC, 300);
	CHECK_EQ_U64(jt_append(&t, 100, 400, 100, &err), 100);
	/* the forwarder got them from the written callback and delivered */
	journal_set_cursor(t.j, 101);
	jt_run_for(&t, 150);
	CHECK_EQ_U64(t.durable, 0);
	CHECK_EQ_U64(cursor_file(&t), 1);      /* data not synced: not yet */
	want_cursor = 101;
	CHECK(jt_wait(&t, cursor_persisted, 5000));
	CHECK_EQ_U64(t.durable, 100);
	journal_fault_delay(JOURNAL_FAULT_FSYNC, 0);
	jt_fini(&t);
}

static void write_cursor(struct jt *t, const char *s)
{
	char p[700];
	snprintf(p, sizeof p, "%s/j/cursor", t->dir);
	CHECK(tdir_write(p, s, strlen(s), 0) == 0);
}

static void test_bad_cursor_files(void)
{
	struct jt t;
	int err;

	jt_init(&t, "jcursorbad");
	t.quiet = 1;
	t.o.segment_bytes = 16 * 1024;
	jt_open(&t);
	CHECK_EQ_U64(jt_append(&t, 200, 400, 100, &err), 200);
	journal_set_cursor(t.j, 150);
	jt_close(&t);
	uint64_t first, last;

	/* corrupt: a digit changed, the CRC no longer matches */
	want_cursor = 150;
	CHECK(cursor_persisted(&t));
	char p[700];
	size_t len;
	snprintf(p, sizeof p, "%s/j/cursor", t.dir);
	char *b = tdir_read(p, &len);
	b[17] = '9';
	write_cursor(&t, b);
	free(b);
	jt_open(&t);
	CHECK(jt_log_has(&t, "cursor unreadable (corrupt)"));
	jt_read_all(&t, 1, &first, &last, NULL, 0);
	CHECK_EQ_U64(jt_stats(&t).cursor, first);  /* the oldest segment */
	CHECK(first > 100 && first <= 150);
	jt_close(&t);

	/* missing: the same, quietly */
	CHECK(unlink(p) == 0);
	t.loglen = 0;
	t.log[0] = '\0';
	jt_open(&t);
	CHECK_EQ_U64(jt_stats(&t).cursor, first);
	CHECK(!jt_log_has(&t, "cursor"));
	jt_close(&t);

	/* past the end (records lost with the page cache): seqs move on */
	char line[64];
	int n = snprintf(line, sizeof line, "%020d", 5000);
	snprintf(line + n, sizeof line - (size_t)n, " %08x\n",
		 crc32c(0, line, (size_t)n));
	write_cursor(&t, line);
	jt_open(&t);
	CHECK(jt_log_has(&t, "past the journal's end"));
	CHECK_EQ_U64(jt_stats(&t).next_seq, 5000);
	CHECK_EQ_U64(jt_append1(&t, 400, &err), 5000);
	journal_flush(t.j);
	CHECK_EQ_U64(jt_read_all(&t, 1, &first, &last, NULL, 0),
		     200 - first + 2);
	CHECK_EQ_U64(last, 5000);
	jt_fini(&t);
}

int main(void)
{
	test_persist_and_delete();
	test_rate_limit_and_close();
	test_cursor_waits_for_durable();
	test_bad_cursor_files();
	printf("journal cursor ok\n");
	return 0;
}
