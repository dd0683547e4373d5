/*
 * ingest.c: validate, splice the envelope into the journal, count.
 *
 * The hot path: no allocation, no re-serialisation.  proto_event_parse()
 * makes one strict pass over the line; the enriched event is written by
 * proto_envelope_splice() directly into the record journal_reserve() handed
 * out, so the bytes are copied once, from the socket buffer to the journal
 * batch that one write() per loop turn sends to the page cache.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ingest.h"
#include "log.h"
#include "server.h"

int64_t server_now_ms(void)
{
	struct timespec ts;
#ifdef CLOCK_REALTIME_COARSE
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
#else
	clock_gettime(CLOCK_REALTIME, &ts);
#endif
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Count one rejection under its reason: the field its message names. */
static void ingest_count_reason(struct ingest *in, const char *msg)
{
	size_t n = strcspn(msg, ":");
	if (n >= sizeof in->reason[0].name)
		n = sizeof in->reason[0].name - 1;
	for (int i = 0; i < INGEST_REASONS; i++) {
		struct ingest_reason *r = &in->reason[i];
		if (r->name[0] == '\0') {
			memcpy(r->name, msg, n);
			r->name[n] = '\0';
			r->count = 1;
			return;
		}
		if (strncmp(r->name, msg, n) == 0 && r->name[n] == '\0') {
			r->count++;
			return;
		}
	}
	/* A client naming ever new fields cannot grow the table: the last
	 * slot becomes the catch-all. */
	struct ingest_reason *last = &in->reason[INGEST_REASONS - 1];
	strcpy(last->name, "other");
	last->count++;
}

void ingest_count_reject(struct server *s, const char *reason)
{
	s->ingest.rejected[PROTO_TYPE_COUNT]++;
	ingest_count_reason(&s->ingest, reason);
}

/* Lower-case hex: the Kafka key must not depend on the sender's case. */
static void ingest_key(char *dst, const char *src, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = src[i];
		dst[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
}

/* Validate, reserve, splice, commit: the one path every event takes. */
static int ingest_event(struct server *s, const char *line, size_t len,
			int default_type, const struct proto_source *src, int keep_id,
			int64_t now, uint64_t *seq, uint8_t event_id[16],
			char *err)
{
	struct ingest *in = &s->ingest;
	struct proto_event ev;
	ev.type = -1;
	if (proto_event_parse(&ev, line, len, default_type, err) != 0) {
		int t = (ev.type >= 0 && ev.type < PROTO_TYPE_COUNT) ? ev.type
								      : PROTO_TYPE_COUNT;
		in->rejected[t]++;
		ingest_count_reason(in, err);
		return 0;
	}

	int jerr = 0;
	size_t vmax = len + PROTO_ENVELOPE_MAX(strlen(src->host));
	char *rec = journal_reserve(s->journal, ev.corr_len, vmax, &jerr);
	if (rec == NULL) {
		if (jerr == -ENOBUFS) {
			in->backpressure++;
			return -1;
		}
		struct journal_stats js;
		journal_get_stats(s->journal, &js);
		if (jerr == -ENOSPC && js.write_failing)
			snprintf(err, PROTO_ERR_MAX,
				 "journal_full: no space left on the journal's disk");
		else if (jerr == -ENOSPC)
			snprintf(err, PROTO_ERR_MAX,
				 "journal_full: the journal is full (--journal-max-bytes) and the policy rejects new events");
		else
			snprintf(err, PROTO_ERR_MAX,
				 "journal_error: cannot write the journal: %s",
				 strerror(-jerr));
		in->rejected[ev.type]++;
		ingest_count_reason(in, err);
		return 0;
	}
	ingest_key(rec, line + ev.corr_off, ev.corr_len);
	if (!keep_id)
		proto_event_id_new(event_id, now);
	size_t vlen = proto_envelope_splice(&ev, line, len, event_id, now, src,
					    rec + ev.corr_len);
	*seq = journal_commit(s->journal, ev.type, event_id, now, ev.corr_len,
			      vlen);
	in->accepted[ev.type]++;
	in->bytes += len;
	return 1;
}

int ingest_line(struct server *s, const char *line, size_t len,
		const struct proto_source *src, uint64_t *seq,
		uint8_t event_id[16], char *err)
{
	return ingest_event(s, line, len, -1, src, 0, server_now_ms(), seq,
			    event_id, err);
}

int ingest_stored(struct server *s, const char *line, size_t len,
		  int default_type, const struct proto_source *src,
		  const uint8_t given_id[16], int64_t given_ms, uint64_t *seq,
		  char *err)
{
	static const uint8_t zero[16];
	uint8_t id[16];
	int keep = memcmp(given_id, zero, 16) != 0;
	if (keep)
		memcpy(id, given_id, 16);
	return ingest_event(s, line, len, default_type, src, keep,
			    given_ms > 0 ? given_ms : server_now_ms(), seq, id, err);
}

uint64_t ingest_accepted(const struct ingest *in)
{
	uint64_t n = 0;
	for (int t = 0; t < PROTO_TYPE_COUNT; t++)
		n += in->accepted[t];
	return n;
}

uint64_t ingest_rejected(const struct ingest *in)
{
	uint64_t n = 0;
	for (int t = 0; t <= PROTO_TYPE_COUNT; t++)
		n += in->rejected[t];
	return n;
}
