/*
 * kafka_src.c: agentlog-kafka.so, the Kafka source of trace and replay
 * (client/ctl/source.h), loaded by agentlogctl with dlopen().
 *
 * A consumer without a group: partitions are assigned by hand, nothing is
 * committed.  Each chosen partition is read from its start offset (the
 * beginning, --offset, or offsets-for-times of --since) up to a stop
 * offset fixed when the source opens (the high watermark, or
 * offsets-for-times of --until), so a trace or a replay ends by itself;
 * --follow has no stop.  With a key (trace), only the partition the key
 * hashes to is read in each topic: the producer's partitioner is
 * murmur2_random, the Java client's hash.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "source.h"

#define KSRC_MAX_PARTS 4096

static const char *const ksrc_default_topics[] = {
	"agent-actions", "agent-routing-decisions",
	"agent-transformation-events", "router-performance-metrics", NULL,
};

struct ksrc_part {
	const char *topic;
	int32_t partition;
	int64_t start;
	int64_t stop;            /* exclusive; INT64_MAX with follow */
	int done;
};

struct ksrc {
	struct src base;
	struct src_opts o;
	rd_kafka_t *rk;
	rd_kafka_message_t *cur;
	struct ksrc_part *parts;
	struct ksrc_part *last;          /* the partition of the last message */
	size_t nparts, ndone;
	uint64_t skipped;
	char err[512];
};

/* Partition count of topic, or -1 with k->err. */
static int ksrc_partitions(struct ksrc *k, const char *topic)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_t *t;
	rd_kafka_resp_err_t e;
	int n = -1;

	t = rd_kafka_topic_new(k->rk, topic, NULL);
	e = rd_kafka_metadata(k->rk, 0, t, &md, k->o.timeout_ms);
	if (e)
		snprintf(k->err, sizeof(k->err), "Kafka metadata for %s: %s",
			 topic, rd_kafka_err2str(e));
	else if (md->topic_cnt != 1 || md->topics[0].err)
		snprintf(k->err, sizeof(k->err), "Kafka topic %s: %s", topic,
			 rd_kafka_err2str(md->topic_cnt ? md->topics[0].err :
					  RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
	else
		n = md->topics[0].partition_cnt;
	if (md)
		rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(t);
	return n;
}

/* The partitions to read: every one, or the key's in each topic. */
static int ksrc_choose(struct ksrc *k)
{
	const char *const *topics = k->o.topics ? k->o.topics : ksrc_default_topics;
	int32_t p, n;

	for (; *topics; topics++) {
		n = ksrc_partitions(k, *topics);
		if (n < 0)
			return -1;
		for (p = 0; p < n && k->nparts < KSRC_MAX_PARTS; p++) {
			if (k->o.key && p != src_partition(k->o.key,
							   strlen(k->o.key), n))
				continue;
			k->parts[k->nparts].topic = *topics;
			k->parts[k->nparts++].partition = p;
		}
	}
	return 0;
}

/* Offsets for a time in every chosen partition (-1: none at or after). */
static int ksrc_times(struct ksrc *k, int64_t ms, int64_t *out)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t e;
	size_t i;

	l = rd_kafka_topic_partition_list_new((int)k->nparts);
	for (i = 0; i < k->nparts; i++)
		rd_kafka_topic_partition_list_add(l, k->parts[i].topic,
						  k->parts[i].partition)->offset = ms;
	e = rd_kafka_offsets_for_times(k->rk, l, k->o.timeout_ms);
	for (i = 0; !e && i < k->nparts; i++)
		out[i] = l->elems[i].err ? -1 : l->elems[i].offset;
	rd_kafka_topic_partition_list_destroy(l);
	if (e)
		snprintf(k->err, sizeof(k->err), "Kafka offsets for times: %s",
			 rd_kafka_err2str(e));
	return e ? -1 : 0;
}

