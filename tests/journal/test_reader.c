/*
 * test_reader: rec_reader over hand-written segment files.  Reading across
 * segments from any seq; a torn tail of the newest segment (quiet stop,
 * then the completed record on the next call); a flipped byte mid-segment
 * (one callback with exactly that record's bytes and offset, everything
 * else read); a torn tail of an older segment and a bogus length in the
 * newest (corruption); a record larger than the buffer; a segment deleted
 * ahead of the reader; a missing and an empty directory.
 *
 * And the zero padding of segments written with O_DIRECT (record.h,
 * rec_is_padding): records + 1..4095 zeros up to a 4096-aligned end of
 * the newest segment are the end of the data (no corruption, end for
 * now); the writer then rewrites that tail block with more records (the
 * same reader must return them: zeros are read again before they count,
 * also zeros it still holds in its buffer); an older segment ending in
 * padding is left for the newer one without corruption, also when it was
 * cut to its records meanwhile (a roll); zeros followed by records are
 * corrupt; a block or more of zeros, or zeros to an unaligned end, at the
 * end of an older segment are corrupt.  Padding of 1..3 bytes (shorter
 * than a record's magic) runs on its own: "test_reader short-padding".
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "record.h"
#include "tdir.h"

static const char KEY[] = "6f1c2a3e-8d4b-4c5a-9e7f-0a1b2c3d4e5f";

/* Record seq with a value of vlen bytes (JSON-ish, seq inside), into b. */
static size_t make_rec(char *b, uint64_t seq, size_t vlen)
{
	char *v = malloc(vlen + 32);
	struct rec r = { 0 };
	int n = snprintf(v, vlen + 32, "{\"seq\":%" PRIu64 ",\"p\":\"", seq);
	size_t i = (size_t)n;
	for (; i + 2 < vlen; i++)
		v[i] = (char)('a' + (seq + i) % 26);
	v[i++] = '"';
	v[i++] = '}';
	r.seq = seq;
	r.time_ms = 1000 + (int64_t)seq;
	r.type = (uint8_t)(seq % 4);
	r.key = KEY;
	r.key_len = (uint16_t)strlen(KEY);
	r.value = v;
	r.value_len = (uint32_t)i;
	size_t len = rec_encode(b, &r);
	free(v);
	return len;
}

static void seg_path(char *p, size_t n, const char *dir, uint64_t seq)
{
	snprintf(p, n, "%s/%020" PRIu64 ".seg", dir, seq);
}

/* Write records first..last into segment <first>; record offsets into
 * offs (indexed by seq - first) when not NULL.  Returns bytes. */
static size_t write_seg(const char *dir, uint64_t first, uint64_t last,
			size_t vlen, uint64_t *offs)
{
	char path[600];
	size_t cap = (last - first + 1) * (vlen + 200), len = 0;
	char *b = malloc(cap);

	for (uint64_t s = first; s <= last; s++) {
		if (offs)
			offs[s - first] = len;
		len += make_rec(b + len, s, vlen);
	}
	seg_path(path, sizeof path, dir, first);
	CHECK(tdir_write(path, b, len, 0) == 0);
	free(b);
	return len;
}

struct corrupt_log {
	int calls;
	uint64_t bytes;
	uint64_t first_off;
	char first_path[600];
};

static void on_corrupt(void *arg, const char *path, uint64_t off,
		       const char *bytes, size_t len)
{
	struct corrupt_log *c = arg;
	(void)bytes;
	if (c->calls++ == 0) {
		c->first_off = off;
		snprintf(c->first_path, sizeof c->first_path, "%s", path);
	}
	c->bytes += len;
}

/* Read until 0; check seqs run expect_first.. contiguously (except the
 * seqs in skip[]).  Returns the count. */
static uint64_t drain(rec_reader_t *r, uint64_t expect_first,
		      const uint64_t *skip, int nskip)
{
	struct rec rec;
	uint64_t want = expect_first, n = 0;
	int rc;

	while ((rc = rec_reader_next(r, &rec)) == 1) {
		for (int i = 0; i < nskip; i++)
			if (want == skip[i])
				want++;
		CHECK_EQ_U64(rec.seq, want);
		CHECK(rec.key_len == strlen(KEY) &&
		      memcmp(rec.key, KEY, rec.key_len) == 0);
		char head[40];
		int hl = snprintf(head, sizeof head, "{\"seq\":%" PRIu64 ",", want);
		CHECK(memcmp(rec.value, head, (size_t)hl) == 0);
		want++;
		n++;
	}
	CHECK_EQ_U64(rc, 0);
	return n;
}

