/*
 * test_record: the record format of proto/record.h.  Round trips, the
 * exact little-endian layout, every truncation of a record (REC_SHORT,
 * never a read past the buffer: buffers are malloc'd to the exact size so
 * ASan catches an overread), every single-byte corruption (never REC_OK),
 * impossible lengths, resynchronisation past garbage, and what
 * rec_decode_sealed() checks and what it leaves to the CRC; and which
 * bytes rec_is_padding() takes for a direct write's zero padding (1 to
 * 4095 zeros ending at a 4096-aligned file offset) and which it does not.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "crc32c.h"
#include "record.h"

static const char KEY[] = "6f1c2a3e-8d4b-4c5a-9e7f-0a1b2c3d4e5f";
static const char VAL[] = "{\"type\":\"agent_action\",\"n\":1}";

/* Encode one record with seq into a fresh exact-size buffer. */
static char *make(uint64_t seq, const char *val, size_t *lenp)
{
	struct rec r = { 0 };
	r.seq = seq;
	r.time_ms = 1700000000123;
	for (int i = 0; i < 16; i++)
		r.event_id[i] = (uint8_t)(i * 17);
	r.type = 2;
	r.key = KEY;
	r.key_len = (uint16_t)strlen(KEY);
	r.value = val;
	r.value_len = (uint32_t)strlen(val);
	size_t len = rec_size(r.key_len, r.value_len);
	char *b = malloc(len);
	CHECK(b != NULL);
	CHECK_EQ_U64(rec_encode(b, &r), len);
	*lenp = len;
	return b;
}

static void test_roundtrip_and_layout(void)
{
	size_t len;
	char *b = make(0x0102030405060708ull, VAL, &len);
	struct rec r;

	CHECK(rec_decode(b, len, &r) == REC_OK);
	CHECK_EQ_U64(r.seq, 0x0102030405060708ull);
	CHECK_EQ_U64(r.time_ms, 1700000000123);
	CHECK_EQ_U64(r.type, 2);
	CHECK_EQ_U64(r.flags, 0);
	CHECK_EQ_U64(r.len, len);
	CHECK(r.key_len == strlen(KEY) && memcmp(r.key, KEY, r.key_len) == 0);
	CHECK(r.value_len == strlen(VAL) &&
	      memcmp(r.value, VAL, r.value_len) == 0);
	CHECK(r.event_id[15] == 255);
	/* The layout, byte by byte: magic, LE length, LE seq. */
	CHECK(memcmp(b, "ALR1", 4) == 0);
	CHECK((unsigned char)b[4] == (len & 0xff) && b[5] == 0 && b[7] == 0);
	CHECK(b[12] == 8 && b[19] == 1);
	CHECK_EQ_U64((unsigned char)b[46], strlen(KEY));
	uint32_t crc;
	memcpy(&crc, b + 8, 4);       /* this test runs on little-endian */
	CHECK_EQ_U64(crc, crc32c(0, b + 12, len - 12));
	free(b);
}

/* Every proper prefix is REC_SHORT, decoded from an exact-size copy. */
static void test_truncations(void)
{
	size_t len;
	char *b = make(7, VAL, &len);
	struct rec r;

	for (size_t n = 0; n < len; n++) {
		char *p = malloc(n ? n : 1);
		memcpy(p, b, n);
		CHECK(rec_decode(p, n, &r) == REC_SHORT);
		free(p);
	}
	free(b);
}

/* Flipping any one bit of a record never yields REC_OK. */
static void test_corruptions(void)
{
	size_t len;
	char *b = make(9, VAL, &len);
	struct rec r;

	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			b[i] ^= (char)(1 << bit);
			CHECK(rec_decode(b, len, &r) != REC_OK);
			b[i] ^= (char)(1 << bit);
		}
	}
	CHECK(rec_decode(b, len, &r) == REC_OK);
	free(b);
}

