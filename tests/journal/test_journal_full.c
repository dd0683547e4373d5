/*
 * test_journal_full: the size cap and its policies, with exact counts.
 *   - reject: reserve fails with -ENOSPC once full, every refusal counted,
 *     nothing journaled touched; delivering (the cursor) frees room.
 *   - drop-oldest: every append accepted; whole oldest segments deleted;
 *     dropped_oldest counts exactly the undelivered events lost (none of
 *     the delivered ones), the drop callback reports the same ranges and
 *     the cursor moves past them; the disk stays under the cap.
 *   - a segment with unsynced bytes is never dropped (refused instead).
 *   - journal-only retention by size (expired, not dropped) and by age.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "journal_fault.h"
#include "jtest.h"
#include "tdir.h"

#define CAP (256 * 1024)

static void test_reject(void)
{
	struct jt t;
	uint64_t first, last, fails = 0;
	int err;

	jt_init(&t, "jfullrej");
	t.quiet = 1;
	t.o.max_bytes = CAP;
	t.o.when_full = JOURNAL_FULL_REJECT;
	jt_open(&t);
	uint64_t n = jt_append(&t, 100000, 400, 10, &err);
	CHECK_EQ_U64(err, -ENOSPC);
	fails++;
	struct journal_stats st = jt_stats(&t);
	CHECK(st.bytes <= CAP && st.bytes > CAP - 1024);
	for (int i = 0; i < 10; i++) {
		CHECK(jt_append1(&t, 400, &err) == 0 && err == -ENOSPC);
		fails++;
	}
	CHECK_EQ_U64(jt_stats(&t).rejected_full, fails);
	CHECK_EQ_U64(jt_stats(&t).dropped_oldest, 0);
	CHECK_EQ_U64(jt_read_all(&t, 1, &first, &last, NULL, 0), n);
	/* Kafka confirms half: segments go, appends work again */
	journal_set_cursor(t.j, n / 2);
	jt_run_for(&t, 300);
	CHECK(jt_stats(&t).bytes < CAP * 3 / 4);
	CHECK(jt_append1(&t, 400, &err) == n + 1);
	jt_fini(&t);
}

static void test_drop_oldest(void)
{
	struct jt t;
	uint64_t first, last;
	int err;

	jt_init(&t, "jfulldrop");
	t.quiet = 1;
	t.o.max_bytes = CAP;
	t.o.when_full = JOURNAL_FULL_DROP_OLDEST;
	jt_open(&t);
	CHECK_EQ_U64(jt_append(&t, 300, 400, 10, &err), 300);
	journal_set_cursor(t.j, 100);        /* 1..99 delivered */
	jt_run_for(&t, 150);
	CHECK_EQ_U64(jt_append(&t, 2700, 400, 10, &err), 2700);
	struct journal_stats st = jt_stats(&t);
	CHECK_EQ_U64(st.rejected_full, 0);
	CHECK(st.bytes <= CAP);
	CHECK_EQ_U64(jt_read_all(&t, 1, &first, &last, NULL, 0), 3000 - first + 1);
	CHECK_EQ_U64(last, 3000);
	CHECK(first > 2000);
	/* exactly the undelivered ones before the oldest kept segment */
	CHECK_EQ_U64(st.dropped_oldest, first - 100);
	CHECK_EQ_U64(t.dropped_events, first - 100);
	CHECK_EQ_U64(t.dropped_cursor, first);
	CHECK_EQ_U64(st.cursor, first);
	CHECK_EQ_U64(st.expired, 0);
	CHECK(jt_log_has(&t, "journal full, drop-oldest"));
	jt_fini(&t);
}

static void test_drop_spares_unsynced(void)
{
	struct jt t;
	uint64_t refused = 0;
	int err;

	jt_init(&t, "jfullsync");
	t.quiet = 1;
	t.o.max_bytes = 64 * 1024;
	t.o.fsync = JOURNAL_FSYNC_ALWAYS;
	t.o.when_full = JOURNAL_FULL_DROP_OLDEST;
	jt_open(&t);
	journal_fault_delay(JOURNAL_FAULT_FSYNC, 300);
	for (int i = 0; i < 400; i++) {
		if (jt_append1(&t, 400, &err) == 0) {
			CHECK_EQ_U64(err, -ENOSPC);
			refused++;
		}
		if (i % 10 == 9)
			journal_flush(t.j);
	}
	journal_flush(t.j);
	CHECK(refused > 0);
	CHECK_EQ_U64(jt_stats(&t).rejected_full, refused);
	CHECK_EQ_U64(jt_stats(&t).dropped_oldest, 0);
	journal_fault_delay(JOURNAL_FAULT_FSYNC, 0);
	jt_run_for(&t, 800);
	CHECK(jt_append1(&t, 400, &err) != 0);   /* synced: may drop now */
	jt_fini(&t);
}

static void test_retain_size(void)
{
	struct jt t;
	uint64_t first, last;
	int err;

	jt_init(&t, "jretsize");
	t.quiet = 1;
	t.o.max_bytes = CAP;
	t.o.retain_only = 1;
	jt_open(&t);
	CHECK_EQ_U64(jt_append(&t, 3000, 400, 10, &err), 3000);
	struct journal_stats st = jt_stats(&t);
	CHECK(st.bytes <= CAP);
	CHECK_EQ_U64(jt_read_all(&t, 1, &first, &last, NULL, 0), 3000 - first + 1);
	CHECK_EQ_U64(st.expired, first - 1);
	CHECK_EQ_U64(st.dropped_oldest, 0);
	CHECK_EQ_U64(st.rejected_full, 0);
	jt_fini(&t);
}

static int all_expired(struct jt *t)
{
	return jt_stats(t).expired == 100;
}

static void test_retain_age(void)
{
	struct jt t;
	uint64_t first, last;
	int err;

	jt_init(&t, "jretage");
	t.quiet = 1;
	t.o.segment_bytes = 8 * 1024;
	t.o.retain_only = 1;
	t.o.max_age_s = 1;
	jt_open(&t);
	CHECK_EQ_U64(jt_append(&t, 100, 400, 5, &err), 100);
	CHECK(jt_stats(&t).segments > 3);
	jt_run_for(&t, 500);
	CHECK_EQ_U64(jt_stats(&t).expired, 0);         /* not old yet */
	CHECK(jt_wait(&t, all_expired, 5000));
	CHECK_EQ_U64(jt_read_all(&t, 1, &first, &last, NULL, 0), 0);
	CHECK_EQ_U64(jt_stats(&t).segments, 1);
	CHECK_EQ_U64(jt_append1(&t, 400, &err), 101);
	journal_flush(t.j);
	CHECK_EQ_U64(jt_read_all(&t, 1, &first, &last, NULL, 0), 1);
	jt_fini(&t);
}

int main(void)
{
	test_reject();
	test_drop_oldest();
	test_drop_spares_unsynced();
	test_retain_size();
	test_retain_age();
	printf("journal full ok\n");
	return 0;
}
