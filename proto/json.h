/*
 * json.h: the strict RFC 8259 scanner behind proto_event_parse() and
 * proto_json_check(), and the small string helpers the validator and the
 * envelope need.  Internal to proto/: not installed.
 */
#ifndef AGENTLOG_JSON_H
#define AGENTLOG_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/* What proto_json_scan() found at the top level. */
struct proto_json_top {
	uint8_t kind;                   /* enum proto_kind of the value */
	uint32_t open;                  /* offset of its first byte */
	uint32_t close;                 /* offset of its last byte */
	unsigned n;                     /* members recorded (objects only) */
};

/*
 * Scan buf[0..len) as exactly one JSON value surrounded by optional
 * whitespace.  When m is not NULL and the value is an object, record its
 * members in m[0..max); more than max members is an error.  Returns 0, or
 * -1 with "json: <reason> at byte N" (N counted from 0) in err.
 */
int proto_json_scan(const char *buf, size_t len, struct proto_member *m,
		    unsigned max, struct proto_json_top *top, char *err);

/*
 * Decode the text of a string that proto_json_scan() accepted (s points
 * past the opening quote, n bytes, closing quote excluded) into out.
 * Returns the decoded length, or -1 when it needs more than outmax bytes.
 */
int proto_json_unescape(const char *s, size_t n, char *out, size_t outmax);

/*
 * Compare the texts of two accepted strings by their decoded value.
 * Returns 1 when equal.
 */
int proto_json_str_eq(const char *a, size_t an, const char *b, size_t bn);

/*
 * The length of the well-formed UTF-8 sequence at p (1 to 4), or 0 when
 * the bytes at p..end are not one.
 */
int proto_utf8_len(const unsigned char *p, const unsigned char *end);

/*
 * Write s[0..n) as the inside of a JSON string: quote, backslash and
 * control characters escaped, ill-formed UTF-8 replaced by \ufffd.  At
 * most 6 * n bytes.  Returns the end of what was written.
 */
char *proto_json_escape(char *out, const char *s, size_t n);

#endif
