/*
 * forward_reports.c: librdkafka's queue, served on a thread of its own.
 *
 * Why: serving it (rd_kafka_poll: our callbacks, then freeing every
 * message with its headers) took about a sixth of the loop thread's time
 * per event end to end, and the loop thread is what bounds the daemon's
 * rate.  Here a report thread calls rd_kafka_poll(); the callbacks only
 * note what happened (a seq delivered, a seq failed and why, an error
 * event, a log line) in an array of their own, published once per poll.
 * The loop thread takes the published array (a uv_async_t) and does all
 * the bookkeeping (forward_kafka.c), so the forwarder's state belongs to
 * the loop thread alone, as before, and reports keep their order.
 *
 * The thread runs while a producer exists: fwd_reports_stop() joins it
 * before the producer is destroyed (rebuild, stop).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "forward_int.h"

#define FWD_REPORTS_POLL_MS 100

/* Grow *v (n used of *cap elements of size) for one more.  0 or -ENOMEM. */
static int reports_grow(void **v, size_t n, size_t *cap, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 1024;
	if (!(p = realloc(*v, ncap * size)))
		return -ENOMEM;
	*v = p;
	*cap = ncap;
	return 0;
}

/* Append e (and its text, if any) to a.  0 or -ENOMEM. */
static int reports_push(struct fwd_rep_buf *a, struct fwd_rep e,
			const char *text)
{
	if (reports_grow((void **)&a->v, a->n, &a->cap, sizeof *a->v) < 0)
		return -ENOMEM;
	if (text) {
		if (reports_grow((void **)&a->t, a->nt, &a->capt,
				 sizeof *a->t) < 0)
			return -ENOMEM;
		snprintf(a->t[a->nt].s, sizeof a->t[a->nt].s, "%s", text);
		e.seq = a->nt++;
	}
	a->v[a->n++] = e;
	return 0;
}

/*
 * Called from librdkafka's callbacks, on the report thread: note one
 * report.  Out of memory it is counted in lost instead, and the loop
 * thread treats lost reports as failed deliveries (a rewind: nothing is
 * skipped, the cursor never sticks).
 */
void fwd_reports_note(struct fwd *f, int kind, int code, uint64_t seq,
		      int type, const char *text)
{
	struct fwd_rep e = { .seq = seq, .kind = (int16_t)kind,
			     .type = (int16_t)type, .code = code };

	if (reports_push(&f->rep.mine, e, text) < 0)
		atomic_fetch_add(&f->rep.lost, 1);
}

/* Move what the callbacks noted to the published array. */
static void reports_publish(struct fwd_reports *r)
{
	int was_empty;

	if (r->mine.n == 0)
		return;
	pthread_mutex_lock(&r->mu);
	was_empty = r->pub.n == 0;
	if (was_empty) {
		struct fwd_rep_buf t = r->pub;
		r->pub = r->mine;
		r->mine = t;
	} else {
		for (size_t i = 0; i < r->mine.n; i++) {
			struct fwd_rep e = r->mine.v[i];
			int txt = e.kind == FWD_REP_ERROR || e.kind == FWD_REP_LOG;
			if (reports_push(&r->pub, e, txt ? r->mine.t[e.seq].s
							 : NULL) < 0)
				atomic_fetch_add(&r->lost, 1);
		}
	}
	r->mine.n = r->mine.nt = 0;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	if (was_empty)
		uv_async_send(&r->async);
}

static void *reports_main(void *arg)
{
	struct fwd *f = arg;
	struct fwd_reports *r = &f->rep;

	pthread_setname_np(pthread_self(), "agentlog-kafka");
	while (!atomic_load(&r->stop)) {
		rd_kafka_poll(r->rk, FWD_REPORTS_POLL_MS);
		reports_publish(r);
	}
	return NULL;
}

/*
 * On the loop thread: take what was published and hand each report to
 * forward_kafka.c, in order.
 */
void fwd_reports_handle(struct fwd *f)
{
	struct fwd_reports *r = &f->rep;
	struct fwd_rep_buf t;

	pthread_mutex_lock(&r->mu);
	t = r->pub;
	r->pub = r->spare;
	r->spare = t;
	r->pub.n = r->pub.nt = 0;
	pthread_mutex_unlock(&r->mu);
	for (size_t i = 0; i < r->spare.n; i++) {
		const struct fwd_rep *e = &r->spare.v[i];
		int txt = e->kind == FWD_REP_ERROR || e->kind == FWD_REP_LOG;
		fwd_kafka_report(f, e, txt ? r->spare.t[e->seq].s : NULL);
	}
	r->spare.n = r->spare.nt = 0;
	fwd_kafka_lost(f, atomic_exchange(&r->lost, 0));
}

/* The same, then what the reports allow (the cursor, a rewind...). */
void fwd_reports_take(struct fwd *f)
{
	fwd_reports_handle(f);
	fwd_after_reports(f);
}

static void on_reports(uv_async_t *a)
{
	struct fwd *f = a->data;

	if (!f->stopping)
		fwd_reports_take(f);
}

/*
 * Wait up to ms for something to be published (fwd_stop waits for the
 * last reports without running the loop).
 */
void fwd_reports_wait(struct fwd *f, int ms)
{
	struct fwd_reports *r = &f->rep;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&r->mu);
	if (r->pub.n == 0)
		pthread_cond_timedwait(&r->cv, &r->mu, &ts);
	pthread_mutex_unlock(&r->mu);
}

/* The loop side: the async handle and the lock.  0 or a negative errno. */
int fwd_reports_init(struct fwd *f, char *err, size_t errlen)
{
	struct fwd_reports *r = &f->rep;
	int rc;

	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	r->inited = 1;
	rc = uv_async_init(f->loop, &r->async, on_reports);
	if (rc) {
		snprintf(err, errlen, "uv_async_init() failed: %s", uv_strerror(rc));
		return rc;
	}
	r->async.data = f;
	f->open_handles++;
	return 0;
}

/* Start serving f->rk.  0 or a negative errno. */
int fwd_reports_start(struct fwd *f)
{
	struct fwd_reports *r = &f->rep;
	int rc;

	r->rk = f->rk;
	atomic_store(&r->stop, 0);
	rc = pthread_create(&r->thread, NULL, reports_main, f);
	if (rc)
		return -rc;
	r->running = 1;
	return 0;
}

/* Stop serving (the producer may be destroyed after this); what the
 * thread had noted stays published for fwd_reports_take(). */
void fwd_reports_stop(struct fwd *f)
{
	struct fwd_reports *r = &f->rep;

	if (!r->running)
		return;
	atomic_store(&r->stop, 1);
	rd_kafka_yield(r->rk);
	pthread_join(r->thread, NULL);
	reports_publish(r);
	r->running = 0;
}

/* Free the arrays and the lock (the async handle is closed by fwd_stop). */
void fwd_reports_free(struct fwd *f)
{
	struct fwd_reports *r = &f->rep;

	free(r->mine.v);
	free(r->mine.t);
	free(r->pub.v);
	free(r->pub.t);
	free(r->spare.v);
	free(r->spare.t);
	if (r->inited) {
		pthread_cond_destroy(&r->cv);
		pthread_mutex_destroy(&r->mu);
	}
}
