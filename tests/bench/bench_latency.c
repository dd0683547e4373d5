/*
 * bench_latency: time from an event's socket write to the moment a Kafka
 * consumer can read it, at a steady rate.
 *
 *   bench_latency --bootstrap B --topic T --rate EV_PER_S --seconds S
 *                 (--socket PATH | --direct) [--skip-ms MS]
 *
 * A sender thread writes rate/1000 events every millisecond (one write()
 * per tick) on one stream connection to PATH (agentlogd, rsyslog,
 * syslog-ng: anything that forwards the line to topic T).  Each ~400-byte
 * event carries its write time (CLOCK_REALTIME, ns) in "context":{"t_ns"}.
 * The main thread consumes every partition of T from the high watermarks
 * it saw before the first write (fetch.wait.max.ms=1, so a fetch answers
 * within about a millisecond of the record's append) and takes, per event,
 * the read time minus the write time.  The record is readable once the
 * broker appended it, which is when it acknowledges the producer, so this
 * is the socket-write -> Kafka-ack latency plus the consumer's fetch delay.
 *
 * --direct produces the same events with librdkafka itself (the settings
 * agentlogd uses: idempotent, acks=all, lz4, linger.ms=5) instead of
 * writing them to a socket: the floor of this measurement.
 *
 * Events written in the first --skip-ms (default 200) are not counted
 * (connection and producer warm-up).  Prints one line of key=value pairs:
 * sent, received, lost, p50_ms, p99_ms, p999_ms, max_ms.  An event never
 * read (lost > 0) was evicted by the mock broker's bounded log before the
 * consumer got to it (the consumer fell behind); the exit status is 0
 * when every event was read, 3 when some were lost.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

struct lat_opts {
	const char *bootstrap, *topic, *sock;
	long rate, skip_ms;
	double seconds;
	int direct;
};

static struct lat_opts o = { .skip_ms = 200, .seconds = 5 };
static volatile long lat_sent;         /* events written, all told */
static volatile int lat_done;          /* the sender has finished */
static long long lat_t0;               /* realtime ns of the first tick */

static long long now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Every event starts so: the key (correlation id) follows it. */
#define LAT_PREFIX "{\"type\":\"routing_decision\",\"correlation_id\":\""

/* One ~400-byte routing decision stamped with its write time. */
static int lat_event(char *out, size_t cap, long seq, long long t_ns)
{
	return snprintf(out, cap, LAT_PREFIX "%08lx-b7d0-"
		"4a47-86bf-7ec298ce2c81\",\"selected_agent\":\"agent-performance\","
		"\"confidence_score\":0.92,\"routing_strategy\":\"enhanced_fuzzy_"
		"matching\",\"routing_time_ms\":45,\"user_request\":\"optimize my "
		"database queries please, they are slow\",\"reasoning\":\"High "
		"confidence match on 'optimize' and 'performance' triggers\","
		"\"alternatives\":[\"agent-api\",\"agent-debug\"],\"context\":"
		"{\"t_ns\":%lld,\"seq\":%ld}}\n", (unsigned long)(seq % 1000),
		t_ns, seq);
}

static rd_kafka_conf_t *lat_conf(const char *const *kv)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[256];

	for (; *kv; kv += 2) {
		if (rd_kafka_conf_set(conf, kv[0], kv[1], err, sizeof(err))) {
			fprintf(stderr, "bench_latency: %s\n", err);
			exit(2);
		}
	}
	return conf;
}

static rd_kafka_t *lat_producer(void)
{
	const char *kv[] = { "bootstrap.servers", o.bootstrap,
		"enable.idempotence", "true", "acks", "all",
		"compression.codec", "lz4", "linger.ms", "5",
		"partitioner", "murmur2_random", NULL };
	char err[256];
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, lat_conf(kv), err,
				      sizeof(err));

	if (!rk) {
		fprintf(stderr, "bench_latency: rd_kafka_new: %s\n", err);
		exit(1);
	}
	return rk;
}

static int lat_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", o.sock);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "bench_latency: connect(%s): %s\n", o.sock,
			strerror(errno));
		exit(1);
	}
	return fd;
}

/* Hands one tick's events to the socket (one write) or to librdkafka. */
static void lat_emit(int fd, rd_kafka_t *rk, char *buf, size_t len)
{
	if (rk) {
		for (char *p = buf, *nl; p < buf + len; p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(buf + len - p));
			rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(o.topic),
				RD_KAFKA_V_KEY(p + sizeof(LAT_PREFIX) - 1, 36),
				RD_KAFKA_V_VALUE(p, (size_t)(nl - p)),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_END);
		}
		rd_kafka_poll(rk, 0);
		return;
	}
	for (size_t off = 0; off < len; ) {
		ssize_t w = write(fd, buf + off, len - off);

		if (w < 0 && errno != EINTR) {
			perror("bench_latency: write");
			exit(1);
		}
		off += w > 0 ? (size_t)w : 0;
	}
}

