/*
 * metrics.h: the writer's counters and health, shared between the
 * consume loop (which updates them once per batch) and the HTTP thread
 * (which renders them).  One mutex guards it all; it is taken a few times
 * per batch, never per event.
 */
#ifndef PGW_METRICS_H
#define PGW_METRICS_H

#include <stdint.h>

#define METRICS_REASON_MAX 256

struct metrics;

/* The per-partition lag figures, replaced whole by metrics_set_lag(). */
struct metrics_lag {
	char topic[256];        /* Kafka allows 249 bytes */
	int32_t partition;
	int64_t lag;          /* -1: not known yet */
};

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* One batch done: n consumed, inserted rows, dead letters, elapsed ms. */
void metrics_batch(struct metrics *m, uint64_t consumed, uint64_t inserted,
		   uint64_t failed, double ms);
/* Dead letters the DLQ topic acknowledged. */
void metrics_dlq(struct metrics *m, uint64_t n);
/* Offsets were committed now. */
void metrics_commit(struct metrics *m);
void metrics_set_lag(struct metrics *m, const struct metrics_lag *lag,
		     int n);

/* Health: up (1/0) and, when down, why.  reason may be NULL when up. */
void metrics_set_db(struct metrics *m, int up, const char *reason);
void metrics_set_kafka(struct metrics *m, int up, const char *reason);
/* "starting", "running", "stopping". */
void metrics_set_state(struct metrics *m, const char *state);

/*
 * Render into a malloc'd NUL-terminated string (the caller frees):
 * metrics_json(): exactly the seed's fields, plus consumer_lag and
 * dlq_messages.  metrics_prometheus(): the same figures in Prometheus's
 * text format.  metrics_health(): the /health body; *ok says whether all
 * is well (HTTP 200) or not (503).
 */
char *metrics_json(struct metrics *m);
char *metrics_prometheus(struct metrics *m);
char *metrics_health(struct metrics *m, int *ok);

#endif
