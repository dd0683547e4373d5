/*
 * agentlog-test-consume: read records back from Kafka with a real
 * librdkafka consumer and print each as one JSON line:
 *
 *   {"topic":..,"partition":..,"offset":..,"key":..|null,"value":"..",
 *    "headers":{"name":"value",...},"timestamp":ms}
 *
 *   agentlog-test-consume --bootstrap B --topics a,b [--count N]
 *                         [--idle-ms M] [--timeout-ms T] [--group G]
 *   agentlog-test-consume --bootstrap B --topics a,b --watermarks
 *
 * Without --group every partition of the topics is assigned from the
 * beginning (no group membership, no commits).  It stops after N records, after M ms
 * without a record, or after T ms (default 30000), whichever comes first.
 * --watermarks prints {"topic","partition","low","high"} per partition
 * instead: the mock cluster keeps a bounded log per partition, so volume
 * tests count by high watermarks.  Exit status 0, or 1 on an error.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <librdkafka/rdkafka.h>

struct opts {
	const char *bootstrap;
	char *topics;
	const char *group;
	long count;          /* 0: no limit */
	long idle_ms;        /* 0: no idle limit */
	long timeout_ms;
	int watermarks;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static rd_kafka_t *new_consumer(const struct opts *o)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char errstr[512], gid[64];
	rd_kafka_t *rk;

#define SET(k, v)                                                          \
	if (rd_kafka_conf_set(conf, k, v, errstr, sizeof(errstr))) {       \
		fprintf(stderr, "agentlog-test-consume: %s\n", errstr);    \
		rd_kafka_conf_destroy(conf);                               \
		return NULL;                                               \
	}
	SET("bootstrap.servers", o->bootstrap);
	SET("enable.auto.commit", "false");
	SET("auto.offset.reset", "earliest");
	SET("log_level", "3");
	/* librdkafka's consumer wants a group.id even for assign(), which
	 * never joins it: a private name when none is given. */
	snprintf(gid, sizeof(gid), "agentlog-test-consume-%ld", (long)getpid());
	SET("group.id", o->group ? o->group : gid);
#undef SET
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "agentlog-test-consume: rd_kafka_new() failed: %s\n",
			errstr);
		return NULL;
	}
	rd_kafka_poll_set_consumer(rk);
	return rk;
}

/* The partition count of topic, from metadata; -1 when unknown. */
static int partition_count(rd_kafka_t *rk, const char *topic)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	rd_kafka_resp_err_t err;
	int n = -1;

	err = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
	rd_kafka_topic_destroy(rkt);
	if (err) {
		fprintf(stderr, "agentlog-test-consume: metadata(%s): %s\n",
			topic, rd_kafka_err2str(err));
		return -1;
	}
	if (md->topic_cnt == 1 && !md->topics[0].err)
		n = md->topics[0].partition_cnt;
	else if (md->topic_cnt == 1)
		fprintf(stderr, "agentlog-test-consume: topic %s: %s\n", topic,
			rd_kafka_err2str(md->topics[0].err));
	rd_kafka_metadata_destroy(md);
	return n;
}

/* Every partition of every topic, starting at the beginning. */
static rd_kafka_topic_partition_list_t *all_partitions(rd_kafka_t *rk,
						       char *topics)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
	char *save = NULL, *t;
	int p, n;

	for (t = strtok_r(topics, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		n = partition_count(rk, t);
		if (n < 0) {
			rd_kafka_topic_partition_list_destroy(l);
			return NULL;
		}
		for (p = 0; p < n; p++)
			rd_kafka_topic_partition_list_add(l, t, p)->offset =
				RD_KAFKA_OFFSET_BEGINNING;
	}
	return l;
}

static int print_watermarks(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *l)
{
	int i;

	for (i = 0; i < l->cnt; i++) {
		int64_t lo, hi;
		rd_kafka_resp_err_t err;

		err = rd_kafka_query_watermark_offsets(rk, l->elems[i].topic,
						       l->elems[i].partition,
						       &lo, &hi, 10000);
		if (err) {
			fprintf(stderr, "agentlog-test-consume: watermarks "
				"%s [%d]: %s\n", l->elems[i].topic,
				(int)l->elems[i].partition, rd_kafka_err2str(err));
			return -1;
		}
		printf("{\"topic\":\"%s\",\"partition\":%d,\"low\":%lld,"
		       "\"high\":%lld}\n", l->elems[i].topic,
		       (int)l->elems[i].partition, (long long)lo,
		       (long long)hi);
	}
	return 0;
}

static cJSON *headers_json(rd_kafka_message_t *m)
{
	cJSON *h = cJSON_CreateObject();
	rd_kafka_headers_t *hdrs;
	const char *name;
	const void *val;
	size_t size, i;
	char *s;

	if (rd_kafka_message_headers(m, &hdrs))
		return h;
	for (i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &val, &size); i++) {
		if (!val) {
			cJSON_AddNullToObject(h, name);
			continue;
		}
		s = strndup(val, size);
		cJSON_AddStringToObject(h, name, s);
		free(s);
	}
	return h;
}

