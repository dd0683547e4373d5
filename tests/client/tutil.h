/*
 * tutil.h: what the client's C tests share: CHECK (prints where and exits
 * 1), a temporary directory removed at exit, and a Unix socket listener
 * thread that stands in for agentlogd's framing (it reads lines; it does
 * not validate or journal: the Python tests do that with the real daemon).
 */
#ifndef AGENTLOG_TEST_TUTIL_H
#define AGENTLOG_TEST_TUTIL_H

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
			__LINE__, #cond); \
		exit(1); \
	} \
} while (0)

#define CHECK_INT(a, b) do { \
	long long a_ = (long long)(a), b_ = (long long)(b); \
	if (a_ != b_) { \
		fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld != %lld)\n", \
			__FILE__, __LINE__, #a, #b, a_, b_); \
		exit(1); \
	} \
} while (0)

/* A fresh directory under $TMPDIR (or /tmp), removed at exit. */
const char *tu_tmpdir(void);
/* Monotonic ms. */
double tu_now_ms(void);
/* Read a whole file; NULL when missing. */
char *tu_read(const char *path, size_t *len);

struct tu_listener {
	char path[108];
	int lfd;                /* listening socket */
	int reading;            /* 0: accept but never read (a stuck daemon) */
	pthread_t thread;
	pthread_mutex_t mu;
	char *data;             /* everything read, from all connections */
	size_t len, cap;
	int conns;              /* connections accepted */
	int stop;
};

/* Listen on path (unlinked first) and serve in a thread. */
void tu_listen(struct tu_listener *l, const char *path, int reading);
/* Stop: close the listener and every connection, unlink the path. */
void tu_unlisten(struct tu_listener *l);
/* Wait (up to ms) until at least n bytes were read.  Returns the count. */
size_t tu_wait_bytes(struct tu_listener *l, size_t n, int ms);

#endif
