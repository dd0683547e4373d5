/*
 * forward_int.h: the forwarder's insides, shared by its files only.
 *
 *   forward.c        lifecycle, the hot path, delivery bookkeeping, status
 *   forward_ring.c   the delivered set (a ring bitmap) behind the cursor
 *   forward_kafka.c  the librdkafka producer: config, callbacks, what
 *                    the reports mean, rebuild after a fatal error
 *   forward_reports.c the thread that serves librdkafka's queue
 *   forward_cold.c   the cold path: reading the segments in slices
 *   forward_log.c    rate-limited logging into the daemon's log
 */
#ifndef AGENTLOG_FORWARD_INT_H
#define AGENTLOG_FORWARD_INT_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>
#include <uv.h>

#include "forward.h"
#include "record.h"

/*
 * The delivered set over [base, end): bit (seq & (cap - 1)) says seq was
 * delivered (or is missing from the journal and stepped over).  base is
 * the cursor, the first seq not known delivered; end is one past the
 * highest seq ever produced.  cap is a power of two; end - base <= cap.
 */
struct fwd_ring {
	uint64_t *bits;
	uint64_t cap;
	uint64_t base;
	uint64_t end;
};

int fwd_ring_init(struct fwd_ring *r, uint64_t cap, uint64_t start);
void fwd_ring_free(struct fwd_ring *r);
/* 1 when seq may be produced now (it falls inside the window). */
int fwd_ring_fits(const struct fwd_ring *r, uint64_t seq);
/* Extend end to seq + 1 (seq >= end, fits). */
void fwd_ring_extend(struct fwd_ring *r, uint64_t seq);
/* Mark seq done.  Returns 0, or -1 if seq is outside [base, end) or
 * already marked. */
int fwd_ring_mark(struct fwd_ring *r, uint64_t seq);
int fwd_ring_is_marked(const struct fwd_ring *r, uint64_t seq);
/* Move base over the marked prefix; returns the new base. */
uint64_t fwd_ring_advance(struct fwd_ring *r);
/* Move base to seq (> base) whatever is marked below it. */
void fwd_ring_jump(struct fwd_ring *r, uint64_t seq);

/* One report from librdkafka's queue, noted on the report thread: 16
 * bytes, as there is one for every event. */
enum { FWD_REP_DELIVERED, FWD_REP_FAILED, FWD_REP_ERROR, FWD_REP_LOG };
struct fwd_rep {
	uint64_t seq;                /* delivered, failed: the record's seq;
					error, log: the index of its text */
	int16_t kind;                /* FWD_REP_* */
	int16_t type;                /* failed: the record's type */
	int32_t code;                /* failed, error: rd_kafka_resp_err_t;
					log: the syslog level */
};

struct fwd_rep_text {
	char s[240];                 /* error: the reason; log: "fac: line" */
};

struct fwd_rep_buf {
	struct fwd_rep *v;
	size_t n, cap;
	struct fwd_rep_text *t;      /* the texts of error and log reports */
	size_t nt, capt;
};

struct fwd_reports {
	pthread_t thread;
	int running, inited;
	_Atomic int stop;
	_Atomic uint64_t lost;       /* notes that found no memory */
	rd_kafka_t *rk;              /* the producer it serves */
	struct fwd_rep_buf mine;     /* the thread's, filled in rd_kafka_poll */
	pthread_mutex_t mu;
	pthread_cond_t cv;           /* something was published */
	struct fwd_rep_buf pub;      /* published, under mu */
	struct fwd_rep_buf spare;    /* the loop thread's, being handled */
	uv_async_t async;
};

/* Where records come from. */
enum fwd_mode { FWD_HOT, FWD_COLD };

#define FWD_DRAIN_SAMPLES 6      /* one a second: the rate over ~5 s */

struct fwd {
	uv_loop_t *loop;
	journal_t *j;
	struct fwd_opts opts;        /* strings below are our copies */
	char *brokers;
	char *topic[PROTO_TYPE_COUNT];
	char **props;

	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt[PROTO_TYPE_COUNT];
	struct fwd_reports rep;

	unsigned headers;            /* FWD_HDR_* of every record */

	struct fwd_ring ring;
	uint64_t next_seq;           /* next seq to produce */
	uint64_t written_next;       /* one past the last seq written */
	enum fwd_mode mode;
	int blocked;                 /* queue or window full: wait for reports */
	int stopping;
	int discarding;              /* destroying rk: ignore its callbacks */

	/* Cold path. */
	rec_reader_t *reader;
	struct rec pending;          /* read but refused (queue full) */
	int has_pending;
	uv_idle_t cold_idle;
	uv_timer_t cold_timer;       /* retry after reading nothing */

	/* Failures. */
	int rewind;                  /* a report failed: re-produce from base */
	int fatal;                   /* rebuild the producer */
	uint64_t retry_ms;           /* backoff before a rewind */
	uv_timer_t retry_timer;

	/* Status. */
	int up;
	char last_error[256];
	uint64_t produced, delivered, failed, in_flight;
	uint64_t cold_switches, rebuilds, reproduced, missing;
	uv_timer_t rate_timer;
	uint64_t rate_t[FWD_DRAIN_SAMPLES], rate_d[FWD_DRAIN_SAMPLES];
	unsigned rate_n;
	double drain_rate;

	/* Logging. */
	uint64_t log_last_ms;
	unsigned log_suppressed;

	int open_handles;            /* closed handles free f at zero */
};

/* forward.c */
int fwd_produce(struct fwd *f, const struct rec *r);
void fwd_after_reports(struct fwd *f);
void fwd_go_hot(struct fwd *f);

/* forward_kafka.c */
int fwd_kafka_new(struct fwd *f, char *err, size_t errlen);
void fwd_kafka_destroy(struct fwd *f);
int fwd_kafka_rebuild(struct fwd *f);
void fwd_kafka_report(struct fwd *f, const struct fwd_rep *e,
		      const char *text);
void fwd_kafka_lost(struct fwd *f, uint64_t n);

/* forward_reports.c */
int fwd_reports_init(struct fwd *f, char *err, size_t errlen);
int fwd_reports_start(struct fwd *f);
void fwd_reports_stop(struct fwd *f);
void fwd_reports_handle(struct fwd *f);
void fwd_reports_take(struct fwd *f);
void fwd_reports_wait(struct fwd *f, int ms);
void fwd_reports_free(struct fwd *f);
void fwd_reports_note(struct fwd *f, int kind, int code, uint64_t seq,
		      int type, const char *text);

/* forward_cold.c */
void fwd_cold_init(struct fwd *f);
void fwd_cold_start(struct fwd *f);
void fwd_cold_resume(struct fwd *f);
void fwd_cold_stop(struct fwd *f);

/* forward_log.c */
void fwd_log(struct fwd *f, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void fwd_log_limited(struct fwd *f, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void fwd_set_error(struct fwd *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
uint64_t fwd_now_ms(void);

#endif