/* Start and stop offsets of every chosen partition. */
static int ksrc_bounds(struct ksrc *k)
{
	int64_t lo, hi, *t = calloc(k->nparts + 1, sizeof(*t));
	rd_kafka_resp_err_t e;
	size_t i;
	int rc = -1;

	for (i = 0; i < k->nparts; i++) {
		struct ksrc_part *p = &k->parts[i];

		e = rd_kafka_query_watermark_offsets(k->rk, p->topic, p->partition,
						     &lo, &hi, k->o.timeout_ms);
		if (e) {
			snprintf(k->err, sizeof(k->err), "Kafka watermarks of %s/%d: %s",
				 p->topic, p->partition, rd_kafka_err2str(e));
			goto out;
		}
		p->start = k->o.from_offset >= 0 ? k->o.from_offset : lo;
		if (p->start < lo)
			p->start = lo;
		p->stop = k->o.follow ? INT64_MAX : hi;
	}
	if (k->o.since_ms != INT64_MIN) {
		if (ksrc_times(k, k->o.since_ms, t) < 0)
			goto out;
		/* -1 is "no record at or after since" on a real broker, but
		 * also what a broker without timestamp lookup (librdkafka's
		 * mock cluster) answers: then read from the start and let
		 * the per-record time filter decide. */
		for (i = 0; i < k->nparts; i++)
			if (t[i] > k->parts[i].start)
				k->parts[i].start = t[i];
	}
	if (k->o.until_ms != INT64_MAX) {
		if (ksrc_times(k, k->o.until_ms + 1, t) < 0)
			goto out;
		for (i = 0; i < k->nparts; i++)
			if (t[i] >= 0 && t[i] < k->parts[i].stop)
				k->parts[i].stop = t[i];
	}
	rc = 0;
out:
	free(t);
	return rc;
}

/* Assign every partition that has something to read. */
static int ksrc_assign(struct ksrc *k)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t e;
	size_t i;

	l = rd_kafka_topic_partition_list_new((int)k->nparts);
	for (i = 0; i < k->nparts; i++) {
		struct ksrc_part *p = &k->parts[i];

		if (p->start >= p->stop) {
			p->done = 1;
			k->ndone++;
			continue;
		}
		rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset =
			p->start;
	}
	e = rd_kafka_assign(k->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	if (e)
		snprintf(k->err, sizeof(k->err), "Kafka assign: %s",
			 rd_kafka_err2str(e));
	return e ? -1 : 0;
}

static struct ksrc_part *ksrc_find(struct ksrc *k, const char *topic, int32_t p)
{
	size_t i;

	/* messages come in runs from one partition: try the last one first */
	if (k->last && k->last->partition == p && !strcmp(k->last->topic, topic))
		return k->last;
	for (i = 0; i < k->nparts; i++)
		if (k->parts[i].partition == p && !strcmp(k->parts[i].topic, topic))
			return k->last = &k->parts[i];
	return NULL;
}

static void ksrc_done(struct ksrc *k, struct ksrc_part *p)
{
	if (p && !p->done) {
		p->done = 1;
		k->ndone++;
	}
}

/* Take one message: 1 to hand it out, 0 to skip it. */
static int ksrc_take(struct ksrc *k, rd_kafka_message_t *m)
{
	const char *topic = rd_kafka_topic_name(m->rkt);
	struct ksrc_part *p = ksrc_find(k, topic, m->partition);
	int64_t ts;

	if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
		if (!k->o.follow)
			ksrc_done(k, p);
		return 0;
	}
	if (m->err) {
		k->skipped++;
		return 0;
	}
	if (!p || p->done || m->offset >= p->stop) {
		ksrc_done(k, p);
		return 0;
	}
	if (m->offset + 1 >= p->stop)
		ksrc_done(k, p);
	if (k->o.key && (m->key_len != strlen(k->o.key) ||
			 memcmp(m->key, k->o.key, m->key_len)))
		return 0;
	ts = rd_kafka_message_timestamp(m, NULL);
	return ts >= k->o.since_ms && ts <= k->o.until_ms;
}

