/*
 * batch.c: collect consumed messages, validate them, keep their rows.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <uuid/uuid.h>

#include "arena.h"
#include "batch.h"
#include "log.h"
#include "proto.h"

int64_t batch_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *batch_alloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		log_error("realloc(%zu) failed", n);
		abort();
	}
	return p;
}

struct batch *batch_new(const struct config *cfg)
{
	struct batch *b = batch_alloc(NULL, sizeof(*b));

	memset(b, 0, sizeof(*b));
	b->cfg = cfg;
	b->cap = cfg->batch_size + 16;
	b->msgs = batch_alloc(NULL, sizeof(*b->msgs) * (size_t)b->cap);
	b->offsets = rd_kafka_topic_partition_list_new(8);
	return b;
}

void batch_clear(struct batch *b)
{
	for (int i = 0; i < b->n; i++) {
		rd_kafka_message_destroy(b->msgs[i].rkm);
		free(b->msgs[i].error);
	}
	b->n = 0;
	b->ndead = 0;
	b->buf.len = 0;
	for (int t = 0; t < ROW_TYPE_COUNT; t++) {
		b->copy[t].len = 0;
		b->copy_rows[t] = 0;
	}
	b->copy_stale = 0;
	b->db_done = 0;
	b->inserted = 0;
	rd_kafka_topic_partition_list_destroy(b->offsets);
	b->offsets = rd_kafka_topic_partition_list_new(8);
}

void batch_free(struct batch *b)
{
	if (!b)
		return;
	batch_clear(b);
	rd_kafka_topic_partition_list_destroy(b->offsets);
	row_buf_free(&b->buf);
	for (int t = 0; t < ROW_TYPE_COUNT; t++)
		row_buf_free(&b->copy[t]);
	free(b->msgs);
	free(b);
}

void batch_kill(struct batch *b, int i, const char *fmt, ...)
{
	char err[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, sizeof(err), fmt, ap);
	va_end(ap);
	if (!b->msgs[i].error)
		b->ndead++;
	if (b->msgs[i].in_copy)
		b->copy_stale = 1;
	free(b->msgs[i].error);
	b->msgs[i].error = strdup(err);
	if (!b->msgs[i].error)
		abort();
}

/* A header's value as a NUL-terminated string in out, or -1. */
static int batch_header(const rd_kafka_message_t *rkm, const char *name,
			char *out, size_t outlen)
{
	rd_kafka_headers_t *hdrs;
	const void *val;
	size_t size;

	if (rd_kafka_message_headers(rkm, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR ||
	    rd_kafka_header_get_last(hdrs, name, &val, &size) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR || !val || size >= outlen)
		return -1;
	memcpy(out, val, size);
	out[size] = '\0';
	return 0;
}

/*
 * The event's type: its "type" member, else the `type` header, else the
 * topic it came from.  -1 with err when none names one of the four.
 */
static int batch_type(struct batch *b, const rd_kafka_message_t *rkm,
		      const cJSON *ev, char *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, "type");
	const char *topic = rd_kafka_topic_name(rkm->rkt);
	char hdr[64];
	int t;

	if (v) {
		if (!cJSON_IsString(v) || (t = row_type_lookup(v->valuestring)) < 0) {
			snprintf(err, ROW_ERR_MAX, "type: not one of agent_action, "
				 "routing_decision, transformation, "
				 "performance_metrics");
			return -1;
		}
		return t;
	}
	if (batch_header(rkm, "type", hdr, sizeof(hdr)) == 0 &&
	    (t = row_type_lookup(hdr)) >= 0)
		return t;
	for (t = 0; t < ROW_TYPE_COUNT; t++)
		if (strcmp(b->cfg->topics[t], topic) == 0)
			return t;
	snprintf(err, ROW_ERR_MAX, "type: missing, and topic %s names none",
		 topic);
	return -1;
}

/*
 * Envelope members a producer other than agentlogd may leave out, filled
 * from the record: event_id from the `event_id` header, else a name-based
 * UUID of the record's topic, partition and offset (so a redelivery of the
 * same record is still recognised); timestamp from the record's.
 */
