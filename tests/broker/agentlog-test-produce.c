/*
 * agentlog-test-produce: a plain librdkafka producer for tests and for the
 * benchmark's ceiling.
 *
 *   agentlog-test-produce --bootstrap B [--prop k=v ...]
 *       Reads one JSON object per line on stdin,
 *         {"topic":..,"key":..,"value":"..","headers":{"n":"v",...}}
 *       and produces it (idempotent, acks=all, murmur2_random).  A line
 *       "#flush" waits until everything produced so far has a delivery
 *       report and prints {"flushed":N}.  EOF flushes and exits.  Printed on
 *       stdout, one JSON line each:
 *         {"delivered":i,"topic":..,"partition":..,"offset":..,"error":..}
 *         {"error_event":"<name>","reason":".."}   (librdkafka error_cb)
 *
 *   agentlog-test-produce --bootstrap B --bench N [--size S]
 *       [--topics a,b,...] [--headers 0|1] [--prop k=v ...]
 *       Produces N generated records of S bytes (JSON with prose-like
 *       text; keys: 1,000 UUIDs)
 *       as fast as librdkafka takes them (with --headers 1: the three
 *       headers agentlogd adds: type, event_id, schema_version) and prints
 *       {"events":N,"seconds":..,"rate":..,"failed":..}.
 *
 * Exit status 0 when every record was delivered.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <librdkafka/rdkafka.h>

#define MAX_PROPS 32

struct opts {
	const char *bootstrap;
	const char *props[MAX_PROPS];
	int nprops;
	long bench;
	long size;
	int headers;
	char *topics;
};

static long delivered, failed;
static int print_reports = 1;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	if (m->err)
		failed++;
	else
		delivered++;
	if (!print_reports)
		return;
	printf("{\"delivered\":%ld,\"topic\":\"%s\",\"partition\":%d,"
	       "\"offset\":%lld,\"error\":%s%s%s}\n",
	       (long)(intptr_t)m->_private, rd_kafka_topic_name(m->rkt),
	       (int)m->partition, (long long)m->offset, m->err ? "\"" : "",
	       m->err ? rd_kafka_err2name(m->err) : "null", m->err ? "\"" : "");
	fflush(stdout);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	cJSON *o = cJSON_CreateObject();
	char *line;

	cJSON_AddStringToObject(o, "error_event", rd_kafka_err2name(err));
	cJSON_AddStringToObject(o, "reason", reason);
	line = cJSON_PrintUnformatted(o);
	puts(line);
	fflush(stdout);
	free(line);
	cJSON_Delete(o);
}

static rd_kafka_t *new_producer(const struct opts *o)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	static const char *defaults[] = {
		"enable.idempotence", "true", "acks", "all",
		"partitioner", "murmur2_random", "message.timeout.ms", "0",
		"linger.ms", "5", "compression.codec", "lz4",
		"log_level", "3", NULL,
	};
	char errstr[512], kv[512], *eq;
	rd_kafka_t *rk;
	int i;

	rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	if (rd_kafka_conf_set(conf, "bootstrap.servers", o->bootstrap, errstr,
			      sizeof(errstr)))
		goto fail;
	for (i = 0; defaults[i]; i += 2)
		if (rd_kafka_conf_set(conf, defaults[i], defaults[i + 1],
				      errstr, sizeof(errstr)))
			goto fail;
	for (i = 0; i < o->nprops; i++) {
		snprintf(kv, sizeof(kv), "%s", o->props[i]);
		eq = strchr(kv, '=');
		if (!eq) {
			fprintf(stderr, "agentlog-test-produce: bad --prop %s\n",
				o->props[i]);
			rd_kafka_conf_destroy(conf);
			return NULL;
		}
		*eq = '\0';
		if (rd_kafka_conf_set(conf, kv, eq + 1, errstr, sizeof(errstr)))
			goto fail;
	}
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (rk)
		return rk;
	conf = NULL;
fail:
	fprintf(stderr, "agentlog-test-produce: %s\n", errstr);
	if (conf)
		rd_kafka_conf_destroy(conf);
	return NULL;
}

/* Produce, waiting for room while librdkafka's queue is full. */
static int produce(rd_kafka_t *rk, const char *topic, const char *key,
		   size_t key_len, const char *val, size_t len,
		   rd_kafka_headers_t *hdrs, long id)
{
	rd_kafka_resp_err_t err;

	for (;;) {
		err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
			RD_KAFKA_V_KEY(key, key_len),
			RD_KAFKA_V_VALUE((void *)val, len),
			RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			RD_KAFKA_V_HEADERS(hdrs),
			RD_KAFKA_V_OPAQUE((void *)(intptr_t)id),
			RD_KAFKA_V_END);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		rd_kafka_poll(rk, 10);
	}
	if (err) {
		fprintf(stderr, "agentlog-test-produce: produce: %s\n",
			rd_kafka_err2str(err));
		if (hdrs)
			rd_kafka_headers_destroy(hdrs);
		return -1;
	}
	rd_kafka_poll(rk, 0);
	return 0;
}

