/*
 * forward.c: the forwarder's life and its bookkeeping.
 *
 * One seq at a time moves through: produced (handed to librdkafka with
 * its seq as msg_opaque) -> reported -> marked in the delivered set ->
 * covered by the cursor -> journal_set_cursor().  Records come from the
 * journal's written batches while we are caught up (hot) and from the
 * segments otherwise (cold, forward_cold.c); the switch happens only at
 * a seq boundary, so records are produced in journal order.
 *
 * A failed delivery never skips: once everything in flight has reported,
 * production goes back to the cursor and produces every seq not yet
 * marked (with a growing pause if failures repeat).  A fatal producer
 * error rebuilds the producer the same way (forward_kafka.c).
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "forward_int.h"

#define FWD_WINDOW_DEFAULT (UINT64_C(1) << 22)
#define FWD_RETRY_MAX_MS 30000
#define FWD_RATE_PERIOD_MS 1000
#define STR_(x) #x
#define STR(x) STR_(x)

static void schedule_retry(struct fwd *f);

/* Count seqs [next_seq, seq) as missing from the journal (quarantined
 * or dropped) and mark them done.  Returns 0, or -EAGAIN when the window
 * cannot hold them yet. */
static int step_over(struct fwd *f, uint64_t seq)
{
	struct fwd_ring *r = &f->ring;

	if (r->base == r->end && f->next_seq == r->end) {
		f->missing += seq - f->next_seq;
		r->base = r->end = f->next_seq = seq;
		journal_set_cursor(f->j, seq);
		return 0;
	}
	for (; f->next_seq < seq; f->next_seq++) {
		if (!fwd_ring_fits(r, f->next_seq))
			return -EAGAIN;
		fwd_ring_extend(r, f->next_seq);
		if (fwd_ring_mark(r, f->next_seq) == 0)
			f->missing++;
	}
	return 0;
}

/* A produce call librdkafka refused for good (too large, no topic...). */
static int produce_failed(struct fwd *f, const struct rec *r,
			  rd_kafka_resp_err_t err)
{
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		f->fatal = 1;
		schedule_retry(f);
		return -EIO;
	}
	f->failed++;
	f->rewind = 1;
	fwd_set_error(f, "producing seq %llu: %s", (unsigned long long)r->seq,
		      rd_kafka_err2str(err));
	fwd_log_limited(f, LOG_ERR, "producing seq %llu to %s failed: %s; "
			"retrying", (unsigned long long)r->seq,
			f->topic[r->type], rd_kafka_err2str(err));
	if (f->in_flight == 0)
		schedule_retry(f);
	return -EIO;
}

/*
 * Hand one record to librdkafka: key, value, the headers asked for, and the
 * time the daemon accepted the event as the record's timestamp (a backlog
 * drained after an outage keeps its real times; and librdkafka skips a
 * clock read).
 */
static int produce_one(struct fwd *f, const struct rec *r)
{
	char id[PROTO_UUID_LEN + 1];
	rd_kafka_headers_t *h;
	rd_kafka_resp_err_t err;

	if (!f->rk)
		return -EAGAIN;
	h = f->headers ? rd_kafka_headers_new(3) : NULL;
	if (f->headers & FWD_HDR_TYPE)
		rd_kafka_header_add(h, "type", 4, proto_type_name(r->type), -1);
	if (f->headers & FWD_HDR_EVENT_ID) {
		proto_uuid_format(r->event_id, id);
		rd_kafka_header_add(h, "event_id", 8, id, PROTO_UUID_LEN);
	}
	if (f->headers & FWD_HDR_SCHEMA_VERSION)
		rd_kafka_header_add(h, "schema_version", 14,
				    STR(PROTO_SCHEMA_VERSION), -1);
	err = rd_kafka_producev(f->rk, RD_KAFKA_V_RKT(f->rkt[r->type]),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_KEY(r->key, r->key_len),
				RD_KAFKA_V_VALUE((void *)r->value, r->value_len),
				RD_KAFKA_V_HEADERS(h),
				RD_KAFKA_V_OPAQUE((void *)(uintptr_t)r->seq),
				RD_KAFKA_V_TIMESTAMP(r->time_ms > 0 ? r->time_ms : 0),
				RD_KAFKA_V_END);
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		f->produced++;
		f->in_flight++;
		return 0;
	}
	if (h)
		rd_kafka_headers_destroy(h);
	if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
		return -EAGAIN;
	return produce_failed(f, r, err);
}

