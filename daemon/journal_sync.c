/*
 * journal_sync.c: group commit.
 *
 * One sync job at a time.  It fdatasyncs every segment that holds written
 * but unsynced bytes (and fsyncs the segments directory when a segment was
 * created since the last sync), then durable_seq becomes the last seq
 * fully written when the job began.  Flushes that happen while it runs
 * only set sync_wanted; when it completes one new job covers them all, so
 * under load the number of fdatasyncs is bounded by the disk's sync rate,
 * not by the number of appends.
 *
 * After a failed fdatasync nothing is assumed about the page cache (the
 * kernel may have marked the failed pages clean, and will not report the
 * error a second time).  durable_seq stays put, the job's bytes stay in
 * the batch buffer, and the next flush writes all unsynced spans again at
 * their offsets before a new sync is tried.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal_fault.h"
#include "journal_int.h"

static void journal_sync_work(struct jjob *job)
{
	struct jsync_job *sj = (struct jsync_job *)job;

	sj->err = 0;
	for (int i = 0; i < sj->nfds; i++) {
		if (journal_fault_fdatasync(sj->fds[i]) < 0 && sj->err == 0) {
			sj->err = errno;
			sj->err_fd = i;
		}
	}
	if (sj->dirfd >= 0 && journal_fault_fsync(sj->dirfd) < 0 &&
	    sj->err == 0) {
		sj->err = errno;
		sj->err_fd = -1;
	}
}

/* Close the files of older segments whose bytes are all synced now. */
static void journal_sync_release(journal_t *j)
{
	for (int i = 0; i < j->nsegs; i++)
		j->segs[i].unsynced = 0;
	for (int i = 0; i < j->nspans; i++) {
		struct jseg *s = journal__seg_find(j, j->spans[i].seg);
		if (s != NULL)
			s->unsynced = 1;
	}
	for (int i = 0; i < j->nsegs - 1; i++) {
		struct jseg *s = &j->segs[i];
		if (!s->unsynced && s->fd >= 0) {
			close(s->fd);
			s->fd = -1;
		}
	}
}

static void journal_sync_failed(journal_t *j, struct jsync_job *sj)
{
	char name[JOURNAL_SEG_NAME_LEN] = "";
	size_t unsynced = 0;

	j->st.fsync_errors++;
	j->serr = -sj->err;
	j->rewrite = 1;
	if (sj->dirfd >= 0)
		j->dir_dirty = 1;
	for (int i = 0; i < j->nspans; i++) {
		unsynced += j->spans[i].len;
		if (sj->err_fd >= 0 && j->spans[i].fd == sj->fds[sj->err_fd])
			journal__seg_name(name, j->spans[i].seg);
	}
	journal__log(j, JOURNAL_LOG_ERROR,
		     "%s(%s%s) failed: %s; seq %" PRIu64 "..%" PRIu64
		     " not durable, rewriting %zu bytes and syncing again",
		     sj->err_fd >= 0 ? "fdatasync" : "fsync",
		     sj->err_fd >= 0 ? "segments/" : "segments", name,
		     strerror(sj->err), j->durable_seq + 1, j->written_seq,
		     unsynced);
	journal__retry_arm(j);
}

static void journal_sync_done(struct jjob *job)
{
	struct jsync_job *sj = (struct jsync_job *)job;
	journal_t *j = sj->j;

	j->sync_running = 0;
	if (sj->err != 0) {
		journal_sync_failed(j, sj);
		return;
	}
	if (j->serr != 0)
		journal__log(j, JOURNAL_LOG_WARN, "journal syncs work again");
	j->serr = 0;
	j->st.fsyncs++;
	journal__buf_drop(j, sj->end);
	journal__spans_trim(j, sj->wend);
	journal__buf_tidy(j);
	journal_sync_release(j);
	if (sj->seq > j->durable_seq) {
		j->durable_seq = sj->seq;
		if (j->durable_cb != NULL && !j->closing)
			j->durable_cb(j->cb_arg, j->durable_seq);
	}
	if (j->cursor > j->cursor_saved)
		journal__cursor_schedule(j);
	if (j->sync_wanted || j->nspans > 0) {
		j->sync_wanted = 0;
		journal__sync_request(j);
	}
}

/* Add fd to the job's list once.  0 or -ENOMEM. */
static int journal_sync_add_fd(struct jsync_job *sj, int fd)
{
	for (int i = 0; i < sj->nfds; i++)
		if (sj->fds[i] == fd)
			return 0;
	if (sj->nfds == sj->capfds) {
		int ncap = sj->capfds ? sj->capfds * 2 : 8;
		int *n = realloc(sj->fds, (size_t)ncap * sizeof *n);
		if (n == NULL)
			return -ENOMEM;
		sj->fds = n;
		sj->capfds = ncap;
	}
	sj->fds[sj->nfds++] = fd;
	return 0;
}

/* Start a sync of everything written so far. */
static void journal_sync_start(journal_t *j)
{
	struct jsync_job *sj = &j->sync_job;
	struct jseg *cur = &j->segs[j->nsegs - 1];

	assert(!j->sync_running);
	uv_timer_stop(&j->sync_timer);
	sj->job.work = journal_sync_work;
	sj->job.done = journal_sync_done;
	sj->j = j;
	sj->nfds = 0;
	for (int i = 0; i < j->nspans; i++)
		if (journal_sync_add_fd(sj, j->spans[i].fd) < 0)
			abort();
	if (sj->nfds == 0 && cur->fd >= 0 && journal_sync_add_fd(sj, cur->fd) < 0)
		abort();
	sj->dirfd = j->dir_dirty ? j->segdirfd : -1;
	sj->seq = j->written_seq;
	sj->end = j->opts.fsync == JOURNAL_FSYNC_NEVER ? 0 : j->notified;
	sj->wend = j->opts.fsync == JOURNAL_FSYNC_NEVER ? 0 : j->written;
	sj->err = 0;
	j->dir_dirty = 0;
	j->synced_bytes_pending = 0;
	j->sync_running = 1;
	j->sync_wanted = 0;
	journal__worker_submit(&j->worker, &sj->job);
}

static void journal_sync_timer_cb(uv_timer_t *t)
{
	journal_t *j = t->data;

	if (j->sync_running)
		j->sync_wanted = 1;
	else if (!j->rewrite)
		journal_sync_start(j);
}

void journal__sync_request(journal_t *j)
{
	if (j->nspans == 0 && !j->dir_dirty)
		return;
	if (j->sync_running) {
		j->sync_wanted = 1;
		return;
	}
	if (j->rewrite)
		return;         /* the retry flush rewrites, then asks again */
	if (j->opts.fsync == JOURNAL_FSYNC_INTERVAL && !j->closing &&
	    j->synced_bytes_pending < j->opts.fsync_bytes) {
		if (!uv_is_active((uv_handle_t *)&j->sync_timer))
			uv_timer_start(&j->sync_timer, journal_sync_timer_cb,
				       j->opts.fsync_interval_ms, 0);
		return;
	}
	journal_sync_start(j);
}

/* At close: wait for a running sync, then sync everything, whatever the
 * mode.  0 or a negative errno. */
int journal__sync_now(journal_t *j)
{
	journal__worker_drain(&j->worker);
	if (j->rewrite) {
		journal_flush(j);
		journal__worker_drain(&j->worker);
	}
	if (!j->rewrite) {
		journal_sync_start(j);
		journal__worker_drain(&j->worker);
	}
	return j->rewrite ? j->serr : 0;
}

void journal__sync_free(journal_t *j)
{
	free(j->sync_job.fds);
	j->sync_job.fds = NULL;
}
