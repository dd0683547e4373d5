/*
 * test_journal_basic: the write path and recovery, with a real uv loop.
 *   - N records across several segments read back whole and in order;
 *     the written callback saw exactly those bytes; fsync never makes
 *     them durable at write.
 *   - directory 0700 and files 0600 even under umask 0.
 *   - reopen continues the sequence; a torn tail written by hand is cut,
 *     copied to quarantine/ and logged; appends continue after it.
 *   - a flipped byte in the middle of a segment: the reader with
 *     journal_quarantine skips exactly that record, copies it aside,
 *     counts and logs it once (not again on a second read); all else read.
 *   - the batch buffer's ring: a write running past its end lands at its
 *     start (the second mapping is the first); moving bytes up across the
 *     end loses none.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "journal_int.h"
#include "jtest.h"
#include "record.h"
#include "tdir.h"

static void test_roundtrip(void)
{
	struct jt t;
	uint64_t first, last;
	int err;

	jt_init(&t, "jbasic");
	t.o.segment_bytes = 256 * 1024;
	umask(0);
	jt_open(&t);
	CHECK_EQ_U64(jt_stats(&t).next_seq, 1);
	CHECK_EQ_U64(jt_append(&t, 5000, 400, 37, &err), 5000);
	struct journal_stats st = jt_stats(&t);
	CHECK_EQ_U64(st.next_seq, 5001);
	CHECK_EQ_U64(st.written_seq, 5000);
	CHECK_EQ_U64(st.durable_seq, 5000);
	CHECK_EQ_U64(t.durable, 5000);
	CHECK(st.segments >= 7);
	CHECK_EQ_U64(t.written_next, 5001);
	CHECK(!t.written_gap);
	CHECK_EQ_U64(t.written_bytes, st.bytes);
	CHECK_EQ_U64(st.write_errors, 0);
	CHECK_EQ_U64(jt_read_all(&t, 1, &first, &last, NULL, 0), 5000);
	CHECK(first == 1 && last == 5000);
	CHECK_EQ_U64(jt_read_all(&t, 4321, &first, &last, NULL, 0), 680);
	char p[700];
	snprintf(p, sizeof p, "%s/j", t.dir);
	CHECK_EQ_U64(jt_mode(p), 0700);
	CHECK_EQ_U64(jt_mode(t.segdir), 0700);
	snprintf(p, sizeof p, "%s/j/quarantine", t.dir);
	CHECK_EQ_U64(jt_mode(p), 0700);
	snprintf(p, sizeof p, "%s/%020d.seg", t.segdir, 1);
	CHECK_EQ_U64(jt_mode(p), 0600);
	jt_close(&t);
	snprintf(p, sizeof p, "%s/j/cursor", t.dir);
	CHECK_EQ_U64(jt_mode(p), 0600);
	umask(022);

	/* reopen: the sequence continues, nothing torn */
	jt_open(&t);
	CHECK_EQ_U64(jt_stats(&t).next_seq, 5001);
	CHECK_EQ_U64(jt_stats(&t).torn_bytes, 0);
	CHECK_EQ_U64(jt_append(&t, 10, 400, 10, &err), 10);
	CHECK_EQ_U64(jt_read_all(&t, 1, &first, &last, NULL, 0), 5010);
	jt_fini(&t);
}

/* The newest segment's path; returns its first seq. */
static uint64_t last_segment(struct jt *t, char *path, size_t n)
{
	struct journal_stats st = jt_stats(t);
	uint64_t best = 0;
	for (uint64_t s = 1; s <= st.next_seq; s++) {
		char p[700];
		snprintf(p, sizeof p, "%s/%020" PRIu64 ".seg", t->segdir, s);
		if (jt_mode(p) >= 0)
			best = s;
	}
	snprintf(path, n, "%s/%020" PRIu64 ".seg", t->segdir, best);
	return best;
}

static void test_torn_tail(void)
{
	struct jt t;
	uint64_t first, last;
	char seg[700], q[800];
	int err;

	jt_init(&t, "jtorn");
	t.quiet = 1;
	jt_open(&t);
	CHECK_EQ_U64(jt_append(&t, 100, 300, 10, &err), 100);
	last_segment(&t, seg, sizeof seg);
	jt_close(&t);
	/* half a record 101 at the end, as a crash mid-write leaves it */
	size_t len;
	char *b = tdir_read(seg, &len);
	CHECK(b != NULL);
	CHECK(tdir_write(seg, b + len - 200, 150, 1) == 0);
	free(b);
	jt_open(&t);
	struct journal_stats st = jt_stats(&t);
	CHECK_EQ_U64(st.next_seq, 101);
	CHECK_EQ_U64(st.torn_bytes, 150);
	CHECK(jt_log_has(&t, "torn tail of 150 bytes"));
	size_t len2;
	b = tdir_read(seg, &len2);
	CHECK_EQ_U64(len2, len);
	free(b);
	snprintf(q, sizeof q, "%s/j/quarantine/%020d.seg.%zu.torn", t.dir, 1,
		 len);
	CHECK_EQ_U64(jt_mode(q), 0600);
	CHECK_EQ_U64(jt_append(&t, 20, 300, 5, &err), 20);
	uint64_t cb;
	CHECK_EQ_U64(jt_read_all(&t, 1, &first, &last, &cb, 0), 120);
	CHECK_EQ_U64(cb, 0);
	/* direct I/O goes on in a new segment after a tail that is not a
	 * whole number of blocks; through the page cache, in the same one */
	uint64_t newest = last_segment(&t, seg, sizeof seg);
	CHECK_EQ_U64(newest, jt_stats(&t).direct ? 101 : 1);
	jt_close(&t);

	/* a segment of nothing but garbage at the end: cut to nothing */
	CHECK(tdir_write(seg, "garbage, not a record", 21, 0) == 0);
	jt_open(&t);
	CHECK_EQ_U64(jt_stats(&t).next_seq, newest);
	CHECK_EQ_U64(jt_stats(&t).torn_bytes, 21);
	jt_fini(&t);
}

