/*
 * proto.h: the agentlog event model, its validation and the envelope.
 *
 * This is the single source of truth shared by agentlogd and agentlogctl:
 * the four event types of the seed design, their Kafka topics, the rules
 * an event must pass, and the envelope the daemon adds to every accepted
 * event.  Nothing here depends on the daemon, the client or Kafka.
 *
 * An event is one JSON object (one line on the wire).  Validation is a
 * single strict RFC 8259 pass (valid UTF-8, no raw control characters in
 * strings, no leading zeros or bare dots in numbers, no duplicate top-level
 * keys) that also records where each top-level member sits in the line, so
 * the envelope can be spliced into the original bytes: the event is never
 * re-serialised.  See PROTOCOL.md for the rules in prose.
 */
#ifndef AGENTLOG_PROTO_H
#define AGENTLOG_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The envelope's schema_version; bump when the envelope changes shape. */
#define PROTO_SCHEMA_VERSION 1

enum proto_type {
	PROTO_AGENT_ACTION = 0,      /* topic agent-actions */
	PROTO_ROUTING_DECISION,      /* topic agent-routing-decisions */
	PROTO_TRANSFORMATION,        /* topic agent-transformation-events */
	PROTO_PERFORMANCE_METRICS,   /* topic router-performance-metrics */
	PROTO_TYPE_COUNT
};

/* "agent_action", ...; NULL for an out-of-range value. */
const char *proto_type_name(int type);
/* The default Kafka topic of a type: "agent-actions", ... */
const char *proto_type_topic(int type);
/*
 * Look a type up by its name or by its topic name ("agent_action" or
 * "agent-actions").  Returns the type or -1.
 */
int proto_type_lookup(const char *s, size_t len);

/* Limits.  A line longer than PROTO_MAX_LINE_DEFAULT is rejected by default. */
#define PROTO_MAX_LINE_DEFAULT (1024 * 1024)
#define PROTO_MAX_DEPTH 64          /* nesting deeper than this is rejected */
/* Top-level members of one event, not counting the (at most
 * PROTO_OWNED_MAX) members the daemon owns: so an enriched event, which
 * carries the envelope's, passes validation again. */
#define PROTO_MAX_MEMBERS 64
#define PROTO_OWNED_MAX 5           /* type event_id source schema_version timestamp */
#define PROTO_UUID_LEN 36           /* canonical text form of a UUID */
#define PROTO_ERR_MAX 256           /* enough for any validation message */

/* The JSON kind of a value, as recorded for each top-level member. */
enum proto_kind {
	PROTO_NULL = 1,
	PROTO_FALSE,
	PROTO_TRUE,
	PROTO_NUMBER,
	PROTO_STRING,
	PROTO_OBJECT,
	PROTO_ARRAY
};

/* proto_member.flags */
#define PROTO_KEY_ESC 0x01     /* the key contains backslash escapes */
#define PROTO_VAL_ESC 0x02     /* the (string) value contains escapes */
#define PROTO_DROP 0x04        /* the daemon owns it: not copied out */

/* Where one top-level member of the event sits in the line. */
struct proto_member {
	uint32_t start;   /* offset of the key's opening quote */
	uint32_t end;     /* offset just past the value */
	uint32_t key_end; /* offset just past the key's closing quote */
	uint32_t val;     /* offset of the value's first byte */
	uint8_t kind;     /* enum proto_kind */
	uint8_t flags;    /* PROTO_KEY_ESC, PROTO_VAL_ESC */
};

/* The longest client timestamp kept (decoded bytes); longer is rejected. */
#define PROTO_TIMESTAMP_MAX 64

/*
 * The result of validating one event.  Offsets point into the caller's
 * line, which must outlive the struct.
 */
struct proto_event {
	int type;                            /* enum proto_type */
	/* correlation_id as sent, no quotes: always PROTO_UUID_LEN bytes
	 * of hex digits and dashes (escapes are refused), any case. */
	uint32_t corr_off;
	uint8_t corr_len;
	/* The Kafka key: the same in lower case, NUL-terminated. */
	char corr[PROTO_UUID_LEN + 1];
	uint16_t corr_member;                /* its index in member[] */
	int32_t ts_off;                      /* client timestamp value text, or -1 */
	uint16_t ts_len;                     /* raw bytes (escapes included) */
	uint8_t ts_esc;                      /* the raw text has escapes */
	int64_t ts_ms;                       /* client timestamp, Unix ms */
	uint32_t open;                       /* offset of the opening '{' */
	uint32_t close;                      /* offset of the closing '}' */
	uint16_t nmembers;
	/* Members the daemon owns and drops from the client's bytes: type,
	 * event_id, source, schema_version and timestamp (re-emitted in the
	 * envelope when valid).  correlation_id is re-emitted in place in
	 * canonical form. */
	uint16_t nstrip;
	uint16_t strip[8];                   /* indexes into member[] */
	struct proto_member member[PROTO_MAX_MEMBERS + PROTO_OWNED_MAX];
};

