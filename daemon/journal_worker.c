/*
 * journal_worker.c: one thread for the journal's blocking calls.
 *
 * fdatasync, the cursor file's fsync+rename and segment unlinks never run
 * on the loop thread.  They are jobs: work() on this thread, done() back
 * on the loop thread via a uv_async_t, in submission order.
 *
 * Why our own thread and not uv_queue_work: journal_close() must wait for
 * an in-flight sync without running the loop (it is called from inside a
 * loop callback at shutdown), and libuv's pool gives no way to do that.
 * Here journal__worker_drain() waits on a condition variable and runs the
 * done() callbacks itself.  The mutex is taken once per job, never per
 * event.
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
	journal_t *j = arg;
	struct jworker *w = &j->worker;

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
static void journal_worker_reap(journal_t *j)
{
	struct jworker *w = &j->worker;

	journal_worker_lock(w);
	struct jjob *list = w->done;
	w->done = w->done_tail = NULL;
	journal_worker_unlock(w);
	while (list != NULL) {
		struct jjob *next = list->next;
		list->busy = 0;
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

int journal__worker_start(journal_t *j)
{
	struct jworker *w = &j->worker;
	int rc;

	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	pthread_cond_init(&w->idle_cv, NULL);
	if ((rc = pthread_create(&w->thread, NULL, journal_worker_main, j)) != 0)
		goto fail;
	/* The thread only signals after a job, and none is queued yet. */
	if ((rc = uv_async_init(j->loop, &w->async, journal_worker_async_cb)) < 0) {
		journal_worker_join(w);
		rc = -rc;
		goto fail;
	}
	w->async.data = j;
	j->handles_open++;
	w->started = 1;
	return 0;
fail:
	pthread_cond_destroy(&w->cv);
	pthread_cond_destroy(&w->idle_cv);
	pthread_mutex_destroy(&w->mu);
	return -rc;
}

void journal__worker_submit(journal_t *j, struct jjob *job)
{
	struct jworker *w = &j->worker;

	job->busy = 1;
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
void journal__worker_drain(journal_t *j)
{
	struct jworker *w = &j->worker;

	while (j->sync_job.job.busy || j->cursor_job.job.busy) {
		journal_worker_lock(w);
		while (w->todo != NULL || w->running)
			pthread_cond_wait(&w->idle_cv, &w->mu);
		journal_worker_unlock(w);
		journal_worker_reap(j);
	}
}

static void journal_worker_on_close(uv_handle_t *h)
{
	journal_t *j = h->data;
	struct jworker *w = &j->worker;

	pthread_cond_destroy(&w->cv);
	pthread_cond_destroy(&w->idle_cv);
	pthread_mutex_destroy(&w->mu);
	journal__handle_closed(h);
}

void journal__worker_stop(journal_t *j)
{
	journal__worker_drain(j);
	journal_worker_join(&j->worker);
	uv_close((uv_handle_t *)&j->worker.async, journal_worker_on_close);
}
