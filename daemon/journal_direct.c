/*
 * journal_direct.c: writing segments with O_DIRECT.
 *
 * Why: through the page cache, this machine's kernel spends about half a
 * CPU second per million ~600-byte records copying them into fresh page
 * cache pages (copy_folio_from_iter_atomic), plus the writeback later.
 * A direct write hands the device our buffer: measured with 600 MiB in
 * 1 MiB writes, 0.05-0.07 s of system time against 0.4-1.8 s buffered.
 * Each direct write has a fixed cost (~30 us here) whatever its size, so
 * the writer batches (JOURNAL_WRITE_MIN, JOURNAL_WRITE_WAIT_MS).
 *
 * The price is alignment.  A direct write starts at a block boundary of
 * the file, from a block-aligned address, for whole blocks.  The journal
 * keeps its buffer aligned and, for the segment being written, each byte
 * at a buffer offset equal to its file offset modulo JOURNAL_BLOCK; every
 * write starts at the beginning of the block holding the segment's end
 * (rewriting the bytes of it already written, unchanged: a torn write
 * leaves them as they were) and the last block is padded with zeros from
 * a copy, never with the bytes that follow in the buffer.  So the file
 * of the segment being written may end in fewer than JOURNAL_BLOCK zero
 * bytes after its last record; readers take such a tail for the end of
 * the data (rec_is_padding, proto/record.h), recovery cuts it, and a
 * segment is cut to its exact length when it is rolled.
 *
 * Where the file system takes no direct I/O, or wants another alignment,
 * the journal writes through the page cache as before (journal.h: io).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal_int.h"

/*
 * 1 when fd (opened with O_DIRECT) can be written from JOURNAL_BLOCK
 * aligned memory at JOURNAL_BLOCK aligned offsets, 0 when not or when the
 * kernel does not say (statx STATX_DIOALIGN: Linux 6.1).
 */
int journal__direct_usable(int fd)
{
#ifdef STATX_DIOALIGN
	struct statx sx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) < 0 ||
	    !(sx.stx_mask & STATX_DIOALIGN) || sx.stx_dio_offset_align == 0 ||
	    sx.stx_dio_mem_align == 0)
		return 0;
	return JOURNAL_BLOCK % sx.stx_dio_offset_align == 0 &&
	       JOURNAL_BLOCK % sx.stx_dio_mem_align == 0;
#else
	(void)fd;
	return 0;
#endif
}

/* Turn O_DIRECT on or off for fd (the rewrite after a failed sync writes
 * exact spans through the page cache).  0 or a negative errno. */
int journal__direct_set(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	fl = on ? fl | O_DIRECT : fl & ~O_DIRECT;
	return fcntl(fd, F_SETFL, fl) < 0 ? -errno : 0;
}

/*
 * Fill w's iovecs for buf[w->start..w->end): whole blocks from the
 * buffer, then the last partial block copied to w->pad and padded with
 * zeros.  w->start and w->file_off are block-aligned.
 */
void journal__direct_prepare(journal_t *j, struct jwrite_job *w)
{
	size_t len = w->end - w->start;
	size_t whole = len & ~(size_t)(JOURNAL_BLOCK - 1);
	size_t rest = len - whole;

	w->iovcnt = 0;
	if (whole > 0)
		w->iov[w->iovcnt++] = (struct iovec){ journal__at(j, w->start), whole };
	if (rest > 0) {
		memcpy(w->pad, journal__at(j, w->start + whole), rest);
		memset(w->pad + rest, 0, JOURNAL_BLOCK - rest);
		w->iov[w->iovcnt++] = (struct iovec){ w->pad, JOURNAL_BLOCK };
	}
	w->total = whole + (rest > 0 ? JOURNAL_BLOCK : 0);
}