/*
 * Validate one event: strict JSON, then the rules of its type.
 *
 * default_type is used when the event has no "type" member (-1: required).
 * On success returns 0 and fills ev.  On failure returns -1 and writes one
 * line "field: reason" (or "json: reason at byte N") into err, which must
 * hold PROTO_ERR_MAX bytes; ev->type is then the event's type when the
 * failure came after the type was settled, else -1 (for counting).  Never reads past line[len]; line need not be
 * NUL-terminated and may contain any bytes.
 */
int proto_event_parse(struct proto_event *ev, const char *line, size_t len,
		      int default_type, char *err);

/*
 * Check that buf[0..len) is exactly one RFC 8259 JSON value (any type),
 * surrounded by optional whitespace.  Returns 0, or -1 with a reason in err.
 */
int proto_json_check(const char *buf, size_t len, char *err);

/* The identity of the sender, from the kernel (peer credentials). */
struct proto_source {
	int64_t pid;          /* -1 when unknown */
	int64_t uid;          /* -1 when unknown */
	int64_t gid;          /* -1 when unknown */
	const char *host;     /* the daemon's host name (JSON-escaped here) */
	const char *via;      /* "stream", "dgram", "inbox": <= PROTO_VIA_MAX */
};

/* The longest src->via accepted by proto_envelope_splice(). */
#define PROTO_VIA_MAX 15

/*
 * The most bytes proto_envelope_splice() adds to a line whose host name
 * has host_len bytes (the fixed members, a kept timestamp of up to
 * PROTO_TIMESTAMP_MAX bytes, the escaped host and via).
 */
#define PROTO_ENVELOPE_MAX(host_len) (512 + 6 * (host_len))

/*
 * Write the enriched event to out: the envelope members first
 * ({"event_id":...,"timestamp":...,"schema_version":1,"type":...,
 * "source":{...}, ...the client's members...}), the client's members copied
 * byte for byte except those the daemon owns (flag PROTO_DROP) and
 * correlation_id, which is re-emitted in place as "correlation_id":"<lower
 * case>".  The client's timestamp is kept when present (it was validated);
 * otherwise now_ms (Unix ms, UTC) is used.  No allocation.  out must have
 * room for len + PROTO_ENVELOPE_MAX(strlen(src->host)) bytes.  Returns the
 * number of bytes written (no newline, no NUL).
 */
size_t proto_envelope_splice(const struct proto_event *ev, const char *line,
			     size_t len, const uint8_t event_id[16],
			     int64_t now_ms, const struct proto_source *src,
			     char *out);

/*
 * A fresh event id: a UUIDv7 (48-bit Unix ms time, then random bits from a
 * 64 KiB getrandom() buffer).  Time-ordered ids index well downstream.
 * Not thread-safe: the buffer is per process, so call it from one thread
 * (agentlogd's loop thread).  A forked child refills before its first id.
 */
void proto_event_id_new(uint8_t id[16], int64_t now_ms);
/*
 * The same kind of id, its random bits from one getrandom() call of its
 * own (~0.4 us here, ten times proto_event_id_new()): thread-safe, holds
 * no buffer, never blocks.  For code that makes an id now and then from
 * any thread (libagentlog gives one to each event it stores in the inbox).
 * Returns 0, or a negative errno when the kernel has no randomness to give
 * yet (id is then unusable).
 */
int proto_event_id_new_unpooled(uint8_t id[16], int64_t now_ms);
/* 36 lower-case characters and a NUL. */
void proto_uuid_format(const uint8_t id[16], char out[PROTO_UUID_LEN + 1]);
/*
 * Is s[0..len) a UUID in the 8-4-4-4-12 hex form, any case (the form
 * correlation_id must have)?  1 or 0.
 */
int proto_uuid_check(const char *s, size_t len);

/* ISO 8601 UTC with milliseconds: "2025-10-23T10:30:00.123Z" + NUL. */
#define PROTO_TIMESTAMP_LEN 24
void proto_timestamp_format(int64_t ms, char out[PROTO_TIMESTAMP_LEN + 1]);
/*
 * Parse an RFC 3339 date-time ("YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)",
 * upper-case T and Z, year 0001-9999, real calendar days, no leap second).
 * Returns 0 and Unix ms (fraction truncated to ms), or -1.
 */
int proto_timestamp_parse(const char *s, size_t len, int64_t *ms);

#endif
