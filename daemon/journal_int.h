/*
 * journal_int.h: the journal's state, shared by journal*.c only.
 *
 * The files split by concern:
 *   journal.c            open/close, reserve/commit, stats, logging,
 *                        the batch buffer's room
 *   journal_ring.c       the batch buffer's memory: a ring mapped twice
 *   journal_write.c      flush: the write job (one at a time, on the writer
 *                        thread), segment roll, write errors and retry
 *   journal_direct.c     O_DIRECT: whether the file system takes it, the
 *                        aligned write of a range, the zero padding
 *   journal_sync.c       group commit: the sync job and durable_seq
 *   journal_worker.c     the threads that run blocking jobs (the writer;
 *                        the syncer: fdatasync, cursor, unlinks)
 *   journal_cursor.c     the cursor file and deletion behind it
 *   journal_retain.c     the size cap's policies and age retention
 *   journal_recover.c    start-up: directories, segments, cursor, torn tail
 *   journal_quarantine.c copying corrupt bytes aside
 *   journal_fault.c      fault injection (test builds only)
 *
 * The batch buffer.  Records are sealed straight into one buffer.  Offsets
 * into it (head, written, used, notified, spans, the sync job's) are
 * logical: they only grow, and journal__at() maps them to memory.  The
 * buffer is a ring mapped twice in a row (journal_ring.c), so a range of
 * up to cap bytes is contiguous wherever it starts and nothing moves as
 * the offsets wrap:
 *
 *   0 ... head ......... written ......... used ..... used + reservation
 *   | free | on disk, not yet synced |  committed  |  being filled  |
 *
 * In the sync modes the bytes before `written` stay until a sync covering
 * them succeeds, so they can be written again after a failed fdatasync
 * (see journal.h); in never mode they are dropped right after the write.
 * Dropping only moves head; the kept bytes, from head's block to used,
 * must fit in cap.  Spans map the kept region to the segment files it
 * went to.
 *
 * While a write job runs, the writer thread reads buf[job start..end):
 * the loop thread may append after used but must not grow or free buf
 * (journal_reserve answers -ENOBUFS instead of growing it).
 *
 * Direct I/O (journal_direct.c): buf is page aligned, cap a multiple of
 * JOURNAL_BLOCK and, for the segment being written, a buffer offset and
 * the file offset of the same byte are equal modulo JOURNAL_BLOCK; the
 * bytes of the current tail block before
 * `written` are kept, because each write starts at that block's beginning
 * and rewrites it.  The tail of the last block is padded with zeros.
 */
#ifndef AGENTLOG_JOURNAL_INT_H
#define AGENTLOG_JOURNAL_INT_H

#include <fcntl.h>
#include <pthread.h>
#include <sys/uio.h>
#include <stdarg.h>
#include <stdint.h>
#include <uv.h>

#include "journal.h"

#define JOURNAL_CURSOR_MS 100          /* cursor persisted at most this often */
#define JOURNAL_RETRY_MIN_MS 50        /* write retry backoff */
#define JOURNAL_RETRY_MAX_MS 1000
#define JOURNAL_BUF_INITIAL (1u << 20)
#define JOURNAL_BLOCK 4096u            /* direct I/O alignment */
#ifndef O_DIRECT
#define O_DIRECT 0                     /* macOS: never used (direct is 0) */
#endif
/* Direct writes cost a fixed ~30 us of system time each here: while a
 * stream keeps the writer busy, a write waits for this many bytes or
 * JOURNAL_WRITE_WAIT_MS, whichever comes first. */
#define JOURNAL_WRITE_MIN (512u << 10)
#define JOURNAL_WRITE_MAX (2u << 20)          /* one job writes at most */
#define JOURNAL_WRITE_WAIT_MS 1
#define JOURNAL_TRIM_MS 5000          /* idle this long: the buffer shrinks */
#define JOURNAL_SEG_NAME_LEN 25        /* 20 digits, ".seg", NUL */