/*
 * Produce r if it is the next seq due.  Seqs below next_seq are done;
 * seqs already marked (a rewind passing over them) are not produced
 * again.  Returns 0, -EAGAIN when librdkafka's queue or the window is
 * full (try r again later), or -EIO when production must restart.
 */
int fwd_produce(struct fwd *f, const struct rec *r)
{
	int rc;

	if (r->seq < f->next_seq)
		return 0;
	if (r->seq > f->next_seq && step_over(f, r->seq))
		return -EAGAIN;
	if (fwd_ring_is_marked(&f->ring, r->seq)) {
		f->next_seq = r->seq + 1;
		return 0;
	}
	if (!fwd_ring_fits(&f->ring, r->seq))
		return -EAGAIN;
	if (r->type >= PROTO_TYPE_COUNT) {
		fwd_log_limited(f, LOG_ERR, "journal record seq %llu has no "
				"type (%u); skipped", (unsigned long long)r->seq,
				r->type);
		fwd_ring_extend(&f->ring, r->seq);
		fwd_ring_mark(&f->ring, r->seq);
		f->missing++;
		f->next_seq = r->seq + 1;
		return 0;
	}
	rc = produce_one(f, r);
	if (rc)
		return rc;
	fwd_ring_extend(&f->ring, r->seq);
	f->next_seq = r->seq + 1;
	return 0;
}

/* Caught up with the journal: produce from its written batches. */
void fwd_go_hot(struct fwd *f)
{
	fwd_cold_stop(f);
	f->mode = FWD_HOT;
}

static void go_cold(struct fwd *f)
{
	f->cold_switches++;
	fwd_cold_start(f);
}

/*
 * The hot path.  Produces the batch straight from the journal's buffer
 * while we are caught up (these bytes never left our memory: their CRC,
 * computed at the seal, is not checked again); on a full queue the cold
 * path takes over from the first record not taken.
 */
void fwd_on_written(void *arg, const char *buf, size_t len,
		    uint64_t first_seq, uint64_t last_seq)
{
	struct fwd *f = arg;
	size_t off = 0;
	struct rec r;
	int rc;

	if (last_seq + 1 > f->written_next)
		f->written_next = last_seq + 1;
	if (f->stopping || f->mode != FWD_HOT || f->rewind || f->fatal)
		return;
	if (first_seq > f->next_seq) {
		go_cold(f);
		return;
	}
	while (off < len) {
		if (rec_decode_sealed(buf + off, len - off, &r) != REC_OK) {
			fwd_log_limited(f, LOG_ERR, "a written batch does not "
					"decode at byte %zu; reading the segments",
					off);
			go_cold(f);
			return;
		}
		rc = fwd_produce(f, &r);
		if (rc == -EAGAIN) {
			f->blocked = 1;
			go_cold(f);
			return;
		}
		if (rc < 0)
			return;
		off += r.len;
	}
}

/*
 * The journal dropped first_seq..last_seq (drop-oldest): they will never
 * be delivered, so the cursor moves past them and production resumes at
 * cursor at the earliest.  Reports still due for them are ignored.
 */
void fwd_on_dropped(void *arg, uint64_t first_seq, uint64_t last_seq,
		    uint64_t cursor)
{
	struct fwd *f = arg;

	if (cursor <= f->ring.base)
		return;
	fwd_ring_jump(&f->ring, cursor);
	fwd_ring_advance(&f->ring);
	if (f->next_seq >= cursor || f->stopping)
		return;
	f->next_seq = cursor;
	if (f->mode == FWD_COLD && !f->rewind && !f->fatal)
		fwd_cold_start(f);
}

static void on_retry_timer(uv_timer_t *t)
{
	struct fwd *f = t->data;

	if (f->stopping)
		return;
	if (f->fatal) {
		if (fwd_kafka_rebuild(f))
			schedule_retry(f);
		return;
	}
	if (f->rewind && f->in_flight == 0) {
		f->rewind = 0;
		f->blocked = 0;
		f->next_seq = f->ring.base;
		fwd_cold_start(f);
	}
}

