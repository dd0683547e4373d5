/*
 * trace.c: agentlogctl trace CORRELATION_ID: one workflow's complete,
 * ordered story, from the journal or from Kafka.
 *
 * Events are collected (only the workflow's: the journal's record header
 * and Kafka's key say whose an event is without parsing it), de-duplicated
 * by event_id (a replayed or re-forwarded event shows once), and ordered by
 * the event's own timestamp, then by the time it was accepted.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ctl.h"
#include "jsonout.h"
#include "render.h"
#include "source.h"
#include "trace.h"

struct trace_item {
	char *value;             /* the event as delivered, NUL-terminated */
	size_t len;
	cJSON *ev;               /* parsed, or NULL when not JSON */
	char event_id[PROTO_UUID_LEN + 1];
	int64_t ts_ms;           /* the event's timestamp (else accept time) */
	int64_t accept_ms;
	int64_t order;           /* offset / seq: last tie-break */
};

struct trace_set {
	struct trace_item *v;
	size_t n, cap;
};

/* Keep one record: parse it, note its id and times. */
static int trace_add(struct trace_set *t, const struct src_rec *r)
{
	struct trace_item *it;
	const cJSON *v;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		void *p = realloc(t->v, cap * sizeof(*t->v));
		if (!p)
			return -1;
		t->v = p;
		t->cap = cap;
	}
	it = &t->v[t->n];
	memset(it, 0, sizeof(*it));
	it->value = malloc(r->value_len + 1);
	if (!it->value)
		return -1;
	memcpy(it->value, r->value, r->value_len);
	it->value[r->value_len] = '\0';
	it->len = r->value_len;
	it->accept_ms = it->ts_ms = r->time_ms;
	it->order = r->offset;
	it->ev = cJSON_ParseWithLength(it->value, it->len);
	v = cJSON_GetObjectItemCaseSensitive(it->ev, "event_id");
	if (cJSON_IsString(v))
		snprintf(it->event_id, sizeof(it->event_id), "%s", v->valuestring);
	v = cJSON_GetObjectItemCaseSensitive(it->ev, "timestamp");
	if (cJSON_IsString(v))
		proto_timestamp_parse(v->valuestring, strlen(v->valuestring),
				      &it->ts_ms);
	t->n++;
	return 0;
}

static int trace_by_id(const void *a, const void *b)
{
	const struct trace_item *x = a, *y = b;
	int c = strcmp(x->event_id, y->event_id);

	return c ? c : (x->order > y->order) - (x->order < y->order);
}

static int trace_by_time(const void *a, const void *b)
{
	const struct trace_item *x = a, *y = b;

	if (x->ts_ms != y->ts_ms)
		return x->ts_ms < y->ts_ms ? -1 : 1;
	if (x->accept_ms != y->accept_ms)
		return x->accept_ms < y->accept_ms ? -1 : 1;
	return (x->order > y->order) - (x->order < y->order);
}

/* Drop events whose event_id was already seen, then order by time. */
static void trace_order(struct trace_set *t)
{
	size_t i, n = 0;

	if (t->n == 0)
		return;
	qsort(t->v, t->n, sizeof(*t->v), trace_by_id);
	for (i = 0; i < t->n; i++) {
		if (n > 0 && t->v[i].event_id[0] &&
		    !strcmp(t->v[i].event_id, t->v[n - 1].event_id)) {
			cJSON_Delete(t->v[i].ev);
			free(t->v[i].value);
			continue;
		}
		t->v[n++] = t->v[i];
	}
	t->n = n;
	qsort(t->v, t->n, sizeof(*t->v), trace_by_time);
}

static void trace_free(struct trace_set *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		cJSON_Delete(t->v[i].ev);
		free(t->v[i].value);
	}
	free(t->v);
}

/* Read every record of the source into t. */
static int trace_collect(struct src *s, struct trace_set *t)
{
	struct src_rec r;
	int n;

	while ((n = s->ops->next(s, &r, 0)) > 0)
		if (trace_add(t, &r) < 0) {
			ctl_warn("out of memory");
			return -1;
		}
	if (n < 0)
		ctl_warn("%s: %s", s->name, s->ops->error(s));
	return n;
}

static void trace_print(const struct trace_set *t, const struct trace_opts *o,
			const struct src *s)
{
	int64_t first = t->n ? t->v[0].ts_ms : 0;
	size_t i;

	if (o->format == TRACE_TABLE) {
		render_header(stdout, o->corr, s->name, s->where, t->n,
			      t->n ? t->v[t->n - 1].ts_ms - first : 0);
		for (i = 0; i < t->n; i++) {
			if (t->v[i].ev)
				render_event(stdout, t->v[i].ev, t->v[i].ts_ms - first,
					     o->color);
		}
		return;
	}
	if (o->format == TRACE_JSON) {
		printf("{\"correlation_id\":\"%s\",\"from\":\"%s\",\"count\":%zu,"
		       "\"events\":[", o->corr, s->name, t->n);
		for (i = 0; i < t->n; i++) {
			fputs(i ? "," : "", stdout);
			trace_value(stdout, t->v[i].value, t->v[i].len);
		}
		fputs("]}\n", stdout);
		return;
	}
	for (i = 0; i < t->n; i++) {
		trace_value(stdout, t->v[i].value, t->v[i].len);
		fputc('\n', stdout);
	}
}