static rd_kafka_headers_t *json_headers(const cJSON *h)
{
	rd_kafka_headers_t *hdrs;
	const cJSON *it;

	if (!cJSON_IsObject(h))
		return NULL;
	hdrs = rd_kafka_headers_new(8);
	cJSON_ArrayForEach(it, h)
		if (cJSON_IsString(it))
			rd_kafka_header_add(hdrs, it->string, -1,
					    it->valuestring, -1);
	return hdrs;
}

static int produce_line(rd_kafka_t *rk, const char *line, long id)
{
	cJSON *o = cJSON_Parse(line);
	const cJSON *t, *k, *v;
	int rc = -1;

	if (!o)
		goto out;
	t = cJSON_GetObjectItem(o, "topic");
	k = cJSON_GetObjectItem(o, "key");
	v = cJSON_GetObjectItem(o, "value");
	if (!cJSON_IsString(t) || !cJSON_IsString(v))
		goto out;
	rc = produce(rk, t->valuestring,
		     cJSON_IsString(k) ? k->valuestring : NULL,
		     cJSON_IsString(k) ? strlen(k->valuestring) : 0,
		     v->valuestring, strlen(v->valuestring),
		     json_headers(cJSON_GetObjectItem(o, "headers")), id);
out:
	if (rc)
		fprintf(stderr, "agentlog-test-produce: bad line: %s", line);
	cJSON_Delete(o);
	return rc;
}

static void flush_all(rd_kafka_t *rk)
{
	while (rd_kafka_outq_len(rk) > 0)
		rd_kafka_poll(rk, 100);
}

static int run_lines(rd_kafka_t *rk)
{
	static char line[1 << 20];
	long id = 0;

	while (fgets(line, sizeof(line), stdin)) {
		if (strncmp(line, "#flush", 6) == 0) {
			flush_all(rk);
			printf("{\"flushed\":%ld}\n", delivered + failed);
			fflush(stdout);
			continue;
		}
		if (line[0] == '\n')
			continue;
		if (produce_line(rk, line, id++))
			return 1;
	}
	flush_all(rk);
	return failed ? 1 : 0;
}

/*
 * Text that compresses like prose: words from a small list, chosen by a
 * xorshift generator (the forwarder's benchmark fills its events the
 * same way, so both sides compress alike).
 */
static void fill_text(char *p, size_t n, uint64_t *state)
{
	static const char *words[16] = { "agent", "tool", "call", "result",
		"the", "file", "read", "write", "error", "retry", "plan",
		"route", "model", "token", "cache", "query" };
	size_t k = 0;

	while (k < n) {
		const char *w;
		size_t wl;

		*state ^= *state << 13;
		*state ^= *state >> 7;
		*state ^= *state << 17;
		w = words[*state % 16];
		wl = strlen(w);
		if (wl > n - k)
			wl = n - k;
		memcpy(p + k, w, wl);
		k += wl;
		if (k < n)
			p[k++] = ' ';
	}
}

#define BENCH_VALUES 1024

