/*
 * test_reader: rec_reader over hand-written segment files.  Reading across
 * segments from any seq; a torn tail of the newest segment (quiet stop,
 * then the completed record on the next call); a flipped byte mid-segment
 * (one callback with exactly that record's bytes and offset, everything
 * else read); a torn tail of an older segment and a bogus length in the
 * newest (corruption); a record larger than the buffer; a segment deleted
 * ahead of the reader; a missing and an empty directory.
 */
#include <errno.h>
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

int main(void)
{
	test_across_segments();
	test_torn_tail_last();
	test_flipped_byte();
	test_torn_tail_not_last();
	test_bogus_length_last();
	test_huge_record();
	test_deleted_ahead();
	test_missing_and_empty();
	printf("reader ok\n");
	return 0;
}