static void test_flipped_byte(void)
{
	struct jt t;
	uint64_t first, last, cb;
	char seg[700];
	int err;

	jt_init(&t, "jflip");
	t.quiet = 1;
	t.o.segment_bytes = 64 * 1024;
	jt_open(&t);
	CHECK_EQ_U64(jt_append(&t, 1000, 350, 50, &err), 1000);
	/* record 42 of the first segment: its offset from the record sizes */
	snprintf(seg, sizeof seg, "%s/%020d.seg", t.segdir, 1);
	size_t len;
	char *b = tdir_read(seg, &len);
	struct rec r;
	size_t off = 0, off42 = 0, len42 = 0;
	while (off < len && rec_decode(b + off, len - off, &r) == REC_OK) {
		if (r.seq == 42) {
			off42 = off;
			len42 = r.len;
		}
		off += r.len;
	}
	CHECK(len42 > 0);
	b[off42 + 100] ^= 0x40;
	CHECK(tdir_write(seg, b, len, 0) == 0);
	free(b);

	CHECK_EQ_U64(jt_read_all(&t, 1, &first, &last, &cb, 1), 999);
	CHECK(first == 1 && last == 1000);
	CHECK_EQ_U64(cb, len42);
	CHECK_EQ_U64(jt_stats(&t).quarantined, 1);
	CHECK(jt_log_has(&t, "corrupt bytes in segments/"));
	char q[800];
	snprintf(q, sizeof q, "%s/j/quarantine/%020d.seg.%zu.bad", t.dir, 1,
		 off42);
	CHECK_EQ_U64(jt_mode(q), 0600);
	size_t ql;
	char *qb = tdir_read(q, &ql);
	CHECK_EQ_U64(ql, len42);
	free(qb);
	/* read again (a restart's cold read): not counted twice */
	CHECK_EQ_U64(jt_read_all(&t, 1, &first, &last, &cb, 1), 999);
	CHECK_EQ_U64(jt_stats(&t).quarantined, 1);
	/* reopen: only the tail is scanned, the flip is not "torn" */
	jt_close(&t);
	jt_open(&t);
	CHECK_EQ_U64(jt_stats(&t).next_seq, 1001);
	CHECK_EQ_U64(jt_stats(&t).torn_bytes, 0);
	jt_fini(&t);
}

/* The ring journal_ring.c maps: bytes written through the alias past the
 * end are the ring's first bytes, and the other way round (volatile: the
 * compiler may not assume two addresses are two bytes). */
static void test_ring_alias(void)
{
	const size_t cap = 1u << 20;
	char *b = journal__ring_map(cap);
	volatile char *v = b;

	CHECK(b != NULL);
	CHECK(((uintptr_t)b & (JOURNAL_BLOCK - 1)) == 0);
	for (size_t i = 0; i < 16; i++)
		v[cap - 8 + i] = 'x';           /* straddles the end */
	CHECK(v[0] == 'x' && v[7] == 'x');
	v[100] = 'y';
	CHECK(v[cap + 100] == 'y');
	journal__ring_unmap(b, cap);
}

/*
 * Moving bytes up across the ring's end (a direct-mode roll aligns the
 * unwritten records to a block): source and destination overlap in
 * memory though not in address.  Every byte must arrive: a plain
 * memmove copied forward over bytes not yet read.
 */
static void test_ring_move_up(void)
{
	const size_t cap = 1u << 20, n = 9000;
	char *b = journal__ring_map(cap);
	size_t from_list[] = { cap - 100, cap - 5000, cap - 9000, cap - 9050,
			       3 * cap - 7 };

	CHECK(b != NULL);
	for (size_t f = 0; f < sizeof from_list / sizeof from_list[0]; f++) {
		size_t from = from_list[f], d = 100 + 997 * f;
		for (size_t i = 0; i < n; i++)
			b[(from + i) & (cap - 1)] = (char)(i * 7 + i / 251);
		journal__ring_move_up(b, cap, from, n, d);
		for (size_t i = 0; i < n; i++)
			CHECK(b[(from + d + i) & (cap - 1)] ==
			      (char)(i * 7 + i / 251));
	}
	journal__ring_unmap(b, cap);
}

int main(void)
{
	test_ring_alias();
	test_ring_move_up();
	test_roundtrip();
	test_torn_tail();
	test_flipped_byte();
	printf("journal basic ok\n");
	return 0;
}