/* Rebuild or rewind soon: at once the first time, then backing off. */
static void schedule_retry(struct fwd *f)
{
	uint64_t delay = f->retry_ms;

	if (uv_is_active((uv_handle_t *)&f->retry_timer))
		return;
	f->retry_ms = f->retry_ms ? f->retry_ms * 2 : 100;
	if (f->retry_ms > FWD_RETRY_MAX_MS)
		f->retry_ms = FWD_RETRY_MAX_MS;
	uv_timer_start(&f->retry_timer, on_retry_timer, delay, 0);
}

/*
 * After a batch of delivery reports: move the cursor over the delivered
 * prefix, and restart whatever waited for them.
 */
void fwd_after_reports(struct fwd *f)
{
	uint64_t old = f->ring.base;

	if (fwd_ring_advance(&f->ring) != old)
		journal_set_cursor(f->j, f->ring.base);
	if (f->stopping)
		return;
	if (f->fatal || (f->rewind && f->in_flight == 0)) {
		schedule_retry(f);
		return;
	}
	if (f->blocked && !f->rewind) {
		f->blocked = 0;
		fwd_cold_resume(f);
	}
}

/* Delivered events per second over the last FWD_DRAIN_SAMPLES seconds. */
static void on_rate_timer(uv_timer_t *t)
{
	struct fwd *f = t->data;
	unsigned i = f->rate_n % FWD_DRAIN_SAMPLES, o;
	uint64_t dt;

	f->rate_t[i] = fwd_now_ms();
	f->rate_d[i] = f->delivered;
	f->rate_n++;
	o = f->rate_n >= FWD_DRAIN_SAMPLES ? f->rate_n % FWD_DRAIN_SAMPLES : 0;
	dt = f->rate_t[i] - f->rate_t[o];
	f->drain_rate = dt ? (double)(f->rate_d[i] - f->rate_d[o]) * 1000.0 /
		(double)dt : 0.0;
}

static void free_fwd(struct fwd *f)
{
	int i;

	fwd_ring_free(&f->ring);
	fwd_reports_free(f);
	free(f->brokers);
	for (i = 0; i < PROTO_TYPE_COUNT; i++)
		free(f->topic[i]);
	for (i = 0; f->props && f->props[i]; i++)
		free(f->props[i]);
	free(f->props);
	free(f);
}

/* Copy what opts points to: the caller's strings need not outlive us. */
static int copy_opts(struct fwd *f, const struct fwd_opts *o)
{
	size_t n = 0, i;
	int t;

	f->opts = *o;
	f->headers = o->headers & FWD_HDR_ALL;
	f->brokers = strdup(o->brokers ? o->brokers : "localhost:9092");
	for (t = 0; t < PROTO_TYPE_COUNT; t++) {
		f->topic[t] = strdup(o->topic[t] ? o->topic[t]
				     : proto_type_topic(t));
		if (!f->topic[t])
			return -ENOMEM;
	}
	while (o->props && o->props[n])
		n++;
	f->props = calloc(n + 1, sizeof(char *));
	if (!f->brokers || !f->props)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (!(f->props[i] = strdup(o->props[i])))
			return -ENOMEM;
	return 0;
}

/*
 * librdkafka allocates every message (plus its headers: five more small
 * blocks) on the producing thread and frees it after its delivery
 * report, tens of thousands at a time.  glibc's defaults turn that into
 * fastbin consolidation, heap trimming and page faults on regrowth, and
 * mmap/munmap of librdkafka's request buffers.  Measured on the backlog
 * drain (fwd-bench): 2.8 -> 2.3 CPU seconds per million events.  The
 * heap keeps up to FWD_TRIM_MB of freed memory instead of returning it.
 */
#define FWD_TRIM_MB 64
static void tune_malloc(void)
{
	mallopt(M_MXFAST, 0);
	mallopt(M_TRIM_THRESHOLD, FWD_TRIM_MB << 20);
	mallopt(M_TOP_PAD, 16 << 20);
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
}

static void init_handles(struct fwd *f)
{
	uv_timer_init(f->loop, &f->retry_timer);
	f->retry_timer.data = f;
	uv_timer_init(f->loop, &f->rate_timer);
	f->rate_timer.data = f;
	f->open_handles += 2;
	uv_timer_start(&f->rate_timer, on_rate_timer, 0, FWD_RATE_PERIOD_MS);
	uv_unref((uv_handle_t *)&f->rate_timer);
	fwd_cold_init(f);
}