static void test_across_segments(void)
{
	const char *d = tdir_make("reader");
	rec_reader_t *r;
	int err;

	write_seg(d, 1, 1000, 300, NULL);
	write_seg(d, 1001, 2500, 300, NULL);
	write_seg(d, 2501, 4000, 300, NULL);
	r = rec_reader_open(d, 0, &err);
	CHECK(r != NULL);
	CHECK_EQ_U64(drain(r, 1, NULL, 0), 4000);
	CHECK_EQ_U64(rec_reader_corrupt_bytes(r), 0);
	rec_reader_close(r);
	/* from a seq inside the second segment */
	r = rec_reader_open(d, 1777, &err);
	CHECK_EQ_U64(drain(r, 1777, NULL, 0), 4000 - 1776);
	rec_reader_close(r);
	/* from beyond the end: nothing, then appended records show up */
	r = rec_reader_open(d, 4001, &err);
	CHECK_EQ_U64(drain(r, 4001, NULL, 0), 0);
	write_seg(d, 4001, 4010, 300, NULL);
	CHECK_EQ_U64(drain(r, 4001, NULL, 0), 10);
	rec_reader_close(r);
}

static void test_torn_tail_last(void)
{
	const char *d = tdir_make("reader");
	char path[600], b[2048];
	rec_reader_t *r;
	int err;

	write_seg(d, 1, 50, 400, NULL);
	seg_path(path, sizeof path, d, 1);
	size_t l = make_rec(b, 51, 400);
	CHECK(tdir_write(path, b, 100, 1) == 0);   /* a torn record */
	r = rec_reader_open(d, 1, &err);
	struct corrupt_log c = { 0 };
	rec_reader_on_corrupt(r, on_corrupt, &c);
	CHECK_EQ_U64(drain(r, 1, NULL, 0), 50);
	CHECK_EQ_U64(c.calls, 0);                   /* not corruption */
	CHECK_EQ_U64(drain(r, 51, NULL, 0), 0);     /* still torn */
	CHECK(tdir_write(path, b + 100, l - 100, 1) == 0);
	CHECK_EQ_U64(drain(r, 51, NULL, 0), 1);     /* completed: seen */
	CHECK_EQ_U64(c.calls, 0);
	rec_reader_close(r);
}

static void test_flipped_byte(void)
{
	const char *d = tdir_make("reader");
	uint64_t offs[1000];
	char path[600];
	rec_reader_t *r;
	int err;

	write_seg(d, 1, 1000, 350, offs);
	write_seg(d, 1001, 1100, 350, NULL);
	seg_path(path, sizeof path, d, 1);
	size_t len;
	char *b = tdir_read(path, &len);
	b[offs[499] + 200] ^= 0x01;                 /* seq 500's payload */
	CHECK(tdir_write(path, b, len, 0) == 0);
	free(b);
	r = rec_reader_open(d, 1, &err);
	struct corrupt_log c = { 0 };
	rec_reader_on_corrupt(r, on_corrupt, &c);
	uint64_t skip[] = { 500 };
	CHECK_EQ_U64(drain(r, 1, skip, 1), 1099);
	CHECK_EQ_U64(c.calls, 1);
	CHECK_EQ_U64(c.first_off, offs[499]);
	CHECK_EQ_U64(c.bytes, offs[500] - offs[499]);
	CHECK(strcmp(c.first_path, path) == 0);
	CHECK_EQ_U64(rec_reader_corrupt_bytes(r), c.bytes);
	rec_reader_close(r);
}

static void test_torn_tail_not_last(void)
{
	const char *d = tdir_make("reader");
	char path[600], b[2048];
	rec_reader_t *r;
	int err;

	size_t l1 = write_seg(d, 1, 20, 300, NULL);
	seg_path(path, sizeof path, d, 1);
	make_rec(b, 21, 300);
	CHECK(tdir_write(path, b, 77, 1) == 0);
	write_seg(d, 22, 40, 300, NULL);
	r = rec_reader_open(d, 1, &err);
	struct corrupt_log c = { 0 };
	rec_reader_on_corrupt(r, on_corrupt, &c);
	uint64_t skip[] = { 21 };
	CHECK_EQ_U64(drain(r, 1, skip, 1), 39);
	CHECK_EQ_U64(c.calls, 1);
	CHECK_EQ_U64(c.first_off, l1);
	CHECK_EQ_U64(c.bytes, 77);
	rec_reader_close(r);
}