/* Lengths no writer produces are REC_BAD at once, not REC_SHORT. */
static void test_impossible_lengths(void)
{
	size_t len;
	char *b = make(1, VAL, &len);
	struct rec r;
	uint32_t v;

	v = REC_HDR - 1;
	memcpy(b + 4, &v, 4);
	CHECK(rec_decode(b, len, &r) == REC_BAD);
	v = REC_MAX + 1;
	memcpy(b + 4, &v, 4);
	CHECK(rec_decode(b, len, &r) == REC_BAD);
	CHECK(rec_decode(b, 8, &r) == REC_BAD);
	v = 0xffffffffu;
	memcpy(b + 4, &v, 4);
	CHECK(rec_decode(b, len, &r) == REC_BAD);
	/* key longer than the record */
	v = (uint32_t)len;
	memcpy(b + 4, &v, 4);
	b[46] = (char)0xff;
	b[47] = (char)0xff;
	CHECK(rec_decode(b, len, &r) == REC_BAD);
	/* a plausible length beyond the buffer is SHORT until proven bad */
	free(b);
	b = make(1, VAL, &len);
	v = (uint32_t)len + 1000;
	memcpy(b + 4, &v, 4);
	CHECK(rec_decode(b, len, &r) == REC_SHORT);
	/* wrong magic in the first bytes, even a partial one */
	CHECK(rec_decode("ALX", 3, &r) == REC_BAD);
	CHECK(rec_decode("AL", 2, &r) == REC_SHORT);
	CHECK(rec_decode("ALR1", 4, &r) == REC_SHORT);
	free(b);
}

/* Garbage, a good record, a corrupted one, a good one: resync lands on
 * each good record; JSON text holding the magic never fools it. */
static void test_resync(void)
{
	size_t l1, l2, l3;
	char *r1 = make(1, "{\"msg\":\"ALR1ALR1ALR1 looks like a magic\"}", &l1);
	char *r2 = make(2, VAL, &l2);
	char *r3 = make(3, VAL, &l3);
	const char junk[] = "ALR1\x01\x02 junk ALR";
	size_t jl = sizeof junk - 1;
	size_t total = jl + l1 + l2 + l3;
	char *b = malloc(total);
	struct rec r;

	memcpy(b, junk, jl);
	memcpy(b + jl, r1, l1);
	memcpy(b + jl + l1, r2, l2);
	memcpy(b + jl + l1 + l2, r3, l3);
	b[jl + l1 + 60] ^= 0x20;            /* corrupt r2's payload */

	CHECK(rec_decode(b, total, &r) == REC_BAD);
	size_t off = rec_resync(b, total);
	CHECK_EQ_U64(off, jl);
	CHECK(rec_decode(b + off, total - off, &r) == REC_OK && r.seq == 1);
	off += r.len;
	CHECK(rec_decode(b + off, total - off, &r) == REC_BAD);
	size_t skip = rec_resync(b + off, total - off);
	CHECK_EQ_U64(skip, l2);
	off += skip;
	CHECK(rec_decode(b + off, total - off, &r) == REC_OK && r.seq == 3);
	/* Nothing after: resync reports the end. */
	CHECK_EQ_U64(rec_resync(b + jl + l1 + 1, l2 - 1), l2 - 1);
	/* A record cut by the buffer's end is a candidate (REC_SHORT). */
	CHECK_EQ_U64(rec_resync(b + jl + l1, l2 + 30), l2);
	CHECK_EQ_U64(rec_resync(b, 0), 0);
	CHECK_EQ_U64(rec_resync(b, 1), 1);
	free(b);
	free(r1);
	free(r2);
	free(r3);
}

/*
 * rec_decode_sealed() decodes the same fields, still refuses a broken
 * header, and (by contract) does not check the payload's CRC.
 */
static void test_sealed(void)
{
	size_t len;
	char *b = make(11, VAL, &len);
	struct rec r, s;

	memset(&r, 0, sizeof(r));            /* padding compares equal */
	memset(&s, 0, sizeof(s));
	CHECK(rec_decode(b, len, &r) == REC_OK);
	CHECK(rec_decode_sealed(b, len, &s) == REC_OK);
	CHECK(memcmp(&r, &s, sizeof(r)) == 0);
	b[len - 2] ^= 1;                      /* payload: only the CRC sees it */
	CHECK(rec_decode(b, len, &r) == REC_BAD);
	CHECK(rec_decode_sealed(b, len, &s) == REC_OK);
	b[len - 2] ^= 1;
	b[0] ^= 1;                            /* magic */
	CHECK(rec_decode_sealed(b, len, &s) == REC_BAD);
	b[0] ^= 1;
	for (size_t n = 0; n < len; n++)
		CHECK(rec_decode_sealed(b, n, &s) == REC_SHORT);
	free(b);
}

