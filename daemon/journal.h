/*
 * journal.h: agentlogd's write-ahead journal.
 *
 * Every accepted event is appended here before it is acknowledged, counted
 * or handed to Kafka.  Records (proto/record.h) go into segment files
 * named by their first sequence number; a cursor file marks the prefix
 * Kafka has confirmed; segments wholly behind the cursor are deleted.
 * Sequence numbers start at 1 and are never reused, also across restarts.
 *
 * Threading: everything here runs on the loop thread except the segment
 * writes, which run on a writer thread, and fdatasync and the cursor
 * file's write+fsync+rename, which run on a sync thread; their
 * completions call the written and durable callbacks on the loop thread
 * (group commit: one fdatasync covers every record written before it
 * began).
 *
 * I/O (io): segments are written with O_DIRECT where the file system
 * takes it (journal_direct.c: a tenth of the CPU of the page cache path
 * here), else through the page cache.
 *
 * Durability (--fsync):
 *   never     durable_seq follows written_seq (written: survives a daemon
 *             crash; direct writes have reached the device, buffered ones
 *             the page cache; neither is promised to survive a power
 *             loss).
 *   interval  a sync starts fsync_interval_ms after the first unsynced
 *             write, or as soon as fsync_bytes are unsynced; durable_seq
 *             advances when it completes.
 *   always    a sync starts after every flush (while one runs, later
 *             flushes wait and the next sync covers them all).
 * A new segment's directory entry is fsynced with the data (not in never).
 *
 * Failures never crash and never lose what was accepted:
 *   - a write error (EIO, ENOSPC from the filesystem, a short write) keeps
 *     the batch queued; it is retried from a timer (50 ms doubling to 1 s)
 *     and on later flushes at the same file offset, so a retry cannot
 *     duplicate or interleave records.  While writes fail, journal_reserve
 *     refuses new records (with that errno) once JOURNAL_PENDING_MAX bytes
 *     are queued, so RAM stays bounded; it accepts again when space returns.
 *   - a failed fdatasync ("fsyncgate": after one, the kernel may have
 *     dropped the dirty pages and will not report it again) does not
 *     advance durable_seq.  The journal keeps every byte written since the
 *     last good sync in memory; after a failure it rewrites them all at
 *     their offsets and syncs again, until a sync succeeds.  Counted in
 *     fsync_errors and logged.  RAM stays bounded by JOURNAL_RAM_MAX.
 *
 * Full (max_bytes, counted over segments on disk plus queued bytes):
 *   JOURNAL_FULL_REJECT      journal_reserve fails with -ENOSPC, counted in
 *                            rejected_full; nothing journaled is touched.
 *   JOURNAL_FULL_DROP_OLDEST the oldest segments are deleted even if
 *                            undelivered; their undelivered events are
 *                            counted in dropped_oldest, the cursor moves past
 *                            them and the drop callback tells the forwarder
 *                            (also visible as a jump of journal_stats.cursor).
 *   retain_only (journal-only mode, no Kafka): the oldest segments are
 *   deleted by size (as drop-oldest) and by age (max_age_s), counted in
 *   expired; journal_set_cursor is not needed.
 * A segment that still holds unsynced bytes is never deleted; a record that
 * cannot get room then is rejected (-ENOSPC, rejected_full).
 *
 * Layout of dir (0700; files 0600, whatever the umask):
 *   segments/<20-digit first seq>.seg
 *   cursor            first undelivered seq, written tmp+fsync+rename+fsync
 *   quarantine/       corrupt bytes copied aside (<segment>.<offset>.bad,
 *                     and <segment>.<offset>.torn for a tail cut at open)
 *   inbox/            client fallback files (proto/wire.h): not the
 *                     journal's business, ingested by the daemon
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
enum journal_io { JOURNAL_IO_AUTO, JOURNAL_IO_DIRECT, JOURNAL_IO_BUFFERED };

/* Log levels handed to journal_opts.log (same order as the daemon's). */
enum journal_log_level { JOURNAL_LOG_ERROR, JOURNAL_LOG_WARN, JOURNAL_LOG_INFO };
typedef void (*journal_log_fn)(void *arg, int level, const char *msg);

