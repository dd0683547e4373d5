/*
 * fuzz_record: the journal's record format (proto/record.c) and the
 * segment reader (proto/reader.c) over arbitrary segment bytes.
 *
 * A random byte string almost never holds a record with a matching CRC,
 * so the input is read as a little program that writes up to three
 * segment files: whole records (key, value, type and sequence numbers
 * from the input; key and value are text, no byte below 0x20, as in a
 * real journal), records cut short, bytes flipped inside a record, raw
 * bytes, fake headers (the magic and a length), segment breaks with
 * consistent or arbitrary names.  The newest segment may be written in two
 * steps, read in between (a write in progress).
 *
 * Checked, beyond memory safety and leaks:
 *   - rec_decode() never reports a record running past the buffer; a
 *     prefix of a whole record is REC_SHORT, never REC_BAD (a torn tail is
 *     told from corruption); rec_resync() and rec_find() never step over a
 *     whole record;
 *   - the reader returns records with rising sequence numbers from
 *     from_seq on, each one byte for byte in a segment; what it reports
 *     corrupt is exactly the bytes at that offset of that file; a second
 *     call at the end returns 0 and reports nothing more;
 *   - no whole record is lost: each one the reader should reach is
 *     returned, unless a record it returned covers it or came with a
 *     higher sequence number before it;
 *   - a well-formed journal (no damage, sequence numbers rising, segments
 *     named by their first record) reads back exactly, with nothing
 *     reported corrupt.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "record.h"

#define FR_SEGS 3
#define FR_RECS 256
#define FR_BIG (1u << 20)

struct fr_placed {
	int seg;                 /* creation index */
	size_t off;
	uint32_t len;
	uint64_t seq;
	int whole;               /* written whole and not damaged since */
};

struct fr_seg {
	uint64_t name;
	char *buf;
	size_t len, cap;
	int order;               /* index in name order */
	char path[PATH_MAX];
};

struct fr_got {
	int seg;                 /* name-order index */
	size_t off;
	uint32_t len;
	uint64_t seq;
};

static struct fr {
	char dir[PATH_MAX - 64];
	struct fr_seg seg[FR_SEGS];
	int nseg;
	struct fr_placed rec[FR_RECS];
	int nrec;
	int damaged;             /* raw bytes, a flip, a fake header or a cut
				    record anywhere but at the very end */
	int cut_pending;         /* the last op wrote a cut record */
	int bad_names;           /* a segment not named by its first seq */
	uint64_t corrupt_cb;     /* bytes reported through the callback */
	struct fr_got got[FR_RECS + 64];
	int ngot;
	char *scratch;
	size_t scratch_cap;
} fr;

/* Room for n more bytes in the current segment. */
static char *fr_room(size_t n)
{
	struct fr_seg *s = &fr.seg[fr.nseg - 1];

	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2;
		s->buf = realloc(s->buf, s->cap);
		FUZZ_CHECK(s->buf != NULL);
	}
	return s->buf + s->len;
}

static void fr_new_seg(uint64_t name)
{
	struct fr_seg *s = &fr.seg[fr.nseg++];

	for (int i = 0; i < fr.nseg - 1; i++)
		if (fr.seg[i].name == name) {
			name = fr.seg[fr.nseg - 2].name + 1000003;
			fr.bad_names = 1;
			i = -1;
		}
	s->name = name;
	s->len = 0;
}

