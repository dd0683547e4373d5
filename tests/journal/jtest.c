/*
 * jtest.c: the journal tests' harness (see jtest.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "jtest.h"
#include "record.h"
#include "tdir.h"

static void jt_log(void *arg, int level, const char *msg)
{
	struct jt *t = arg;
	int n = snprintf(t->log + t->loglen, sizeof t->log - t->loglen,
			 "%d %s\n", level, msg);
	if (n > 0 && t->loglen + (size_t)n < sizeof t->log)
		t->loglen += (size_t)n;
	t->nlog++;
	if (!t->quiet)
		fprintf(stderr, "  [journal log %d] %s\n", level, msg);
}

static void jt_on_durable(void *arg, uint64_t seq)
{
	struct jt *t = arg;
	CHECK(seq > t->durable);
	t->durable = seq;
	t->durable_calls++;
}

/* The written batch must be whole records, seqs contiguous from the last
 * batch on. */
static void jt_on_written(void *arg, const char *buf, size_t len,
			  uint64_t first, uint64_t last)
{
	struct jt *t = arg;
	struct rec r;
	size_t off = 0;
	uint64_t want = first;

	if (t->written_next != 0 && first != t->written_next)
		t->written_gap = 1;
	while (off < len) {
		CHECK(rec_decode(buf + off, len - off, &r) == REC_OK);
		CHECK_EQ_U64(r.seq, want);
		want++;
		off += r.len;
	}
	CHECK_EQ_U64(want - 1, last);
	t->written_next = last + 1;
	t->written_calls++;
	t->written_bytes += len;
}

static void jt_on_dropped(void *arg, uint64_t first, uint64_t last,
			  uint64_t cursor)
{
	struct jt *t = arg;
	CHECK(last >= first && cursor == last + 1);
	t->dropped_calls++;
	t->dropped_events += last - first + 1;
	t->dropped_cursor = cursor;
}

/* AGENTLOG_JOURNAL_IO=direct|buffered (ctest runs each journal test in
 * both); unset: auto, as the daemon. */
static enum journal_io jt_io_from_env(void)
{
	const char *v = getenv("AGENTLOG_JOURNAL_IO");

	if (v != NULL && strcmp(v, "direct") == 0)
		return JOURNAL_IO_DIRECT;
	if (v != NULL && strcmp(v, "buffered") == 0)
		return JOURNAL_IO_BUFFERED;
	return JOURNAL_IO_AUTO;
}

void jt_init(struct jt *t, const char *tag)
{
	memset(t, 0, sizeof *t);
	CHECK(uv_loop_init(&t->loop) == 0);
	t->dir = tdir_make(tag);
	snprintf(t->segdir, sizeof t->segdir, "%s/j/segments", t->dir);
	journal_opts_init(&t->o);
	t->o.fsync = JOURNAL_FSYNC_NEVER;
	t->o.io = jt_io_from_env();
	t->o.log = jt_log;
	t->o.log_arg = t;
}

int jt_open(struct jt *t)
{
	char dir[600], err[256] = "";
	snprintf(dir, sizeof dir, "%s/j", t->dir);
	t->o.dir = dir;
	int rc = journal_open(&t->loop, &t->o, &t->j, err, sizeof err);
	t->o.dir = NULL;
	if (rc != 0) {
		fprintf(stderr, "journal_open: %s\n", err);
		exit(1);
	}
	journal_set_callbacks(t->j, jt_on_durable, jt_on_written, t);
	journal_set_drop_callback(t->j, jt_on_dropped, t);
	struct journal_stats st;
	journal_get_stats(t->j, &st);
	t->written_next = st.next_seq;
	t->durable = st.durable_seq;
	return 0;
}

void jt_close(struct jt *t)
{
	journal_close(t->j);
	t->j = NULL;
	uv_run(&t->loop, UV_RUN_DEFAULT);
}

void jt_fini(struct jt *t)
{
	if (t->j != NULL)
		jt_close(t);
	CHECK(uv_loop_close(&t->loop) == 0);
}