/*
 * rec_is_padding(): the zeros after the last record of a segment written
 * with O_DIRECT, up to a block boundary.  Exactly 1..REC_PAD_BLOCK-1 zero
 * bytes whose end is a multiple of REC_PAD_BLOCK; a whole block of zeros,
 * nothing, a non-aligned end or any non-zero byte is not padding.
 */
static void test_padding(void)
{
	const size_t B = REC_PAD_BLOCK;
	char *z = calloc(3 * B, 1);
	CHECK(z != NULL);
	CHECK_EQ_U64(REC_PAD_BLOCK, 4096);

	/* every length 1..4095, ending at block boundaries 1, 2 and 1000 */
	for (size_t n = 1; n < B; n++) {
		CHECK(rec_is_padding(z, n, B) == 1);
		CHECK(rec_is_padding(z, n, 2 * B) == 1);
		CHECK(rec_is_padding(z, n, 1000 * (uint64_t)B) == 1);
	}
	/* beyond 4 GiB: the offset is 64-bit */
	CHECK(rec_is_padding(z, 100, (5ull << 32) + 0) == 1);
	CHECK(rec_is_padding(z, 100, (5ull << 32) + 4) == 0);

	/* nothing is not padding (the file ends on a record) */
	CHECK(rec_is_padding(z, 0, B) == 0);
	CHECK(rec_is_padding(z, 0, 0) == 0);
	/* a whole block of zeros, or more, is never padding */
	CHECK(rec_is_padding(z, B, B) == 0);
	CHECK(rec_is_padding(z, B, 2 * B) == 0);
	CHECK(rec_is_padding(z, B + 1, 2 * B) == 0);
	CHECK(rec_is_padding(z, 2 * B, 2 * B) == 0);
	CHECK(rec_is_padding(z, 3 * B - 1, 3 * B) == 0);

	/* an end that is not block aligned */
	for (uint64_t end = 1; end < 2 * B; end++) {
		if (end % B == 0)
			continue;
		size_t n = end < B ? (size_t)end : 100;
		CHECK(rec_is_padding(z, n, end) == 0);
	}
	CHECK(rec_is_padding(z, 100, B + 512) == 0);   /* a sector, not a block */
	CHECK(rec_is_padding(z, 100, B - 1) == 0);
	CHECK(rec_is_padding(z, 100, B + 1) == 0);

	/* any one non-zero byte, at any position, of short and long runs */
	const size_t lens[] = { 1, 2, 3, 4, 5, 47, 48, 49, 100, 2048, B - 1 };
	const unsigned char vals[] = { 0x01, 0x80, 0xff, 'A' };
	for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
		size_t n = lens[li];
		for (size_t i = 0; i < n; i++) {
			for (size_t vi = 0; vi < sizeof vals; vi++) {
				z[i] = (char)vals[vi];
				CHECK(rec_is_padding(z, n, B) == 0);
			}
			z[i] = 0;
		}
		CHECK(rec_is_padding(z, n, B) == 1);
	}
	/* the buffer ends exactly where asked: a non-zero byte just after
	 * the run (beyond len) does not matter */
	z[100] = 'x';
	CHECK(rec_is_padding(z, 100, B) == 1);
	CHECK(rec_is_padding(z, 101, B) == 0);
	z[100] = 0;

	/* the tail of a real record is not padding, nor a record followed
	 * by zeros up to the boundary (only the zeros are) */
	size_t len;
	char *r = make(5, VAL, &len);
	memcpy(z + B - 200, r, len);
	CHECK(rec_is_padding(z + B - 200, 200, B) == 0);
	CHECK(rec_is_padding(z + B - 200 + len, 200 - len, B) == 1);
	free(r);
	free(z);
}

int main(void)
{
	test_roundtrip_and_layout();
	test_truncations();
	test_corruptions();
	test_impossible_lengths();
	test_resync();
	test_sealed();
	test_padding();
	printf("record ok\n");
	return 0;
}
