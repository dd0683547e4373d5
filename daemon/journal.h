/*
 * journal.h: agentlogd's write-ahead journal.
 *
 * Every accepted event is appended here before it is acknowledged, counted
 * or handed to Kafka.  Records (proto/record.h) go into segment files
 * named by their first sequence number; a cursor file marks the prefix
 * Kafka has confirmed; segments wholly behind the cursor are deleted.
 *
 * Threading: everything here runs on the loop thread except fdatasync,
 * which runs on a worker; its completion advances the durable sequence and
 * calls the durable callback on the loop thread (group commit).
 *
 * Layout of dir (0700; files 0600):
 *   segments/<20-digit first seq>.seg
 *   cursor            first undelivered seq, written tmp+fsync+rename+fsync
 *   quarantine/       corrupt bytes moved aside on recovery, with a count
 *   inbox/            client fallback files (proto/wire.h), ingested at start
 */
#ifndef AGENTLOG_JOURNAL_H
#define AGENTLOG_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "record.h"

typedef struct journal journal_t;

enum journal_fsync { JOURNAL_FSYNC_NEVER, JOURNAL_FSYNC_INTERVAL, JOURNAL_FSYNC_ALWAYS };
enum journal_full { JOURNAL_FULL_REJECT, JOURNAL_FULL_DROP_OLDEST };

struct journal_opts {
	const char *dir;
	uint64_t max_bytes;          /* cap on segments on disk (default 1 GiB) */
	uint64_t segment_bytes;      /* roll segments at this size (64 MiB) */
	enum journal_fsync fsync;    /* default interval */
	uint64_t fsync_interval_ms;  /* interval mode: at most this old (100) */
	uint64_t fsync_bytes;        /* interval mode: or this many bytes (1 MiB) */
	enum journal_full when_full;
	/* Journal-only retention (no Kafka): keep at most this age; 0 = none.
	 * When set, segments past max_bytes or max_age are deleted whether or
	 * not delivered. */
	int retain_only;             /* 1: journal-only mode */
	uint64_t max_age_s;
};

/* Figures for status. */
struct journal_stats {
	uint64_t next_seq;           /* the seq the next append gets */
	uint64_t written_seq;        /* last seq written to the page cache */
	uint64_t durable_seq;        /* last seq known durable at the fsync policy */
	uint64_t cursor;             /* first undelivered seq */
	uint64_t backlog_events;     /* next_seq - cursor */
	uint64_t bytes;              /* bytes of segments on disk */
	int64_t oldest_ms;           /* accept time of the oldest undelivered, or 0 */
	uint64_t segments;
	uint64_t rejected_full;      /* appends refused by the full policy */
	uint64_t dropped_oldest;     /* events dropped by drop-oldest */
	uint64_t quarantined;        /* corrupt records moved aside */
	uint64_t write_errors;
	uint64_t fsyncs;
};

/* Called on the loop thread when durable_seq advances. */
typedef void (*journal_durable_cb)(void *arg, uint64_t durable_seq);
/*
 * Called on the loop thread after a batch reached the page cache: buf
 * holds whole records first_seq..last_seq back to back (proto/record.h).
 * This is the forwarder's hot path.
 */
typedef void (*journal_written_cb)(void *arg, const char *buf, size_t len,
				   uint64_t first_seq, uint64_t last_seq);

/*
 * Open (creating if needed) the journal in opts->dir and recover it:
 * read the cursor, find the end of the last segment, truncate a torn tail.
 * Only the tail segment is scanned here, so start-up is quick whatever the
 * backlog; corrupt records further back are found and quarantined by the
 * reader.  Returns 0 or a negative errno with a message in err.
 */
int journal_open(uv_loop_t *loop, const struct journal_opts *opts,
		 journal_t **out, char *err, size_t errlen);

void journal_set_callbacks(journal_t *j, journal_durable_cb durable,
			   journal_written_cb written, void *arg);

/*
 * Reserve room for one record with a key of key_len bytes and a value of
 * at most value_max bytes.  Returns a pointer to where the key goes (the
 * value follows it), or NULL with *errp set: -ENOSPC when the journal is
 * full and the policy rejects, -EIO when the journal cannot be written.
 * The reservation is valid until journal_commit() or the next reserve.
 */
char *journal_reserve(journal_t *j, size_t key_len, size_t value_max, int *errp);

/*
 * Seal the reserved record (type, event id, accept time, the actual value
 * length) and queue it for the next write.  Returns its sequence number.
 */
uint64_t journal_commit(journal_t *j, int type, const uint8_t event_id[16],
			int64_t time_ms, size_t key_len, size_t value_len);

/*
 * Write everything committed since the last flush with one write() and
 * arrange for its durability.  The daemon calls this once per loop turn
 * (a uv_check_t) so a turn's appends cost one syscall.  Returns 0 or a
 * negative errno (the batch stays queued and is retried).
 */
int journal_flush(journal_t *j);

/*
 * The forwarder reports that every seq below first_undelivered is in
 * Kafka.  The journal persists the cursor (rate-limited, atomically) and
 * deletes segments wholly behind it.
 */
void journal_set_cursor(journal_t *j, uint64_t first_undelivered);

void journal_get_stats(const journal_t *j, struct journal_stats *st);

/* The segments directory, for a rec_reader (proto/record.h). */
const char *journal_segments_dir(const journal_t *j);

/* Flush, sync, persist the cursor and free.  Blocks (used at shutdown). */
void journal_close(journal_t *j);

#endif
