/*
 * journal_retain.c: what happens when the journal reaches max_bytes, and
 * age-based retention in journal-only mode.
 *
 * Deleting happens a whole segment at a time, oldest first, never the
 * segment being written and never one with unsynced bytes.  The unlink
 * runs on the loop thread: it frees the space the record asking for it
 * needs right now, and it happens once per segment (64 MiB), not per
 * event.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "journal_int.h"

enum journal_drop_why { JOURNAL_DROP_FULL, JOURNAL_DROP_SIZE, JOURNAL_DROP_AGE };

/*
 * Delete the oldest segment, count its undelivered events (dropped_oldest,
 * or expired in journal-only mode), move the cursor past it and tell the
 * forwarder.  0, or -1 when it cannot go (unsynced, being deleted, the
 * only one, or unlink failed).
 */
static int journal_drop_first(journal_t *j, enum journal_drop_why why)
{
	struct jseg *s = &j->segs[0];
	char name[JOURNAL_SEG_NAME_LEN];

	if (j->nsegs < 2 || s->unsynced || s->deleting)
		return -1;
	uint64_t next = j->segs[1].first;
	uint64_t from = j->cursor > s->first ? j->cursor : s->first;
	uint64_t n = from < next ? next - from : 0;
	journal__seg_name(name, s->first);
	if (unlinkat(j->segdirfd, name, 0) < 0 && errno != ENOENT) {
		journal__log(j, JOURNAL_LOG_ERROR,
			     "unlink(segments/%s) failed: %s", name,
			     strerror(errno));
		return -1;
	}
	if (why == JOURNAL_DROP_FULL)
		j->st.dropped_oldest += n;
	else
		j->st.expired += n;
	journal__seg_remove_first(j);
	if (n > 0) {
		j->cursor = next;
		journal__log(j, why == JOURNAL_DROP_FULL ? JOURNAL_LOG_WARN
							 : JOURNAL_LOG_INFO,
			     "%s: deleted segments/%s with %" PRIu64
			     " undelivered events (seq %" PRIu64 "..%" PRIu64 ")",
			     why == JOURNAL_DROP_FULL ? "journal full, drop-oldest"
			     : why == JOURNAL_DROP_SIZE ? "retention by size"
							: "retention by age",
			     name, n, from, next - 1);
		if (j->dropped_cb != NULL)
			j->dropped_cb(j->dropped_arg, from, next - 1, next);
		journal__cursor_schedule(j);
	}
	return 0;
}

static int journal_over(const journal_t *j, size_t need)
{
	return j->disk_bytes + (j->used - j->written) + need > j->opts.max_bytes;
}

int journal__make_room(journal_t *j, size_t need)
{
	enum journal_drop_why why = j->opts.retain_only ? JOURNAL_DROP_SIZE
							 : JOURNAL_DROP_FULL;

	if (j->opts.retain_only || j->opts.when_full == JOURNAL_FULL_DROP_OLDEST)
		while (journal_over(j, need) && journal_drop_first(j, why) == 0)
			;
	if (!journal_over(j, need))
		return 0;
	j->st.rejected_full++;
	return -ENOSPC;
}

/*
 * Journal-only mode: delete segments last written more than max_age_s
 * ago.  When the segment being written is that old too, roll it first
 * (an empty one takes its place) so old records do not linger.
 */
static void journal_age_cb(uv_timer_t *t)
{
	journal_t *j = t->data;
	int64_t cutoff = journal__wall_ms() - (int64_t)j->opts.max_age_s * 1000;
	struct jseg *cur = &j->segs[j->nsegs - 1];

	if (cur->bytes > 0 && cur->last_ms < cutoff && j->written == j->used &&
	    !j->partial && journal__roll(j) < 0)
		return;
	while (j->nsegs > 1 && j->segs[0].last_ms < cutoff &&
	       journal_drop_first(j, JOURNAL_DROP_AGE) == 0)
		;
}

void journal__age_start(journal_t *j)
{
	uint64_t period;

	if (!j->opts.retain_only || j->opts.max_age_s == 0)
		return;
	period = j->opts.max_age_s * 100;      /* a tenth of the age, in ms */
	if (period < 1000)
		period = 1000;
	if (period > 60000)
		period = 60000;
	uv_timer_start(&j->age_timer, journal_age_cb, period, period);
	uv_unref((uv_handle_t *)&j->age_timer);
}
