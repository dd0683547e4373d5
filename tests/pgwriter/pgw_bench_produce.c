/*
 * pgw-bench-produce: publish events shaped exactly like agentlogd's
 * records, for the pgwriter benchmark.
 *
 *   pgw-bench-produce --brokers B --count N [--rate R] [--correlations K]
 *                     [--warmup-topic T]
 *
 * The four types in turn, every field of each; topic of the type, key =
 * the lower-case correlation id (K of them), headers type, event_id,
 * schema_version; the value is the enriched event with event_id a UUIDv7
 * and timestamp the time of the produce call, so created_at in the
 * database is the publish time.  --rate paces the events (per second);
 * without it they go as fast as librdkafka takes them.  The producer is
 * configured like agentlogd's forwarder (idempotent, acks=all, lz4,
 * murmur2_random).  Before the first event is timed the producer is
 * made ready (its idempotent producer id, connections and the topics'
 * metadata) with one record to --warmup-topic (default
 * agent-observability-dlq, which the writer does not consume): agentlogd's
 * producer is long-lived, a fresh one's first second is not the steady
 * state.  Prints {"events":N,"seconds":S,"rate":R,"failed":F} and exits 0
 * when every record was delivered.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

static long delivered, failed;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	if (m->err)
		failed++;
	else
		delivered++;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* xorshift64*: fast, good enough for test ids. */
static uint64_t rnd_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545F4914F6CDD1Dull;
}

static void uuid_text(const uint8_t b[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	int o = 0;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
}

/* A UUID: v7 (time-ordered) when ms >= 0, else v4. */
static void new_uuid(char out[37], int64_t ms)
{
	uint8_t b[16];
	uint64_t r1 = rnd(), r2 = rnd();

	memcpy(b, &r1, 8);
	memcpy(b + 8, &r2, 8);
	if (ms >= 0) {
		for (int i = 0; i < 6; i++)
			b[i] = (uint8_t)(ms >> (40 - 8 * i));
		b[6] = (uint8_t)((b[6] & 0x0F) | 0x70);
	} else {
		b[6] = (uint8_t)((b[6] & 0x0F) | 0x40);
	}
	b[8] = (uint8_t)((b[8] & 0x3F) | 0x80);
	uuid_text(b, out);
}

static void iso_ms(int64_t ms, char out[32])
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	size_t n;

	gmtime_r(&s, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}

static const char *const types[4] = { "agent_action", "routing_decision",
				      "transformation", "performance_metrics" };
static const char *const topics[4] = { "agent-actions",
				       "agent-routing-decisions",
				       "agent-transformation-events",
				       "router-performance-metrics" };

/* The client's fields of event i of type t (every field). */
static int fields(char *out, size_t len, int t, long i)
{
	switch (t) {
	case 0:
		return snprintf(out, len, "\"agent_name\":\"agent-performance\","
			"\"action_type\":\"tool_call\",\"action_name\":\"Read\","
			"\"action_details\":{\"file\":\"/src/app/db/queries.py\","
			"\"lines\":[120,180]},\"debug_mode\":true,"
			"\"duration_ms\":%ld", 10 + i % 90);
	case 1:
		return snprintf(out, len, "\"selected_agent\":\"agent-performance\","
			"\"confidence_score\":0.%02ld,\"routing_strategy\":"
			"\"enhanced_fuzzy_matching\",\"routing_time_ms\":%ld,"
			"\"user_request\":\"optimize my database queries for the "
			"reporting endpoints\",\"reasoning\":\"High confidence "
			"match on 'optimize' and 'performance' triggers\","
			"\"alternatives\":[\"agent-api\",\"agent-debug\"],"
			"\"context\":{\"session\":\"s-%ld\"}", 50 + i % 50,
			20 + i % 80, i % 97);
	case 2:
		return snprintf(out, len, "\"source_agent\":\"polymorphic-agent\","
			"\"target_agent\":\"agent-performance\","
			"\"transformation_duration_ms\":%ld,"
			"\"transformation_reason\":\"High confidence match\","
			"\"confidence_score\":0.92,\"success\":true",
			50 + i % 60);
	default:
		return snprintf(out, len, "\"query_text\":\"optimize my database "
			"queries for the reporting endpoints\","
			"\"routing_duration_ms\":%ld,\"candidates_evaluated\":5,"
			"\"cache_hit\":%s,\"trigger_match_strategy\":"
			"\"enhanced_fuzzy_matching\",\"confidence_components\":"
			"{\"trigger\":0.5,\"context\":0.42}", i % 1500,
			i % 3 ? "false" : "true");
	}
}

static rd_kafka_t *producer(const char *brokers)
{
	static const char *const props[][2] = {
		{ "enable.idempotence", "true" }, { "acks", "all" },
		{ "compression.codec", "lz4" }, { "linger.ms", "5" },
		{ "partitioner", "murmur2_random" },
		{ "queue.buffering.max.kbytes", "65536" },
	};
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[512];
	rd_kafka_t *rk;

	if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err,
			      sizeof(err)) != RD_KAFKA_CONF_OK)
		goto fail;
	for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++)
		if (rd_kafka_conf_set(conf, props[i][0], props[i][1], err,
				      sizeof(err)) != RD_KAFKA_CONF_OK)
			goto fail;
	rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (rk)
		return rk;
	fprintf(stderr, "pgw-bench-produce: rd_kafka_new: %s\n", err);
	return NULL;