/* While writes fail, refuse new records once this much is queued. */
#define JOURNAL_PENDING_MAX (8u << 20)
/* The in-memory batch (queued + written-but-unsynced) never grows past
 * this, except to hold one record bigger than it. */
#define JOURNAL_RAM_MAX (16u << 20)

struct journal_opts {
	const char *dir;
	uint64_t max_bytes;          /* cap on segments on disk (default 1 GiB) */
	uint64_t segment_bytes;      /* roll segments at this size (64 MiB;
					at most max_bytes / 4) */
	enum journal_fsync fsync;    /* default interval */
	enum journal_io io;          /* auto: direct where the file system
					takes it; direct: fail to open if not */
	uint64_t fsync_interval_ms;  /* interval mode: at most this old (100) */
	uint64_t fsync_bytes;        /* interval mode: or this many bytes (1 MiB) */
	enum journal_full when_full;
	/* Journal-only retention (no Kafka): keep at most this age; 0 = none.
	 * When set, segments past max_bytes or max_age are deleted whether or
	 * not delivered. */
	int retain_only;             /* 1: journal-only mode */
	uint64_t max_age_s;
	journal_log_fn log;          /* NULL: "agentlog journal: ..." on stderr */
	void *log_arg;
};

/* Fill o with the defaults above (dir NULL, log NULL). */
void journal_opts_init(struct journal_opts *o);

/* Figures for status. */
struct journal_stats {
	uint64_t next_seq;           /* the seq the next append gets */
	uint64_t written_seq;        /* last seq written to the page cache */
	uint64_t durable_seq;        /* last seq known durable at the fsync policy */
	uint64_t cursor;             /* first undelivered seq */
	uint64_t backlog_events;     /* next_seq - cursor */
	uint64_t bytes;              /* bytes of segments on disk */
	int64_t oldest_ms;           /* accept time of the first record of the
					segment holding the cursor (the oldest
					undelivered is at most one segment
					younger), or 0 when nothing is pending */
	uint64_t segments;
	uint64_t rejected_full;      /* appends refused by the full policy */
	uint64_t dropped_oldest;     /* events dropped by drop-oldest */
	uint64_t quarantined;        /* corrupt byte runs copied aside */
	uint64_t write_errors;
	uint64_t fsyncs;             /* sync rounds completed (group commits) */
	/* added by the journal work: */
	uint64_t fsync_errors;       /* failed sync rounds (data rewritten) */
	uint64_t expired;            /* events deleted by retain_only retention */
	uint64_t torn_bytes;         /* torn tail cut at open (quarantined) */
	uint64_t ram_bytes;          /* queued + unsynced bytes held in memory */
	uint64_t buf_bytes;          /* the batch buffer holding them (its size) */
	int direct;                  /* segments are written with O_DIRECT */
	int write_failing;           /* the last write attempt failed */
	int last_errno;              /* its errno (positive), or 0 */
};

/* Called on the loop thread when durable_seq advances. */
typedef void (*journal_durable_cb)(void *arg, uint64_t durable_seq);
/*
 * Called on the loop thread after a batch reached the page cache: buf
 * holds whole records first_seq..last_seq back to back (proto/record.h).
 * This is the forwarder's hot path.  buf is valid during the call only.
 */
typedef void (*journal_written_cb)(void *arg, const char *buf, size_t len,
				   uint64_t first_seq, uint64_t last_seq);
/*
 * Called on the loop thread when drop-oldest (or retain_only retention)
 * deleted records first_seq..last_seq; cursor is the journal's new cursor
 * (last_seq + 1).  Events of that range not yet delivered are gone: the
 * forwarder must not wait for their delivery reports (a produce already
 * handed to librdkafka may still arrive) and must move its own cursor and
 * its cold reader to at least cursor.  journal_set_cursor() never moves
 * the cursor back, so reporting a lower value afterwards is harmless.
 */
typedef void (*journal_dropped_cb)(void *arg, uint64_t first_seq,
				   uint64_t last_seq, uint64_t cursor);

