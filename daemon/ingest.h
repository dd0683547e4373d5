/*
 * ingest.h: one event line in, one journal record out.
 *
 * Shared by the stream connections, the datagram socket and the inbox:
 * validate with proto, splice the envelope straight into the journal's
 * reserved record, commit.  Counts accepted and rejected events per type
 * and rejections per reason (the field the message names).
 */
#ifndef AGENTLOGD_INGEST_H
#define AGENTLOGD_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct server;

#define INGEST_REASONS 48

struct ingest_reason {
	char name[32];              /* "json", "confidence_score", "journal_full", ... */
	uint64_t count;
};

struct ingest {
	uint64_t accepted[PROTO_TYPE_COUNT];
	uint64_t rejected[PROTO_TYPE_COUNT + 1];   /* [PROTO_TYPE_COUNT]: type unknown */
	uint64_t bytes;
	struct ingest_reason reason[INGEST_REASONS];
	uint64_t backpressure;                     /* times ingest had to wait */
	uint64_t accepted_last, rejected_last;     /* for per-second rates */
	double accept_rate, reject_rate;
};

/*
 * Ingest one line (no newline).  On acceptance returns 1 with the record's
 * seq and event id.  On rejection returns 0 with the reason in err
 * (PROTO_ERR_MAX bytes), already counted.  Returns -1 when the journal is
 * waiting for the disk (its memory bound is reached): nothing happened,
 * and the caller must stop reading, keep the line and offer it again once
 * the journal made progress (backpressure: a valid event is never refused
 * for a slow disk).
 */
int ingest_line(struct server *s, const char *line, size_t len,
		const struct proto_source *src, uint64_t *seq,
		uint8_t event_id[16], char *err);

/*
 * The same for an event a client stored in the inbox: its event id (when
 * not all zero) and its send time are kept, so ingesting the same inbox
 * record twice (a crash between journaling and unlinking the file) yields
 * the same event_id and consumers drop the duplicate.
 */
int ingest_stored(struct server *s, const char *line, size_t len,
		  int default_type, const struct proto_source *src,
		  const uint8_t given_id[16], int64_t given_ms, uint64_t *seq,
		  char *err);

/* Count a rejection that happened before validation (oversize line, ...). */
void ingest_count_reject(struct server *s, const char *reason);

/* Total accepted / rejected over all types. */
uint64_t ingest_accepted(const struct ingest *in);
uint64_t ingest_rejected(const struct ingest *in);

#endif