/* A length field corrupted upwards in the newest segment: the reader
 * must not wait forever for bytes that will never make a record. */
static void test_bogus_length_last(void)
{
	const char *d = tdir_make("reader");
	uint64_t offs[100];
	char path[600];
	rec_reader_t *r;
	int err;

	write_seg(d, 1, 100, 300, offs);
	seg_path(path, sizeof path, d, 1);
	size_t len;
	char *b = tdir_read(path, &len);
	uint32_t big = 1u << 20;
	memcpy(b + offs[59] + 4, &big, 4);          /* seq 60 claims 1 MiB */
	CHECK(tdir_write(path, b, len, 0) == 0);
	free(b);
	r = rec_reader_open(d, 1, &err);
	struct corrupt_log c = { 0 };
	rec_reader_on_corrupt(r, on_corrupt, &c);
	uint64_t skip[] = { 60 };
	CHECK_EQ_U64(drain(r, 1, skip, 1), 99);
	CHECK_EQ_U64(c.calls, 1);
	CHECK_EQ_U64(c.first_off, offs[59]);
	CHECK_EQ_U64(c.bytes, offs[60] - offs[59]);
	rec_reader_close(r);
}

static void test_huge_record(void)
{
	const char *d = tdir_make("reader");
	char path[600];
	size_t vlen = 3u << 20;
	char *b = malloc(vlen + 400);
	rec_reader_t *r;
	int err;

	write_seg(d, 1, 10, 300, NULL);
	seg_path(path, sizeof path, d, 1);
	size_t l = make_rec(b, 11, vlen);
	CHECK(tdir_write(path, b, l, 1) == 0);
	l = make_rec(b, 12, 300);
	CHECK(tdir_write(path, b, l, 1) == 0);
	free(b);
	r = rec_reader_open(d, 1, &err);
	CHECK_EQ_U64(drain(r, 1, NULL, 0), 12);
	rec_reader_close(r);
}

static void test_deleted_ahead(void)
{
	const char *d = tdir_make("reader");
	char path[600];
	struct rec rec;
	rec_reader_t *r;
	int err;

	write_seg(d, 1, 10, 300, NULL);
	write_seg(d, 11, 20, 300, NULL);
	write_seg(d, 21, 30, 300, NULL);
	r = rec_reader_open(d, 1, &err);
	CHECK(rec_reader_next(r, &rec) == 1 && rec.seq == 1);
	seg_path(path, sizeof path, d, 11);
	CHECK(unlink(path) == 0);
	seg_path(path, sizeof path, d, 1);
	CHECK(unlink(path) == 0);          /* the open one: still readable */
	uint64_t skip[10];
	for (int i = 0; i < 10; i++)
		skip[i] = 11 + (uint64_t)i;
	CHECK_EQ_U64(drain(r, 2, skip, 10), 19);
	rec_reader_close(r);
}

static void test_missing_and_empty(void)
{
	const char *d = tdir_make("reader");
	char sub[600];
	struct rec rec;
	int err = 0;

	snprintf(sub, sizeof sub, "%s/nope", d);
	CHECK(rec_reader_open(sub, 1, &err) == NULL && err == -ENOENT);
	rec_reader_t *r = rec_reader_open(d, 1, &err);
	CHECK(r != NULL);
	CHECK(rec_reader_next(r, &rec) == 0);
	write_seg(d, 5, 9, 100, NULL);     /* older seqs were deleted */
	CHECK_EQ_U64(drain(r, 5, NULL, 0), 5);
	rec_reader_close(r);
}

/* ---- direct-I/O padding ------------------------------------------------ */

#define BLK ((size_t)REC_PAD_BLOCK)

/* A segment's bytes being built: records only, the padding is added when
 * the file is written. */
struct segbuf {
	char *b;
	size_t len, cap;
};

