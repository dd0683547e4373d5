/*
 * journal.c: the journal's life cycle and its per-event path.
 *
 * journal_reserve/journal_commit are the per-event cost: a few compares,
 * the CRC of the record, no allocation (the batch buffer grows only when a
 * loop turn's records or the unsynced bytes outgrow it) and no syscall.
 * The rest of the journal lives in the other journal_*.c files (see
 * journal_int.h).
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "journal_int.h"

void journal_opts_init(struct journal_opts *o)
{
	memset(o, 0, sizeof *o);
	o->max_bytes = 1ull << 30;
	o->segment_bytes = 64ull << 20;
	o->fsync = JOURNAL_FSYNC_INTERVAL;
	o->fsync_interval_ms = 100;
	o->fsync_bytes = 1ull << 20;
	o->when_full = JOURNAL_FULL_REJECT;
}

/* Format a line and hand it to the log hook (stderr by default). */
void journal__log(journal_t *j, int level, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (j->opts.log != NULL)
		j->opts.log(j->opts.log_arg, level, msg);
	else
		fprintf(stderr, "agentlog journal: %s\n", msg);
}

int64_t journal__wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void journal__seg_name(char name[JOURNAL_SEG_NAME_LEN], uint64_t seq)
{
	snprintf(name, JOURNAL_SEG_NAME_LEN, "%020" PRIu64 ".seg", seq);
}

/* Append a segment (the newest) to the list.  0 or -ENOMEM. */
int journal__seg_add(journal_t *j, uint64_t first, int fd, uint64_t bytes)
{
	if (j->nsegs == j->capsegs) {
		int ncap = j->capsegs ? j->capsegs * 2 : 16;
		struct jseg *n = realloc(j->segs, (size_t)ncap * sizeof *n);
		if (n == NULL)
			return -ENOMEM;
		j->segs = n;
		j->capsegs = ncap;
	}
	struct jseg *s = &j->segs[j->nsegs++];
	memset(s, 0, sizeof *s);
	s->first = first;
	s->fd = fd;
	s->bytes = bytes;
	s->last_ms = journal__wall_ms();
	j->disk_bytes += bytes;
	return 0;
}

/* Forget the oldest segment (its file is already gone or going). */
void journal__seg_remove_first(journal_t *j)
{
	assert(j->nsegs > 1);
	if (j->segs[0].fd >= 0)
		close(j->segs[0].fd);
	j->disk_bytes -= j->segs[0].bytes;
	memmove(j->segs, j->segs + 1, (size_t)(j->nsegs - 1) * sizeof *j->segs);
	j->nsegs--;
}

struct jseg *journal__seg_find(journal_t *j, uint64_t first)
{
	for (int i = j->nsegs - 1; i >= 0; i--)
		if (j->segs[i].first == first)
			return &j->segs[i];
	return NULL;
}

/*
 * Forget that buf[0..upto) is unsynced: drop the spans below upto, cut
 * the one straddling it.
 */
void journal__spans_trim(journal_t *j, size_t upto)
{
	int k = 0;

	for (int i = 0; i < j->nspans; i++) {
		struct jspan sp = j->spans[i];
		if (sp.buf_off + sp.len <= upto)
			continue;
		if (sp.buf_off < upto) {
			size_t cut = upto - sp.buf_off;
			sp.file_off += cut;
			sp.len -= cut;
			sp.buf_off = upto;
		}
		j->spans[k++] = sp;
	}
	j->nspans = k;
}

/*
 * Bytes before upto (logical) are no longer needed: written, and synced
 * or not needed again.  Only head moves: that frees the room behind it
 * in the ring.  In direct mode the segment's tail block stays: the next
 * write starts at its beginning.
 */
void journal__buf_drop(journal_t *j, size_t upto)
{
	if (j->direct) {
		size_t keep = j->written -
			(size_t)(j->segs[j->nsegs - 1].bytes % JOURNAL_BLOCK);
		if (upto > keep)
			upto = keep;
	}
	if (upto > j->head)
		j->head = upto;
}

/*
 * Copy the kept bytes into a new ring of ncap bytes (a power of two) at
 * the same offsets.  Never while a write job reads the buffer.  0 or
 * -ENOMEM.
 */
