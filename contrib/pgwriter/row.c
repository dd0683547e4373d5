/*
 * row.c: the column table of each event type, and row_map(), which
 * validates an event against it and writes the row's text values.
 */
#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"
#include "proto.h"
#include "row.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/*
 * The columns of each table, in the order they are written.  event_id,
 * correlation_id and created_at (the event's own timestamp) come first in
 * every table; correlation_id precedes context, which copies it.
 */
static const struct row_column action_cols[] = {
	{ "event_id", "event_id", ROW_UUID, 1, NULL },
	{ "correlation_id", "correlation_id", ROW_UUID, 1, NULL },
	{ "created_at", "timestamp", ROW_TIMESTAMP, 1, NULL },
	{ "agent_name", "agent_name", ROW_TEXT, 1, NULL },
	{ "action_type", "action_type", ROW_TEXT, 1, NULL },
	{ "action_name", "action_name", ROW_TEXT, 1, NULL },
	{ "action_details", "action_details", ROW_OBJECT, 0, "{}" },
	{ "debug_mode", "debug_mode", ROW_BOOL, 0, "t" },
	{ "duration_ms", "duration_ms", ROW_INT, 0, NULL },
	{ "source", "source", ROW_OBJECT, 0, NULL },
};

static const struct row_column routing_cols[] = {
	{ "event_id", "event_id", ROW_UUID, 1, NULL },
	{ "correlation_id", "correlation_id", ROW_UUID, 1, NULL },
	{ "created_at", "timestamp", ROW_TIMESTAMP, 1, NULL },
	{ "user_request", "user_request", ROW_TEXT, 1, NULL },
	{ "selected_agent", "selected_agent", ROW_TEXT, 1, NULL },
	{ "confidence_score", "confidence_score", ROW_NUMBER, 1, NULL },
	{ "alternatives", "alternatives", ROW_ARRAY, 0, "[]" },
	{ "reasoning", "reasoning", ROW_TEXT, 0, NULL },
	{ "routing_strategy", "routing_strategy", ROW_TEXT, 1, NULL },
	{ "context", "context", ROW_CONTEXT, 0, NULL },
	{ "routing_time_ms", "routing_time_ms", ROW_INT, 1, NULL },
	{ "source", "source", ROW_OBJECT, 0, NULL },
};

static const struct row_column transformation_cols[] = {
	{ "event_id", "event_id", ROW_UUID, 1, NULL },
	{ "correlation_id", "correlation_id", ROW_UUID, 1, NULL },
	{ "created_at", "timestamp", ROW_TIMESTAMP, 1, NULL },
	{ "source_agent", "source_agent", ROW_TEXT, 1, NULL },
	{ "target_agent", "target_agent", ROW_TEXT, 1, NULL },
	{ "transformation_reason", "transformation_reason", ROW_TEXT, 0, NULL },
	{ "confidence_score", "confidence_score", ROW_NUMBER, 0, NULL },
	{ "transformation_duration_ms", "transformation_duration_ms", ROW_INT,
	  1, NULL },
	{ "success", "success", ROW_BOOL, 0, "t" },
	{ "context", "context", ROW_CONTEXT, 0, NULL },
	{ "source", "source", ROW_OBJECT, 0, NULL },
};

static const struct row_column metrics_cols[] = {
	{ "event_id", "event_id", ROW_UUID, 1, NULL },
	{ "correlation_id", "correlation_id", ROW_UUID, 1, NULL },
	{ "created_at", "timestamp", ROW_TIMESTAMP, 1, NULL },
	{ "query_text", "query_text", ROW_TEXT, 1, NULL },
	{ "routing_duration_ms", "routing_duration_ms", ROW_INT, 1, NULL },
	{ "cache_hit", "cache_hit", ROW_BOOL, 0, "f" },
	{ "trigger_match_strategy", "trigger_match_strategy", ROW_TEXT, 0,
	  NULL },
	{ "confidence_components", "confidence_components", ROW_OBJECT, 0,
	  "{}" },
	{ "candidates_evaluated", "candidates_evaluated", ROW_INT, 1, NULL },
	{ "context", "context", ROW_CONTEXT, 0, NULL },
	{ "source", "source", ROW_OBJECT, 0, NULL },
};

const struct row_table row_tables[ROW_TYPE_COUNT] = {
	{ "agent_action", "agent_actions", "agent-actions",
	  action_cols, N(action_cols) },
	{ "routing_decision", "agent_routing_decisions",
	  "agent-routing-decisions", routing_cols, N(routing_cols) },
	{ "transformation", "agent_transformation_events",
	  "agent-transformation-events", transformation_cols,
	  N(transformation_cols) },
	{ "performance_metrics", "router_performance_metrics",
	  "router-performance-metrics", metrics_cols, N(metrics_cols) },
};

int row_type_lookup(const char *name)
{
	for (int t = 0; t < ROW_TYPE_COUNT; t++)
		if (strcmp(row_tables[t].type, name) == 0)
			return t;
	return -1;
}

void row_buf_free(struct row_buf *buf)
{
	free(buf->data);
	buf->data = NULL;
	buf->len = buf->cap = 0;
}

void row_buf_reserve(struct row_buf *buf, size_t n)
{
	size_t cap;
	char *p;

	if (buf->len + n <= buf->cap)
		return;
	cap = buf->cap ? buf->cap : 4096;
	while (cap < buf->len + n)
		cap *= 2;
	p = realloc(buf->data, cap);
	if (!p) {
		fprintf(stderr, "pgwriter: realloc(%zu) failed\n", cap);
		abort();
	}
	buf->data = p;
	buf->cap = cap;
}

/* Append s[0..n) as a COPY text field: backslash escapes for backslash
 * and the characters COPY would read as delimiters. */
static void row_copy_field(struct row_buf *out, const char *s, size_t n)
{
	char *d;

	row_buf_reserve(out, 2 * n);
	d = out->data + out->len;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		switch (ch) {
		case '\\': *d++ = '\\'; *d++ = '\\'; break;
		case '\n': *d++ = '\\'; *d++ = 'n'; break;
		case '\r': *d++ = '\\'; *d++ = 'r'; break;
		case '\t': *d++ = '\\'; *d++ = 't'; break;
		default: *d++ = ch; break;
		}
	}
	out->len = (size_t)(d - out->data);
}

