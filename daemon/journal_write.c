/*
 * journal_write.c: moving committed records into the segment files.
 *
 * One write job at a time, on the writer thread (journal_worker.c): the
 * loop thread seals records into the buffer and, once per loop turn,
 * journal_flush_async() hands what has accumulated to the writer, which
 * writes it with one pwritev() at the segment's known end.  When the job
 * is done the loop thread takes the progress, tells the written callback
 * (the forwarder's hot path) and the fsync policy, and starts the next
 * job with whatever arrived meanwhile: the writer batches by itself, and
 * ingest never waits for a write unless the buffer is full (-ENOBUFS).
 *
 * Writing at an explicit offset (not O_APPEND) is what makes a retry
 * safe: after a failed or short write the same bytes go to the same place
 * again, so a retry can neither duplicate a record nor leave a hole.
 *
 * A segment is rolled (a new file named by the next seq) only between
 * whole records, when the current one has reached segment_bytes (a write
 * stops at the last whole record that fits), so no record ever straddles
 * two files, segments stay within segment_bytes unless one record is
 * bigger, and the reader can trust that a newer segment means the older
 * one is complete.  Direct writes: see journal_direct.c.
 */
#include <assert.h>
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
	journal_flush_async(t->data);
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

/* Open a new segment for writing, direct when the journal writes so.
 * An fd, or -1 with errno set. */
static int journal_seg_create(journal_t *j, const char *name)
{
	int fl = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
	int fd = journal_fault_openat(j->segdirfd, name,
				      fl | (j->direct ? O_DIRECT : 0), 0600);

	if (fd < 0 && j->direct && errno == EINVAL) {
		j->direct = 0;
		journal__log(j, JOURNAL_LOG_WARN, "segments/%s: the file system "
			     "refuses O_DIRECT; writing through the page cache",
			     name);
		fd = journal_fault_openat(j->segdirfd, name, fl, 0600);
	}
	return fd;
}

/*
 * Direct mode, the segment just rolled: its file offset 0 must sit at a
 * block boundary of the buffer.  Move the unwritten records up to the
 * next one (no write job runs: rolls happen between jobs; the room was
 * made before the roll).
 */
static void journal_align_written(journal_t *j)
{
	size_t d = (JOURNAL_BLOCK - j->written % JOURNAL_BLOCK) % JOURNAL_BLOCK;

	if (d == 0)
		return;
	assert(j->used - journal__buf_from(j) + d <= j->cap &&
	       j->notified == j->written);
	journal__ring_move_up(j->buf, j->cap, j->written, j->used - j->written,
			      d);
	j->written += d;
	j->notified += d;
	j->used += d;
}

int journal__roll(journal_t *j)
{
	struct jseg *cur = &j->segs[j->nsegs - 1];
	uint64_t first = j->written_seq + 1;
	char name[JOURNAL_SEG_NAME_LEN];
	int fd, rc;

	if (cur->bytes == 0 || j->partial || j->write_running)
		return 0;
	if (j->direct && (rc = journal__buf_room_now(j, JOURNAL_BLOCK)) < 0)
		return rc;
	journal__seg_name(name, first);
	if ((fd = journal_seg_create(j, name)) < 0)
		return -errno;
	rc = fchmod(fd, 0600) < 0 ? -errno : journal__seg_add(j, first, fd, 0);
	if (rc < 0) {
		close(fd);
		unlinkat(j->segdirfd, name, 0);
		return rc;
	}
	cur = &j->segs[j->nsegs - 2];
	/* A complete segment holds records only: cut the last block's
	 * padding (readers skip it meanwhile; so does recovery). */
	if (cur->fd >= 0 && ftruncate(cur->fd, (off_t)cur->bytes) < 0)
		journal__log(j, JOURNAL_LOG_WARN, "ftruncate(segments/%020"
			     PRIu64 ".seg) failed: %s", cur->first,
			     strerror(errno));
	if (!cur->unsynced) {
		close(cur->fd);
		cur->fd = -1;
	}
	if (j->direct)
		journal_align_written(j);
	if (j->written < j->used)
		j->segs[j->nsegs - 1].first_ms =
			(int64_t)journal_get64(journal__at(j, j->written) + 20);
	j->dir_dirty = 1;
	return 0;
}