/* The value of record seq: JSON with the seq, padded to about vlen. */
static size_t jt_value(char *v, uint64_t seq, size_t vlen)
{
	int n = snprintf(v, vlen + 64, "{\"seq\":%" PRIu64 ",\"pad\":\"", seq);
	size_t i = (size_t)n;
	for (; i + 2 < vlen; i++)
		v[i] = (char)('a' + (seq + i) % 26);
	v[i++] = '"';
	v[i++] = '}';
	return i;
}

uint64_t jt_append1(struct jt *t, size_t vlen, int *err)
{
	struct journal_stats st;
	uint8_t id[16];
	size_t klen = strlen(JT_KEY);

	journal_get_stats(t->j, &st);
	char *p = journal_reserve(t->j, klen, vlen + 64, err);
	if (p == NULL)
		return 0;
	memcpy(p, JT_KEY, klen);
	size_t n = jt_value(p + klen, st.next_seq, vlen);
	memset(id, 0, sizeof id);
	memcpy(id, &st.next_seq, 8);
	uint64_t seq = journal_commit(t->j, (int)(st.next_seq % 4), id,
				      1700000000000 + (int64_t)st.next_seq,
				      klen, n);
	CHECK_EQ_U64(seq, st.next_seq);
	return seq;
}

uint64_t jt_append(struct jt *t, uint64_t n, size_t vlen, uint64_t per_flush,
		   int *err)
{
	uint64_t i;

	*err = 0;
	for (i = 0; i < n; i++) {
		if (jt_append1(t, vlen, err) == 0)
			break;
		if ((i + 1) % per_flush == 0) {
			journal_flush(t->j);
			uv_run(&t->loop, UV_RUN_NOWAIT);
		}
	}
	journal_flush(t->j);
	uv_run(&t->loop, UV_RUN_NOWAIT);
	return i;
}

static void jt_tick(uv_timer_t *h)
{
	(void)h;
}

int jt_wait(struct jt *t, int (*pred)(struct jt *), int timeout_ms)
{
	uv_timer_t tick;
	double end = tdir_now_ms() + timeout_ms;

	uv_timer_init(&t->loop, &tick);
	uv_timer_start(&tick, jt_tick, 2, 2);
	while (!pred(t) && tdir_now_ms() < end)
		uv_run(&t->loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&tick, NULL);
	uv_run(&t->loop, UV_RUN_NOWAIT);
	return pred(t);
}

static int jt_never(struct jt *t)
{
	(void)t;
	return 0;
}

void jt_run_for(struct jt *t, int ms)
{
	jt_wait(t, jt_never, ms);
}

uint64_t jt_read_all(struct jt *t, uint64_t from_seq, uint64_t *first,
		     uint64_t *last, uint64_t *corrupt_bytes, int quarantine)
{
	int err;
	rec_reader_t *r = rec_reader_open(t->segdir, from_seq, &err);
	struct rec rec;
	uint64_t n = 0;
	char *v = malloc(1 << 20);
	int rc;

	CHECK(r != NULL);
	if (quarantine)
		rec_reader_on_corrupt(r, journal_quarantine, t->j);
	*first = *last = 0;
	while ((rc = rec_reader_next(r, &rec)) == 1) {
		if (n == 0)
			*first = rec.seq;
		else
			CHECK(rec.seq > *last);
		*last = rec.seq;
		CHECK(rec.key_len == strlen(JT_KEY) &&
		      memcmp(rec.key, JT_KEY, rec.key_len) == 0);
		size_t vl = jt_value(v, rec.seq, rec.value_len);
		CHECK(vl == rec.value_len && memcmp(v, rec.value, vl) == 0);
		CHECK_EQ_U64(rec.type, rec.seq % 4);
		CHECK_EQ_U64(rec.time_ms, 1700000000000 + (int64_t)rec.seq);
		CHECK(memcmp(rec.event_id, &rec.seq, 8) == 0);
		n++;
	}
	CHECK_EQ_U64(rc, 0);
	if (corrupt_bytes)
		*corrupt_bytes = rec_reader_corrupt_bytes(r);
	rec_reader_close(r);
	free(v);
	return n;
}

int jt_log_has(const struct jt *t, const char *needle)
{
	return strstr(t->log, needle) != NULL;
}

struct journal_stats jt_stats(const struct jt *t)
{
	struct journal_stats st;
	journal_get_stats(t->j, &st);
	return st;
}

int jt_mode(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}