void row_copy_line(const struct row *r, const struct row_buf *vals,
		   struct row_buf *out)
{
	int ncols = row_tables[r->type].ncols;

	for (int c = 0; c < ncols; c++) {
		row_buf_reserve(out, 3);
		if (c)
			out->data[out->len++] = '\t';
		if (r->len[c] < 0) {
			memcpy(out->data + out->len, "\\N", 2);
			out->len += 2;
		} else {
			row_copy_field(out, vals->data + r->off[c],
				       (size_t)r->len[c]);
		}
	}
	row_buf_reserve(out, 1);
	out->data[out->len++] = '\n';
}

/* Append s[0..n) and a NUL as column i of r. */
static void row_put(struct row *r, int i, struct row_buf *buf,
		    const char *s, size_t n)
{
	row_buf_reserve(buf, n + 1);
	memcpy(buf->data + buf->len, s, n);
	buf->data[buf->len + n] = '\0';
	r->off[i] = (uint32_t)buf->len;
	r->len[i] = (int32_t)n;
	buf->len += n + 1;
}

/* Write a JSON value compactly as column i (jsonout.h). */
static int row_put_json(struct row *r, int i, struct row_buf *buf,
			const cJSON *v)
{
	size_t start = buf->len;

	jsonout_value(buf, v);
	row_buf_reserve(buf, 1);
	buf->data[buf->len] = '\0';
	r->off[i] = (uint32_t)start;
	r->len[i] = (int32_t)(buf->len - start);
	buf->len++;
	return 0;
}

/*
 * The context column: the event's context object (or a new one) with
 * correlation_id set to the event's, so the seed's trace query, which
 * filters on context->>'correlation_id', finds every event.
 */
static int row_put_context(struct row *r, int i, struct row_buf *buf,
			   cJSON *ctx, const char *corr)
{
	char tmp[64];
	cJSON *s;

	if (!ctx) {
		int n = snprintf(tmp, sizeof(tmp), "{\"correlation_id\":\"%s\"}",
				 corr);
		row_put(r, i, buf, tmp, (size_t)n);
		return 0;
	}
	while (cJSON_GetObjectItemCaseSensitive(ctx, "correlation_id"))
		cJSON_DeleteItemFromObjectCaseSensitive(ctx, "correlation_id");
	s = cJSON_CreateString(corr);
	if (!s || !cJSON_AddItemToObject(ctx, "correlation_id", s)) {
		cJSON_Delete(s);
		return -1;
	}
	return row_put_json(r, i, buf, ctx);
}