/* The three headers agentlogd's forwarder puts on every record. */
static rd_kafka_headers_t *bench_headers(long i)
{
	static const char *types[4] = { "agent_action", "routing_decision",
		"transformation", "performance_metrics" };
	rd_kafka_headers_t *h = rd_kafka_headers_new(3);
	char id[64];

	snprintf(id, sizeof(id), "0198a7c2-%04lx-7000-8000-%012lx",
		 (unsigned long)(i & 0xffff), (unsigned long)i);
	rd_kafka_header_add(h, "type", 4, types[i % 4], -1);
	rd_kafka_header_add(h, "event_id", 8, id, 36);
	rd_kafka_header_add(h, "schema_version", 14, "1", 1);
	return h;
}

/* BENCH_VALUES distinct JSON values of size bytes, made before timing. */
static char *bench_values(long size)
{
	char *vals = malloc((size_t)size * BENCH_VALUES), *v;
	uint64_t state = 88172645463325252ull;
	int n;

	for (long i = 0; vals && i < BENCH_VALUES; i++) {
		v = vals + i * size;
		n = snprintf(v, (size_t)size, "{\"n\":%ld,\"event_id\":"
			     "\"%016llx%016llx\",\"text\":\"", i,
			     (unsigned long long)(state * 31 + (uint64_t)i),
			     (unsigned long long)(state ^ (uint64_t)i));
		fill_text(v + n, (size_t)(size - n - 2), &state);
		memcpy(v + size - 2, "\"}", 2);
	}
	return vals;
}

static int run_bench(rd_kafka_t *rk, const struct opts *o)
{
	static const char *def[] = { "agent-actions", "agent-routing-decisions",
		"agent-transformation-events", "router-performance-metrics" };
	const char *topics[16];
	char keys[1000][48], *vals = bench_values(o->size);
	int ntopics = 0;
	double t0, t1;
	long i;

	for (char *s = NULL, *t = o->topics ? strtok_r(o->topics, ",", &s) : NULL;
	     t && ntopics < 16; t = strtok_r(NULL, ",", &s))
		topics[ntopics++] = t;
	for (i = 0; !ntopics && i < 4; i++)
		topics[ntopics++] = def[i];
	for (i = 0; i < 1000; i++)
		snprintf(keys[i], sizeof(keys[i]),
			 "%08lx-0000-4000-8000-%012lx",
			 (i * 2654435761ul) & 0xfffffffful, i);
	if (!vals)
		return 1;
	print_reports = 0;
	t0 = now_s();
	for (i = 0; i < o->bench; i++)
		if (produce(rk, topics[i % ntopics], keys[i % 1000], 36,
			    vals + (i % BENCH_VALUES) * o->size,
			    (size_t)o->size, o->headers ? bench_headers(i) : NULL,
			    i))
			break;
	flush_all(rk);
	t1 = now_s();
	printf("{\"events\":%ld,\"seconds\":%.3f,\"rate\":%.0f,\"failed\":%ld}\n",
	       delivered, t1 - t0, (double)delivered / (t1 - t0), failed);
	free(vals);
	return failed || delivered != o->bench;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	int i;

	for (i = 1; i + 1 < argc; i += 2) {
		const char *v = argv[i + 1];

		if (strcmp(argv[i], "--bootstrap") == 0)
			o->bootstrap = v;
		else if (strcmp(argv[i], "--prop") == 0 && o->nprops < MAX_PROPS)
			o->props[o->nprops++] = v;
		else if (strcmp(argv[i], "--bench") == 0)
			o->bench = atol(v);
		else if (strcmp(argv[i], "--size") == 0)
			o->size = atol(v);
		else if (strcmp(argv[i], "--topics") == 0)
			o->topics = strdup(v);
		else if (strcmp(argv[i], "--headers") == 0)
			o->headers = atoi(v);
		else
			return -1;
	}
	return i == argc && o->bootstrap && o->size >= 32 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct opts o = { .size = 400 };
	rd_kafka_t *rk;
	int rc;

	if (parse_args(argc, argv, &o)) {
		fprintf(stderr, "usage: agentlog-test-produce --bootstrap B "
			"[--prop k=v]... [--bench N [--size S] [--topics a,b] "
			"[--headers 0|1]]\n");
		return 2;
	}
	rk = new_producer(&o);
	if (!rk)
		return 1;
	rc = o.bench > 0 ? run_bench(rk, &o) : run_lines(rk);
	rd_kafka_destroy(rk);
	free(o.topics);
	return rc;
}
