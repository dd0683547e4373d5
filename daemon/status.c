/*
 * status.c: gather the figures of every module into one view.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "server.h"
#include "status.h"
#include "wire.h"

struct status_view {
	struct journal_stats j;
	struct fwd_stats f;
	int kafka;
	double uptime;
	double oldest_age;
	double eta;              /* seconds to drain the backlog, -1 unknown */
	double success_ratio;    /* delivered / (delivered + failed) */
};

static void status_gather(struct server *s, struct status_view *v)
{
	memset(v, 0, sizeof *v);
	journal_get_stats(s->journal, &v->j);
	v->kafka = s->fwd != NULL;
	if (s->fwd)
		fwd_get_stats(s->fwd, &v->f);
	int64_t now = server_now_ms();
	v->uptime = (double)(now - (int64_t)s->start_ms) / 1000.0;
	v->oldest_age = v->j.oldest_ms > 0 ? (double)(now - v->j.oldest_ms) / 1000.0 : 0;
	v->eta = -1;
	if (v->j.backlog_events == 0)
		v->eta = 0;
	else if (v->f.drain_rate > 0)
		v->eta = (double)v->j.backlog_events / v->f.drain_rate;
	uint64_t tried = v->f.delivered + v->f.failed;
	v->success_ratio = tried ? (double)v->f.delivered / (double)tried : 1.0;
}

static void status_add_u64(cJSON *o, const char *k, uint64_t v)
{
	cJSON_AddNumberToObject(o, k, (double)v);
}

static cJSON *status_events(struct server *s)
{
	const struct ingest *in = &s->ingest;
	cJSON *e = cJSON_CreateObject();
	status_add_u64(e, "accepted", ingest_accepted(in));
	status_add_u64(e, "rejected", ingest_rejected(in));
	status_add_u64(e, "bytes", in->bytes);
	status_add_u64(e, "backpressure_waits", in->backpressure);
	cJSON_AddNumberToObject(e, "accepted_per_second", in->accept_rate);
	cJSON_AddNumberToObject(e, "rejected_per_second", in->reject_rate);
	cJSON *acc = cJSON_AddObjectToObject(e, "accepted_by_type");
	cJSON *rej = cJSON_AddObjectToObject(e, "rejected_by_type");
	for (int t = 0; t < PROTO_TYPE_COUNT; t++) {
		status_add_u64(acc, proto_type_name(t), in->accepted[t]);
		status_add_u64(rej, proto_type_name(t), in->rejected[t]);
	}
	status_add_u64(rej, "unknown", in->rejected[PROTO_TYPE_COUNT]);
	cJSON *why = cJSON_AddObjectToObject(e, "rejected_by_reason");
	for (int i = 0; i < INGEST_REASONS && in->reason[i].name[0]; i++)
		status_add_u64(why, in->reason[i].name, in->reason[i].count);
	return e;
}

static cJSON *status_journal(struct server *s, const struct status_view *v)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "dir", s->cfg->journal_dir);
	status_add_u64(j, "backlog_events", v->j.backlog_events);
	status_add_u64(j, "bytes", v->j.bytes);
	status_add_u64(j, "max_bytes", s->cfg->journal.max_bytes);
	cJSON_AddNumberToObject(j, "oldest_age_seconds", v->oldest_age);
	status_add_u64(j, "segments", v->j.segments);
	status_add_u64(j, "next_seq", v->j.next_seq);
	status_add_u64(j, "durable_seq", v->j.durable_seq);
	status_add_u64(j, "cursor", v->j.cursor);
	status_add_u64(j, "rejected_full", v->j.rejected_full);
	status_add_u64(j, "dropped_oldest", v->j.dropped_oldest);
	status_add_u64(j, "quarantined", v->j.quarantined);
	status_add_u64(j, "write_errors", v->j.write_errors);
	status_add_u64(j, "fsync_errors", v->j.fsync_errors);
	cJSON_AddBoolToObject(j, "write_failing", v->j.write_failing);
	status_add_u64(j, "ram_bytes", v->j.ram_bytes);
	cJSON_AddStringToObject(j, "io", v->j.direct ? "direct" : "buffered");
	status_add_u64(j, "fsyncs", v->j.fsyncs);
	return j;
}

static cJSON *status_kafka(struct server *s, const struct status_view *v)
{
	cJSON *k = cJSON_CreateObject();
	cJSON_AddBoolToObject(k, "enabled", v->kafka);
	if (!v->kafka)
		return k;
	cJSON_AddStringToObject(k, "brokers", s->cfg->brokers);
	cJSON_AddBoolToObject(k, "up", v->f.up);
	cJSON_AddStringToObject(k, "last_error", v->f.last_error);
	status_add_u64(k, "produced", v->f.produced);
	status_add_u64(k, "delivered", v->f.delivered);
	status_add_u64(k, "failed", v->f.failed);
	status_add_u64(k, "in_flight", v->f.in_flight);
	cJSON_AddNumberToObject(k, "drain_rate", v->f.drain_rate);
	cJSON_AddNumberToObject(k, "eta_seconds", v->eta);
	cJSON_AddNumberToObject(k, "publish_success_ratio", v->success_ratio);
	cJSON_AddBoolToObject(k, "reading_journal", v->f.cold);
	status_add_u64(k, "journal_reads", v->f.cold_switches);
	return k;
}

