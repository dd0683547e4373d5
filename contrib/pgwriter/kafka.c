/*
 * kafka.c: the consumer, its rebalances, commits, statistics and logs.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "kafka.h"
#include "log.h"

/* One line per librdkafka facility (or error code) per this many ms. */
#define KAFKA_LOG_EVERY_MS 30000
#define KAFKA_MAX_LAG 256

struct kafka {
	rd_kafka_t *rk;
	const struct config *cfg;
	struct metrics *m;
	kafka_revoke_fn *revoke;
	void *arg;
	int paused;
	int up;                       /* last health seen in statistics */
	rd_kafka_resp_err_t last_err;
	int64_t last_err_ms;
};

static int64_t kafka_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * librdkafka's log lines (from its own threads).  Warnings and errors are
 * kept, at most one per facility per KAFKA_LOG_EVERY_MS: an outage is a
 * few lines, not one per reconnect attempt.
 */
static void kafka_log(const rd_kafka_t *rk, int level, const char *fac,
		      const char *buf)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static struct { char fac[32]; int64_t ms; } seen[16];
	int64_t now = kafka_now_ms();
	int slot = -1, quiet = 0;

	/* -X goes to the consumer and the dead-letter producer alike; that
	 * each ignores the other's properties is no news. */
	if (level > 4 || (strcmp(fac, "CONFWARN") == 0 &&
			  (strstr(buf, "consumer property and will be ignored") ||
			   strstr(buf, "producer property and will be ignored")))) {
		log_debug("kafka: %s: %s", fac, buf);
		return;
	}
	pthread_mutex_lock(&lock);
	for (int i = 0; i < 16 && slot < 0; i++)
		if (strcmp(seen[i].fac, fac) == 0 || seen[i].fac[0] == '\0')
			slot = i;
	if (slot < 0)
		slot = (int)(now % 16);
	if (strcmp(seen[slot].fac, fac) == 0 &&
	    now - seen[slot].ms < KAFKA_LOG_EVERY_MS)
		quiet = 1;
	if (!quiet) {
		snprintf(seen[slot].fac, sizeof(seen[slot].fac), "%s", fac);
		seen[slot].ms = now;
	}
	pthread_mutex_unlock(&lock);
	if (!quiet)
		log_warn("kafka: %s: %s", fac, buf);
}

/* Errors the client reports (served by our polls). */
static void kafka_error(rd_kafka_t *rk, int err, const char *reason,
			void *opaque)
{
	struct kafka *k = opaque;
	int64_t now = kafka_now_ms();
	char fatal[512];

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
		log_error("kafka: fatal error: %s", fatal);
		metrics_set_kafka(k->m, 0, fatal);
		k->up = 0;
		return;
	}
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
		metrics_set_kafka(k->m, 0, reason);
		k->up = 0;
	}
	if ((rd_kafka_resp_err_t)err == k->last_err &&
	    now - k->last_err_ms < KAFKA_LOG_EVERY_MS)
		return;
	k->last_err = (rd_kafka_resp_err_t)err;
	k->last_err_ms = now;
	log_warn("kafka: %s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err),
		 reason);
}

/* Any real broker connection up?  Returns 1/0, with a count of known. */
static int kafka_stats_up(const cJSON *brokers, int *known)
{
	const cJSON *b;
	int up = 0;

	*known = 0;
	cJSON_ArrayForEach(b, brokers) {
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(b, "state");
		const cJSON *src = cJSON_GetObjectItemCaseSensitive(b, "source");
		if (cJSON_IsString(src) &&
		    (strcmp(src->valuestring, "logical") == 0 ||
		     strcmp(src->valuestring, "internal") == 0))
			continue;
		(*known)++;
		if (cJSON_IsString(st) && strcmp(st->valuestring, "UP") == 0)
			up = 1;
	}
	return up;
}

/* An integer member of a statistics object, or -1. */
static int64_t kafka_stat(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : -1;
}

/*
 * The lag of a partition: messages between what the group committed
 * (or, before any commit, the log's start) and the end of the log
 * (its last stable offset).  -1 while either end is unknown.
 */
static int64_t kafka_partition_lag(const cJSON *p)
{
	int64_t end = kafka_stat(p, "ls_offset");
	int64_t from = kafka_stat(p, "committed_offset");

	if (end < 0)
		end = kafka_stat(p, "hi_offset");
	if (from < 0)
		from = kafka_stat(p, "lo_offset");
	if (end < 0 || from < 0)
		return -1;
	return end > from ? end - from : 0;
}