fail:
	fprintf(stderr, "pgw-bench-produce: %s\n", err);
	rd_kafka_conf_destroy(conf);
	return NULL;
}

/* Produce event i now; waits while librdkafka's queue is full. */
static int produce_one(rd_kafka_t *rk, long i, char (*corrs)[37], long ncorr)
{
	char value[2048], eid[37], ts[32], f[1024];
	int64_t ms = wall_ms();
	const char *corr = corrs[(i / 4) % ncorr];
	int t = (int)(i % 4), n;
	rd_kafka_resp_err_t e;

	new_uuid(eid, ms);
	iso_ms(ms, ts);
	fields(f, sizeof(f), t, i);
	n = snprintf(value, sizeof(value), "{\"event_id\":\"%s\",\"timestamp\":"
		     "\"%s\",\"schema_version\":1,\"type\":\"%s\",\"source\":"
		     "{\"pid\":4242,\"uid\":1000,\"gid\":1000,\"host\":\"bench\","
		     "\"via\":\"stream\"},\"correlation_id\":\"%s\",%s}", eid, ts,
		     types[t], corr, f);
	for (;;) {
		e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topics[t]),
			RD_KAFKA_V_KEY(corr, 36), RD_KAFKA_V_VALUE(value, (size_t)n),
			RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			RD_KAFKA_V_HEADER("type", types[t], -1),
			RD_KAFKA_V_HEADER("event_id", eid, 36),
			RD_KAFKA_V_HEADER("schema_version", "1", 1),
			RD_KAFKA_V_END);
		if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		rd_kafka_poll(rk, 10);
	}
	if (e) {
		fprintf(stderr, "pgw-bench-produce: produce: %s\n",
			rd_kafka_err2str(e));
		return -1;
	}
	rd_kafka_poll(rk, 0);
	return 0;
}

/* Make the producer ready: one record delivered, every topic known. */
static int warm_up(rd_kafka_t *rk, const char *topic)
{
	const struct rd_kafka_metadata *md;
	long before = delivered;

	if (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
			      RD_KAFKA_V_VALUE("warm-up", 7),
			      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			      RD_KAFKA_V_END) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return -1;
	rd_kafka_flush(rk, 30000);
	if (rd_kafka_metadata(rk, 1, NULL, &md, 10000) ==
	    RD_KAFKA_RESP_ERR_NO_ERROR)
		rd_kafka_metadata_destroy(md);
	if (delivered != before + 1)
		return -1;
	delivered = before;
	return 0;
}

/* Sleep until event i is due at rate per second from t0. */
static void pace(double t0, long i, double rate)
{
	double due = t0 + (double)i / rate, now = mono_s();
	struct timespec ts;

	if (due <= now)
		return;
	ts.tv_sec = (time_t)(due - now);
	ts.tv_nsec = (long)((due - now - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	const char *brokers = NULL, *warmup = "agent-observability-dlq";
	long count = 0, ncorr = 1000;
	double rate = 0, t0, secs;
	char (*corrs)[37];
	rd_kafka_t *rk;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--brokers") == 0)
			brokers = argv[i + 1];
		else if (strcmp(argv[i], "--count") == 0)
			count = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--rate") == 0)
			rate = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--correlations") == 0)
			ncorr = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--warmup-topic") == 0)
			warmup = argv[i + 1];
	}
	if (!brokers || count <= 0 || ncorr <= 0) {
		fprintf(stderr, "usage: pgw-bench-produce --brokers B --count N "
			"[--rate R] [--correlations K] [--warmup-topic T]\n");
		return 2;
	}
	rnd_state ^= (uint64_t)wall_ms() * 0x9E3779B97F4A7C15ull;
	corrs = malloc(sizeof(*corrs) * (size_t)ncorr);
	for (long i = 0; i < ncorr; i++)
		new_uuid(corrs[i], -1);
	rk = producer(brokers);
	if (!rk)
		return 1;
	if (warm_up(rk, warmup) < 0) {
		fprintf(stderr, "pgw-bench-produce: warm-up record to %s not "
			"delivered\n", warmup);
		return 1;
	}
	t0 = mono_s();
	for (long i = 0; i < count; i++) {
		if (rate > 0)
			pace(t0, i, rate);
		if (produce_one(rk, i, corrs, ncorr) < 0)
			break;
	}
	rd_kafka_flush(rk, 60000);
	secs = mono_s() - t0;
	printf("{\"events\":%ld,\"seconds\":%.3f,\"rate\":%.0f,\"failed\":%ld}\n",
	       delivered, secs, (double)delivered / secs, count - delivered);
	rd_kafka_destroy(rk);
	free(corrs);
	return delivered == count ? 0 : 1;
}