static int batch_envelope(const rd_kafka_message_t *rkm, cJSON *ev,
			  char *err)
{
	static const uuid_t ns = { 0x6a, 0x0b, 0x3c, 0x2e, 0x51, 0x7d, 0x4f,
				   0x21, 0x9d, 0x55, 0x1e, 0x0f, 0x3a, 0x8c,
				   0x44, 0x71 };
	const cJSON *sv = cJSON_GetObjectItemCaseSensitive(ev, "schema_version");
	char buf[300];
	uuid_t id;
	int64_t ms;
	int n;

	if (sv && !cJSON_IsNull(sv) &&
	    (!cJSON_IsNumber(sv) || sv->valuedouble != 1)) {
		snprintf(err, ROW_ERR_MAX, "schema_version: unsupported "
			 "(this writer knows 1)");
		return -1;
	}
	if (!cJSON_GetObjectItemCaseSensitive(ev, "event_id")) {
		if (batch_header(rkm, "event_id", buf, sizeof(buf)) < 0 ||
		    !proto_uuid_check(buf, strlen(buf))) {
			n = snprintf(buf, sizeof(buf), "%s/%d/%lld",
				     rd_kafka_topic_name(rkm->rkt),
				     (int)rkm->partition,
				     (long long)rkm->offset);
			uuid_generate_sha1(id, ns, buf, (size_t)n);
			uuid_unparse_lower(id, buf);
		}
		cJSON_AddStringToObject(ev, "event_id", buf);
	}
	if (!cJSON_GetObjectItemCaseSensitive(ev, "timestamp") &&
	    (ms = rd_kafka_message_timestamp(rkm, NULL)) >= 0) {
		proto_timestamp_format(ms, buf);
		cJSON_AddStringToObject(ev, "timestamp", buf);
	}
	return 0;
}

/*
 * Does the JSON text hold the escape \u0000?  cJSON would cut the string
 * there (silently storing less than was sent) and PostgreSQL can hold NUL
 * in neither text nor jsonb: such an event can never be stored.  An
 * escape is a backslash preceded by an even number of backslashes.
 */
static int batch_has_nul_escape(const char *s, size_t len)
{
	const char *p = s, *end = s + len;

	while ((p = memchr(p, '\\', (size_t)(end - p))) != NULL) {
		size_t run = 0;
		while (p + run < end && p[run] == '\\')
			run++;
		if (run % 2 == 1 && end - (p + run) >= 5 &&
		    memcmp(p + run, "u0000", 5) == 0)
			return 1;
		p += run;
	}
	return 0;
}

/* Parse (in the cJSON arena: arena.h), validate and map message i, and
 * append its row to its table's COPY text; on failure it becomes dead. */
static void batch_map(struct batch *b, int i)
{
	rd_kafka_message_t *rkm = b->msgs[i].rkm;
	char err[ROW_ERR_MAX];
	const char *end;
	cJSON *ev;
	int type;

	if (!rkm->payload || rkm->len == 0) {
		batch_kill(b, i, "json: empty message");
		return;
	}
	if (batch_has_nul_escape(rkm->payload, rkm->len)) {
		batch_kill(b, i, "json: \\u0000 (NUL) cannot be stored in "
			   "PostgreSQL");
		return;
	}
	arena_begin();
	ev = cJSON_ParseWithLength(rkm->payload, rkm->len);
	if (!ev) {
		end = cJSON_GetErrorPtr();
		if (end >= (const char *)rkm->payload &&
		    end <= (const char *)rkm->payload + rkm->len)
			batch_kill(b, i, "json: not valid JSON at byte %ld",
				   (long)(end - (const char *)rkm->payload));
		else
			batch_kill(b, i, "json: not valid JSON");
		goto out;
	}
	if (!cJSON_IsObject(ev)) {
		batch_kill(b, i, "json: not an object");
		goto out;
	}
	if ((type = batch_type(b, rkm, ev, err)) < 0 ||
	    batch_envelope(rkm, ev, err) < 0 ||
	    row_map(type, ev, &b->msgs[i].row, &b->buf, err) < 0) {
		batch_kill(b, i, "validation: %s", err);
		goto out;
	}
	row_copy_line(&b->msgs[i].row, &b->buf, &b->copy[type]);
	b->copy_rows[type]++;
	b->msgs[i].in_copy = 1;
out:
	arena_end();            /* ev and all it holds: no cJSON_Delete() */
}

/* The next offset to commit for the message's partition. */
static void batch_offset(struct batch *b, const rd_kafka_message_t *rkm)
{
	const char *topic = rd_kafka_topic_name(rkm->rkt);
	rd_kafka_topic_partition_t *p;

	p = rd_kafka_topic_partition_list_find(b->offsets, topic,
					       rkm->partition);
	if (!p)
		p = rd_kafka_topic_partition_list_add(b->offsets, topic,
						      rkm->partition);
	p->offset = rkm->offset + 1;
}

void batch_add(struct batch *b, rd_kafka_message_t *rkm)
{
	struct batch_msg *m;

	if (b->n == b->cap) {
		b->cap *= 2;
		b->msgs = batch_alloc(b->msgs, sizeof(*b->msgs) * (size_t)b->cap);
	}
	if (b->n == 0)
		b->first_ms = batch_now_ms();
	m = &b->msgs[b->n];
	memset(m, 0, sizeof(*m));
	m->rkm = rkm;
	batch_offset(b, rkm);
	batch_map(b, b->n++);
}