/* One segment file, oldest first in journal.segs. */
struct jseg {
	uint64_t first;        /* first seq: the file's name */
	uint64_t bytes;        /* bytes known written */
	int64_t first_ms;      /* accept time of its first record, 0 unknown */
	int64_t last_ms;       /* wall time of the last write (mtime at open) */
	int fd;                /* -1 when closed */
	int unsynced;          /* spans of it await a sync */
	int deleting;          /* a cursor job is unlinking it */
};

/* Written but not yet synced bytes: buf[buf_off..+len) sit in the
 * segment whose first seq is seg, at file_off. */
struct jspan {
	uint64_t seg;
	int fd;
	uint64_t file_off;
	size_t buf_off;
	size_t len;
};

/* A blocking job for the worker thread: work() there, done() back on the
 * loop thread. */
struct jjob {
	void (*work)(struct jjob *);
	void (*done)(struct jjob *);
	struct jjob *next;
	int busy;              /* submitted, done() not yet run */
};

struct jworker {
	journal_t *j;
	const char *name;        /* the thread's name */
	int pending;             /* submitted, done() not yet run */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;       /* work to do, or stop */
	pthread_cond_t idle_cv;  /* a job finished */
	struct jjob *todo, *todo_tail;
	struct jjob *done, *done_tail;
	int running;             /* a job is in work() */
	int stop;
	int started;
	uv_async_t async;
};

/* One write: [start, end) of the buffer (start is written, or in direct
 * mode the beginning of the tail block) at file_off of the current
 * segment.  work() loops over short writes; done() takes the progress. */
struct jwrite_job {
	struct jjob job;
	journal_t *j;
	int fd;
	uint64_t seg;           /* the segment's first seq (messages) */
	uint64_t file_off;
	size_t start, end;      /* buffer offsets */
	uint64_t last_seq;      /* of the last record before end */
	struct iovec iov[2];    /* direct: whole blocks, then the padded last */
	int iovcnt;
	size_t total;           /* bytes asked (padding included) */
	size_t done_bytes;      /* bytes the kernel took */
	int err;                /* errno of the failure, 0 when none */
	char *pad;              /* JOURNAL_BLOCK aligned bytes: the last block */
};

struct jsync_job {
	struct jjob job;
	journal_t *j;
	int *fds;               /* fdatasync each */
	int nfds, capfds;
	int dirfd;              /* fsync it too when >= 0 */
	uint64_t seq;           /* durable when it succeeds */
	size_t end;             /* whole records it covers: dropped after */
	size_t wend;            /* bytes written when it began: synced after */
	int err;                /* errno of the first failure */
	int err_fd;             /* index in fds, or -1 for the directory */
};

struct jcursor_job {
	struct jjob job;
	journal_t *j;
	uint64_t value;
	char (*unlink)[JOURNAL_SEG_NAME_LEN];  /* segment names to delete */
	int nunlink, capunlink;
	int unlinked;           /* the unlinks were done */
	int err;
	const char *err_call;
};

struct journal {
	uv_loop_t *loop;
	struct journal_opts opts;
	char *dir, *segdir, *qdir;
	int dirfd, segdirfd;

	struct jseg *segs;
	int nsegs, capsegs;
	uint64_t disk_bytes;

	char *buf;              /* the ring: cap bytes mapped twice */
	size_t cap;             /* a power of two */
	size_t head, written, used;
	int room_short;         /* ingest waited for room during a job */
	size_t notified;        /* bytes handed to the written callback */
	size_t resv_key, resv_max;
	int partial;            /* the last write ended inside a record */
	struct jspan *spans;
	int nspans, capspans;

	uint64_t next_seq, written_seq, durable_seq;
	uint64_t cursor, cursor_saved;
	uint64_t synced_bytes_pending;   /* written since the last sync began */
	int dir_dirty;          /* a segment was created since the last sync */

