/*
 * metrics.c: counters, health and lag, and their three renderings
 * (/metrics JSON, /metrics/prometheus, /health).
 */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "metrics.h"

struct metrics {
	pthread_mutex_t lock;
	struct timespec start;         /* CLOCK_MONOTONIC */
	uint64_t consumed;
	uint64_t inserted;
	uint64_t failed;
	uint64_t batches;
	uint64_t dlq;
	double batch_ms_total;
	time_t last_commit;            /* 0: never */
	struct metrics_lag *lag;
	int nlag;
	int db_up;
	int kafka_up;
	char db_reason[METRICS_REASON_MAX];
	char kafka_reason[METRICS_REASON_MAX];
	const char *state;
};

/* Kafka and the database start as "not yet": health says so until the
 * first connection succeeds. */
struct metrics *metrics_new(void)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	pthread_mutex_init(&m->lock, NULL);
	clock_gettime(CLOCK_MONOTONIC, &m->start);
	snprintf(m->db_reason, sizeof(m->db_reason), "not connected yet");
	snprintf(m->kafka_reason, sizeof(m->kafka_reason),
		 "not connected yet");
	m->state = "starting";
	return m;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m->lag);
	free(m);
}

void metrics_batch(struct metrics *m, uint64_t consumed, uint64_t inserted,
		   uint64_t failed, double ms)
{
	pthread_mutex_lock(&m->lock);
	m->consumed += consumed;
	m->inserted += inserted;
	m->failed += failed;
	m->batches++;
	m->batch_ms_total += ms;
	pthread_mutex_unlock(&m->lock);
}

void metrics_dlq(struct metrics *m, uint64_t n)
{
	pthread_mutex_lock(&m->lock);
	m->dlq += n;
	pthread_mutex_unlock(&m->lock);
}

void metrics_commit(struct metrics *m)
{
	pthread_mutex_lock(&m->lock);
	m->last_commit = time(NULL);
	pthread_mutex_unlock(&m->lock);
}

void metrics_set_lag(struct metrics *m, const struct metrics_lag *lag,
		     int n)
{
	struct metrics_lag *copy = NULL;

	if (n > 0) {
		copy = malloc(sizeof(*copy) * (size_t)n);
		if (!copy)
			return;
		memcpy(copy, lag, sizeof(*copy) * (size_t)n);
	}
	pthread_mutex_lock(&m->lock);
	free(m->lag);
	m->lag = copy;
	m->nlag = n;
	pthread_mutex_unlock(&m->lock);
}

static void metrics_set_health(struct metrics *m, int *up, char *dst,
			       int now_up, const char *reason)
{
	pthread_mutex_lock(&m->lock);
	*up = now_up;
	snprintf(dst, METRICS_REASON_MAX, "%s", reason ? reason : "");
	pthread_mutex_unlock(&m->lock);
}

void metrics_set_db(struct metrics *m, int up, const char *reason)
{
	metrics_set_health(m, &m->db_up, m->db_reason, up, reason);
}

void metrics_set_kafka(struct metrics *m, int up, const char *reason)
{
	metrics_set_health(m, &m->kafka_up, m->kafka_reason, up, reason);
}

void metrics_set_state(struct metrics *m, const char *state)
{
	pthread_mutex_lock(&m->lock);
	m->state = state;
	pthread_mutex_unlock(&m->lock);
}

/* Whole seconds since start; the lock is held. */
static double metrics_uptime(const struct metrics *m)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - m->start.tv_sec) +
	       (double)(now.tv_nsec - m->start.tv_nsec) / 1e9;
}

static double metrics_round2(double v)
{
	return round(v * 100.0) / 100.0;
}

/* The figures both renderings share; the lock is held. */
struct metrics_view {
	double uptime;
	double avg_batch_ms;
	double per_second;
	char last_commit[32];        /* "" when none */
};