static void sb_add(struct segbuf *s, uint64_t seq, size_t vlen)
{
	if (s->len + vlen + 400 > s->cap) {
		s->cap = (s->len + vlen + 400) * 2;
		s->b = realloc(s->b, s->cap);
		CHECK(s->b != NULL);
	}
	s->len += make_rec(s->b + s->len, seq, vlen);
}

/* Bytes of zero padding after len bytes of records, up to a block end. */
static size_t pad_of(size_t len)
{
	return (BLK - len % BLK) % BLK;
}

/* Append records first..last (300-byte values), the last one sized so that
 * the records end exactly pad bytes (0..4095) before a block boundary. */
static void sb_add_to_pad(struct segbuf *s, uint64_t first, uint64_t last,
			  size_t pad)
{
	const size_t hdr = rec_size(strlen(KEY), 0);

	for (uint64_t q = first; q < last; q++)
		sb_add(s, q, 300);
	size_t end = (s->len + pad + hdr + 64 + BLK - 1) / BLK * BLK;
	sb_add(s, last, end - pad - s->len - hdr);
	CHECK_EQ_U64(pad_of(s->len), pad);
}

/* Write buf[off..len) and then pad zeros at file offset off of path
 * (created when missing), without truncating: what a direct write of the
 * tail block does.  The file must not end beyond the new end. */
static void pwrite_padded(const char *path, const char *buf, size_t off,
			  size_t len, size_t pad)
{
	size_t n = len - off + pad;
	char *w = calloc(n ? n : 1, 1);
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	struct stat st;

	CHECK(w != NULL && fd >= 0);
	memcpy(w, buf + off, len - off);
	CHECK(pwrite(fd, w, n, (off_t)off) == (ssize_t)n);
	CHECK(fstat(fd, &st) == 0 && (size_t)st.st_size == len + pad);
	close(fd);
	free(w);
}

/* The newest segment as the writer leaves it: s's records, then zeros to
 * a block boundary. */
static void seg_write_padded(const char *path, const struct segbuf *s)
{
	CHECK(tdir_write(path, s->b, s->len, 0) == 0);
	pwrite_padded(path, s->b, s->len, s->len, pad_of(s->len));
}

/* The writer's next direct write: the tail block of the records that were
 * there (old_len bytes, padded) rewritten from its start with s's records
 * (which begin with the old ones), and fresh padding. */
static void seg_rewrite_tail(const char *path, const struct segbuf *s,
			     size_t old_len)
{
	pwrite_padded(path, s->b, old_len / BLK * BLK, s->len, pad_of(s->len));
}

static int show_cases;     /* name each case on stderr before it runs */

static const char *subdir(const char *d, const char *tag, size_t n)
{
	static char p[400];     /* room left in the callers' 600 for a name */
	snprintf(p, sizeof p, "%s/%s-%zu", d, tag, n);
	CHECK(mkdir(p, 0700) == 0);
	if (show_cases)
		fprintf(stderr, "case %s-%zu\n", tag, n);
	return p;
}

static rec_reader_t *open_logged(const char *d, struct corrupt_log *c)
{
	int err = 0;
	rec_reader_t *r = rec_reader_open(d, 1, &err);

	CHECK(r != NULL);
	memset(c, 0, sizeof *c);
	rec_reader_on_corrupt(r, on_corrupt, c);
	return r;
}

/* Padding sizes tried: around a magic and a header, and the largest;
 * those shorter than a magic (1..3 bytes) are tried on their own
 * ("test_reader short-padding", ctest journal_reader_short_padding). */
static const size_t PADS_ALL[] = { 4, 5, 47, 48, 49, 100, 1000, 2048, 4000,
				   4094, 4095 };
static const size_t PADS_SHORT[] = { 1, 2, 3 };
static const size_t *PADS = PADS_ALL;
static size_t NPADS = sizeof PADS_ALL / sizeof PADS_ALL[0];

/*
 * (a) The newest segment: N records and zeros to a block boundary.  All N
 * records, no corruption, then the end for now (also when asked again).
 * (b) The writer's next write replaces that tail block with more records
 * and new padding: the same reader returns them, nothing corrupt; three
 * rounds, with the padding of each round different.
 */
