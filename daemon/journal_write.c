/*
 * journal_write.c: journal_flush, the one write per loop turn.
 *
 * Records committed during a loop turn sit back to back in the batch
 * buffer; the flush writes them with one pwrite() at the segment's known
 * end.  Writing at an explicit offset (not O_APPEND) is what makes a retry
 * safe: after a failed or short write the same bytes go to the same place
 * again, so a retry can neither duplicate a record nor leave a hole.
 *
 * A segment is rolled (a new file named by the next seq) only between
 * whole records, when the current one has reached segment_bytes (a write
 * stops at the last whole record that fits), so no record ever straddles
 * two files, segments stay within segment_bytes unless one record is
 * bigger, and the reader can trust that a newer segment means the older
 * one is complete.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal_fault.h"
#include "journal_int.h"

static uint32_t journal_get32(const char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint64_t journal_get64(const char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return le64toh(v);
}

static void journal_retry_cb(uv_timer_t *t)
{
	journal_flush(t->data);
}

/* Try the queued writes again later (50 ms, doubling to 1 s). */
void journal__retry_arm(journal_t *j)
{
	if (j->closing || uv_is_active((uv_handle_t *)&j->retry_timer))
		return;
	uv_timer_start(&j->retry_timer, journal_retry_cb, j->retry_ms, 0);
	j->retry_ms *= 2;
	if (j->retry_ms > JOURNAL_RETRY_MAX_MS)
		j->retry_ms = JOURNAL_RETRY_MAX_MS;
}

/* Count and report a failed write-side call; arrange the retry. */
static int journal_write_failed(journal_t *j, int err, const char *call,
				uint64_t seg)
{
	char name[JOURNAL_SEG_NAME_LEN];
	int64_t now = journal__wall_ms();
	int first = j->werr == 0;

	j->st.write_errors++;
	j->werr = err;
	if (first || now - j->werr_logged_ms >= 10000) {
		journal__seg_name(name, seg);
		journal__log(j, JOURNAL_LOG_ERROR,
			     "%s(segments/%s) failed: %s; %zu bytes queued, "
			     "retrying (%" PRIu64 " write errors so far)", call,
			     name, strerror(-err), j->used - j->written,
			     j->st.write_errors);
		j->werr_logged_ms = now;
	}
	journal__retry_arm(j);
	return err;
}

/* Remember that buf[buf_off..+len) went to segment s at file_off. */
static int journal_span_add(journal_t *j, struct jseg *s, uint64_t file_off,
			    size_t buf_off, size_t len)
{
	struct jspan *last = j->nspans ? &j->spans[j->nspans - 1] : NULL;

	s->unsynced = 1;
	if (j->nspans > 0 && last->seg == s->first &&
	    last->file_off + last->len == file_off &&
	    last->buf_off + last->len == buf_off) {
		last->len += len;
		return 0;
	}
	if (j->nspans == j->capspans) {
		int ncap = j->capspans ? j->capspans * 2 : 8;
		struct jspan *n = realloc(j->spans, (size_t)ncap * sizeof *n);
		if (n == NULL)
			return -ENOMEM;
		j->spans = n;
		j->capspans = ncap;
	}
	j->spans[j->nspans++] = (struct jspan){ s->first, s->fd, file_off,
						buf_off, len };
	return 0;
}