/* Check the value v of column c and write it; -1 with err on a bad one. */
static int row_put_value(struct row *r, int i, struct row_buf *buf,
			 const struct row_column *c, cJSON *v,
			 const char *corr, char *err)
{
	char num[40];
	int64_t ms;
	double d;
	int n;

	switch (c->kind) {
	case ROW_UUID:
		if (!cJSON_IsString(v) ||
		    !proto_uuid_check(v->valuestring, strlen(v->valuestring)))
			goto bad;
		for (n = 0; n < 36; n++)
			num[n] = (char)tolower((unsigned char)v->valuestring[n]);
		row_put(r, i, buf, num, 36);
		return 0;
	case ROW_TIMESTAMP:
		if (!cJSON_IsString(v) ||
		    proto_timestamp_parse(v->valuestring,
					  strlen(v->valuestring), &ms) < 0)
			goto bad;
		/* fallthrough */
	case ROW_TEXT:
		if (!cJSON_IsString(v))
			goto bad;
		row_put(r, i, buf, v->valuestring, strlen(v->valuestring));
		return 0;
	case ROW_INT:
		if (!cJSON_IsNumber(v) || floor(v->valuedouble) != v->valuedouble)
			goto bad;
		d = v->valuedouble;
		if (d < -2147483648.0 || d > 2147483647.0) {
			snprintf(err, ROW_ERR_MAX, "%s: out of range", c->field);
			return -1;
		}
		n = snprintf(num, sizeof(num), "%d", (int)d);
		row_put(r, i, buf, num, (size_t)n);
		return 0;
	case ROW_NUMBER:
		if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
			goto bad;
		n = jsonout_number(v->valuedouble, num);
		row_put(r, i, buf, num, (size_t)n);
		return 0;
	case ROW_BOOL:
		if (!cJSON_IsBool(v))
			goto bad;
		row_put(r, i, buf, cJSON_IsTrue(v) ? "t" : "f", 1);
		return 0;
	case ROW_OBJECT:
		if (!cJSON_IsObject(v))
			goto bad;
		return row_put_json(r, i, buf, v);
	case ROW_ARRAY:
		if (!cJSON_IsArray(v))
			goto bad;
		return row_put_json(r, i, buf, v);
	case ROW_CONTEXT:
		if (v && !cJSON_IsObject(v))
			goto bad;
		return row_put_context(r, i, buf, v, corr);
	}
bad:
	snprintf(err, ROW_ERR_MAX, "%s: %s", c->field,
		 c->kind == ROW_UUID ? "not a UUID" :
		 c->kind == ROW_TIMESTAMP ? "not an RFC 3339 date-time" :
		 c->kind == ROW_TEXT ? "not a string" :
		 c->kind == ROW_INT ? "not an integer" :
		 c->kind == ROW_NUMBER ? "not a number" :
		 c->kind == ROW_BOOL ? "not a boolean" :
		 c->kind == ROW_ARRAY ? "not an array" : "not an object");
	return -1;
}

int row_map(int type, cJSON *ev, struct row *r, struct row_buf *buf,
	    char *err)
{
	const struct row_table *t = &row_tables[type];
	size_t saved = buf->len;
	int corr = -1;

	r->type = type;
	for (int i = 0; i < t->ncols; i++) {
		const struct row_column *c = &t->cols[i];
		cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, c->field);

		if (cJSON_IsNull(v))
			v = NULL;
		if (!v && c->kind != ROW_CONTEXT) {
			if (c->required) {
				snprintf(err, ROW_ERR_MAX, "%s: required",
					 c->field);
				goto fail;
			}
			if (c->dflt)
				row_put(r, i, buf, c->dflt, strlen(c->dflt));
			else
				r->len[i] = -1;
			continue;
		}
		assert(c->kind != ROW_CONTEXT || corr >= 0);
		if (row_put_value(r, i, buf, c, v,
				  corr >= 0 ? buf->data + r->off[corr] : NULL,
				  err) < 0)
			goto fail;
		if (strcmp(c->name, "correlation_id") == 0)
			corr = i;
	}
	return 0;
fail:
	buf->len = saved;
	return -1;
}