/* The paced sender: rate/1000 events each millisecond for o.seconds. */
static void *lat_sender(void *arg)
{
	long per_tick = o.rate / 1000, ticks = (long)(o.seconds * 1000);
	rd_kafka_t *rk = o.direct ? lat_producer() : NULL;
	int fd = o.direct ? -1 : lat_connect();
	char *buf = malloc((size_t)per_tick * 512);
	struct timespec next;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &next);
	lat_t0 = now_ns(CLOCK_REALTIME);
	for (long t = 0; t < ticks; t++) {
		long long stamp = now_ns(CLOCK_REALTIME);
		size_t len = 0;

		for (long k = 0; k < per_tick; k++)
			len += (size_t)lat_event(buf + len, 512, lat_sent + k, stamp);
		lat_emit(fd, rk, buf, len);
		lat_sent += per_tick;
		next.tv_nsec += 1000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	if (rk) {
		rd_kafka_flush(rk, 30000);
		rd_kafka_destroy(rk);
	} else {
		close(fd);
	}
	free(buf);
	lat_done = 1;
	return NULL;
}

/* A consumer of every partition of the topic from its current end. */
static rd_kafka_t *lat_consumer(void)
{
	const char *kv[] = { "bootstrap.servers", o.bootstrap,
		"group.id", "bench-latency", "enable.auto.commit", "false",
		"fetch.wait.max.ms", "1", "fetch.error.backoff.ms", "1",
		"enable.partition.eof", "false", NULL };
	const struct rd_kafka_metadata *md;
	rd_kafka_topic_partition_list_t *l;
	char err[256];
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, lat_conf(kv), err,
				      sizeof(err));
	rd_kafka_topic_t *t;

	if (!rk) {
		fprintf(stderr, "bench_latency: rd_kafka_new: %s\n", err);
		exit(1);
	}
	rd_kafka_poll_set_consumer(rk);
	t = rd_kafka_topic_new(rk, o.topic, NULL);
	if (rd_kafka_metadata(rk, 0, t, &md, 10000) || md->topic_cnt != 1) {
		fprintf(stderr, "bench_latency: no metadata for %s\n", o.topic);
		exit(1);
	}
	l = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
	for (int i = 0; i < md->topics[0].partition_cnt; i++) {
		int32_t p = md->topics[0].partitions[i].id;
		int64_t lo, hi;

		if (rd_kafka_query_watermark_offsets(rk, o.topic, p, &lo, &hi,
						     10000)) {
			fprintf(stderr, "bench_latency: watermarks failed\n");
			exit(1);
		}
		rd_kafka_topic_partition_list_add(l, o.topic, p)->offset = hi;
	}
	rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(t);
	rd_kafka_assign(rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	return rk;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static double pct_ms(long long *v, long n, double p)
{
	return n ? (double)v[(long)((double)(n - 1) * p)] / 1e6 : -1;
}

/* Reads until every event sent is seen (or 30 s after the sender ends);
 * stores each counted event's latency in lat[]; returns how many. */
static long lat_consume(rd_kafka_t *rk, long long *lat, long cap,
			long *received)
{
	long n = 0;
	long long idle_since = 0;

	for (;;) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		long long now = now_ns(CLOCK_REALTIME);

		if (m && !m->err) {
			const char *p = memmem(m->payload, m->len, "\"t_ns\":", 7);
			long long t = p ? atoll(p + 7) : 0;

			(*received)++;
			if (t >= lat_t0 + o.skip_ms * 1000000LL && n < cap)
				lat[n++] = now - t;
		}
		if (m)
			rd_kafka_message_destroy(m);
		if (lat_done && *received >= lat_sent)
			break;
		if (!lat_done || m)
			idle_since = now;
		else if (now - idle_since > 30000000000LL)
			break;
	}
	return n;
}

static int lat_parse(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(k, "--direct")) {
			o.direct = 1;
			continue;
		}
		if (!v)
			return -1;
		i++;
		if (!strcmp(k, "--bootstrap"))
			o.bootstrap = v;
		else if (!strcmp(k, "--topic"))
			o.topic = v;
		else if (!strcmp(k, "--socket"))
			o.sock = v;
		else if (!strcmp(k, "--rate"))
			o.rate = atol(v);
		else if (!strcmp(k, "--seconds"))
			o.seconds = atof(v);
		else if (!strcmp(k, "--skip-ms"))
			o.skip_ms = atol(v);
		else
			return -1;
	}
	return o.bootstrap && o.topic && (o.sock || o.direct) &&
	       o.rate >= 1000 && o.seconds > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	long received = 0, n, cap;
	long long *lat;
	pthread_t th;
	rd_kafka_t *rk;

	if (lat_parse(argc, argv)) {
		fprintf(stderr, "usage: bench_latency --bootstrap B --topic T "
			"--rate N(>=1000) --seconds S (--socket PATH | --direct) "
			"[--skip-ms MS]\n");
		return 2;
	}
	rk = lat_consumer();
	/* let the assignment take effect before the first event exists */
	for (int i = 0; i < 5; i++) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);

		if (m)
			rd_kafka_message_destroy(m);
	}
	cap = (long)((double)o.rate * o.seconds) + 1000;
	lat = malloc((size_t)cap * sizeof(*lat));
	pthread_create(&th, NULL, lat_sender, NULL);
	n = lat_consume(rk, lat, cap, &received);
	pthread_join(th, NULL);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	qsort(lat, (size_t)n, sizeof(*lat), cmp_ll);
	printf("latency rate=%ld seconds=%.1f mode=%s sent=%ld received=%ld "
	       "lost=%ld counted=%ld p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f\n",
	       o.rate, o.seconds, o.direct ? "direct" : "socket", lat_sent,
	       received, lat_sent - received, n, pct_ms(lat, n, 0.5), pct_ms(lat, n, 0.99),
	       pct_ms(lat, n, 0.999), pct_ms(lat, n, 1.0));
	free(lat);
	return received >= lat_sent ? 0 : 3;
}