static void metrics_view(const struct metrics *m, struct metrics_view *v)
{
	struct tm tm;

	v->uptime = metrics_uptime(m);
	v->avg_batch_ms = m->batches ?
		metrics_round2(m->batch_ms_total / (double)m->batches) : 0;
	v->per_second = v->uptime >= 1 ?
		metrics_round2((double)m->consumed / v->uptime) : 0;
	v->last_commit[0] = '\0';
	if (m->last_commit) {
		gmtime_r(&m->last_commit, &tm);
		strftime(v->last_commit, sizeof(v->last_commit),
			 "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
}

char *metrics_json(struct metrics *m)
{
	struct metrics_view v;
	cJSON *o = cJSON_CreateObject();
	cJSON *lag = cJSON_CreateArray();
	char *s;

	pthread_mutex_lock(&m->lock);
	metrics_view(m, &v);
	cJSON_AddNumberToObject(o, "uptime_seconds", floor(v.uptime));
	cJSON_AddNumberToObject(o, "messages_consumed", (double)m->consumed);
	cJSON_AddNumberToObject(o, "messages_inserted", (double)m->inserted);
	cJSON_AddNumberToObject(o, "messages_failed", (double)m->failed);
	cJSON_AddNumberToObject(o, "batches_processed", (double)m->batches);
	cJSON_AddNumberToObject(o, "avg_batch_processing_ms", v.avg_batch_ms);
	cJSON_AddNumberToObject(o, "messages_per_second", v.per_second);
	if (v.last_commit[0])
		cJSON_AddStringToObject(o, "last_commit_time", v.last_commit);
	else
		cJSON_AddNullToObject(o, "last_commit_time");
	for (int i = 0; i < m->nlag; i++) {
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "topic", m->lag[i].topic);
		cJSON_AddNumberToObject(p, "partition", m->lag[i].partition);
		cJSON_AddNumberToObject(p, "lag", (double)m->lag[i].lag);
		cJSON_AddItemToArray(lag, p);
	}
	cJSON_AddItemToObject(o, "consumer_lag", lag);
	cJSON_AddNumberToObject(o, "dlq_messages", (double)m->dlq);
	pthread_mutex_unlock(&m->lock);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* A growing string for the Prometheus text. */
struct metrics_str {
	char *s;
	size_t len, cap;
};

static void metrics_printf(struct metrics_str *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void metrics_printf(struct metrics_str *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		if (b->s) {
			va_start(ap, fmt);
			n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
			va_end(ap);
			if (n >= 0 && (size_t)n < b->cap - b->len) {
				b->len += (size_t)n;
				return;
			}
		}
		b->cap = b->cap ? b->cap * 2 : 4096;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			abort();
	}
}

/* One metric with its HELP and TYPE lines. */
static void metrics_prom1(struct metrics_str *b, const char *name,
			  const char *type, const char *help, double v)
{
	metrics_printf(b, "# HELP agentlog_pgwriter_%s %s\n"
		       "# TYPE agentlog_pgwriter_%s %s\n"
		       "agentlog_pgwriter_%s %.15g\n",
		       name, help, name, type, name, v);
}

char *metrics_prometheus(struct metrics *m)
{
	struct metrics_str b = { 0 };
	struct metrics_view v;

	pthread_mutex_lock(&m->lock);
	metrics_view(m, &v);
	metrics_prom1(&b, "uptime_seconds", "gauge", "Seconds since start.",
		      floor(v.uptime));
	metrics_prom1(&b, "messages_consumed_total", "counter",
		      "Messages consumed and processed.", (double)m->consumed);
	metrics_prom1(&b, "messages_inserted_total", "counter",
		      "Rows inserted (duplicates excluded).",
		      (double)m->inserted);
	metrics_prom1(&b, "messages_failed_total", "counter",
		      "Messages that can never be stored (dead letters).",
		      (double)m->failed);
	metrics_prom1(&b, "batches_processed_total", "counter",
		      "Batches committed.", (double)m->batches);
	metrics_prom1(&b, "avg_batch_processing_ms", "gauge",
		      "Mean time to store and commit a batch.", v.avg_batch_ms);
	metrics_prom1(&b, "messages_per_second", "gauge",
		      "Messages consumed per second since start.",
		      v.per_second);
	metrics_prom1(&b, "last_commit_timestamp_seconds", "gauge",
		      "Unix time of the last offset commit (0: none).",
		      (double)m->last_commit);
	metrics_prom1(&b, "dlq_messages_total", "counter",
		      "Dead letters acknowledged by the DLQ topic.",
		      (double)m->dlq);
	metrics_printf(&b, "# HELP agentlog_pgwriter_consumer_lag Messages "
		       "in the partition not yet stored.\n"
		       "# TYPE agentlog_pgwriter_consumer_lag gauge\n");
	for (int i = 0; i < m->nlag; i++)
		metrics_printf(&b, "agentlog_pgwriter_consumer_lag{topic=\"%s\","
			       "partition=\"%d\"} %lld\n", m->lag[i].topic,
			       m->lag[i].partition, (long long)m->lag[i].lag);
	metrics_prom1(&b, "database_up", "gauge",
		      "1 when PostgreSQL is reachable.", m->db_up);
	metrics_prom1(&b, "kafka_up", "gauge", "1 when Kafka is reachable.",
		      m->kafka_up);
	pthread_mutex_unlock(&m->lock);
	return b.s;
}

char *metrics_health(struct metrics *m, int *ok)
{
	cJSON *o = cJSON_CreateObject();
	char reason[2 * METRICS_REASON_MAX + 64];
	int running;
	char *s;

	pthread_mutex_lock(&m->lock);
	running = strcmp(m->state, "running") == 0;
	*ok = running && m->db_up && m->kafka_up;
	cJSON_AddStringToObject(o, "status", *ok ? "healthy" : "unhealthy");
	cJSON_AddStringToObject(o, "consumer", m->state);
	if (!*ok) {
		reason[0] = '\0';
		if (!m->db_up)
			snprintf(reason, sizeof(reason),
				 "database unreachable: %s", m->db_reason);
		if (!m->kafka_up)
			snprintf(reason + strlen(reason),
				 sizeof(reason) - strlen(reason),
				 "%skafka unreachable: %s",
				 reason[0] ? "; " : "", m->kafka_reason);
		if (!reason[0])
			snprintf(reason, sizeof(reason), "consumer %s",
				 m->state);
		cJSON_AddStringToObject(o, "reason", reason);
	}
	pthread_mutex_unlock(&m->lock);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}