static void test_padding_newest_then_rewritten(void)
{
	const char *d = tdir_make("reader");
	static const uint64_t NS[] = { 1, 20 };

	for (size_t pi = 0; pi < NPADS; pi++) {
		for (size_t ni = 0; ni < 2; ni++) {
			const char *sd = subdir(d, ni ? "20rec-pad" : "1rec-pad", PADS[pi]);
			char path[600];
			struct segbuf s = { 0 };
			struct corrupt_log c;
			struct rec rec;
			uint64_t n = NS[ni];

			seg_path(path, sizeof path, sd, 1);
			sb_add_to_pad(&s, 1, n, PADS[pi]);
			seg_write_padded(path, &s);
			rec_reader_t *r = open_logged(sd, &c);
			CHECK_EQ_U64(drain(r, 1, NULL, 0), n);
			CHECK_EQ_U64(rec_reader_corrupt_bytes(r), 0);
			CHECK_EQ_U64(c.calls, 0);
			CHECK(rec_reader_next(r, &rec) == 0);
			CHECK(rec_reader_next(r, &rec) == 0);
			CHECK_EQ_U64(rec_reader_corrupt_bytes(r), 0);

			for (int round = 1; round <= 3; round++) {
				size_t old = s.len;
				size_t pad = PADS[(pi + 5 * (size_t)round) % NPADS];
				uint64_t more = 1 + 7 * (uint64_t)round;

				sb_add_to_pad(&s, n + 1, n + more, pad);
				seg_rewrite_tail(path, &s, old);
				CHECK_EQ_U64(drain(r, n + 1, NULL, 0), more);
				CHECK_EQ_U64(rec_reader_corrupt_bytes(r), 0);
				CHECK_EQ_U64(c.calls, 0);
				n += more;
			}
			/* a write that ends on a block boundary: no padding */
			size_t old = s.len;
			sb_add_to_pad(&s, n + 1, n + 3, 0);
			seg_rewrite_tail(path, &s, old);
			CHECK_EQ_U64(drain(r, n + 1, NULL, 0), 3);
			CHECK_EQ_U64(rec_reader_corrupt_bytes(r), 0);
			rec_reader_close(r);

			/* a fresh reader over the whole: every record once */
			r = open_logged(sd, &c);
			CHECK_EQ_U64(drain(r, 1, NULL, 0), n + 3);
			CHECK_EQ_U64(rec_reader_corrupt_bytes(r), 0);
			CHECK_EQ_U64(c.calls, 0);
			rec_reader_close(r);
			free(s.b);
		}
	}
}

/*
 * (b) again, with the zeros still in the reader's buffer: it has read the
 * whole file (records and padding) but handed out only the first record
 * when the writer rewrites the tail block.  The zeros it holds are stale:
 * it must read them again and return the new records, nothing corrupt.
 */
static void test_padding_stale_in_buffer(void)
{
	const char *d = tdir_make("reader");

	for (size_t pi = 0; pi < NPADS; pi++) {
		const char *sd = subdir(d, "stale-pad", PADS[pi]);
		char path[600];
		struct segbuf s = { 0 };
		struct corrupt_log c;
		struct rec rec;

		seg_path(path, sizeof path, sd, 1);
		sb_add_to_pad(&s, 1, 12, PADS[pi]);
		seg_write_padded(path, &s);
		rec_reader_t *r = open_logged(sd, &c);
		CHECK(rec_reader_next(r, &rec) == 1 && rec.seq == 1);
		size_t old = s.len;
		sb_add_to_pad(&s, 13, 30, PADS[(pi + 3) % NPADS]);
		seg_rewrite_tail(path, &s, old);
		CHECK_EQ_U64(drain(r, 2, NULL, 0), 29);
		CHECK_EQ_U64(rec_reader_corrupt_bytes(r), 0);
		CHECK_EQ_U64(c.calls, 0);
		rec_reader_close(r);
		free(s.b);
	}
}

/*
 * (c) A segment of records and padding, then a newer segment: the reader
 * goes on into the newer one without counting the padding.  Also when the
 * newer segment appears after the reader stopped at the padding, and when
 * the writer meanwhile wrote more records into the old tail block and cut
 * the segment to its records (a roll), with the old zeros still buffered.
 */