static int journal_buf_resize(journal_t *j, size_t ncap)
{
	size_t from = journal__buf_from(j), n = j->used - from, at, first;
	char *b;

	assert(!j->write_running && n <= ncap);
	if ((b = journal__ring_map(ncap)) == NULL)
		return -ENOMEM;
	/* In two pieces at the ring's end, not on through the alias: a page
	 * touched through both mappings counts twice in the RSS. */
	at = from & (ncap - 1);
	first = n < ncap - at ? n : ncap - at;
	memcpy(b + at, journal__at(j, from), first);
	memcpy(b, journal__at(j, from + first), n - first);
	journal__ring_unmap(j->buf, j->cap);
	j->buf = b;
	j->cap = ncap;
	return 0;
}

/* The smallest power-of-two multiple of cap holding want bytes. */
static size_t journal_buf_cap_for(size_t cap, size_t want)
{
	while (cap < want)
		cap *= 2;
	return cap;
}

/*
 * Room for need more bytes after used whatever JOURNAL_RAM_MAX says (a
 * roll's alignment: at most a block).  No write job may run.  0 or
 * -ENOMEM.
 */
int journal__buf_room_now(journal_t *j, size_t need)
{
	size_t live = j->used - journal__buf_from(j) + need;

	assert(!j->write_running);
	if (live <= j->cap)
		return 0;
	return journal_buf_resize(j, journal_buf_cap_for(j->cap, live));
}

/*
 * Room for need more bytes after used: a bigger ring when the kept bytes
 * and need outgrow this one.  0, -ENOBUFS when JOURNAL_RAM_MAX bytes wait
 * for the disk or a write job is reading the buffer (ingest waits for
 * it), or -ENOMEM.
 */
int journal__buf_room(journal_t *j, size_t need)
{
	size_t live = j->used - journal__buf_from(j) + need;

	/* A block to spare: a roll's alignment (journal__buf_room_now)
	 * then never needs a ring past JOURNAL_RAM_MAX. */
	if (live + JOURNAL_BLOCK > JOURNAL_RAM_MAX && j->used > j->head)
		return -ENOBUFS;
	if (live <= j->cap)
		return 0;
	if (j->write_running) {
		j->room_short = 1;      /* journal__buf_tidy grows it */
		return -ENOBUFS;
	}
	return journal_buf_resize(j, journal_buf_cap_for(j->cap, live));
}

/*
 * Between write jobs: keep room ahead, so ingest rarely waits for the
 * writer (-ENOBUFS).  The ring doubles (up to JOURNAL_RAM_MAX) when the
 * kept bytes fill a quarter of it or ingest had to wait during the last
 * job.  Memory goes back when the journal is idle (journal_trim_cb).
 */
void journal__buf_tidy(journal_t *j)
{
	size_t live = j->used - j->head;

	if (j->write_running)
		return;
	if ((live > j->cap / 4 || j->room_short) && j->cap * 2 <= JOURNAL_RAM_MAX)
		journal_buf_resize(j, j->cap * 2);
	j->room_short = 0;
}

/* Every few seconds: a big buffer holding (almost) nothing, with no
 * write for a while, shrinks back to JOURNAL_BUF_INITIAL. */
static void journal_trim_cb(uv_timer_t *t)
{
	journal_t *j = t->data;

	if (j->write_running || j->used - j->head > JOURNAL_BLOCK ||
	    j->cap <= 8 * JOURNAL_BUF_INITIAL ||
	    uv_now(j->loop) - j->write_done_ms < JOURNAL_TRIM_MS)
		return;
	journal_buf_resize(j, JOURNAL_BUF_INITIAL);
}

char *journal_reserve(journal_t *j, size_t key_len, size_t value_max, int *errp)
{
	int rc;

	if (key_len > UINT16_MAX || value_max > REC_MAX - REC_HDR - key_len) {
		*errp = -EMSGSIZE;
		return NULL;
	}
	size_t need = rec_size(key_len, value_max);
	size_t queued = j->used - j->written;
	if (j->werr != 0 && queued + need > JOURNAL_PENDING_MAX) {
		*errp = j->werr;
		return NULL;
	}
	if (j->serr != 0 && j->used - j->head + need > JOURNAL_PENDING_MAX) {
		*errp = -EIO;
		return NULL;
	}
	if (j->disk_bytes + queued + need > j->opts.max_bytes &&
	    (rc = journal__make_room(j, need)) < 0) {
		*errp = rc;
		return NULL;
	}
	if ((rc = journal__buf_room(j, need)) < 0) {
		*errp = rc;
		return NULL;
	}
	j->resv_key = key_len;
	j->resv_max = value_max;
	return journal__at(j, j->used) + REC_HDR;
}