char *status_json(struct server *s)
{
	struct status_view v;
	status_gather(s, &v);
	cJSON *o = cJSON_CreateObject();
	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "daemon", "agentlogd");
	cJSON_AddStringToObject(o, "version", AGENTLOG_VERSION);
	cJSON_AddNumberToObject(o, "protocol", PROTO_WIRE_VERSION);
	cJSON_AddNumberToObject(o, "pid", (double)getpid());
	cJSON_AddNumberToObject(o, "uptime_seconds", v.uptime);
	cJSON *c = cJSON_AddObjectToObject(o, "connections");
	status_add_u64(c, "open", s->nconns);
	status_add_u64(c, "total", s->conns_total);
	status_add_u64(c, "refused", s->conns_refused);
	status_add_u64(c, "idle_closed", s->idle_closed);
	cJSON_AddItemToObject(o, "events", status_events(s));
	cJSON_AddItemToObject(o, "journal", status_journal(s, &v));
	cJSON_AddItemToObject(o, "kafka", status_kafka(s, &v));
	status_add_u64(o, "dropped", v.j.dropped_oldest + v.j.rejected_full);
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

/* Append one formatted piece to a growing buffer. */
struct status_buf {
	char *p;
	size_t len, cap;
};

__attribute__((format(printf, 2, 3)))
static void status_put(struct status_buf *b, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = b->p ? vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap) : -1;
		va_end(ap);
		if (n >= 0 && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 4096;
		char *p = realloc(b->p, cap);
		if (p == NULL)
			return;
		b->p = p;
		b->cap = cap;
	}
}

static void status_metric(struct status_buf *b, const char *name,
			  const char *type, const char *help, double v)
{
	status_put(b, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help,
		   name, type, name, v);
}

char *status_prometheus(struct server *s)
{
	struct status_view v;
	status_gather(s, &v);
	const struct ingest *in = &s->ingest;
	struct status_buf b = { 0 };
	status_metric(&b, "agentlogd_uptime_seconds", "gauge", "Seconds since start.", v.uptime);
	status_put(&b, "# HELP agentlogd_events_accepted_total Events journaled.\n"
		   "# TYPE agentlogd_events_accepted_total counter\n");
	for (int t = 0; t < PROTO_TYPE_COUNT; t++)
		status_put(&b, "agentlogd_events_accepted_total{type=\"%s\"} %llu\n",
			   proto_type_name(t), (unsigned long long)in->accepted[t]);
	status_put(&b, "# HELP agentlogd_events_rejected_total Events rejected.\n"
		   "# TYPE agentlogd_events_rejected_total counter\n");
	for (int t = 0; t <= PROTO_TYPE_COUNT; t++)
		status_put(&b, "agentlogd_events_rejected_total{type=\"%s\"} %llu\n",
			   t < PROTO_TYPE_COUNT ? proto_type_name(t) : "unknown",
			   (unsigned long long)in->rejected[t]);
	status_put(&b, "# HELP agentlogd_rejections_total Rejections by the field or cause named.\n"
		   "# TYPE agentlogd_rejections_total counter\n");
	for (int i = 0; i < INGEST_REASONS && in->reason[i].name[0]; i++)
		status_put(&b, "agentlogd_rejections_total{reason=\"%s\"} %llu\n",
			   in->reason[i].name, (unsigned long long)in->reason[i].count);
	status_metric(&b, "agentlogd_events_per_second", "gauge", "Events accepted per second.", in->accept_rate);
	status_metric(&b, "agentlogd_connections", "gauge", "Open stream connections.", s->nconns);
	status_metric(&b, "agentlogd_connections_refused_total", "counter", "Connections over --max-connections.", (double)s->conns_refused);
	status_metric(&b, "agentlogd_journal_backlog_events", "gauge", "Events journaled, not yet delivered.", (double)v.j.backlog_events);
	status_metric(&b, "agentlogd_journal_bytes", "gauge", "Bytes of journal segments on disk.", (double)v.j.bytes);
	status_metric(&b, "agentlogd_journal_oldest_age_seconds", "gauge", "Age of the oldest undelivered event.", v.oldest_age);
	status_metric(&b, "agentlogd_journal_quarantined_total", "counter", "Corrupt records moved aside.", (double)v.j.quarantined);
	status_metric(&b, "agentlogd_journal_write_errors_total", "counter", "Failed journal writes or syncs.", (double)v.j.write_errors);
	status_metric(&b, "agentlogd_dropped_total", "counter", "Events refused or dropped by the full-journal policy.", (double)(v.j.dropped_oldest + v.j.rejected_full));
	status_metric(&b, "agentlogd_kafka_enabled", "gauge", "1 when forwarding to Kafka, 0 in journal-only mode.", v.kafka);
	status_metric(&b, "agentlogd_kafka_up", "gauge", "1 when a broker connection is up.", v.f.up);
	status_metric(&b, "agentlogd_kafka_delivered_total", "counter", "Events Kafka acknowledged.", (double)v.f.delivered);
	status_metric(&b, "agentlogd_kafka_failed_total", "counter", "Delivery failures (re-sent from the journal).", (double)v.f.failed);
	status_metric(&b, "agentlogd_kafka_in_flight", "gauge", "Events handed to librdkafka, not yet acknowledged.", (double)v.f.in_flight);
	status_metric(&b, "agentlogd_kafka_drain_rate", "gauge", "Events delivered per second, recent.", v.f.drain_rate);
	status_metric(&b, "agentlogd_publish_success_ratio", "gauge", "Delivered / (delivered + failed).", v.success_ratio);
	return b.p;
}

void status_tick(struct server *s)
{
	struct ingest *in = &s->ingest;
	uint64_t a = ingest_accepted(in), r = ingest_rejected(in);
	in->accept_rate = (double)(a - in->accepted_last);
	in->reject_rate = (double)(r - in->rejected_last);
	in->accepted_last = a;
	in->rejected_last = r;
}