static void test_padding_older_segment(void)
{
	const char *d = tdir_make("reader");

	for (size_t pi = 0; pi < NPADS; pi++) {
		char path[600];
		struct corrupt_log c;
		struct rec rec;

		/* both files there from the start */
		const char *sd = subdir(d, "older-pad", PADS[pi]);
		struct segbuf s = { 0 };
		seg_path(path, sizeof path, sd, 1);
		sb_add_to_pad(&s, 1, 15, PADS[pi]);
		seg_write_padded(path, &s);
		write_seg(sd, 16, 40, 300, NULL);
		rec_reader_t *r = open_logged(sd, &c);
		CHECK_EQ_U64(drain(r, 1, NULL, 0), 40);
		CHECK_EQ_U64(rec_reader_corrupt_bytes(r), 0);
		CHECK_EQ_U64(c.calls, 0);
		rec_reader_close(r);
		free(s.b);

		/* the newer segment (itself padded) shows up after the end */
		sd = subdir(d, "newer-later-pad", PADS[pi]);
		memset(&s, 0, sizeof s);
		seg_path(path, sizeof path, sd, 1);
		sb_add_to_pad(&s, 1, 15, PADS[pi]);
		seg_write_padded(path, &s);
		r = open_logged(sd, &c);
		CHECK_EQ_U64(drain(r, 1, NULL, 0), 15);
		struct segbuf s2 = { 0 };
		sb_add_to_pad(&s2, 16, 25, PADS[(pi + 1) % NPADS]);
		seg_path(path, sizeof path, sd, 16);
		seg_write_padded(path, &s2);
		CHECK_EQ_U64(drain(r, 16, NULL, 0), 10);
		CHECK_EQ_U64(rec_reader_corrupt_bytes(r), 0);
		CHECK_EQ_U64(c.calls, 0);
		rec_reader_close(r);
		free(s.b);
		free(s2.b);

		/* after the reader stopped at the padding: more records into
		 * the tail block, the segment cut to its records, a new one */
		sd = subdir(d, "rolled-pad", PADS[pi]);
		memset(&s, 0, sizeof s);
		seg_path(path, sizeof path, sd, 1);
		sb_add_to_pad(&s, 1, 15, PADS[pi]);
		seg_write_padded(path, &s);
		r = open_logged(sd, &c);
		CHECK_EQ_U64(drain(r, 1, NULL, 0), 15);
		size_t old = s.len;
		sb_add_to_pad(&s, 16, 20, PADS[(pi + 2) % NPADS]);
		seg_rewrite_tail(path, &s, old);
		CHECK(truncate(path, (off_t)s.len) == 0);
		write_seg(sd, 21, 30, 300, NULL);
		CHECK_EQ_U64(drain(r, 16, NULL, 0), 15);
		CHECK_EQ_U64(rec_reader_corrupt_bytes(r), 0);
		CHECK_EQ_U64(c.calls, 0);
		rec_reader_close(r);
		free(s.b);

		/* the same with the old zeros still in the reader's buffer */
		sd = subdir(d, "rolled-stale-pad", PADS[pi]);
		memset(&s, 0, sizeof s);
		seg_path(path, sizeof path, sd, 1);
		sb_add_to_pad(&s, 1, 15, PADS[pi]);
		seg_write_padded(path, &s);
		r = open_logged(sd, &c);
		CHECK(rec_reader_next(r, &rec) == 1 && rec.seq == 1);
		old = s.len;
		sb_add_to_pad(&s, 16, 20, PADS[(pi + 2) % NPADS]);
		seg_rewrite_tail(path, &s, old);
		CHECK(truncate(path, (off_t)s.len) == 0);
		write_seg(sd, 21, 30, 300, NULL);
		CHECK_EQ_U64(drain(r, 2, NULL, 0), 29);
		CHECK_EQ_U64(rec_reader_corrupt_bytes(r), 0);
		CHECK_EQ_U64(c.calls, 0);
		rec_reader_close(r);
		free(s.b);
	}
}

/*
 * (d) Zeros between records are no padding: 100 zero bytes after record
 * N, then more records.  100 bytes corrupt, at the zeros' offset, and
 * every record after them returned; in the newest segment (ending on a
 * record, or padded) and in an older one.
 */
