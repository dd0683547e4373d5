/*
 * test_journal_diskfull: a real full filesystem (a 2 MiB tmpfs the test
 * mounts; skipped with a message, exit 77, where mounting is not allowed).
 *   - appends keep coming while the disk fills: pwrite fails (or writes
 *     short) with ENOSPC; nothing crashes, the error is counted, reported
 *     in the stats and logged; reserve refuses with -ENOSPC at the bound.
 *   - the forwarder keeps delivering (journal_set_cursor): the cursor is
 *     persisted even on the full disk (in place), delivered segments are
 *     deleted, space returns, and the queued records are written in order
 *     by the journal's own retry, with nothing lost or doubled.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "check.h"
#include "jtest.h"
#include "tdir.h"

static char mnt[600];

static void unmount_it(void)
{
	umount2(mnt, MNT_DETACH);
}

static int caught_up(struct jt *t)
{
	struct journal_stats st = jt_stats(t);
	/* the forwarder: everything written is delivered */
	journal_set_cursor(t->j, st.written_seq + 1);
	return st.written_seq + 1 == st.next_seq && !st.write_failing;
}

static int one_segment(struct jt *t)
{
	journal_set_cursor(t->j, jt_stats(t).next_seq);
	return jt_stats(t).segments == 1 && tdir_count(t->segdir, ".seg") == 1;
}

int main(void)
{
	struct jt t;
	uint64_t first, last, cb;
	int err;

	jt_init(&t, "jdiskfull");
	t.quiet = 1;
	snprintf(mnt, sizeof mnt, "%s", t.dir);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=2m,mode=0700") != 0) {
		printf("SKIP: cannot mount a 2 MiB tmpfs at %s (%s): needs "
		       "root or CAP_SYS_ADMIN\n", mnt, strerror(errno));
		jt_fini(&t);
		return 77;
	}
	atexit(unmount_it);
	t.o.segment_bytes = 128 * 1024;
	t.o.max_bytes = 1ull << 30;       /* the cap is not what stops it */
	jt_open(&t);

	uint64_t n = jt_append(&t, 200000, 400, 20, &err);
	struct journal_stats st = jt_stats(&t);
	printf("disk full after %llu bytes on disk; %llu records accepted, "
	       "%llu written, %llu write errors, reserve: %s\n",
	       (unsigned long long)st.bytes, (unsigned long long)n,
	       (unsigned long long)st.written_seq,
	       (unsigned long long)st.write_errors, strerror(-err));
	CHECK_EQ_U64(err, -ENOSPC);
	CHECK(st.write_failing && st.last_errno == ENOSPC);
	CHECK(st.write_errors >= 1);
	CHECK(st.written_seq < n && st.written_seq > 1000);
	CHECK(st.ram_bytes <= JOURNAL_PENDING_MAX + 4096);
	CHECK(jt_log_has(&t, "No space left on device"));
	CHECK_EQ_U64(t.written_next, st.written_seq + 1);
	CHECK_EQ_U64(t.durable, st.written_seq);

	/* still refusing, still alive */
	CHECK(jt_append1(&t, 400, &err) == 0 && err == -ENOSPC);

	/* delivery frees space; the retry timer writes the rest */
	int ok = jt_wait(&t, caught_up, 20000);
	if (!ok) {
		st = jt_stats(&t);
		fprintf(stderr, "written %llu next %llu cursor %llu segs %llu bytes %llu\n%s",
			(unsigned long long)st.written_seq, (unsigned long long)st.next_seq,
			(unsigned long long)st.cursor, (unsigned long long)st.segments,
			(unsigned long long)st.bytes, t.log);
	}
	CHECK(ok);
	st = jt_stats(&t);
	CHECK_EQ_U64(st.written_seq, n);
	CHECK(!t.written_gap);
	CHECK_EQ_U64(t.durable, n);
	CHECK(jt_log_has(&t, "work again"));
	/* Every record reached the forwarder once, in order (checked by the
	 * written callback); what is left on disk reads back whole, once
	 * the deletions behind the final cursor are done. */
	CHECK(jt_wait(&t, one_segment, 5000));
	uint64_t got = jt_read_all(&t, 1, &first, &last, &cb, 0);
	CHECK_EQ_U64(last, n);
	CHECK_EQ_U64(got, n - first + 1);
	CHECK_EQ_U64(cb, 0);
	CHECK(jt_append1(&t, 400, &err) == n + 1);
	journal_flush(t.j);
	jt_close(&t);
	/* and it reopens clean */
	jt_open(&t);
	CHECK_EQ_U64(jt_stats(&t).next_seq, n + 2);
	CHECK_EQ_U64(jt_stats(&t).torn_bytes, 0);
	jt_fini(&t);
	printf("journal disk full ok\n");
	return 0;
}
