/*
 * envelope.c: the enriched event, spliced into the client's bytes.
 *
 * Printing a parsed tree back costs more than parsing it (DESIGN.md, the
 * per-event budget), so the event is never re-serialised: the envelope
 * members are written first, then the client's members are copied as
 * runs of bytes, skipping those the daemon owns.  The output is valid
 * JSON because every piece is: the client's members passed the strict
 * scanner, and everything written here is escaped.
 */
#include <assert.h>
#include <string.h>

#include "json.h"
#include "proto.h"

static char *put(char *o, const char *s, size_t n)
{
	memcpy(o, s, n);
	return o + n;
}

#define PUT(o, lit) put((o), (lit), sizeof(lit) - 1)

/* Write v in decimal. */
static char *put_i64(char *o, int64_t v)
{
	char tmp[24];
	int n = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*o++ = '-';
	while (n > 0)
		*o++ = tmp[--n];
	return o;
}

/* The timestamp: the client's (validated) text, or now. */
static char *put_timestamp(char *o, const struct proto_event *ev,
			   const char *line, int64_t now_ms)
{
	int n;

	if (ev->ts_off < 0) {
		proto_timestamp_format(now_ms, o);
		return o + PROTO_TIMESTAMP_LEN;
	}
	if (!ev->ts_esc)
		return put(o, line + ev->ts_off, ev->ts_len);
	n = proto_json_unescape(line + ev->ts_off, ev->ts_len, o,
				PROTO_TIMESTAMP_MAX);
	assert(n > 0);
	return o + n;
}

/* {"pid":..,"uid":..,"gid":..,"host":"..","via":".."} */
static char *put_source(char *o, const struct proto_source *src)
{
	size_t vlen = strlen(src->via);

	assert(vlen <= PROTO_VIA_MAX);
	o = PUT(o, "{\"pid\":");
	o = put_i64(o, src->pid);
	o = PUT(o, ",\"uid\":");
	o = put_i64(o, src->uid);
	o = PUT(o, ",\"gid\":");
	o = put_i64(o, src->gid);
	o = PUT(o, ",\"host\":\"");
	o = proto_json_escape(o, src->host, strlen(src->host));
	o = PUT(o, "\",\"via\":\"");
	o = proto_json_escape(o, src->via, vlen);
	return PUT(o, "\"}");
}

/*
 * The client's members in order: runs of kept members copied as they
 * are, owned members skipped, correlation_id re-emitted canonical.
 */
static char *put_members(char *o, const struct proto_event *ev,
			 const char *line)
{
	unsigned i = 0, j;

	while (i < ev->nmembers) {
		if (ev->member[i].flags & PROTO_DROP) {
			i++;
			continue;
		}
		*o++ = ',';
		if (i == ev->corr_member) {
			o = PUT(o, "\"correlation_id\":\"");
			o = put(o, ev->corr, PROTO_UUID_LEN);
			*o++ = '"';
			i++;
			continue;
		}
		for (j = i; j + 1 < ev->nmembers && j + 1 != ev->corr_member &&
			    !(ev->member[j + 1].flags & PROTO_DROP); j++)
			;
		o = put(o, line + ev->member[i].start,
			ev->member[j].end - ev->member[i].start);
		i = j + 1;
	}
	return o;
}

/* Write the enriched event (see proto.h). */
size_t proto_envelope_splice(const struct proto_event *ev, const char *line,
			     size_t len, const uint8_t event_id[16],
			     int64_t now_ms, const struct proto_source *src,
			     char *out)
{
	char *o = out;
	const char *type = proto_type_name(ev->type);

	(void)len;
	o = PUT(o, "{\"event_id\":\"");
	proto_uuid_format(event_id, o);
	o += PROTO_UUID_LEN;
	o = PUT(o, "\",\"timestamp\":\"");
	o = put_timestamp(o, ev, line, now_ms);
	o = PUT(o, "\",\"schema_version\":");
	o = put_i64(o, PROTO_SCHEMA_VERSION);
	o = PUT(o, ",\"type\":\"");
	o = put(o, type, strlen(type));
	o = PUT(o, "\",\"source\":");
	o = put_source(o, src);
	o = put_members(o, ev, line);
	*o++ = '}';
	return (size_t)(o - out);
}
