/*
 * journal_cursor.c: the delivered prefix, persisted, and deletion behind it.
 *
 * The order is the crash-safety invariant (DESIGN.md 3.5):
 *   1. the data is written and synced: the value persisted is never past
 *      durable_seq + 1 (written_seq + 1 with fsync never);
 *   2. the cursor file: cursor.tmp written, fdatasync, rename to cursor,
 *      fsync of the directory;
 *   3. only then are segments wholly behind it unlinked.
 * A crash between any two steps leaves a cursor that marks less than was
 * delivered (a few duplicates in Kafka, never a loss) or segments behind
 * the cursor (deleted at the next start).
 *
 * The file is one line: the seq as 20 digits, a space, the CRC32C of those
 * digits in hex.  When the disk is full the line is overwritten in place
 * (see journal_cursor_overwrite).  Persisting runs on the worker thread, at most every
 * JOURNAL_CURSOR_MS, and at close.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "journal_fault.h"
#include "journal_int.h"

#define CURSOR_FILE "cursor"
#define CURSOR_TMP "cursor.tmp"
#define CURSOR_LINE 30           /* 20 digits, space, 8 hex, newline */

/* The value that may be persisted now: never past what is durable. */
static uint64_t journal_cursor_target(const journal_t *j)
{
	uint64_t lim = (j->opts.fsync == JOURNAL_FSYNC_NEVER ? j->written_seq
							     : j->durable_seq) + 1;
	return j->cursor < lim ? j->cursor : lim;
}

/* Segments at the front wholly behind v that may be unlinked. */
static int journal_cursor_deletable(const journal_t *j, uint64_t v)
{
	int n = 0;

	if (j->opts.retain_only)
		return 0;
	while (n + 1 < j->nsegs && j->segs[n + 1].first <= v &&
	       !j->segs[n].unsynced)
		n++;
	return n;
}

/* Write the cursor file atomically.  0, or errno with *call set. */
static int journal_cursor_write(int dirfd, uint64_t v, const char **call)
{
	char line[CURSOR_LINE + 1];
	int fd, n;

	n = snprintf(line, sizeof line, "%020" PRIu64, v);
	snprintf(line + n, sizeof line - (size_t)n, " %08x\n",
		 crc32c(0, line, (size_t)n));
	*call = "open(cursor.tmp)";
	fd = openat(dirfd, CURSOR_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0600);
	if (fd < 0)
		return errno;
	*call = "write(cursor.tmp)";
	errno = EIO;            /* what a short write reports */
	if (fchmod(fd, 0600) < 0 || write(fd, line, CURSOR_LINE) != CURSOR_LINE)
		goto fail;
	*call = "fdatasync(cursor.tmp)";
	if (journal_fault_fdatasync(fd) < 0)
		goto fail;
	close(fd);
	*call = "rename(cursor.tmp, cursor)";
	if (renameat(dirfd, CURSOR_TMP, dirfd, CURSOR_FILE) < 0)
		return errno;
	*call = "fsync(journal directory)";
	if (journal_fault_fsync(dirfd) < 0)
		return errno;
	return 0;
fail:
	n = errno;
	close(fd);
	return n;
}

/*
 * The disk is full: a new cursor.tmp may get no block, yet deleting
 * delivered segments is exactly what frees space.  Overwrite the existing
 * file in place instead: 30 bytes within one sector, and a torn write is
 * caught by the CRC at the next start (the cursor then falls back to the
 * oldest segment: duplicates, no loss).  0 or errno.
 */
