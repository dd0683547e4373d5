/*
 * forward.h: moves journaled events into Kafka with librdkafka.
 *
 * Hot path: the journal's written callback hands over each batch right
 * after it reached the page cache; while the forwarder is caught up it
 * produces from that memory (RD_KAFKA_MSG_F_COPY).  Cold path: when
 * librdkafka's bounded queue is full, after a restart, or during an
 * outage, it reads the segments with a rec_reader from the first seq not
 * yet produced, in bounded slices from the loop, and goes back to the hot
 * path once it has caught up with the journal.  Delivery reports mark
 * seqs delivered; the cursor handed to journal_set_cursor() is the first
 * undelivered seq, never the last report seen.
 *
 * Guarantees: at-least-once.  Records of one partition are produced in
 * journal order (the idempotent producer keeps that order across
 * retries); a failed delivery is produced again from the journal, never
 * skipped; a fatal producer error rebuilds the producer and resumes from
 * the cursor (what was in flight may then be duplicated: counted in
 * reproduced).  Memory is bounded: librdkafka's queue has a byte cap and
 * the window between the cursor and the next seq to produce is capped;
 * past either the journal on disk is the spool.
 *
 * Threading: everything runs on the loop thread but serving librdkafka's
 * queue: a report thread calls rd_kafka_poll() and our callbacks there
 * only note each report (delivered, failed, an error, a log line); the
 * loop thread acts on them in order (forward_reports.c).
 *
 * Process-wide effect: fwd_start() tunes glibc malloc (mallopt: no
 * fastbins, trim threshold 64 MiB, mmap threshold 32 MiB) for
 * librdkafka's message churn; see forward.c.
 */
#ifndef AGENTLOG_FORWARD_H
#define AGENTLOG_FORWARD_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "journal.h"
#include "proto.h"

typedef struct fwd fwd_t;

/* level is a syslog level (LOG_ERR, LOG_WARNING, LOG_INFO...). */
typedef void (*fwd_log_fn)(void *arg, int level, const char *msg);

/*
 * Every field but linger_ms may be left zero for its default.  The
 * producer is configured with: enable.idempotence=true, acks=all,
 * compression.codec=lz4, linger.ms=5, partitioner=murmur2_random (the
 * Java client's hash: every client agrees on a key's partition),
 * message.timeout.ms=0 (never expire: the bounded queue and the journal
 * absorb an outage), queue.buffering.max.kbytes=queue_max_kbytes,
 * message.max.bytes=4 MiB, reconnect.backoff.max.ms=1000 (librdkafka's
 * 10 s let one broker of three come back seconds after the others once
 * an outage ended, while the full queue waited on its partitions: the
 * backlog's drain stalled); then props, which override any of these.
 */
struct fwd_opts {
	const char *brokers;                   /* KAFKA_BROKERS */
	const char *topic[PROTO_TYPE_COUNT];   /* NULL: proto_type_topic() */
	const char **props;                    /* key=value pairs, NULL-ended */
	uint64_t queue_max_kbytes;             /* librdkafka's queue cap (32768) */
	int linger_ms;                         /* as given; < 0: 5 */
	const char *compression;               /* NULL: "lz4" */
	fwd_log_fn log;                        /* NULL: stderr */
	void *log_arg;
	/* Most seqs between the cursor and the next seq to produce (a hole
	 * in the delivered set holds the cursor back).  0: 4,194,304. */
	uint64_t window;
	/* Which record headers: FWD_HDR_* bits; 0: none. */
	unsigned headers;
};

/*
 * The record headers (proto/PROTOCOL.md section 6).  Each is a copy of a
 * member of the value, and librdkafka makes them expensive: the three
 * cost half again the daemon's CPU an event (FORWARDING.md).  agentlogd
 * sends none unless asked (--kafka-headers).
 */
#define FWD_HDR_TYPE 1u
#define FWD_HDR_EVENT_ID 2u
#define FWD_HDR_SCHEMA_VERSION 4u
#define FWD_HDR_ALL 7u

/*
 * Parse a header list: "none", "all", or names among type, event_id,
 * schema_version separated by commas.  Returns 0 with *mask set, or -1
 * with the offending name in err.
 */
int fwd_headers_parse(const char *list, unsigned *mask, char *err,
		      size_t errlen);

struct fwd_stats {
	int up;                  /* Kafka reachable, as far as we know */
	char last_error[256];
	uint64_t produced;       /* handed to librdkafka (re-produced included) */
	uint64_t delivered;      /* delivery report said delivered */
	uint64_t failed;         /* failed reports (each re-produced from journal) */
	uint64_t in_flight;      /* produced, no report yet */
	uint64_t next_seq;       /* next seq to produce */
	uint64_t cursor;         /* first undelivered */
	double drain_rate;       /* delivered events/s over the last few seconds */
	int cold;                /* reading from the segments */
	uint64_t cold_switches;  /* times the hot path fell back to the segments */
	uint64_t rebuilds;       /* producer rebuilt after a fatal error */
	uint64_t reproduced;     /* in flight at a rebuild: possible duplicates */
	uint64_t missing;        /* seqs absent from the journal (quarantined or
				  * dropped), stepped over */
};

/*
 * Start forwarding from cursor (the journal's first undelivered seq).
 * Returns 0 or a negative errno with a message in err (a bad property,
 * for instance).  The caller routes the journal's written callback to
 * fwd_on_written(f, ...).
 */
int fwd_start(uv_loop_t *loop, journal_t *j, const struct fwd_opts *opts,
	      uint64_t cursor, fwd_t **out, char *err, size_t errlen);

/*
 * The journal's written callback (journal_written_cb), with arg = the
 * fwd_t: buf holds whole records first_seq..last_seq.
 */
void fwd_on_written(void *arg, const char *buf, size_t len,
		    uint64_t first_seq, uint64_t last_seq);

/*
 * The journal's drop callback (journal_dropped_cb), with arg = the fwd_t:
 * drop-oldest deleted first_seq..last_seq and the journal's cursor is now
 * cursor.  The forwarder stops waiting for those seqs.
 */
void fwd_on_dropped(void *arg, uint64_t first_seq, uint64_t last_seq,
		    uint64_t cursor);

void fwd_get_stats(fwd_t *f, struct fwd_stats *st);

/*
 * Stop producing and wait up to timeout_ms for in-flight deliveries;
 * report the final cursor to the journal (before journal_close()).
 * Everything undelivered stays journaled for the next start.  The
 * forwarder's handles close asynchronously: run the loop (uv_run) before
 * uv_loop_close(); f is freed when they are closed.
 */
void fwd_stop(fwd_t *f, int timeout_ms);

#endif