/* The lag of every partition assigned to us. */
static int kafka_stats_lag(const cJSON *topics, struct metrics_lag *lag)
{
	const cJSON *t, *p;
	int n = 0;

	cJSON_ArrayForEach(t, topics) {
		const cJSON *parts = cJSON_GetObjectItemCaseSensitive(t,
								      "partitions");
		cJSON_ArrayForEach(p, parts) {
			int64_t id = kafka_stat(p, "partition");
			if (id < 0 || n == KAFKA_MAX_LAG ||
			    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
						p, "desired")))
				continue;
			snprintf(lag[n].topic, sizeof(lag[n].topic), "%s",
				 t->string);
			lag[n].partition = (int32_t)id;
			lag[n].lag = kafka_partition_lag(p);
			n++;
		}
	}
	return n;
}

/* Statistics, once a second: Kafka's health and the lag per partition. */
static int kafka_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
	struct kafka *k = opaque;
	struct metrics_lag lag[KAFKA_MAX_LAG];
	char reason[64];
	cJSON *st = cJSON_ParseWithLength(json, len);
	int up, known, n;

	if (!st)
		return 0;
	up = kafka_stats_up(cJSON_GetObjectItemCaseSensitive(st, "brokers"),
			    &known);
	if (up != k->up) {
		snprintf(reason, sizeof(reason), "no connection to any of %d "
			 "brokers", known);
		metrics_set_kafka(k->m, up, up ? NULL : reason);
		if (up)
			log_info("kafka: connected");
		else
			log_warn("kafka: unreachable (%s)", reason);
		k->up = up;
	}
	n = kafka_stats_lag(cJSON_GetObjectItemCaseSensitive(st, "topics"), lag);
	metrics_set_lag(k->m, lag, n);
	cJSON_Delete(st);
	return 0;
}

/* Eager rebalancing: see kafka.h. */
static void kafka_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			    rd_kafka_topic_partition_list_t *parts,
			    void *opaque)
{
	struct kafka *k = opaque;

	switch (err) {
	case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
		log_info("kafka: assigned %d partitions", parts->cnt);
		rd_kafka_assign(rk, parts);
		/* A partition paused before a revoke stays paused. */
		rd_kafka_resume_partitions(rk, parts);
		k->paused = 0;
		break;
	case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
		log_info("kafka: %d partitions revoked", parts->cnt);
		if (k->revoke)
			k->revoke(k->arg);
		rd_kafka_assign(rk, NULL);
		k->paused = 0;
		break;
	default:
		log_error("kafka: rebalance failed: %s", rd_kafka_err2str(err));
		rd_kafka_assign(rk, NULL);
		break;
	}
}

/* Results of our commits. */
static void kafka_committed(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			    rd_kafka_topic_partition_list_t *offsets,
			    void *opaque)
{
	struct kafka *k = opaque;

	if (err == RD_KAFKA_RESP_ERR_NO_ERROR ||
	    err == RD_KAFKA_RESP_ERR__NO_OFFSET)
		metrics_commit(k->m);
	else
		log_warn("kafka: offset commit failed: %s (the next batch "
			 "commits again)", rd_kafka_err2str(err));
}

int kafka_conf_set(rd_kafka_conf_t *conf, const char *name,
		   const char *value, char *err, size_t errlen)
{
	if (rd_kafka_conf_set(conf, name, value, err, errlen) !=
	    RD_KAFKA_CONF_OK)
		return -1;
	return 0;
}

rd_kafka_conf_t *kafka_conf_new(const struct config *cfg,
				const char *const (*defaults)[2], int ndefaults,
				char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char name[256];

	if (kafka_conf_set(conf, "bootstrap.servers", cfg->brokers, err,
			   errlen) < 0 ||
	    kafka_conf_set(conf, "client.id", "agentlog-pgwriter", err,
			   errlen) < 0)
		goto fail;
	for (int i = 0; i < ndefaults; i++)
		if (kafka_conf_set(conf, defaults[i][0], defaults[i][1], err,
				   errlen) < 0)
			goto fail;
	for (int i = 0; i < cfg->nkprops; i++) {
		const char *eq = strchr(cfg->kprops[i], '=');
		size_t n = (size_t)(eq - cfg->kprops[i]);
		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, cfg->kprops[i], n);
		name[n] = '\0';
		if (kafka_conf_set(conf, name, eq + 1, err, errlen) < 0)
			goto fail;
	}
	rd_kafka_conf_set_log_cb(conf, kafka_log);
	return conf;
fail:
	rd_kafka_conf_destroy(conf);
	return NULL;
}

/* Defaults a -X may override: a new group starts from the earliest
 * offset (a database writer never skips history); short fetch waits keep
 * publish-to-row latency low. */
static const char *const kafka_consumer_defaults[][2] = {
	{ "auto.offset.reset", "earliest" },
	{ "fetch.wait.max.ms", "100" },
};