/*
 * Start: copy the options, build the producer, watch its queue, and
 * begin at cursor: cold when the journal holds records past it.
 */
int fwd_start(uv_loop_t *loop, journal_t *j, const struct fwd_opts *opts,
	      uint64_t cursor, fwd_t **out, char *err, size_t errlen)
{
	struct fwd *f = calloc(1, sizeof(*f));
	struct journal_stats js;
	int rc = -ENOMEM;

	if (!f) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	tune_malloc();
	f->loop = loop;
	f->j = j;
	f->up = 1;
	if (copy_opts(f, opts) || fwd_ring_init(&f->ring, opts->window ?
			opts->window : FWD_WINDOW_DEFAULT, cursor)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	init_handles(f);
	rc = fwd_reports_init(f, err, errlen);
	if (rc == 0)
		rc = fwd_kafka_new(f, err, errlen);
	if (rc) {
		fwd_stop(f, 0);
		return rc;
	}
	journal_get_stats(j, &js);
	f->next_seq = cursor;
	f->written_next = js.next_seq;
	if (cursor < f->written_next)
		fwd_cold_start(f);
	else
		f->mode = FWD_HOT;
	*out = f;
	return 0;
fail:
	fwd_kafka_destroy(f);
	free_fwd(f);
	return rc;
}

int fwd_headers_parse(const char *list, unsigned *mask, char *err,
		      size_t errlen)
{
	static const char *const names[] = { "type", "event_id",
					     "schema_version" };
	const char *p = list, *end;
	size_t n, i;

	*mask = 0;
	if (strcmp(list, "none") == 0)
		return 0;
	if (strcmp(list, "all") == 0) {
		*mask = FWD_HDR_ALL;
		return 0;
	}
	for (;;) {
		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		for (i = 0; i < 3; i++)
			if (strlen(names[i]) == n && memcmp(p, names[i], n) == 0)
				break;
		if (i == 3) {
			snprintf(err, errlen, "'%.*s' is not a header: want none, "
				 "all, or a list of type, event_id, schema_version",
				 (int)n, p);
			return -1;
		}
		*mask |= 1u << i;
		if (!end)
			return 0;
		p = end + 1;
	}
}

void fwd_get_stats(fwd_t *f, struct fwd_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->up = f->up;
	memcpy(st->last_error, f->last_error, sizeof(st->last_error));
	st->produced = f->produced;
	st->delivered = f->delivered;
	st->failed = f->failed;
	st->in_flight = f->in_flight;
	st->next_seq = f->next_seq;
	st->cursor = f->ring.base;
	st->drain_rate = f->drain_rate;
	st->cold = f->mode == FWD_COLD;
	st->cold_switches = f->cold_switches;
	st->rebuilds = f->rebuilds;
	st->reproduced = f->reproduced;
	st->missing = f->missing;
}

static void on_close(uv_handle_t *h)
{
	struct fwd *f = h->data;

	if (--f->open_handles == 0)
		free_fwd(f);
}

static void close_handle(struct fwd *f, uv_handle_t *h)
{
	if (h->loop && !uv_is_closing(h))
		uv_close(h, on_close);
}

/*
 * Stop: no new production; serve delivery reports until nothing is in
 * flight or timeout_ms passed; hand the final cursor to the journal;
 * drop the producer (what it still held stays journaled); close handles.
 */
void fwd_stop(fwd_t *f, int timeout_ms)
{
	uint64_t deadline = fwd_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);

	f->stopping = 1;
	fwd_cold_stop(f);
	uv_timer_stop(&f->retry_timer);
	fwd_reports_handle(f);
	while (f->rk && f->in_flight > 0 && !f->fatal) {
		uint64_t now = fwd_now_ms();

		if (now >= deadline)
			break;
		fwd_reports_wait(f, (int)(deadline - now < 50 ? deadline - now : 50));
		fwd_reports_handle(f);
	}
	fwd_ring_advance(&f->ring);
	journal_set_cursor(f->j, f->ring.base);
	fwd_kafka_destroy(f);
	close_handle(f, (uv_handle_t *)&f->rep.async);
	close_handle(f, (uv_handle_t *)&f->cold_idle);
	close_handle(f, (uv_handle_t *)&f->cold_timer);
	close_handle(f, (uv_handle_t *)&f->retry_timer);
	close_handle(f, (uv_handle_t *)&f->rate_timer);
}
