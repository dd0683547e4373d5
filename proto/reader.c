/*
 * reader.c: read a journal's segment files in sequence order (record.h).
 *
 * The reader keeps one segment open and a large buffer (1 MiB, grown only
 * for a record bigger than that) filled with pread(), so reading costs a
 * syscall per buffer, not per record.  Records are decoded in place and
 * handed out pointing into the buffer.
 *
 * Where a segment ends is the subtle part.  The writer (daemon/journal.c)
 * only ever appends whole batches to the newest segment and creates the
 * next segment after its last write to the current one has returned.  So:
 *   - bytes that do not form a record at the end of the NEWEST segment may
 *     be a write in progress (or a torn tail the journal truncates when it
 *     next opens): the reader stops there quietly and retries on the next
 *     call, unless a valid record follows them (then they are corrupt);
 *   - once a newer segment exists, everything in the current one is
 *     complete: after one more read to catch writes that finished just
 *     before the newer segment appeared, leftover bytes are corruption
 *     (up to the next whole record, if any).
 * Direct I/O adds one case (record.h, rec_is_padding): the newest
 * segment may end in zeros up to a block boundary, and the writer
 * rewrites that block, records where the zeros were, with its next
 * write (and cuts the zeros off when it rolls the segment).  So zeros
 * where a record should start are read again from the file before they
 * count for anything, and zeros that are the padding are the end.
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"

#define READER_BUF (1u << 20)
#define SEG_NAME_DIGITS 20

struct rec_reader {
	char *dir;
	uint64_t next_seq;       /* records below this are skipped */
	int have_seg;            /* a segment is (or was) open */
	uint64_t seg;            /* its first seq, from its name */
	int fd;
	char path[PATH_MAX];
	uint64_t buf_off;        /* file offset of buf[0] */
	char *buf;
	size_t cap, len, pos;
	uint64_t final_at;       /* 1 + offset where the last bytes were read
				    again once a newer segment showed; 0 none */
	uint64_t corrupt;
	rec_corrupt_cb cb;
	void *cb_arg;
};