static int ksrc_next(struct src *s, struct src_rec *r, int wait_ms)
{
	struct ksrc *k = (struct ksrc *)s;
	rd_kafka_message_t *m;
	rd_kafka_timestamp_type_t tt;
	int idle = 0;

	if (k->cur)
		rd_kafka_message_destroy(k->cur);
	k->cur = NULL;
	while (k->ndone < k->nparts) {
		m = rd_kafka_consumer_poll(k->rk, k->o.follow ? wait_ms : 100);
		if (!m) {
			if (k->o.follow)
				return 0;
			if ((idle += 100) >= k->o.timeout_ms) {
				snprintf(k->err, sizeof(k->err), "no data from Kafka "
					 "within %d ms", k->o.timeout_ms);
				return -ETIMEDOUT;
			}
			continue;
		}
		idle = 0;
		if (!ksrc_take(k, m)) {
			rd_kafka_message_destroy(m);
			continue;
		}
		k->cur = m;
		r->topic = rd_kafka_topic_name(m->rkt);
		r->partition = m->partition;
		r->offset = m->offset;
		r->time_ms = rd_kafka_message_timestamp(m, &tt);
		r->type = -1;
		r->key = m->key;
		r->key_len = m->key_len;
		r->value = m->payload;
		r->value_len = m->len;
		return 1;
	}
	return 0;
}

static const char *ksrc_error(const struct src *s)
{
	return ((const struct ksrc *)s)->err;
}

static uint64_t ksrc_skipped(const struct src *s)
{
	return ((const struct ksrc *)s)->skipped;
}

static void ksrc_close(struct src *s)
{
	struct ksrc *k = (struct ksrc *)s;

	if (k->cur)
		rd_kafka_message_destroy(k->cur);
	if (k->rk) {
		rd_kafka_consumer_close(k->rk);
		rd_kafka_destroy(k->rk);
	}
	free(k->parts);
	free(k);
}

static const struct src_ops ksrc_ops = {
	ksrc_next, ksrc_error, ksrc_skipped, ksrc_close,
};

/* A consumer that reads fast and commits nothing. */
static rd_kafka_t *ksrc_consumer(const char *brokers, char *err, size_t errlen)
{
	static const char *const props[][2] = {
		{ "enable.partition.eof", "true" },
		{ "enable.auto.commit", "false" },
		{ "enable.auto.offset.store", "false" },
		{ "fetch.wait.max.ms", "50" },
		{ "queued.max.messages.kbytes", "262144" },
	};
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	char group[64];
	size_t i;

	/* assign() needs a group id; nothing joins it or commits to it */
	snprintf(group, sizeof(group), "agentlogctl-%d", (int)getpid());
	if (rd_kafka_conf_set(c, "bootstrap.servers", brokers, err, errlen) ||
	    rd_kafka_conf_set(c, "group.id", group, err, errlen)) {
		rd_kafka_conf_destroy(c);
		return NULL;
	}
	for (i = 0; i < sizeof(props) / sizeof(props[0]); i++)
		rd_kafka_conf_set(c, props[i][0], props[i][1], NULL, 0);
	/* no librdkafka log lines on the user's terminal: failures come back
	 * as errors of the calls, reported once by agentlogctl */
	rd_kafka_conf_set_log_cb(c, NULL);
	return rd_kafka_new(RD_KAFKA_CONSUMER, c, err, errlen);
}

__attribute__((visibility("default")))
struct src *agentlog_kafka_src_open(int abi, const struct src_opts *o,
				    char *err, size_t errlen);

struct src *agentlog_kafka_src_open(int abi, const struct src_opts *o,
				    char *err, size_t errlen)
{
	struct ksrc *k;

	if (abi != SRC_ABI_VERSION) {
		snprintf(err, errlen, "agentlog-kafka.so: ABI %d, expected %d",
			 SRC_ABI_VERSION, abi);
		return NULL;
	}
	k = calloc(1, sizeof(*k));
	if (!k || !(k->parts = calloc(KSRC_MAX_PARTS, sizeof(*k->parts)))) {
		free(k);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	k->base.ops = &ksrc_ops;
	k->base.name = "kafka";
	snprintf(k->base.where, sizeof(k->base.where), "%s", o->brokers);
	k->o = *o;
	k->rk = ksrc_consumer(o->brokers, err, errlen);
	if (!k->rk || ksrc_choose(k) < 0 || ksrc_bounds(k) < 0 ||
	    ksrc_assign(k) < 0) {
		if (k->rk)
			snprintf(err, errlen, "%s", k->err);
		ksrc_close(&k->base);
		return NULL;
	}
	return &k->base;
}