	int werr;               /* last write error (negative), 0 when fine */
	uint64_t retry_ms;
	int64_t werr_logged_ms;
	int serr;               /* last sync error (negative) until one succeeds */
	int rewrite;            /* a sync failed: rewrite the spans first */
	int sync_running, sync_wanted;
	uint64_t cursor_last_ms;
	int64_t cursor_err_logged_ms;
	int cursor_running;
	int closing;

	int direct;             /* segments are written with O_DIRECT */
	int write_running;      /* a write job owns buf[start..end) */
	int write_now;          /* journal_flush: no batching delay */
	uint64_t write_done_ms; /* loop time the last write job finished */
	struct jwrite_job write_job;

	journal_durable_cb durable_cb;
	journal_written_cb written_cb;
	void *cb_arg;
	journal_dropped_cb dropped_cb;
	void *dropped_arg;

	struct journal_stats st;

	struct jworker worker;   /* syncs, cursor, unlinks */
	struct jworker writer;   /* segment writes */
	struct jsync_job sync_job;
	struct jcursor_job cursor_job;
	uv_timer_t sync_timer, cursor_timer, retry_timer, age_timer, write_timer;
	uv_timer_t trim_timer;
	int handles_open;
};

/* The memory holding the buffer's logical offset pos (and the cap - 1
 * bytes after it). */
static inline char *journal__at(const journal_t *j, size_t pos)
{
	return j->buf + (pos & (j->cap - 1));
}

/* The first offset the buffer keeps: head's block (a direct write starts
 * at the beginning of the segment's tail block). */
static inline size_t journal__buf_from(const journal_t *j)
{
	return j->head & ~(size_t)(JOURNAL_BLOCK - 1);
}

/* journal_ring.c */
char *journal__ring_map(size_t cap);
void journal__ring_unmap(char *p, size_t cap);
void journal__ring_move_up(char *buf, size_t cap, size_t from, size_t n,
			   size_t d);

/* journal.c */
int journal__buf_room(journal_t *j, size_t need);
int journal__buf_room_now(journal_t *j, size_t need);
void journal__log(journal_t *j, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int64_t journal__wall_ms(void);
void journal__seg_name(char name[JOURNAL_SEG_NAME_LEN], uint64_t seq);
int journal__seg_add(journal_t *j, uint64_t first, int fd, uint64_t bytes);
void journal__seg_remove_first(journal_t *j);
struct jseg *journal__seg_find(journal_t *j, uint64_t first);
void journal__spans_trim(journal_t *j, size_t upto);
void journal__buf_drop(journal_t *j, size_t upto);
void journal__buf_tidy(journal_t *j);
void journal__handle_closed(uv_handle_t *h);

/* journal_write.c */
int journal__roll(journal_t *j);
void journal__retry_arm(journal_t *j);

/* journal_direct.c */
int journal__direct_usable(int fd);
int journal__direct_set(int fd, int on);
void journal__direct_prepare(journal_t *j, struct jwrite_job *w);

/* journal_sync.c */
void journal__sync_request(journal_t *j);
int journal__sync_now(journal_t *j);
void journal__sync_free(journal_t *j);

/* journal_worker.c */
int journal__worker_start(journal_t *j, struct jworker *w, const char *name);
void journal__worker_submit(struct jworker *w, struct jjob *job);
void journal__worker_drain(struct jworker *w);
void journal__worker_stop(struct jworker *w);

/* journal_cursor.c */
void journal__cursor_schedule(journal_t *j);
void journal__cursor_persist_now(journal_t *j);
int journal__cursor_read(journal_t *j, uint64_t *value);
void journal__cursor_free(journal_t *j);

/* journal_retain.c */
int journal__make_room(journal_t *j, size_t need);
void journal__age_start(journal_t *j);

/* journal_recover.c */
int journal__recover(journal_t *j, char *err, size_t errlen);

/* journal_quarantine.c */
int journal__quarantine_write(journal_t *j, const char *segname,
			      uint64_t offset, const char *bytes, size_t len,
			      const char *suffix);

#endif