uint64_t journal_commit(journal_t *j, int type, const uint8_t event_id[16],
			int64_t time_ms, size_t key_len, size_t value_len)
{
	struct rec r;

	assert(key_len == j->resv_key && value_len <= j->resv_max);
	r.seq = j->next_seq;
	r.time_ms = time_ms;
	memcpy(r.event_id, event_id, 16);
	r.type = (uint8_t)type;
	r.flags = 0;
	j->used += rec_seal(journal__at(j, j->used), &r, key_len, value_len);
	j->resv_max = 0;
	return j->next_seq++;
}

void journal_set_callbacks(journal_t *j, journal_durable_cb durable,
			   journal_written_cb written, void *arg)
{
	j->durable_cb = durable;
	j->written_cb = written;
	j->cb_arg = arg;
}

void journal_set_drop_callback(journal_t *j, journal_dropped_cb dropped,
			       void *arg)
{
	j->dropped_cb = dropped;
	j->dropped_arg = arg;
}

/* The first seq of the segment holding seq (the oldest when seq is older). */
static const struct jseg *journal_seg_of(const journal_t *j, uint64_t seq)
{
	const struct jseg *s = &j->segs[0];
	for (int i = 1; i < j->nsegs && j->segs[i].first <= seq; i++)
		s = &j->segs[i];
	return s;
}

void journal_get_stats(const journal_t *j, struct journal_stats *st)
{
	*st = j->st;
	st->next_seq = j->next_seq;
	st->written_seq = j->written_seq;
	st->durable_seq = j->durable_seq;
	st->cursor = j->cursor;
	st->backlog_events = j->next_seq - j->cursor;
	st->bytes = j->disk_bytes;
	st->segments = (uint64_t)j->nsegs;
	st->oldest_ms = 0;
	if (st->backlog_events > 0 && j->nsegs > 0)
		st->oldest_ms = journal_seg_of(j, j->cursor)->first_ms;
	st->ram_bytes = j->used - j->head;
	st->buf_bytes = j->cap;
	st->direct = j->direct;
	st->write_failing = j->werr != 0;
	st->last_errno = j->werr != 0 ? -j->werr : -j->serr;
}

const char *journal_segments_dir(const journal_t *j)
{
	return j->segdir;
}

/* Apply defaults to zero fields and keep segments a fraction of the cap,
 * so drop-oldest and retention free space in steps, not all at once. */
static void journal_opts_fix(struct journal_opts *o)
{
	struct journal_opts d;

	journal_opts_init(&d);
	if (o->max_bytes == 0)
		o->max_bytes = d.max_bytes;
	if (o->segment_bytes == 0)
		o->segment_bytes = d.segment_bytes;
	if (o->fsync_interval_ms == 0)
		o->fsync_interval_ms = d.fsync_interval_ms;
	if (o->fsync_bytes == 0)
		o->fsync_bytes = d.fsync_bytes;
	if (o->segment_bytes > o->max_bytes / 4)
		o->segment_bytes = o->max_bytes / 4;
	if (o->segment_bytes < 4096)
		o->segment_bytes = 4096;
}

static char *journal_path(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);
	if (p != NULL)
		snprintf(p, n, "%s/%s", a, b);
	return p;
}

/* Free what journal_open allocated before any handle existed. */
static void journal_free(journal_t *j)
{
	for (int i = 0; i < j->nsegs; i++)
		if (j->segs[i].fd >= 0)
			close(j->segs[i].fd);
	if (j->dirfd >= 0)
		close(j->dirfd);
	if (j->segdirfd >= 0)
		close(j->segdirfd);
	journal__sync_free(j);
	journal__cursor_free(j);
	free(j->segs);
	free(j->spans);
	journal__ring_unmap(j->buf, j->cap);
	free(j->write_job.pad);
	free(j->dir);
	free(j->segdir);
	free(j->qdir);
	free(j);
}

/* Close callback of every journal handle: the last one frees. */
void journal__handle_closed(uv_handle_t *h)
{
	journal_t *j = h->data;
	if (--j->handles_open == 0)
		journal_free(j);
}

static void journal_timer_init(journal_t *j, uv_timer_t *t)
{
	uv_timer_init(j->loop, t);
	t->data = j;
	j->handles_open++;
}

