/*
 * forward.h: moves journaled events into Kafka with librdkafka.
 *
 * Hot path: the journal's written callback hands over each batch right
 * after it reached the page cache; while the forwarder is caught up it
 * produces from that memory (RD_KAFKA_MSG_F_COPY).  Cold path: when
 * librdkafka's bounded queue is full, after a restart, or during an
 * outage, it reads the segments with a rec_reader from the first seq not
 * yet produced.  Delivery reports (served on the loop thread: librdkafka's
 * queue signals an fd that a uv_poll_t watches) mark seqs delivered; the
 * cursor handed to journal_set_cursor() is the first undelivered seq, never
 * the last report seen.
 */
#ifndef AGENTLOG_FORWARD_H
#define AGENTLOG_FORWARD_H

#include <stdint.h>
#include <uv.h>

#include "journal.h"
#include "proto.h"

typedef struct fwd fwd_t;

struct fwd_opts {
	const char *brokers;                   /* KAFKA_BROKERS */
	const char *topic[PROTO_TYPE_COUNT];   /* resolved topic names */
	const char **props;                    /* key=value pairs, NULL-ended */
	uint64_t queue_max_kbytes;             /* librdkafka's queue cap */
	int linger_ms;
};

struct fwd_stats {
	int up;                  /* a broker connection is up */
	char last_error[256];
	uint64_t produced;       /* handed to librdkafka */
	uint64_t delivered;      /* delivery report said delivered */
	uint64_t failed;         /* permanent failures (re-produced from journal) */
	uint64_t in_flight;      /* produced, no report yet */
	uint64_t next_seq;       /* next seq to produce */
	uint64_t cursor;         /* first undelivered */
	double drain_rate;       /* delivered events/s over the last few seconds */
	int cold;                /* reading from the segments */
};

/* Returns 0 or a negative errno with a message in err. */
int fwd_start(uv_loop_t *loop, journal_t *j, const struct fwd_opts *opts,
	      uint64_t cursor, fwd_t **out, char *err, size_t errlen);

/* The journal's written callback (journal_written_cb). */
void fwd_on_written(void *arg, const char *buf, size_t len,
		    uint64_t first_seq, uint64_t last_seq);

void fwd_get_stats(fwd_t *f, struct fwd_stats *st);

/*
 * Stop producing and wait up to timeout_ms for in-flight deliveries;
 * report the final cursor to the journal.  Everything undelivered stays
 * journaled for the next start.
 */
void fwd_stop(fwd_t *f, int timeout_ms);

#endif
