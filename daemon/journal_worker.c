/*
 * journal_worker.c: the threads for the journal's blocking calls.
 *
 * Segment writes, fdatasync, the cursor file's fsync+rename and segment
 * unlinks never run on the loop thread.  They are jobs: work() on a
 * worker thread, done() back on the loop thread via a uv_async_t, in
 * submission order.  The journal has two workers, so a slow fdatasync
 * never holds up the next write: the writer (journal_write.c) and the
 * syncer (journal_sync.c, journal_cursor.c).
 *
 * Why our own threads and not uv_queue_work: journal_close() and
 * journal_flush() must wait for a job without running the loop (they are
 * called from inside loop callbacks), and libuv's pool gives no way to do
 * that.  Here journal__worker_drain() waits on a condition variable and
 * runs the done() callbacks itself.  The mutex is taken once per job,
 * never per event.
 */
#include <errno.h>
#include <stdlib.h>

#include "journal_int.h"

static void journal_worker_lock(struct jworker *w)
{
	if (pthread_mutex_lock(&w->mu) != 0)
		abort();
}

static void journal_worker_unlock(struct jworker *w)
{
	if (pthread_mutex_unlock(&w->mu) != 0)
		abort();
}

static void *journal_worker_main(void *arg)
{
	struct jworker *w = arg;

	pthread_setname_np(pthread_self(), w->name);
	journal_worker_lock(w);
	for (;;) {
		while (w->todo == NULL && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->todo == NULL)
			break;
		struct jjob *job = w->todo;
		w->todo = job->next;
		if (w->todo == NULL)
			w->todo_tail = NULL;
		w->running = 1;
		journal_worker_unlock(w);

		job->work(job);

		journal_worker_lock(w);
		w->running = 0;
		job->next = NULL;
		if (w->done_tail != NULL)
			w->done_tail->next = job;
		else
			w->done = job;
		w->done_tail = job;
		pthread_cond_broadcast(&w->idle_cv);
		uv_async_send(&w->async);
	}
	journal_worker_unlock(w);
	return NULL;
}

/* Run the done() of every finished job, on the loop thread. */
static void journal_worker_reap(struct jworker *w)
{
	journal_worker_lock(w);
	struct jjob *list = w->done;
	w->done = w->done_tail = NULL;
	journal_worker_unlock(w);
	while (list != NULL) {
		struct jjob *next = list->next;
		list->busy = 0;
		w->pending--;
		list->done(list);
		list = next;
	}
}

static void journal_worker_async_cb(uv_async_t *a)
{
	journal_worker_reap(a->data);
}

/* Tell the thread to finish its queue and wait for it. */
static void journal_worker_join(struct jworker *w)
{
	journal_worker_lock(w);
	w->stop = 1;
	pthread_cond_signal(&w->cv);
	journal_worker_unlock(w);
	if (pthread_join(w->thread, NULL) != 0)
		abort();
}

/* Start w's thread (named name, at most 15 characters). */
int journal__worker_start(journal_t *j, struct jworker *w, const char *name)
{
	int rc;

	w->j = j;
	w->name = name;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	pthread_cond_init(&w->idle_cv, NULL);
	if ((rc = pthread_create(&w->thread, NULL, journal_worker_main, w)) != 0)
		goto fail;
	/* The thread only signals after a job, and none is queued yet. */
	if ((rc = uv_async_init(j->loop, &w->async, journal_worker_async_cb)) < 0) {
		journal_worker_join(w);
		rc = -rc;
		goto fail;
	}
	w->async.data = w;
	j->handles_open++;
	w->started = 1;
	return 0;
fail:
	pthread_cond_destroy(&w->cv);
	pthread_cond_destroy(&w->idle_cv);
	pthread_mutex_destroy(&w->mu);
	return -rc;
}

void journal__worker_submit(struct jworker *w, struct jjob *job)
{
	job->busy = 1;
	w->pending++;
	job->next = NULL;
	journal_worker_lock(w);
	if (w->todo_tail != NULL)
		w->todo_tail->next = job;
	else
		w->todo = job;
	w->todo_tail = job;
	pthread_cond_signal(&w->cv);
	journal_worker_unlock(w);
}

/* Block until no job is queued or running, then run their done()s;
 * again while those submitted more. */
void journal__worker_drain(struct jworker *w)
{
	while (w->started && w->pending > 0) {
		journal_worker_lock(w);
		while (w->todo != NULL || w->running)
			pthread_cond_wait(&w->idle_cv, &w->mu);
		journal_worker_unlock(w);
		journal_worker_reap(w);
	}
}

static void journal_worker_on_close(uv_handle_t *h)
{
	struct jworker *w = h->data;

	pthread_cond_destroy(&w->cv);
	pthread_cond_destroy(&w->idle_cv);
	pthread_mutex_destroy(&w->mu);
	h->data = w->j;
	journal__handle_closed(h);
}

void journal__worker_stop(struct jworker *w)
{
	if (!w->started)
		return;
	journal__worker_drain(w);
	journal_worker_join(w);
	w->started = 0;
	uv_close((uv_handle_t *)&w->async, journal_worker_on_close);
}
