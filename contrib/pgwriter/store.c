/*
 * store.c: the database thread (see store.h).
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "store.h"

struct store {
	struct db *db;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;          /* a job came, or a job is done */
	struct batch *job;            /* handed over, not yet written */
	int taken;                    /* the thread has started on job */
	int busy;                     /* handed over, result not ready */
	int quit;
	enum db_result result;
	int64_t ms;
};

/* Write each batch handed over; report its result. */
static void *store_main(void *arg)
{
	struct store *s = arg;
	struct batch *b;
	enum db_result r;
	int64_t t0;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (!s->job && !s->quit)
			pthread_cond_wait(&s->cond, &s->lock);
		if (!s->job)
			break;
		b = s->job;
		s->taken = 1;
		pthread_cond_broadcast(&s->cond);
		pthread_mutex_unlock(&s->lock);
		t0 = batch_now_ms();
		r = db_write(s->db, b);
		pthread_mutex_lock(&s->lock);
		s->result = r;
		s->ms = batch_now_ms() - t0;
		s->job = NULL;
		s->busy = 0;
		pthread_cond_broadcast(&s->cond);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

struct store *store_new(struct db *db)
{
	struct store *s = calloc(1, sizeof(*s));
	sigset_t all, old;
	int e;

	if (!s)
		abort();
	s->db = db;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	/* Signals (SIGTERM) stay with the consume thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	e = pthread_create(&s->thread, NULL, store_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		log_error("pthread_create: %s", strerror(e));
		exit(1);
	}
	return s;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->quit = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void store_start(struct store *s, struct batch *b)
{
	pthread_mutex_lock(&s->lock);
	s->job = b;
	s->busy = 1;
	s->taken = 0;
	pthread_cond_broadcast(&s->cond);
	while (!s->taken)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

int store_ready(struct store *s)
{
	int ready;

	pthread_mutex_lock(&s->lock);
	ready = !s->busy;
	pthread_mutex_unlock(&s->lock);
	return ready;
}

int store_wait_for(struct store *s, int timeout_ms, enum db_result *r,
		   int64_t *ms)
{
	struct timespec until;
	int done;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&s->lock);
	while (s->busy &&
	       pthread_cond_timedwait(&s->cond, &s->lock, &until) == 0)
		;
	done = !s->busy;
	if (done) {
		*r = s->result;
		*ms = s->ms;
	}
	pthread_mutex_unlock(&s->lock);
	return done;
}

enum db_result store_wait(struct store *s, int64_t *ms)
{
	enum db_result r;

	pthread_mutex_lock(&s->lock);
	while (s->busy)
		pthread_cond_wait(&s->cond, &s->lock);
	r = s->result;
	*ms = s->ms;
	pthread_mutex_unlock(&s->lock);
	return r;
}