/* One record from the input: ops 0-3 (3 writes it cut short). */
static void fr_op_record(struct fuzz_in *in, unsigned op, uint64_t *counter,
			 int *big_used)
{
	struct rec r;
	size_t klen = fuzz_u8(in) % 40, vlen = fuzz_u16(in) % 700, n, len;
	const uint8_t *p;
	char *dst;

	if ((op & 8) && !*big_used) {
		*big_used = 1;
		vlen = FR_BIG + fuzz_u16(in);
	}
	switch ((op >> 4) & 3) {
	case 0: r.seq = ++*counter; break;
	case 1: r.seq = *counter; break;
	case 2: r.seq = *counter += 1 + fuzz_u8(in); break;
	default: r.seq = *counter = fuzz_u64(in); break;
	}
	/* The journal never reaches 2^64 - 1 (the reader's next is seq + 1). */
	if (r.seq == UINT64_MAX)
		r.seq = *counter = UINT64_MAX - 1;
	r.time_ms = (int64_t)fuzz_u8(in);
	for (int i = 0; i < 16; i++)
		r.event_id[i] = (uint8_t)i;
	r.type = (uint8_t)fuzz_u8(in);
	r.flags = 0;
	len = rec_size(klen, vlen);
	if (fr.scratch_cap < klen + vlen) {
		fr.scratch_cap = klen + vlen;
		fr.scratch = realloc(fr.scratch, fr.scratch_cap);
		FUZZ_CHECK(fr.scratch != NULL);
	}
	n = fuzz_take(in, klen + vlen, &p);
	/* Keys and values are text (a correlation id, JSON): no byte below
	 * 0x20, which is what keeps a record from hiding in another's value
	 * (record.h, rec_resync). */
	for (size_t i = 0; i < n; i++)
		fr.scratch[i] = (char)(p[i] < 0x20 ? p[i] | 0x20 : p[i]);
	memset(fr.scratch + n, vlen > FR_BIG ? 'b' : 'v', klen + vlen - n);
	r.key = fr.scratch;
	r.key_len = (uint16_t)klen;
	r.value = fr.scratch + klen;
	r.value_len = (uint32_t)vlen;
	dst = fr_room(len);
	FUZZ_CHECK(rec_encode(dst, &r) == len);
	if ((op & 7) == 3) {
		size_t cut = 1 + fuzz_u16(in) % (len - 1);

		fr.seg[fr.nseg - 1].len += cut;
		fr.cut_pending = 1;
		return;
	}
	if (fr.nrec < FR_RECS)
		fr.rec[fr.nrec++] = (struct fr_placed){ fr.nseg - 1,
			fr.seg[fr.nseg - 1].len, (uint32_t)len, r.seq, 1 };
	fr.seg[fr.nseg - 1].len += len;
}

/* Flip a byte of the current segment; records holding it are damaged. */
static void fr_op_flip(struct fuzz_in *in)
{
	struct fr_seg *s = &fr.seg[fr.nseg - 1];
	size_t pos;

	if (s->len == 0)
		return;
	pos = fuzz_u16(in) % s->len;
	s->buf[pos] ^= (char)(fuzz_u8(in) | 1);
	fr.damaged = 1;
	for (int i = 0; i < fr.nrec; i++)
		if (fr.rec[i].seg == fr.nseg - 1 && pos >= fr.rec[i].off &&
		    pos < fr.rec[i].off + fr.rec[i].len)
			fr.rec[i].whole = 0;
}

/* Build the segments from the input; returns from_seq. */
static uint64_t fr_build(struct fuzz_in *in)
{
	unsigned sel = fuzz_u8(in), flags = fuzz_u8(in);
	uint64_t from, counter = flags >> 4;
	int big_used = 0;

	from = sel < 96 ? 0 : sel < 192 ? sel - 96 : fuzz_u64(in);
	fr.nseg = fr.nrec = 0;
	fr.damaged = fr.cut_pending = fr.bad_names = 0;
	fr_new_seg(counter + 1);
	while (in->n > 0) {
		unsigned op = fuzz_u8(in);
		const uint8_t *p;
		size_t n;

		if (fr.cut_pending)
			fr.damaged = 1;     /* bytes follow a cut record */
		fr.cut_pending = 0;
		switch (op & 7) {
		case 0: case 1: case 2: case 3:
			fr_op_record(in, op, &counter, &big_used);
			break;
		case 4:
			n = fuzz_take(in, fuzz_u8(in), &p);
			memcpy(fr_room(n), p, n);
			fr.seg[fr.nseg - 1].len += n;
			fr.damaged |= n > 0;
			break;
		case 5:
			fr_op_flip(in);
			break;
		case 6:
			if (fr.nseg == FR_SEGS)
				break;
			if (op & 0x10) {
				fr_new_seg(fuzz_u8(in));
				fr.bad_names = 1;
			} else {
				fr_new_seg(counter + 1);
			}
			break;
		default: {
			char *h = fr_room(8);
			uint32_t l = (uint32_t)fuzz_u16(in) << (fuzz_u8(in) % 16);

			memcpy(h, "ALR1", 4);
			memcpy(h + 4, &l, 4);
			fr.seg[fr.nseg - 1].len += 8;
			fr.damaged = 1;
		}
		}
	}
	return from;
}

