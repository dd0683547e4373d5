/*
 * forward_cold.c: producing from the segments on disk.
 *
 * The forwarder reads the journal back when it is behind: after a start
 * with a backlog, when librdkafka's queue was full (the journal is the
 * spool, invariant 4), after a failed delivery or a producer rebuild.  It
 * reads in slices of FWD_COLD_SLICE records from a uv_idle_t, so ingest
 * keeps its share of the loop, and it stops reading while librdkafka's
 * queue is full: delivery reports resume it (fwd_after_reports).  When
 * the reader reaches what the journal has written, the hot path takes
 * over; records are produced strictly in seq order either way.
 */
#include <errno.h>
#include <string.h>
#include <syslog.h>

#include "forward_int.h"

#define FWD_COLD_SLICE 2048
#define FWD_COLD_RETRY_MS 5       /* the reader saw nothing new yet */
#define FWD_COLD_REOPEN_MS 1000   /* the segments could not be read */

static void on_cold_timer(uv_timer_t *t);

void fwd_cold_init(struct fwd *f)
{
	uv_idle_init(f->loop, &f->cold_idle);
	f->cold_idle.data = f;
	uv_timer_init(f->loop, &f->cold_timer);
	f->cold_timer.data = f;
	f->open_handles += 2;
}

static void close_reader(struct fwd *f)
{
	if (f->reader)
		rec_reader_close(f->reader);
	f->reader = NULL;
	f->has_pending = 0;
}

/* Stop reading, and read nothing until fwd_cold_start(). */
void fwd_cold_stop(struct fwd *f)
{
	uv_idle_stop(&f->cold_idle);
	uv_timer_stop(&f->cold_timer);
	close_reader(f);
}

/*
 * The reader is at the end of what is on disk.  Caught up with the
 * journal: the hot path takes over.  Otherwise the journal has written
 * records the reader will see shortly: look again soon.
 */
static void cold_at_end(struct fwd *f)
{
	uv_idle_stop(&f->cold_idle);
	if (f->next_seq >= f->written_next) {
		fwd_go_hot(f);
		return;
	}
	uv_timer_start(&f->cold_timer, on_cold_timer, FWD_COLD_RETRY_MS, 0);
}

/* One slice: up to FWD_COLD_SLICE records into librdkafka. */
static void on_cold_idle(uv_idle_t *h)
{
	struct fwd *f = h->data;
	int n, rc;

	for (n = 0; n < FWD_COLD_SLICE; n++) {
		if (!f->has_pending) {
			rc = rec_reader_next(f->reader, &f->pending);
			if (rc == 0) {
				cold_at_end(f);
				return;
			}
			if (rc < 0) {
				fwd_set_error(f, "reading the journal: %s",
					      strerror(-rc));
				fwd_log_limited(f, LOG_ERR, "reading the journal "
						"at seq %llu failed: %s",
						(unsigned long long)f->next_seq,
						strerror(-rc));
				fwd_cold_stop(f);
				uv_timer_start(&f->cold_timer, on_cold_timer,
					       FWD_COLD_REOPEN_MS, 0);
				return;
			}
			f->has_pending = 1;
		}
		rc = fwd_produce(f, &f->pending);
		if (rc == -EAGAIN)
			f->blocked = 1;
		if (rc < 0) {
			uv_idle_stop(&f->cold_idle);
			return;
		}
		f->has_pending = 0;
	}
}

/* Go on reading if nothing holds the cold path back. */
void fwd_cold_resume(struct fwd *f)
{
	if (f->mode == FWD_COLD && f->reader && !f->blocked && !f->stopping &&
	    !f->rewind && !f->fatal)
		uv_idle_start(&f->cold_idle, on_cold_idle);
}

/*
 * (Re)open the reader at next_seq and start reading.  A journal that
 * cannot be read is retried every FWD_COLD_REOPEN_MS.
 */
void fwd_cold_start(struct fwd *f)
{
	const char *dir = journal_segments_dir(f->j);
	int err = 0;

	fwd_cold_stop(f);
	f->mode = FWD_COLD;
	f->reader = rec_reader_open(dir, f->next_seq, &err);
	if (!f->reader) {
		fwd_set_error(f, "rec_reader_open(%s) failed: %s", dir,
			      strerror(-err));
		fwd_log_limited(f, LOG_ERR, "rec_reader_open(%s) failed: %s",
				dir, strerror(-err));
		uv_timer_start(&f->cold_timer, on_cold_timer,
			       FWD_COLD_REOPEN_MS, 0);
		return;
	}
	/* Corrupt bytes the reader steps over go to the journal's
	 * quarantine (counted and logged there); the seqs they held are
	 * counted as missing when the next good record shows. */
	rec_reader_on_corrupt(f->reader, journal_quarantine, f->j);
	fwd_cold_resume(f);
}

static void on_cold_timer(uv_timer_t *t)
{
	struct fwd *f = t->data;

	if (f->stopping || f->mode != FWD_COLD)
		return;
	if (!f->reader)
		fwd_cold_start(f);
	else
		fwd_cold_resume(f);
}