/* Write one span again at its offset, through the page cache (exact
 * bytes, no alignment).  0 or a negative errno. */
static int journal_rewrite_span(journal_t *j, const struct jspan *sp)
{
	size_t off = 0;
	int rc = j->direct ? journal__direct_set(sp->fd, 0) : 0;

	while (rc == 0 && off < sp->len) {
		ssize_t n = journal_fault_pwrite(sp->fd,
			journal__at(j, sp->buf_off + off), sp->len - off,
			(off_t)(sp->file_off + off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = n < 0 ? -errno : -EIO;
		else
			off += (size_t)n;
	}
	if (j->direct && journal__direct_set(sp->fd, 1) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

/* After an fdatasync failed: write every unsynced span again (on the
 * loop thread: a rare path, and no write job may run meanwhile). */
static int journal_rewrite(journal_t *j)
{
	for (int i = 0; i < j->nspans; i++) {
		int rc = journal_rewrite_span(j, &j->spans[i]);
		if (rc < 0)
			return journal_write_failed(j, rc, "pwrite",
						    j->spans[i].seg);
	}
	j->rewrite = 0;
	return 0;
}

/* n more bytes of buf reached the current segment cur. */
static int journal_wrote(journal_t *j, struct jseg *cur, size_t n)
{
	int rc = 0;

	if (j->opts.fsync != JOURNAL_FSYNC_NEVER &&
	    journal_span_add(j, cur, cur->bytes, j->written, n) < 0)
		rc = -ENOMEM;
	cur->bytes += (uint64_t)n;
	j->disk_bytes += (uint64_t)n;
	j->written += n;
	j->synced_bytes_pending += (uint64_t)n;
	cur->last_ms = journal__wall_ms();
	return rc;
}

static size_t journal_rec_len(const journal_t *j, size_t off)
{
	return journal_get32(journal__at(j, off) + 4);
}

/*
 * Where the next write stops: the rest of a partly written record (it
 * must end in the segment it began in), else the whole queue when it fits
 * in the current segment and in JOURNAL_WRITE_MAX, else as many whole
 * records as fit (at least one), so segments stay within segment_bytes
 * even after a long outage, and a slow disk returns memory (and lets the
 * forwarder go on) every JOURNAL_WRITE_MAX bytes.
 */
static size_t journal_write_end(const journal_t *j, uint64_t *last_seq)
{
	const struct jseg *cur = &j->segs[j->nsegs - 1];
	uint64_t room = j->opts.segment_bytes > cur->bytes
			? j->opts.segment_bytes - cur->bytes : 0;
	size_t end, rec;

	if (room > JOURNAL_WRITE_MAX)
		room = JOURNAL_WRITE_MAX;

	if (j->partial) {
		rec = j->notified;
		end = rec + journal_rec_len(j, rec);
	} else if (j->used - j->written <= room) {
		*last_seq = j->next_seq - 1;
		return j->used;
	} else {
		rec = j->written;
		end = rec + journal_rec_len(j, rec);
		while (end < j->used &&
		       end + journal_rec_len(j, end) - j->written <= room) {
			rec = end;
			end += journal_rec_len(j, end);
		}
	}
	*last_seq = journal_get64(journal__at(j, rec) + 12);
	return end;
}

/*
 * The whole records written since the last notification: buf[notified,
 * *end), seqs *first..*last.  When the job w wrote all it was given, its
 * end and last seq say; after a short write the end falls inside a
 * record: walk the headers (our own, already checked) to the last whole
 * one.  Sets partial and written_seq.
 */
static void journal_written_range(journal_t *j, const struct jwrite_job *w,
				  size_t *end, uint64_t *first, uint64_t *last)
{
	size_t e = j->notified;
	uint64_t l = j->written_seq;

	*first = j->written_seq + 1;
	if (j->written == j->used) {
		e = j->written;
		l = j->next_seq - 1;
	} else if (j->written == w->end) {
		e = w->end;
		l = w->last_seq;
	} else {
		while (e + REC_HDR <= j->written) {
			const char *h = journal__at(j, e);
			uint32_t len = journal_get32(h + 4);
			if (e + len > j->written)
				break;
			l = journal_get64(h + 12);
			e += len;
		}
	}
	j->partial = e != j->written;
	j->written_seq = l;
	*end = e;
	*last = l;
}

/* Hand buf[notified, end) to the written callback (the forwarder). */
static void journal_notify(journal_t *j, size_t end, uint64_t first,
			   uint64_t last)
{
	if (end == j->notified)
		return;
	if (j->written_cb != NULL && !j->closing)
		j->written_cb(j->cb_arg, journal__at(j, j->notified),
			      end - j->notified, first, last);
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

/* What the fsync policy asks once records were written. */
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

/* The writer thread: write the job's bytes, over short writes. */
static void journal_write_work(struct jjob *job)
{
	struct jwrite_job *w = (struct jwrite_job *)job;
	struct iovec iov[2], *v = iov;
	int cnt = w->iovcnt;

	memcpy(iov, w->iov, sizeof iov);
	while (w->done_bytes < w->total) {
		ssize_t n = journal_fault_pwritev(w->fd, v, cnt,
				(off_t)(w->file_off + w->done_bytes));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			w->err = n < 0 ? errno : EIO;
			return;
		}
		w->done_bytes += (size_t)n;
		while (cnt > 0 && (size_t)n >= v->iov_len) {
			n -= (ssize_t)v->iov_len;
			v++;
			cnt--;
		}
		if (cnt > 0) {
			v->iov_base = (char *)v->iov_base + n;
			v->iov_len -= (size_t)n;
		}
	}
}

static int journal_write_next(journal_t *j);

/* The current segment is full: the next write goes to a new one. */
static int journal_roll_due(const journal_t *j)
{
	return !j->partial &&
	       j->segs[j->nsegs - 1].bytes >= j->opts.segment_bytes;
}

/*
 * Back on the loop thread: take the job's progress, start the next job
 * (the writer is not kept waiting while the forwarder produces this
 * batch), then tell the written callback and the fsync policy.
 */
static void journal_write_done(struct jjob *job)
{
	struct jwrite_job *w = (struct jwrite_job *)job;
	journal_t *j = w->j;
	struct jseg *cur = &j->segs[j->nsegs - 1];
	size_t have = w->end - w->start, end;
	uint64_t first, last;
	int rc = 0;

	j->write_running = 0;
	j->write_done_ms = uv_now(j->loop);
	if (w->done_bytes < have)
		have = w->done_bytes;
	if (w->start + have > j->written)
		rc = journal_wrote(j, cur, w->start + have - j->written);
	journal_written_range(j, w, &end, &first, &last);
	if (w->err != 0)
		journal_write_failed(j, -w->err, "pwrite", w->seg);
	else if (rc < 0)
		journal_write_failed(j, rc, "pwrite", w->seg);
	else if (j->werr != 0)
		journal_write_ok(j);
	journal__buf_tidy(j);
	/* A roll moves the records after written (direct mode): only once
	 * this batch has been told. */
	if (j->werr == 0 && !journal_roll_due(j))
		journal_write_next(j);
	journal_notify(j, end, first, last);
	journal_after_write(j);
	if (j->werr == 0)
		journal_write_next(j);
}

/* Hand buf[written..end) (from the tail block's start when direct) to
 * the writer; last_seq is the seq of the last record before end. */
static void journal_write_submit(journal_t *j, size_t end, uint64_t last_seq)
{
	struct jseg *cur = &j->segs[j->nsegs - 1];
	struct jwrite_job *w = &j->write_job;
	size_t lead = j->direct ? (size_t)(cur->bytes % JOURNAL_BLOCK) : 0;

	/* A segment's first record dates it (status: the oldest undelivered
	 * event's age).  Rolled segments get it in journal__roll(), recovered
	 * ones from their file; the first segment of a new journal here. */
	if (cur->bytes == 0 && cur->first_ms == 0 && !j->partial)
		cur->first_ms = (int64_t)journal_get64(journal__at(j, j->written) + 20);
	w->job.work = journal_write_work;
	w->job.done = journal_write_done;
	w->j = j;
	w->fd = cur->fd;
	w->seg = cur->first;
	w->start = j->written - lead;
	w->end = end;
	w->last_seq = last_seq;
	w->file_off = cur->bytes - lead;
	w->done_bytes = 0;
	w->err = 0;
	if (j->direct) {
		journal__direct_prepare(j, w);
	} else {
		w->iov[0] = (struct iovec){ journal__at(j, w->start), end - w->start };
		w->iovcnt = 1;
		w->total = end - w->start;
	}
	j->write_running = 1;
	uv_timer_stop(&j->write_timer);
	journal__worker_submit(&j->writer, &w->job);
}

static void journal_write_timer_cb(uv_timer_t *t)
{
	journal_flush_async(t->data);
}

/*
 * Direct writes only: whether to let records gather a little longer.
 * Yes while a stream keeps the writer busy (its last job ended less than
 * JOURNAL_WRITE_WAIT_MS ago) and less than JOURNAL_WRITE_MIN is queued:
 * a timer comes back for them.  A lone event is written at once.
 */
static int journal_write_later(journal_t *j)
{
	if (!j->direct || j->write_now || j->closing ||
	    j->used - j->written >= JOURNAL_WRITE_MIN ||
	    uv_now(j->loop) - j->write_done_ms >= JOURNAL_WRITE_WAIT_MS)
		return 0;
	if (!uv_is_active((uv_handle_t *)&j->write_timer))
		uv_timer_start(&j->write_timer, journal_write_timer_cb,
			       JOURNAL_WRITE_WAIT_MS, 0);
	return 1;
}

/*
 * Start writing what is committed, unless a write job runs (its end
 * starts the next), writes fail and the retry timer is due, or the
 * batching waits.  Rolls the segment first when it is full.  0, or the
 * negative errno of a failed rewrite or roll (reported and retried).
 */
static int journal_write_next(journal_t *j)
{
	uint64_t last_seq;
	size_t end;
	int rc;

	if (j->write_running)
		return 0;
	if (j->rewrite) {
		if ((rc = journal_rewrite(j)) < 0)
			return rc;
		journal__sync_request(j);
	}
	if (j->written == j->used)
		return 0;
	if (j->werr != 0 && !j->write_now &&
	    uv_is_active((uv_handle_t *)&j->retry_timer))
		return 0;
	if (journal_roll_due(j) && (rc = journal__roll(j)) < 0)
		return journal_write_failed(j, rc, "open", j->written_seq + 1);
	if (journal_write_later(j))
		return 0;
	end = journal_write_end(j, &last_seq);
	journal_write_submit(j, end, last_seq);
	return 0;
}

void journal_flush_async(journal_t *j)
{
	journal_write_next(j);
}

int journal_flush(journal_t *j)
{
	uint64_t errors = j->st.write_errors;
	int rc;

	j->write_now = 1;
	journal__worker_drain(&j->writer);
	rc = journal_write_next(j);
	journal__worker_drain(&j->writer);
	j->write_now = 0;
	if (rc == 0 && j->st.write_errors != errors)
		rc = j->werr != 0 ? j->werr : -EIO;
	return rc;
}