/* Write a file whole (the named segment), or its first n bytes. */
static void fr_write(const struct fr_seg *s, size_t from, size_t to)
{
	int fd = open(s->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(to == from ||
		   write(fd, s->buf + from, to - from) == (ssize_t)(to - from));
	close(fd);
}

static void fr_on_corrupt(void *arg, const char *path, uint64_t offset,
			  const char *bytes, size_t len)
{
	const struct fr_seg *s = NULL;

	for (int i = 0; i < fr.nseg; i++)
		if (strcmp(path, fr.seg[i].path) == 0)
			s = &fr.seg[i];
	FUZZ_CHECK(s != NULL && len > 0);
	FUZZ_CHECK(offset + len <= s->len);
	FUZZ_CHECK(memcmp(s->buf + offset, bytes, len) == 0);
	fr.corrupt_cb += len;
}

/* What was written and what came back, for a failing input. */
static void fr_dump(uint64_t from, int start)
{
	fprintf(stderr, "from_seq %" PRIu64 ", reading from segment %d\n",
		from, start);
	for (int i = 0; i < fr.nseg; i++)
		fprintf(stderr, "segment %d (order %d): name %" PRIu64 ", %zu bytes\n",
			i, fr.seg[i].order, fr.seg[i].name, fr.seg[i].len);
	for (int i = 0; i < fr.nrec; i++)
		fprintf(stderr, "written: seg %d off %zu len %u seq %" PRIu64 "%s\n",
			fr.rec[i].seg, fr.rec[i].off, fr.rec[i].len, fr.rec[i].seq,
			fr.rec[i].whole ? "" : " (damaged)");
	for (int g = 0; g < fr.ngot; g++)
		fprintf(stderr, "read: order %d off %zu len %u seq %" PRIu64 "\n",
			fr.got[g].seg, fr.got[g].off, fr.got[g].len, fr.got[g].seq);
}

/* Where a returned record sits: the first copy at or after (*si, *off)
 * in name order. */
static void fr_locate(const struct rec *r, int *si, size_t *off,
		      const struct fr_seg *const *byname)
{
	const char *hdr = r->key - REC_HDR;

	for (; *si < fr.nseg; (*si)++, *off = 0) {
		const struct fr_seg *s = byname[*si];

		if (*off + r->len > s->len)
			continue;
		const char *hit = memmem(s->buf + *off, s->len - *off, hdr, r->len);
		if (hit) {
			*off = (size_t)(hit - s->buf);
			return;
		}
	}
	FUZZ_CHECK(!"a returned record is in no segment");
}

/* Read everything the reader gives now; appends to fr.got. */
static int fr_drain(rec_reader_t *rd, uint64_t from, int *si, size_t *off,
		    const struct fr_seg *const *byname)
{
	struct rec r;
	int rc;

	while ((rc = rec_reader_next(rd, &r)) == 1) {
		uint64_t prev = fr.ngot ? fr.got[fr.ngot - 1].seq : 0;

		if (r.seq < from || (fr.ngot > 0 && r.seq <= prev)) {
			fr_dump(from, -1);
			fprintf(stderr, "then read seq %" PRIu64 "\n", r.seq);
		}
		FUZZ_CHECK(r.seq >= from);
		FUZZ_CHECK(fr.ngot == 0 || r.seq > prev);
		FUZZ_CHECK(r.len == rec_size(r.key_len, r.value_len));
		fr_locate(&r, si, off, byname);
		FUZZ_CHECK(fr.ngot < FR_RECS + 64);
		fr.got[fr.ngot++] = (struct fr_got){ *si, *off, r.len, r.seq };
		*off += r.len;
	}
	return rc;
}

/* rec_decode / rec_resync / rec_find over one segment's bytes. */
static void fr_check_decode(int ci)
{
	const struct fr_seg *s = &fr.seg[ci];
	size_t pos = 0, first_whole = s->len, f;
	struct rec r;

	for (int i = 0; i < fr.nrec; i++) {
		const struct fr_placed *p = &fr.rec[i];
		size_t k;

		if (p->seg != ci || !p->whole)
			continue;
		if (p->off < first_whole)
			first_whole = p->off;
		FUZZ_CHECK(rec_decode(s->buf + p->off, p->len, &r) == REC_OK);
		FUZZ_CHECK(r.seq == p->seq && r.len == p->len);
		k = (size_t)(p->seq * 7 + p->off) % p->len;
		FUZZ_CHECK(rec_decode(s->buf + p->off, k, &r) == REC_SHORT);
	}
	f = rec_find(s->buf, s->len);
	FUZZ_CHECK(f <= first_whole);
	FUZZ_CHECK(f == s->len || rec_decode(s->buf + f, s->len - f, &r) == REC_OK);
	while (pos < s->len) {
		enum rec_status st = rec_decode(s->buf + pos, s->len - pos, &r);

		if (st == REC_SHORT)
			break;
		if (st == REC_OK) {
			FUZZ_CHECK(r.len >= REC_HDR && r.len <= s->len - pos);
			FUZZ_CHECK(r.value + r.value_len == s->buf + pos + r.len);
			pos += r.len;
			continue;
		}
		size_t q = rec_resync(s->buf + pos, s->len - pos);

		FUZZ_CHECK(q >= 1 && q <= s->len - pos);
		for (int i = 0; i < fr.nrec; i++)
			FUZZ_CHECK(fr.rec[i].seg != ci || !fr.rec[i].whole ||
				   fr.rec[i].off <= pos ||
				   fr.rec[i].off >= pos + q);
		pos += q;
	}
}

/* No whole record the reader should reach is missing (file comment). */
static void fr_check_complete(uint64_t from, int start)
{
	for (int i = 0; i < fr.nrec; i++) {
		const struct fr_placed *p = &fr.rec[i];
		int o = fr.seg[p->seg].order, found = 0;
		uint64_t before = 0;

		if (!p->whole || p->seq < from || o < start)
			continue;
		for (int g = 0; g < fr.ngot && !found; g++) {
			const struct fr_got *q = &fr.got[g];

			if (q->seg == o && q->off < p->off + p->len &&
			    p->off < q->off + q->len)
				found = 1;
			else if (q->seg < o || (q->seg == o && q->off < p->off))
				before = q->seq > before ? q->seq : before;
		}
		if (!found && p->seq > before) {
			fr_dump(from, start);
			fprintf(stderr, "lost: record seq %" PRIu64 " at %zu in "
				"segment %d\n", p->seq, p->off, o);
			FUZZ_CHECK(!"a whole record was not returned");
		}
	}
}

/* The exact expectation for a well-formed journal. */
static void fr_check_exact(uint64_t from, uint64_t corrupt)
{
	int g = 0;

	if (corrupt != 0)
		fr_dump(from, -1);
	FUZZ_CHECK(corrupt == 0);
	for (int i = 0; i < fr.nrec; i++) {
		if (fr.rec[i].seq < from)
			continue;
		FUZZ_CHECK(g < fr.ngot && fr.got[g].seq == fr.rec[i].seq);
		g++;
	}
	FUZZ_CHECK(g == fr.ngot);
}

/* Sequence numbers rise over the records and the segment names. */
static int fr_well_formed(void)
{
	uint64_t last = 0;
	int ri = 0;

	if (fr.damaged || fr.bad_names)
		return 0;
	for (int si = 0; si < fr.nseg; si++) {
		if (fr.seg[si].name <= last && si > 0)
			return 0;
		for (; ri < fr.nrec && fr.rec[ri].seg == si; ri++) {
			if (fr.rec[ri].seq <= last ||
			    fr.rec[ri].seq < fr.seg[si].name)
				return 0;
			last = fr.rec[ri].seq;
		}
		if (fr.seg[si].name > last + 1 && si > 0)
			last = fr.seg[si].name - 1;
	}
	return 1;
}

static void fr_clean(void)
{
	for (int i = 0; i < fr.nseg; i++)
		unlink(fr.seg[i].path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	const struct fr_seg *byname[FR_SEGS];
	uint64_t from, corrupt;
	int err = 0, si = 0, start = 0, newest = 0, split;
	size_t off = 0, cut;
	rec_reader_t *rd;

	if (!fr.dir[0]) {
		const char *t = getenv("TMPDIR");

		snprintf(fr.dir, sizeof(fr.dir), "%s/fuzz-record-XXXXXX",
			 t && *t ? t : "/tmp");
		FUZZ_CHECK(mkdtemp(fr.dir) != NULL);
	}
	split = size > 0 && (data[size - 1] & 1);
	cut = size > 1 ? data[size - 2] : 0;
	from = fr_build(&in);
	for (int i = 0; i < fr.nseg; i++) {
		struct fr_seg *s = &fr.seg[i];

		snprintf(s->path, sizeof(s->path), "%s/%020" PRIu64 ".seg",
			 fr.dir, s->name);
		s->order = 0;
		for (int j = 0; j < fr.nseg; j++)
			s->order += fr.seg[j].name < s->name;
		byname[s->order] = s;
		if (s->order == fr.nseg - 1)
			newest = i;
	}
	for (int o = 0; o < fr.nseg; o++)
		if (byname[o]->name <= from)
			start = o;
	for (int i = 0; i < fr.nseg; i++)
		fr_check_decode(i);

	/* The newest segment may be written in two steps, read between. */
	if (cut > fr.seg[newest].len || !split)
		cut = fr.seg[newest].len;
	for (int i = 0; i < fr.nseg; i++)
		fr_write(&fr.seg[i], 0, i == newest ? cut : fr.seg[i].len);
	fr.ngot = 0;
	fr.corrupt_cb = 0;
	rd = rec_reader_open(fr.dir, from, &err);
	FUZZ_CHECK(rd != NULL);
	rec_reader_on_corrupt(rd, fr_on_corrupt, NULL);
	FUZZ_CHECK(fr_drain(rd, from, &si, &off, byname) == 0);
	if (cut < fr.seg[newest].len) {
		fr_write(&fr.seg[newest], cut, fr.seg[newest].len);
		FUZZ_CHECK(fr_drain(rd, from, &si, &off, byname) == 0);
	}
	corrupt = rec_reader_corrupt_bytes(rd);
	FUZZ_CHECK(fr_drain(rd, from, &si, &off, byname) == 0);
	FUZZ_CHECK(rec_reader_corrupt_bytes(rd) == corrupt);
	FUZZ_CHECK(corrupt == fr.corrupt_cb);
	rec_reader_close(rd);

	fr_check_complete(from, start);
	if (fr_well_formed())
		fr_check_exact(from, corrupt);
	fr_clean();
	return 0;
}