/* The writer's contract (see kafka.h): set after -X, not overridable. */
static int kafka_consumer_conf(rd_kafka_conf_t *conf,
			       const struct config *cfg, char *err,
			       size_t errlen)
{
	static const char *const fixed[][2] = {
		{ "enable.auto.commit", "false" },
		{ "enable.auto.offset.store", "false" },
		{ "statistics.interval.ms", "1000" },
	};
	char strategy[256];
	size_t n = sizeof(strategy);

	if (kafka_conf_set(conf, "group.id", cfg->group, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (kafka_conf_set(conf, fixed[i][0], fixed[i][1], err,
				   errlen) < 0)
			return -1;
	if (rd_kafka_conf_get(conf, "partition.assignment.strategy", strategy,
			      &n) == RD_KAFKA_CONF_OK &&
	    strstr(strategy, "cooperative")) {
		snprintf(err, errlen, "partition.assignment.strategy: the "
			 "writer needs an eager strategy (range, roundrobin)");
		return -1;
	}
	return 0;
}

/* Subscribe to the configured topics (each once). */
static int kafka_subscribe(struct kafka *k, char *err, size_t errlen)
{
	rd_kafka_topic_partition_list_t *topics;
	rd_kafka_resp_err_t e;

	topics = rd_kafka_topic_partition_list_new(ROW_TYPE_COUNT);
	for (int t = 0; t < ROW_TYPE_COUNT; t++)
		if (!rd_kafka_topic_partition_list_find(topics,
				k->cfg->topics[t], RD_KAFKA_PARTITION_UA))
			rd_kafka_topic_partition_list_add(topics,
				k->cfg->topics[t], RD_KAFKA_PARTITION_UA);
	e = rd_kafka_subscribe(k->rk, topics);
	rd_kafka_topic_partition_list_destroy(topics);
	if (e) {
		snprintf(err, errlen, "subscribe: %s", rd_kafka_err2str(e));
		return -1;
	}
	return 0;
}

struct kafka *kafka_new(const struct config *cfg, struct metrics *m,
			kafka_revoke_fn *revoke, void *arg, char *err,
			size_t errlen)
{
	rd_kafka_conf_t *conf = kafka_conf_new(cfg, kafka_consumer_defaults,
		(int)(sizeof(kafka_consumer_defaults) /
		      sizeof(kafka_consumer_defaults[0])), err, errlen);
	struct kafka *k;

	if (!conf)
		return NULL;
	k = calloc(1, sizeof(*k));
	if (!k)
		abort();
	k->cfg = cfg;
	k->m = m;
	k->revoke = revoke;
	k->arg = arg;
	if (kafka_consumer_conf(conf, cfg, err, errlen) < 0)
		goto fail;
	rd_kafka_conf_set_opaque(conf, k);
	rd_kafka_conf_set_error_cb(conf, kafka_error);
	rd_kafka_conf_set_stats_cb(conf, kafka_stats);
	rd_kafka_conf_set_rebalance_cb(conf, kafka_rebalance);
	rd_kafka_conf_set_offset_commit_cb(conf, kafka_committed);
	k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, errlen);
	if (!k->rk)
		goto fail;
	conf = NULL;
	rd_kafka_poll_set_consumer(k->rk);
	if (kafka_subscribe(k, err, errlen) < 0) {
		rd_kafka_destroy(k->rk);
		free(k);
		return NULL;
	}
	return k;
fail:
	rd_kafka_conf_destroy(conf);
	free(k);
	return NULL;
}

rd_kafka_message_t *kafka_poll(struct kafka *k, int timeout_ms)
{
	return rd_kafka_consumer_poll(k->rk, timeout_ms);
}

int kafka_commit(struct kafka *k,
		 const rd_kafka_topic_partition_list_t *offsets, int sync)
{
	rd_kafka_resp_err_t e;

	if (offsets->cnt == 0)
		return 0;
	e = rd_kafka_commit(k->rk, offsets, !sync);
	if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET) {
		log_warn("kafka: offset commit failed: %s", rd_kafka_err2str(e));
		return -1;
	}
	if (sync)
		metrics_commit(k->m);
	return 0;
}

/* Pause or resume the whole current assignment. */
static void kafka_set_paused(struct kafka *k, int pause)
{
	rd_kafka_topic_partition_list_t *parts = NULL;

	if (k->paused == pause ||
	    rd_kafka_assignment(k->rk, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	if (pause)
		rd_kafka_pause_partitions(k->rk, parts);
	else
		rd_kafka_resume_partitions(k->rk, parts);
	rd_kafka_topic_partition_list_destroy(parts);
	k->paused = pause;
}

void kafka_pause(struct kafka *k)
{
	kafka_set_paused(k, 1);
}

void kafka_resume(struct kafka *k)
{
	kafka_set_paused(k, 0);
}

void kafka_close(struct kafka *k)
{
	rd_kafka_resp_err_t e;

	if (!k)
		return;
	e = rd_kafka_consumer_close(k->rk);
	if (e)
		log_warn("kafka: leaving the group: %s", rd_kafka_err2str(e));
	rd_kafka_destroy(k->rk);
	free(k);
}