/* Parse "<20 digits>.seg"; 0 and the seq, or -1 for any other name. */
static int reader_parse_name(const char *name, uint64_t *seq)
{
	uint64_t v = 0;

	for (int i = 0; i < SEG_NAME_DIGITS; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		uint64_t d = (uint64_t)(name[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (strcmp(name + SEG_NAME_DIGITS, ".seg") != 0)
		return -1;
	*seq = v;
	return 0;
}

/*
 * One pass over the directory: the largest segment seq <= target (*le,
 * *has_le) and the smallest > target (*gt, *has_gt).  0 or -errno.
 */
static int reader_scan(const char *dir, uint64_t target, uint64_t *le,
		       int *has_le, uint64_t *gt, int *has_gt)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	uint64_t s;

	*has_le = *has_gt = 0;
	if (d == NULL)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		if (reader_parse_name(e->d_name, &s) != 0)
			continue;
		if (s <= target && (!*has_le || s > *le)) {
			*le = s;
			*has_le = 1;
		} else if (s > target && (!*has_gt || s < *gt)) {
			*gt = s;
			*has_gt = 1;
		}
	}
	closedir(d);
	return 0;
}

rec_reader_t *rec_reader_open(const char *segdir, uint64_t from_seq, int *errp)
{
	rec_reader_t *r = calloc(1, sizeof *r);
	DIR *d;

	if (r == NULL || (r->buf = malloc(READER_BUF)) == NULL ||
	    (r->dir = strdup(segdir)) == NULL) {
		*errp = -ENOMEM;
		goto fail;
	}
	if ((d = opendir(segdir)) == NULL) {
		*errp = -errno;
		goto fail;
	}
	closedir(d);
	r->cap = READER_BUF;
	r->fd = -1;
	r->next_seq = from_seq;
	return r;
fail:
	if (r != NULL) {
		free(r->buf);
		free(r->dir);
		free(r);
	}
	return NULL;
}

void rec_reader_on_corrupt(rec_reader_t *r, rec_corrupt_cb cb, void *arg)
{
	r->cb = cb;
	r->cb_arg = arg;
}

uint64_t rec_reader_corrupt_bytes(const rec_reader_t *r)
{
	return r->corrupt;
}

void rec_reader_close(rec_reader_t *r)
{
	if (r == NULL)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
	free(r->dir);
	free(r);
}

/* Count n bytes at buf[pos] as corrupt, tell the callback, skip them. */
static void reader_corrupt(rec_reader_t *r, size_t n)
{
	if (r->cb != NULL)
		r->cb(r->cb_arg, r->path, r->buf_off + r->pos, r->buf + r->pos, n);
	r->corrupt += n;
	r->pos += n;
}

/* Open segment seq.  0, 1 when it vanished (deleted behind us), or -errno. */
static int reader_open_seg(rec_reader_t *r, uint64_t seq)
{
	int n = snprintf(r->path, sizeof r->path, "%s/%0*" PRIu64 ".seg",
			 r->dir, SEG_NAME_DIGITS, seq);
	if (n < 0 || (size_t)n >= sizeof r->path)
		return -ENAMETOOLONG;
	int fd = open(r->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 1 : -errno;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = fd;
	r->have_seg = 1;
	r->seg = seq;
	r->buf_off = 0;
	r->len = r->pos = 0;
	r->final_at = 0;
	return 0;
}

/*
 * Find and open the segment to read next: the first one (the segment
 * holding next_seq, else the oldest) or the one after the current.
 * 1 when opened, 0 when there is none yet, -errno on error.
 */
static int reader_advance(rec_reader_t *r)
{
	for (;;) {
		uint64_t le = 0, gt = 0, target;
		int has_le, has_gt, rc;

		target = r->have_seg ? r->seg : r->next_seq;
		rc = reader_scan(r->dir, target, &le, &has_le, &gt, &has_gt);
		if (rc < 0)
			return rc;
		if (!r->have_seg && has_le)
			rc = reader_open_seg(r, le);
		else if (has_gt)
			rc = reader_open_seg(r, gt);
		else
			return 0;
		if (rc <= 0)
			return rc == 0 ? 1 : rc;
		/* it was deleted between readdir and open: look again */
	}
}

/* Read more of the current segment after the buffered bytes.
 * Bytes read (0 at EOF) or -errno. */
static ssize_t reader_fill(rec_reader_t *r)
{
	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->buf_off += r->pos;
		r->len -= r->pos;
		r->pos = 0;
	}
	if (r->len >= 8) {
		uint32_t need;
		memcpy(&need, r->buf + 4, 4);
		need = le32toh(need);
		if (need > r->cap && need <= REC_MAX) {
			char *nb = realloc(r->buf, need);
			if (nb == NULL)
				return -ENOMEM;
			r->buf = nb;
			r->cap = need;
		}
	}
	for (;;) {
		ssize_t n = pread(r->fd, r->buf + r->len, r->cap - r->len,
				  (off_t)(r->buf_off + r->len));
		if (n >= 0) {
			r->len += (size_t)n;
			return n;
		}
		if (errno != EINTR)
			return -errno;
	}
}

/* Treat buf[pos..len) as gone: the next fill reads those bytes again from
 * the file (a block the writer may have rewritten since). */
static void reader_forget(rec_reader_t *r)
{
	r->len = r->pos;
}

/* 1 when the bytes left at pos are a direct write's zero padding that
 * runs to the end of the file. */
static int reader_at_padding(const rec_reader_t *r)
{
	return rec_is_padding(r->buf + r->pos, r->len - r->pos,
			      r->buf_off + r->len);
}

/*
 * The buffer holds no whole record and the segment has no more bytes.
 * Decide: move to the next segment (leftover bytes are corrupt, unless
 * they are padding), skip corrupt bytes followed by a valid record, or
 * stop for now.  1 to go on decoding, 0 to stop (end for now), -errno.
 */
static int reader_at_eof(rec_reader_t *r)
{
	uint64_t le, gt, at = r->buf_off + r->pos;
	int has_le, has_gt;
	size_t left;
	int rc = reader_scan(r->dir, r->seg, &le, &has_le, &gt, &has_gt);

	if (rc < 0)
		return rc;
	if (has_gt) {
		/* The newer segment proves this one complete; read the rest
		 * once more, afresh, for writes that landed (or a tail block
		 * rewritten or cut) before it was created, and decode it. */
		if (r->final_at != at + 1) {
			r->final_at = at + 1;
			reader_forget(r);
			ssize_t n = reader_fill(r);
			return n < 0 ? (int)n : 1;
		}
		left = r->len - r->pos;
		if (left > 0 && reader_at_padding(r))
			left = 0;
		/* Leftover bytes are corrupt up to the next whole record: a
		 * damaged length field must not hide the records after it. */
		if (left > 0) {
			size_t q = rec_find(r->buf + r->pos, left);

			reader_corrupt(r, q);
			if (q < left)
				return 1;
		}
		return reader_advance(r);
	}
	left = r->len - r->pos;
	if (left > 0 && reader_at_padding(r)) {
		reader_forget(r);
		return 0;
	}
	if (left > 0) {
		size_t q = rec_find(r->buf + r->pos, left);
		if (q < left) {
			reader_corrupt(r, q);
			return 1;
		}
	}
	return 0;
}

/*
 * After REC_BAD at pos.  Zeros there may be stale (the writer rewrote
 * that block since it was read) or a direct write's padding: read from
 * pos to the end of the file again.  1: the padding (the end of the
 * data), 2: decode again (fresh bytes), 0: corrupt, or -errno.
 */
static int reader_check_zeros(rec_reader_t *r)
{
	static const char zero[4];
	size_t left = r->len - r->pos;

	/* the magic's bytes, or all there are: padding may be 1 byte */
	if (left == 0 || memcmp(r->buf + r->pos, zero,
				left < sizeof zero ? left : sizeof zero) != 0)
		return 0;
	reader_forget(r);
	for (;;) {
		ssize_t n = reader_fill(r);
		if (n < 0)
			return (int)n;
		left = r->len - r->pos;
		if (left == 0 || memcmp(r->buf + r->pos, zero,
					left < sizeof zero ? left : sizeof zero) != 0)
			return 2;
		if (n == 0)
			return reader_at_padding(r) ? 1 : 0;
		if (left >= REC_PAD_BLOCK)
			return 0;
	}
}

int rec_reader_next(rec_reader_t *r, struct rec *out)
{
	if (r->fd < 0) {
		int rc = reader_advance(r);
		if (rc <= 0)
			return rc;
	}
	for (;;) {
		size_t avail = r->len - r->pos;
		enum rec_status st = rec_decode(r->buf + r->pos, avail, out);

		if (st == REC_OK) {
			r->pos += out->len;
			if (out->seq < r->next_seq)
				continue;
			r->next_seq = out->seq + 1;
			return 1;
		}
		if (st == REC_BAD) {
			int z = reader_check_zeros(r);
			if (z < 0)
				return z;
			if (z == 2)
				continue;
			if (z == 1) {
				reader_forget(r);
				int rc = reader_at_eof(r);
				if (rc <= 0)
					return rc;
				continue;
			}
			reader_corrupt(r, rec_resync(r->buf + r->pos,
						     r->len - r->pos));
			continue;
		}
		ssize_t n = reader_fill(r);
		if (n < 0)
			return (int)n;
		if (n > 0)
			continue;
		int rc = reader_at_eof(r);
		if (rc <= 0)
			return rc;
	}
}