void trace_value(FILE *out, const char *v, size_t len)
{
	char why[PROTO_ERR_MAX];

	if (proto_json_check(v, len, why) == 0 && !memchr(v, '\n', len))
		fwrite(v, 1, len, out);
	else
		jsonout_str(out, v, len, 0);
}

int trace_run(struct trace_opts *o)
{
	struct trace_set t = { 0 };
	struct src *s;
	int rc = CTL_OK;

	s = trace_source(&o->src, o->from, o->brokers_explicit);
	if (!s)
		return CTL_FAIL;
	if (o->format != TRACE_TABLE)
		ctl_warn("trace from %s (%s)", s->name, s->where);
	if (trace_collect(s, &t) < 0)
		rc = CTL_FAIL;
	if (s->ops->skipped(s))
		ctl_warn("%s: %llu bytes or records skipped as corrupt or unreadable",
			 s->name, (unsigned long long)s->ops->skipped(s));
	trace_order(&t);
	trace_print(&t, o, s);
	s->ops->close(s);
	trace_free(&t);
	return rc;
}

void trace_opts_init(struct trace_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->src.since_ms = INT64_MIN;
	o->src.until_ms = INT64_MAX;
	o->src.from_offset = -1;
	o->src.timeout_ms = 5000;
	o->format = isatty(STDOUT_FILENO) ? TRACE_TABLE : TRACE_NDJSON;
	o->color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
}

int trace_opt(const struct ctl_cmd *cmd, struct trace_opts *o, int c,
	      const char *arg)
{
	switch (c) {
	case 'F':
		if (!strcmp(arg, "journal"))
			o->from = FROM_JOURNAL;
		else if (!strcmp(arg, "kafka"))
			o->from = FROM_KAFKA;
		else if (!strcmp(arg, "auto"))
			o->from = FROM_AUTO;
		else
			return ctl_usage_error(cmd, "--from: journal, kafka or auto"), -1;
		return 1;
	case 'J': o->src.journal_dir = arg; return 1;
	case 'B': o->src.brokers = arg; o->brokers_explicit = 1; return 1;
	case 's':
	case 'u':
		if (src_time_parse(arg, c == 's' ? &o->src.since_ms
						 : &o->src.until_ms) < 0)
			return ctl_usage_error(cmd, "--%s: a time (RFC 3339, Unix ms, "
					       "or an age like 15m), got '%s'",
					       c == 's' ? "since" : "until", arg), -1;
		return 1;
	case 'T':
		o->src.timeout_set = 1;
		o->src.timeout_ms = atoi(arg);
		if (o->src.timeout_ms <= 0)
			return ctl_usage_error(cmd, "--timeout: expects ms"), -1;
		return 1;
	case 'f':
		if (!strcmp(arg, "table"))
			o->format = TRACE_TABLE;
		else if (!strcmp(arg, "ndjson"))
			o->format = TRACE_NDJSON;
		else if (!strcmp(arg, "json"))
			o->format = TRACE_JSON;
		else
			return ctl_usage_error(cmd, "--format: table, ndjson or json"), -1;
		o->color = o->color && o->format == TRACE_TABLE;
		return 1;
	}
	return 0;
}

struct src *trace_source(struct src_opts *o, enum trace_from from,
			 int brokers_explicit)
{
	char err[512];
	struct src *s;
	const char *env = getenv("KAFKA_BROKERS");

	if (!o->brokers && env && *env) {
		o->brokers = env;
		brokers_explicit = 1;
	}
	if (!o->brokers)
		o->brokers = "localhost:9092";
	if (from == FROM_KAFKA || (from == FROM_AUTO && brokers_explicit)) {
		/* auto: an unreachable cluster must not stall the answer */
		if (from == FROM_AUTO && !o->timeout_set)
			o->timeout_ms = 2000;
		s = src_kafka_open(o, err, sizeof(err));
		if (s || from == FROM_KAFKA) {
			if (!s)
				ctl_warn("%s", err);
			return s;
		}
		ctl_warn("Kafka unavailable (%s): reading the local journal", err);
	}
	s = src_journal_open(o, err, sizeof(err));
	if (!s)
		ctl_warn("%s", err);
	return s;
}

/* A correlation id as the key is stored: canonical lower case. */
static int trace_corr(struct trace_opts *o, const char *arg)
{
	size_t i, n = strlen(arg);

	if (n != PROTO_UUID_LEN)
		return -1;
	for (i = 0; i < n; i++) {
		char c = arg[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return -1;
		} else if (!strchr("0123456789abcdefABCDEF", c) || !c) {
			return -1;
		}
		o->corr_buf[i] = (char)(c >= 'A' && c <= 'F' ? c + 32 : c);
	}
	o->corr_buf[n] = '\0';
	o->corr = o->corr_buf;
	o->src.key = o->corr;
	return 0;
}

int ctl_cmd_trace(const struct ctl_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = { TRACE_OPTS, { 0 } };
	struct trace_opts o;
	int c, r;

	trace_opts_init(&o);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			ctl_usage(cmd, stdout, 1);
			return CTL_OK;
		}
		r = trace_opt(cmd, &o, c, optarg);
		if (r < 0)
			return CTL_USAGE;
		if (r == 0)
			return ctl_usage_error(cmd, "bad option");
	}
	if (optind + 1 != argc)
		return ctl_usage_error(cmd, "one CORRELATION_ID expected");
	if (trace_corr(&o, argv[optind]) < 0)
		return ctl_usage_error(cmd, "not a UUID: '%s'", argv[optind]);
	return trace_run(&o);
}