int journal__roll(journal_t *j)
{
	struct jseg *cur = &j->segs[j->nsegs - 1];
	uint64_t first = j->written_seq + 1;
	char name[JOURNAL_SEG_NAME_LEN];
	int fd, rc;

	if (cur->bytes == 0 || j->partial)
		return 0;
	journal__seg_name(name, first);
	fd = journal_fault_openat(j->segdirfd, name,
				  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	rc = fchmod(fd, 0600) < 0 ? -errno : journal__seg_add(j, first, fd, 0);
	if (rc < 0) {
		close(fd);
		unlinkat(j->segdirfd, name, 0);
		return rc;
	}
	cur = &j->segs[j->nsegs - 2];
	if (!cur->unsynced) {
		close(cur->fd);
		cur->fd = -1;
	}
	if (j->written < j->used)
		j->segs[j->nsegs - 1].first_ms =
			(int64_t)journal_get64(j->buf + j->written + 20);
	j->dir_dirty = 1;
	return 0;
}

/* After an fdatasync failed: write every unsynced span again. */
static int journal_rewrite(journal_t *j)
{
	for (int i = 0; i < j->nspans; i++) {
		struct jspan *sp = &j->spans[i];
		size_t off = 0;
		while (off < sp->len) {
			ssize_t n = journal_fault_pwrite(sp->fd,
				j->buf + sp->buf_off + off, sp->len - off,
				(off_t)(sp->file_off + off));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return journal_write_failed(j, n < 0 ? -errno : -EIO,
							    "pwrite", sp->seg);
			off += (size_t)n;
		}
	}
	j->rewrite = 0;
	return 0;
}

/* Write buf[written..end) at the current segment's end. */
static int journal_write_queued(journal_t *j, size_t end)
{
	struct jseg *cur = &j->segs[j->nsegs - 1];

	/* A segment's first record dates it (status: the oldest undelivered
	 * event's age).  Rolled segments get it in journal__roll(), recovered
	 * ones from their file; the first segment of a new journal here. */
	if (cur->bytes == 0 && cur->first_ms == 0 && !j->partial &&
	    j->written < end)
		cur->first_ms = (int64_t)journal_get64(j->buf + j->written + 20);
	while (j->written < end) {
		ssize_t n = journal_fault_pwrite(cur->fd, j->buf + j->written,
						 end - j->written,
						 (off_t)cur->bytes);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return journal_write_failed(j, n < 0 ? -errno : -EIO,
						    "pwrite", cur->first);
		if (j->opts.fsync != JOURNAL_FSYNC_NEVER &&
		    journal_span_add(j, cur, cur->bytes, j->written,
				     (size_t)n) < 0)
			return journal_write_failed(j, -ENOMEM, "pwrite",
						    cur->first);
		cur->bytes += (uint64_t)n;
		j->disk_bytes += (uint64_t)n;
		j->written += (size_t)n;
		j->synced_bytes_pending += (uint64_t)n;
	}
	cur->last_ms = journal__wall_ms();
	return 0;
}

static size_t journal_rec_len(const journal_t *j, size_t off)
{
	return journal_get32(j->buf + off + 4);
}

/*
 * Where the next write stops: the rest of a partly written record (it
 * must end in the segment it began in), else the whole queue when it fits
 * in the current segment, else as many whole records as fit (at least
 * one), so segments stay within segment_bytes even after a long outage.
 */
static size_t journal_write_end(const journal_t *j)
{
	const struct jseg *cur = &j->segs[j->nsegs - 1];
	uint64_t room = j->opts.segment_bytes > cur->bytes
			? j->opts.segment_bytes - cur->bytes : 0;
	size_t end;

	if (j->partial)
		return j->notified + journal_rec_len(j, j->notified);
	if (j->used - j->written <= room)
		return j->used;
	end = j->written + journal_rec_len(j, j->written);
	while (end < j->used &&
	       end + journal_rec_len(j, end) - j->written <= room)
		end += journal_rec_len(j, end);
	return end;
}

/*
 * Hand the whole records written since the last call to the written
 * callback.  After a short write the end falls inside a record: walk the
 * headers (our own, already checked) to the last whole one.
 */
static void journal_notify(journal_t *j)
{
	size_t end = j->notified;
	uint64_t first = j->written_seq + 1, last = j->written_seq;

	if (j->written == j->used) {
		end = j->written;
		last = j->next_seq - 1;
	} else {
		while (end + REC_HDR <= j->written) {
			uint32_t len = journal_get32(j->buf + end + 4);
			if (end + len > j->written)
				break;
			last = journal_get64(j->buf + end + 12);
			end += len;
		}
	}
	j->partial = end != j->written;
	if (end == j->notified)
		return;
	j->written_seq = last;
	if (j->written_cb != NULL && !j->closing)
		j->written_cb(j->cb_arg, j->buf + j->notified, end - j->notified,
			      first, last);
	j->notified = end;
}

/* The writes went through: leave the error state. */
static void journal_write_ok(journal_t *j)
{
	if (j->werr != 0)
		journal__log(j, JOURNAL_LOG_WARN,
			     "journal writes work again after %" PRIu64
			     " errors; written up to seq %" PRIu64,
			     j->st.write_errors, j->written_seq);
	j->werr = 0;
	j->retry_ms = JOURNAL_RETRY_MIN_MS;
	uv_timer_stop(&j->retry_timer);
}

/* What the fsync policy asks once records reached the page cache. */
static void journal_after_write(journal_t *j)
{
	if (j->opts.fsync != JOURNAL_FSYNC_NEVER) {
		journal__sync_request(j);
		return;
	}
	journal__buf_drop(j, j->notified);
	if (j->durable_seq == j->written_seq)
		return;
	j->durable_seq = j->written_seq;
	if (j->durable_cb != NULL && !j->closing)
		j->durable_cb(j->cb_arg, j->durable_seq);
	if (j->cursor > j->cursor_saved)
		journal__cursor_schedule(j);
}

int journal_flush(journal_t *j)
{
	int rc = 0;

	if (j->rewrite && (rc = journal_rewrite(j)) < 0)
		return rc;
	while (j->written < j->used) {
		struct jseg *cur = &j->segs[j->nsegs - 1];
		if (!j->partial && cur->bytes >= j->opts.segment_bytes &&
		    (rc = journal__roll(j)) < 0) {
			rc = journal_write_failed(j, rc, "open", j->written_seq + 1);
			break;
		}
		rc = journal_write_queued(j, journal_write_end(j));
		journal_notify(j);
		if (rc < 0)
			break;
	}
	if (rc == 0 && j->werr != 0)
		journal_write_ok(j);
	journal_after_write(j);
	return rc;
}