int journal_open(uv_loop_t *loop, const struct journal_opts *opts,
		 journal_t **out, char *err, size_t errlen)
{
	journal_t *j = calloc(1, sizeof *j);
	int rc = -ENOMEM;

	if (j == NULL)
		return snprintf(err, errlen, "out of memory"), -ENOMEM;
	j->loop = loop;
	j->opts = *opts;
	j->dirfd = j->segdirfd = -1;
	journal_opts_fix(&j->opts);
	j->retry_ms = JOURNAL_RETRY_MIN_MS;
	j->dir = opts->dir ? strdup(opts->dir) : NULL;
	if (j->dir == NULL || (j->segdir = journal_path(j->dir, "segments")) == NULL ||
	    (j->qdir = journal_path(j->dir, "quarantine")) == NULL ||
	    posix_memalign((void **)&j->write_job.pad, JOURNAL_BLOCK, JOURNAL_BLOCK)) {
		snprintf(err, errlen, opts->dir ? "out of memory" : "no journal directory");
		rc = opts->dir ? -ENOMEM : -EINVAL;
		goto fail;
	}
	if ((j->buf = journal__ring_map(JOURNAL_BUF_INITIAL)) == NULL) {
		rc = -errno;
		snprintf(err, errlen, "cannot map the journal's buffer: %s",
			 strerror(errno));
		goto fail;
	}
	j->cap = JOURNAL_BUF_INITIAL;
	if ((rc = journal__recover(j, err, errlen)) < 0)
		goto fail;
	if ((rc = journal__worker_start(j, &j->worker, "agentlog-sync")) < 0 ||
	    (rc = journal__worker_start(j, &j->writer, "agentlog-write")) < 0) {
		snprintf(err, errlen, "cannot start the journal's threads: %s",
			 strerror(-rc));
		journal__worker_stop(&j->worker);
		goto fail;
	}
	journal_timer_init(j, &j->sync_timer);
	journal_timer_init(j, &j->cursor_timer);
	journal_timer_init(j, &j->retry_timer);
	journal_timer_init(j, &j->age_timer);
	journal_timer_init(j, &j->write_timer);
	journal_timer_init(j, &j->trim_timer);
	uv_timer_start(&j->trim_timer, journal_trim_cb, JOURNAL_TRIM_MS,
		       JOURNAL_TRIM_MS);
	uv_unref((uv_handle_t *)&j->trim_timer);
	journal__age_start(j);
	journal__cursor_schedule(j);
	*out = j;
	return 0;
fail:
	journal_free(j);
	return rc;
}

/* At close, direct mode: the last segment ends with its last record, not
 * with a block's padding (the sync that follows makes the size durable). */
static void journal_cut_padding(journal_t *j)
{
	struct jseg *cur = &j->segs[j->nsegs - 1];

	if (j->direct && cur->fd >= 0 &&
	    ftruncate(cur->fd, (off_t)cur->bytes) < 0)
		journal__log(j, JOURNAL_LOG_WARN, "ftruncate(segments/%020"
			     PRIu64 ".seg) failed: %s", cur->first,
			     strerror(errno));
}

void journal_close(journal_t *j)
{
	size_t left;

	j->closing = 1;
	journal_flush(j);
	uv_timer_stop(&j->sync_timer);
	uv_timer_stop(&j->cursor_timer);
	uv_timer_stop(&j->retry_timer);
	uv_timer_stop(&j->age_timer);
	uv_timer_stop(&j->write_timer);
	uv_timer_stop(&j->trim_timer);
	journal__worker_drain(&j->writer);
	journal__worker_drain(&j->worker);
	journal_cut_padding(j);
	if (journal__sync_now(j) < 0)
		journal__log(j, JOURNAL_LOG_ERROR,
			     "the final sync failed: records after seq %" PRIu64
			     " may be lost on power failure", j->durable_seq);
	journal__cursor_persist_now(j);
	left = j->used - j->written;
	if (left > 0)
		journal__log(j, JOURNAL_LOG_ERROR,
			     "closing with %zu bytes (seq %" PRIu64 "..%" PRIu64
			     ") not written: %s", left, j->written_seq + 1,
			     j->next_seq - 1, strerror(-j->werr));
	journal__worker_stop(&j->writer);
	journal__worker_stop(&j->worker);
	uv_close((uv_handle_t *)&j->write_timer, journal__handle_closed);
	uv_close((uv_handle_t *)&j->trim_timer, journal__handle_closed);
	uv_close((uv_handle_t *)&j->sync_timer, journal__handle_closed);
	uv_close((uv_handle_t *)&j->cursor_timer, journal__handle_closed);
	uv_close((uv_handle_t *)&j->retry_timer, journal__handle_closed);
	uv_close((uv_handle_t *)&j->age_timer, journal__handle_closed);
}