static int journal_cursor_overwrite(int dirfd, uint64_t v, const char **call)
{
	char line[CURSOR_LINE + 1];
	int fd, n, rc = 0;

	n = snprintf(line, sizeof line, "%020" PRIu64, v);
	snprintf(line + n, sizeof line - (size_t)n, " %08x\n",
		 crc32c(0, line, (size_t)n));
	*call = "pwrite(cursor)";
	fd = openat(dirfd, CURSOR_FILE, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	errno = EIO;            /* what a short write reports */
	if (pwrite(fd, line, CURSOR_LINE, 0) != CURSOR_LINE)
		rc = errno;
	else if (journal_fault_fdatasync(fd) < 0)
		rc = errno;
	close(fd);
	unlinkat(dirfd, CURSOR_TMP, 0);
	return rc;
}

static void journal_cursor_work(struct jjob *job)
{
	struct jcursor_job *cj = (struct jcursor_job *)job;
	journal_t *j = cj->j;
	int full;

	cj->err = journal_cursor_write(j->dirfd, cj->value, &cj->err_call);
	full = cj->err == ENOSPC || cj->err == EDQUOT;
	if (full)
		cj->err = journal_cursor_overwrite(j->dirfd, cj->value,
						   &cj->err_call);
	/*
	 * No unlink unless the cursor is safe, with one exception: on a
	 * full disk that will not even take the cursor, deleting delivered
	 * segments is the only way out, and it is still safe: at the next
	 * start a cursor older than the oldest segment (or none) becomes that
	 * segment's first seq, so nothing undelivered is skipped.
	 */
	cj->unlinked = cj->err == 0 || full;
	if (!cj->unlinked)
		return;
	for (int i = 0; i < cj->nunlink; i++) {
		if (unlinkat(j->segdirfd, cj->unlink[i], 0) < 0 &&
		    errno != ENOENT && cj->err == 0) {
			cj->err = errno;
			cj->err_call = "unlink";
		}
	}
}

static void journal_cursor_timer_cb(uv_timer_t *t)
{
	journal__cursor_schedule(t->data);
}

static void journal_cursor_done(struct jjob *job)
{
	struct jcursor_job *cj = (struct jcursor_job *)job;
	journal_t *j = cj->j;

	j->cursor_running = 0;
	if (cj->err == 0 || strcmp(cj->err_call, "unlink") == 0)
		if (cj->value > j->cursor_saved)
			j->cursor_saved = cj->value;
	/* Forget what was unlinked (the marked segments at the front). */
	while (cj->unlinked && j->nsegs > 1 && j->segs[0].deleting)
		journal__seg_remove_first(j);
	for (int i = 0; i < j->nsegs; i++)
		j->segs[i].deleting = 0;
	if (cj->err != 0) {
		int64_t now = journal__wall_ms();
		if (now - j->cursor_err_logged_ms >= 10000)
			journal__log(j, JOURNAL_LOG_ERROR,
				     "%s failed: %s; cursor stays at %" PRIu64
				     " on disk%s, will retry", cj->err_call,
				     strerror(cj->err), j->cursor_saved,
				     cj->unlinked && cj->nunlink > 0
				     ? " (delivered segments deleted anyway:"
				       " disk full)" : "");
		if (now - j->cursor_err_logged_ms >= 10000)
			j->cursor_err_logged_ms = now;
		if (!j->closing)
			uv_timer_start(&j->cursor_timer, journal_cursor_timer_cb,
				       1000, 0);
		return;
	}
	journal__cursor_schedule(j);
}

/* Submit the job: persist the target, unlink what lies behind it. */
static void journal_cursor_start(journal_t *j)
{
	struct jcursor_job *cj = &j->cursor_job;
	uint64_t v = journal_cursor_target(j);
	int n = journal_cursor_deletable(j, v);

	if (n > 0 && n > cj->capunlink) {
		void *p = realloc(cj->unlink, (size_t)n * sizeof *cj->unlink);
		if (p == NULL)
			n = cj->capunlink;
		else {
			cj->unlink = p;
			cj->capunlink = n;
		}
	}
	for (int i = 0; i < n; i++) {
		journal__seg_name(cj->unlink[i], j->segs[i].first);
		j->segs[i].deleting = 1;
	}
	cj->nunlink = n;
	cj->value = v > j->cursor_saved ? v : j->cursor_saved;
	cj->job.work = journal_cursor_work;
	cj->job.done = journal_cursor_done;
	cj->j = j;
	cj->err = 0;
	j->cursor_running = 1;
	j->cursor_last_ms = uv_now(j->loop);
	journal__worker_submit(&j->worker, &cj->job);
}

/* Whether the cursor job has anything to do. */
static int journal_cursor_pending(const journal_t *j)
{
	uint64_t v = journal_cursor_target(j);
	return v > j->cursor_saved || journal_cursor_deletable(j, v) > 0;
}

void journal__cursor_schedule(journal_t *j)
{
	if (j->cursor_running || j->closing || !journal_cursor_pending(j))
		return;
	uint64_t now = uv_now(j->loop);
	uint64_t due = j->cursor_last_ms + JOURNAL_CURSOR_MS;
	if (j->cursor_last_ms == 0 || now >= due)
		journal_cursor_start(j);
	else if (!uv_is_active((uv_handle_t *)&j->cursor_timer))
		uv_timer_start(&j->cursor_timer, journal_cursor_timer_cb,
			       due - now, 0);
}

void journal__cursor_persist_now(journal_t *j)
{
	journal__worker_drain(&j->worker);
	if (journal_cursor_pending(j)) {
		journal_cursor_start(j);
		journal__worker_drain(&j->worker);
	}
}

void journal_set_cursor(journal_t *j, uint64_t first_undelivered)
{
	if (first_undelivered > j->next_seq)
		first_undelivered = j->next_seq;
	if (first_undelivered <= j->cursor)
		return;
	j->cursor = first_undelivered;
	journal__cursor_schedule(j);
}

int journal__cursor_read(journal_t *j, uint64_t *value)
{
	char line[CURSOR_LINE + 1];
	uint64_t v = 0;
	unsigned crc;
	int fd = openat(j->dirfd, CURSOR_FILE, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, line, sizeof line);
	close(fd);
	if (n != CURSOR_LINE || line[20] != ' ' || line[29] != '\n')
		return -EINVAL;
	line[CURSOR_LINE] = '\0';
	for (int i = 0; i < 20; i++) {
		if (line[i] < '0' || line[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(line[i] - '0');
	}
	if (sscanf(line + 21, "%8x", &crc) != 1 || crc != crc32c(0, line, 20))
		return -EINVAL;
	unlinkat(j->dirfd, CURSOR_TMP, 0);
	*value = v;
	return 0;
}

void journal__cursor_free(journal_t *j)
{
	free(j->cursor_job.unlink);
	j->cursor_job.unlink = NULL;
}