/*
 * Open (creating if needed) the journal in opts->dir and recover it:
 * read the cursor (missing: the oldest segment's first seq; unreadable:
 * the same, logged), find the end of the last segment, truncate a torn
 * tail (copied to quarantine/ first, then ftruncate + fsync).
 * Only the tail of the last segment is scanned here (its last MiB when a
 * valid record is found in it), so start-up is quick whatever the backlog;
 * corrupt records further back are found by the reader and handed to
 * journal_quarantine().  Returns 0 or a negative errno with a message in
 * err.
 */
int journal_open(uv_loop_t *loop, const struct journal_opts *opts,
		 journal_t **out, char *err, size_t errlen);

void journal_set_callbacks(journal_t *j, journal_durable_cb durable,
			   journal_written_cb written, void *arg);

/* The drop callback (see journal_dropped_cb); arg may differ from the
 * other callbacks'. */
void journal_set_drop_callback(journal_t *j, journal_dropped_cb dropped,
			       void *arg);

/*
 * Reserve room for one record with a key of key_len bytes and a value of
 * at most value_max bytes.  Returns a pointer to where the key goes (the
 * value follows it), or NULL with *errp set:
 *   -ENOSPC   the journal is full and the policy rejects (rejected_full);
 *   -EMSGSIZE the record could never fit (key > 65535 or > REC_MAX);
 *   the errno of the failing write (-ENOSPC, -EIO, ...) while writes fail
 *             and JOURNAL_PENDING_MAX bytes are already queued;
 *   -ENOBUFS  JOURNAL_RAM_MAX bytes are held waiting for the disk.
 * The reservation is valid until journal_commit() or the next reserve;
 * do not return to the loop between the two.
 */
char *journal_reserve(journal_t *j, size_t key_len, size_t value_max, int *errp);

/*
 * Seal the reserved record (type, event id, accept time, the actual value
 * length, at most value_max) and queue it for the next write.  Returns its
 * sequence number.
 */
uint64_t journal_commit(journal_t *j, int type, const uint8_t event_id[16],
			int64_t time_ms, size_t key_len, size_t value_len);

/*
 * Start writing what was committed, on the writer thread, and return.
 * The daemon calls this once per loop turn (a uv_check_t).  When the
 * write is done (on the loop thread) the written callback runs, then
 * (fsync never) the durable callback, and the next write starts with
 * what arrived meanwhile.  While a write runs this does nothing: its end
 * starts the next.  Direct writes gather for up to JOURNAL_WRITE_WAIT_MS
 * (1 ms) while a stream keeps the writer busy.  Failures are retried
 * from a timer; journal_get_stats() shows them.
 */
void journal_flush_async(journal_t *j);

/*
 * Write everything committed now and wait for it (and for a write that
 * was running), with the callbacks as above.  For the inbox, shutdown
 * and tests.  Returns 0 or the negative errno of a write that failed
 * meanwhile (the records stay queued and are retried).
 */
int journal_flush(journal_t *j);

/*
 * The forwarder reports that every seq below first_undelivered is in
 * Kafka.  The journal persists the cursor (at most every 100 ms and at
 * close, never past durable_seq + 1: data synced, then the cursor) and
 * then deletes segments wholly behind it.  The cursor only moves forward.
 */
void journal_set_cursor(journal_t *j, uint64_t first_undelivered);

void journal_get_stats(const journal_t *j, struct journal_stats *st);

/* The segments directory, for a rec_reader (proto/record.h). */
const char *journal_segments_dir(const journal_t *j);

/*
 * A rec_corrupt_cb (proto/record.h) for the daemon's readers, with the
 * journal as arg: copies the corrupt bytes to quarantine/ (a 0600 file
 * named after the segment and offset), counts them in quarantined and logs
 * a line.  Bytes already quarantined (a re-read) are not counted again.
 * Runs on the loop thread.
 */
void journal_quarantine(void *journal, const char *path, uint64_t offset,
			const char *bytes, size_t len);

/*
 * Flush, sync, persist the cursor and close.  Blocks (used at shutdown);
 * makes no callbacks.  The libuv handles are closed with uv_close and the
 * memory is freed from their close callbacks: run the loop once more
 * (uv_run) before uv_loop_close().
 */
void journal_close(journal_t *j);

#endif