static void test_zeros_mid_segment(void)
{
	const char *d = tdir_make("reader");
	static const char *const KIND[] = { "mid-newest-zeros", "mid-newest-padded-zeros",
						 "mid-older-zeros" };

	for (size_t k = 0; k < 3; k++) {
		for (size_t nz = 100; nz <= 4196; nz += 4096) {
			const char *sd = subdir(d, KIND[k], nz);
			char path[600];
			struct segbuf s = { 0 };
			struct corrupt_log c;

			for (uint64_t q = 1; q <= 10; q++)
				sb_add(&s, q, 300);
			size_t zoff = s.len;
			s.b = realloc(s.b, s.len + nz + 20000);
			CHECK(s.b != NULL);
			s.cap = s.len + nz + 20000;
			memset(s.b + s.len, 0, nz);
			s.len += nz;
			for (uint64_t q = 11; q <= 30; q++)
				sb_add(&s, q, 300);
			seg_path(path, sizeof path, sd, 1);
			if (k == 1)
				seg_write_padded(path, &s);
			else
				CHECK(tdir_write(path, s.b, s.len, 0) == 0);
			if (k == 2)
				write_seg(sd, 31, 35, 300, NULL);
			rec_reader_t *r = open_logged(sd, &c);
			CHECK_EQ_U64(drain(r, 1, NULL, 0), k == 2 ? 35 : 30);
			CHECK_EQ_U64(rec_reader_corrupt_bytes(r), nz);
			CHECK_EQ_U64(c.calls, 1);
			CHECK_EQ_U64(c.first_off, zoff);
			CHECK_EQ_U64(c.bytes, nz);
			CHECK(strcmp(c.first_path, path) == 0);
			rec_reader_close(r);
			free(s.b);
		}
	}
}

/*
 * (e) Zeros to the end of an older segment that are no padding: a block
 * or more of them (a direct write pads less than a block), whether or not
 * the file ends on a block boundary, or fewer that do not end on one.
 * Corrupt, all of them, and the newer segment is read.
 */
static void test_zeros_not_padding_older(void)
{
	const char *d = tdir_make("reader");
	/* { padding the records leave to a block end, zeros written } */
	static const size_t V[][2] = {
		{ 1000, BLK },          /* a block, unaligned end */
		{ 1000, BLK + 1 },
		{ 1000, 1000 + BLK },   /* more than a block, aligned end */
		{ 1000, 3 * BLK },
		{ 0, BLK },             /* exactly a block, aligned end */
		{ 0, 2 * BLK },
		{ 1000, 100 },          /* less than a block, unaligned end */
		{ 1000, 999 },
		{ 1000, 1001 },
	};

	for (size_t v = 0; v < sizeof V / sizeof V[0]; v++) {
		const char *sd = subdir(d, "older-zeros-case", v);
		char path[600];
		struct segbuf s = { 0 };
		struct corrupt_log c;
		size_t nz = V[v][1];

		sb_add_to_pad(&s, 1, 10, V[v][0]);
		seg_path(path, sizeof path, sd, 1);
		CHECK(tdir_write(path, s.b, s.len, 0) == 0);
		pwrite_padded(path, s.b, s.len, s.len, nz);
		write_seg(sd, 11, 20, 300, NULL);
		rec_reader_t *r = open_logged(sd, &c);
		CHECK_EQ_U64(drain(r, 1, NULL, 0), 20);
		CHECK_EQ_U64(rec_reader_corrupt_bytes(r), nz);
		CHECK(c.calls >= 1);
		CHECK_EQ_U64(c.first_off, s.len);
		CHECK_EQ_U64(c.bytes, nz);
		CHECK(strcmp(c.first_path, path) == 0);
		rec_reader_close(r);
		free(s.b);
	}
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "short-padding") == 0) {
		/* padding shorter than a record's magic: 1, 2, 3 zeros */
		PADS = PADS_SHORT;
		show_cases = 1;
		NPADS = sizeof PADS_SHORT / sizeof PADS_SHORT[0];
		test_padding_newest_then_rewritten();
		test_padding_stale_in_buffer();
		test_padding_older_segment();
		printf("reader short padding ok\n");
		return 0;
	}
	test_across_segments();
	test_torn_tail_last();
	test_flipped_byte();
	test_torn_tail_not_last();
	test_bogus_length_last();
	test_huge_record();
	test_deleted_ahead();
	test_missing_and_empty();
	test_padding_newest_then_rewritten();
	test_padding_stale_in_buffer();
	test_padding_older_segment();
	test_zeros_mid_segment();
	test_zeros_not_padding_older();
	printf("reader ok\n");
	return 0;
}