static void add_bytes(cJSON *o, const char *name, const void *p, size_t len)
{
	char *s;

	if (!p) {
		cJSON_AddNullToObject(o, name);
		return;
	}
	s = strndup(p, len);
	cJSON_AddStringToObject(o, name, s);
	free(s);
}

static void print_message(rd_kafka_message_t *m)
{
	cJSON *o = cJSON_CreateObject();
	char *line;

	cJSON_AddStringToObject(o, "topic", rd_kafka_topic_name(m->rkt));
	cJSON_AddNumberToObject(o, "partition", m->partition);
	cJSON_AddNumberToObject(o, "offset", (double)m->offset);
	add_bytes(o, "key", m->key, m->key_len);
	add_bytes(o, "value", m->payload, m->len);
	cJSON_AddItemToObject(o, "headers", headers_json(m));
	cJSON_AddNumberToObject(o, "timestamp",
				(double)rd_kafka_message_timestamp(m, NULL));
	line = cJSON_PrintUnformatted(o);
	puts(line);
	free(line);
	cJSON_Delete(o);
}

/* Start reading: a group subscription or a plain assignment. */
static int start_reading(rd_kafka_t *rk, const struct opts *o,
			 rd_kafka_topic_partition_list_t *l)
{
	rd_kafka_resp_err_t err;

	if (o->group) {
		rd_kafka_topic_partition_list_t *s =
			rd_kafka_topic_partition_list_new(l->cnt);
		int i;

		for (i = 0; i < l->cnt; i++)
			if (!rd_kafka_topic_partition_list_find(s,
					l->elems[i].topic, RD_KAFKA_PARTITION_UA))
				rd_kafka_topic_partition_list_add(s,
					l->elems[i].topic, RD_KAFKA_PARTITION_UA);
		err = rd_kafka_subscribe(rk, s);
		rd_kafka_topic_partition_list_destroy(s);
	} else {
		err = rd_kafka_assign(rk, l);
	}
	if (err)
		fprintf(stderr, "agentlog-test-consume: %s: %s\n",
			o->group ? "subscribe" : "assign", rd_kafka_err2str(err));
	return err ? -1 : 0;
}

static int consume(rd_kafka_t *rk, const struct opts *o)
{
	int64_t start = now_ms(), last = start;
	long got = 0;

	while (o->count == 0 || got < o->count) {
		int64_t t = now_ms();
		rd_kafka_message_t *m;

		if (t - start >= o->timeout_ms)
			break;
		if (o->idle_ms > 0 && t - last >= o->idle_ms)
			break;
		m = rd_kafka_consumer_poll(rk, 100);
		if (!m)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			print_message(m);
			got++;
			last = now_ms();
		} else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			fprintf(stderr, "agentlog-test-consume: %s\n",
				rd_kafka_message_errstr(m));
		}
		rd_kafka_message_destroy(m);
	}
	fflush(stdout);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: agentlog-test-consume --bootstrap B --topics a,b "
		"[--count N] [--idle-ms M] [--timeout-ms T] [--group G] "
		"[--watermarks]\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(argv[i], "--watermarks") == 0) {
			o->watermarks = 1;
			continue;
		}
		if (!v)
			return -1;
		if (strcmp(argv[i], "--bootstrap") == 0)
			o->bootstrap = v;
		else if (strcmp(argv[i], "--topics") == 0)
			o->topics = strdup(v);
		else if (strcmp(argv[i], "--group") == 0)
			o->group = v;
		else if (strcmp(argv[i], "--count") == 0)
			o->count = atol(v);
		else if (strcmp(argv[i], "--idle-ms") == 0)
			o->idle_ms = atol(v);
		else if (strcmp(argv[i], "--timeout-ms") == 0)
			o->timeout_ms = atol(v);
		else
			return -1;
		i++;
	}
	return o->bootstrap && o->topics ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct opts o = { .timeout_ms = 30000 };
	rd_kafka_topic_partition_list_t *l = NULL;
	rd_kafka_t *rk = NULL;
	int rc = 1;

	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (parse_args(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	rk = new_consumer(&o);
	if (!rk)
		goto out;
	l = all_partitions(rk, o.topics);
	if (!l)
		goto out;
	if (o.watermarks)
		rc = print_watermarks(rk, l) ? 1 : 0;
	else if (start_reading(rk, &o, l) == 0)
		rc = consume(rk, &o);
out:
	if (l)
		rd_kafka_topic_partition_list_destroy(l);
	if (rk) {
		rd_kafka_consumer_close(rk);
		rd_kafka_destroy(rk);
	}
	free(o.topics);
	return rc;
}
