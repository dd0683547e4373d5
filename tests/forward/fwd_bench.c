/*
 * fwd-bench: how fast the forwarder moves events into the test broker,
 * next to the ceiling: librdkafka's own producer, alone, to the same
 * broker in the same run.
 *
 *   fwd-bench [--events N] [--size S] [--runs R] [--compression C]
 *             [--queue-kbytes K] [--linger MS] [--headers LIST]
 *             [--only ceiling|drain|hot|latency] [--rate EV_PER_S]
 *
 *   ceiling  agentlog-test-produce --bench N (same producer settings)
 *   ceil+hdr the same with the three headers the forwarder adds
 *   drain    a journal pre-filled with N events, forwarder started cold:
 *            time until the cursor reaches the end (the backlog drain)
 *   hot      events appended to the journal in batches of 1,000 while the
 *            forwarder runs: time from the first append to the last report
 *   latency  --rate events/s appended (one flush a millisecond) for 5 s:
 *            p50/p99/max of the time from an event's journal flush to
 *            the cursor passing it (delivery report and every earlier
 *            seq delivered)
 *
 * Prints each run and the median (events/s), and the CPU seconds of this
 * process (forwarder + librdkafka threads) per million events drained.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "harness.h"

struct bench_opts {
	long events, size, runs, queue_kbytes, linger;
	const char *compression;
	const char *headers;     /* --kafka-headers' syntax; default none */
	const char *only;        /* ceiling, drain, hot or latency; NULL: all */
	long rate;               /* latency run: events/s */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, long n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void report(const char *what, double *rates, long n)
{
	printf("%-9s", what);
	for (long i = 0; i < n; i++)
		printf(" %9.0f", rates[i]);
	printf("   median %9.0f events/s\n", median(rates, n));
	fflush(stdout);
}

static double ceiling_run(struct h_env *e, const struct bench_opts *o,
			  int headers)
{
	char cmd[2048], line[512];
	double rate = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "'%s' --bootstrap '%s' --bench %ld --size %ld "
		 "--prop compression.codec=%s --prop linger.ms=%ld "
		 "--prop queue.buffering.max.kbytes=%ld "
		 "--prop queue.buffering.max.messages=500000 --headers %d",
		 h_tool("agentlog-test-produce"), e->broker.bootstrap, o->events,
		 o->size, o->compression, o->linger, o->queue_kbytes, headers);
	p = popen(cmd, "r");
	if (p && fgets(line, sizeof(line), p)) {
		const char *r = strstr(line, "\"rate\":");

		if (r)
			rate = atof(r + 7);
	}
	if (p)
		pclose(p);
	return rate;
}

/* A fresh journal directory per run. */
static int fresh_journal(struct h_env *e, long run, char *dir, size_t len)
{
	snprintf(dir, len, "%s/run%ld", e->dir, run);
	e->jopts.dir = dir;
	e->jopts.fsync = JOURNAL_FSYNC_NEVER;
	e->appended = 0;
	return h_journal_open(e);
}

static double drain_run(struct h_env *e, const struct bench_opts *o,
			long run, double *cpu)
{
	char dir[512];
	double t0, c0, t;

	if (fresh_journal(e, run, dir, sizeof(dir)))
		return 0;
	h_append(e, (uint64_t)o->events, 1000);
	if (h_fwd_start(e))
		return 0;
	t0 = now_s();
	c0 = cpu_s();
	if (!h_wait(e, h_all_delivered, 600000))
		fprintf(stderr, "fwd-bench: drain did not finish\n");
	t = now_s() - t0;
	*cpu = (cpu_s() - c0) * 1e6 / (double)o->events;
	h_fwd_stop(e, 1000);
	h_journal_close(e);
	return (double)o->events / t;
}

static double hot_run(struct h_env *e, const struct bench_opts *o, long run)
{
	char dir[512];
	double t0, t;

	if (fresh_journal(e, run + 1000, dir, sizeof(dir)) || h_fwd_start(e))
		return 0;
	t0 = now_s();
	h_append(e, (uint64_t)o->events, 1000);
	if (!h_wait(e, h_all_delivered, 600000))
		fprintf(stderr, "fwd-bench: hot run did not finish\n");
	t = now_s() - t0;
	h_fwd_stop(e, 1000);
	h_journal_close(e);
	return (double)o->events / t;
}

/* The latency run: events appended at a steady rate, each one's time
 * from its journal flush to the cursor passing it. */
struct lat {
	struct h_env *e;
	double *t_append;        /* by seq */
	double *lat;             /* by seq, ms */
	uint64_t first, n, done, per_tick, seen;
	uv_timer_t tick;
	uv_check_t check;
};

static void lat_tick(uv_timer_t *t)
{
	struct lat *l = t->data;
	struct journal_stats js;
	double now = now_s();
	uint64_t k;

	for (k = 0; k < l->per_tick && l->e->appended < l->n; k++) {
		journal_get_stats(l->e->j, &js);
		l->t_append[js.next_seq - l->first] = now;
		if (h_append_one(l->e) != 0)
			break;
	}
	journal_flush_async(l->e->j);      /* as agentlogd does each turn */
	if (l->e->appended >= l->n)
		uv_timer_stop(t);
}

static void lat_check(uv_check_t *c)
{
	struct lat *l = c->data;
	struct fwd_stats st = h_stats(l->e);
	double now = now_s();

	while (l->first + l->seen < st.cursor && l->seen < l->n) {
		l->lat[l->seen] = (now - l->t_append[l->seen]) * 1000.0;
		l->seen++;
	}
}

static int lat_done(struct h_env *e)
{
	struct lat *l = e->user;

	return l->seen >= l->n;
}

static double percentile(double *v, uint64_t n, double p)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[(size_t)((double)(n - 1) * p)];
}

static void latency_run(struct h_env *e, const struct bench_opts *o)
{
	struct lat l = { .e = e, .n = (uint64_t)o->rate * 5,
			 .per_tick = (uint64_t)o->rate / 1000 };
	struct journal_stats js;
	char dir[512];

	l.t_append = calloc(l.n, sizeof(double));
	l.lat = calloc(l.n, sizeof(double));
	if (!l.per_tick || fresh_journal(e, 9999, dir, sizeof(dir)) ||
	    h_fwd_start(e))
		return;
	journal_get_stats(e->j, &js);
	l.first = js.next_seq;
	e->user = &l;
	uv_timer_init(&e->loop, &l.tick);
	uv_check_init(&e->loop, &l.check);
	l.tick.data = l.check.data = &l;
	uv_timer_start(&l.tick, lat_tick, 1, 1);
	uv_check_start(&l.check, lat_check);
	if (!h_wait(e, lat_done, 60000))
		fprintf(stderr, "fwd-bench: latency run did not finish\n");
	uv_close((uv_handle_t *)&l.tick, NULL);
	uv_close((uv_handle_t *)&l.check, NULL);
	h_fwd_stop(e, 1000);
	h_journal_close(e);
	printf("latency  %ld events/s for 5 s, append to cursor: p50 %.2f ms, "
	       "p99 %.2f ms, max %.2f ms\n", o->rate,
	       percentile(l.lat, l.seen, 0.5), percentile(l.lat, l.seen, 0.99),
	       percentile(l.lat, l.seen, 1.0));
	free(l.t_append);
	free(l.lat);
}

static int parse(int argc, char **argv, struct bench_opts *o)
{
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];

		if (strcmp(k, "--events") == 0)
			o->events = atol(v);
		else if (strcmp(k, "--size") == 0)
			o->size = atol(v);
		else if (strcmp(k, "--runs") == 0)
			o->runs = atol(v);
		else if (strcmp(k, "--compression") == 0)
			o->compression = v;
		else if (strcmp(k, "--queue-kbytes") == 0)
			o->queue_kbytes = atol(v);
		else if (strcmp(k, "--linger") == 0)
			o->linger = atol(v);
		else if (strcmp(k, "--only") == 0)
			o->only = v;
		else if (strcmp(k, "--headers") == 0)
			o->headers = v;
		else if (strcmp(k, "--rate") == 0)
			o->rate = atol(v);
		else
			return -1;
	}
	return o->events > 0 && o->runs > 0 && o->runs <= 50 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct bench_opts o = { .events = 1000000, .size = 400, .runs = 5,
		.rate = 10000,
		.compression = "lz4", .headers = "none", .queue_kbytes = 32768,
		.linger = 5 };
	char errbuf[256];
	double ceil_r[50], ceilh_r[50], drain_r[50], hot_r[50], cpu[50];
	struct h_env e;
	long r;

	if ((argc - 1) % 2 || parse(argc, argv, &o)) {
		fprintf(stderr, "usage: fwd-bench [--events N] [--size S] "
			"[--runs R] [--compression C] "
			"[--queue-kbytes K] [--linger MS] [--headers LIST] "
			"[--only ceiling|drain|hot|latency] [--rate N]\n");
		return 2;
	}
	if (h_env_init(&e, 1000, (size_t)o.size))
		return 1;
	e.fopts.compression = o.compression;
	e.fopts.queue_max_kbytes = (uint64_t)o.queue_kbytes;
	e.fopts.linger_ms = (int)o.linger;
	if (fwd_headers_parse(o.headers, &e.fopts.headers, errbuf,
			      sizeof errbuf) != 0) {
		fprintf(stderr, "fwd-bench: --headers: %s\n", errbuf);
		return 2;
	}
	printf("fwd-bench: %ld events of ~%ld bytes, %s, linger %ld ms, "
	       "queue %ld KiB, headers %s\n", o.events, o.size, o.compression,
	       o.linger, o.queue_kbytes, o.headers);
	for (r = 0; r < o.runs; r++) {
		ceil_r[r] = ceilh_r[r] = drain_r[r] = hot_r[r] = cpu[r] = 1;
		if (!o.only || strcmp(o.only, "ceiling") == 0) {
			ceil_r[r] = ceiling_run(&e, &o, 0);
			ceilh_r[r] = ceiling_run(&e, &o, 1);
		}
		if (!o.only || strcmp(o.only, "drain") == 0)
			drain_r[r] = drain_run(&e, &o, r, &cpu[r]);
		if (!o.only || strcmp(o.only, "hot") == 0)
			hot_r[r] = hot_run(&e, &o, r);
	}
	if (!o.only || strcmp(o.only, "latency") == 0)
		latency_run(&e, &o);
	report("ceiling", ceil_r, o.runs);
	report("ceil+hdr", ceilh_r, o.runs);
	report("drain", drain_r, o.runs);
	report("hot", hot_r, o.runs);
	printf("drain CPU: median %.2f s per million events\n",
	       median(cpu, o.runs));
	h_env_done(&e);
	for (r = 0; r < o.runs; r++)
		if (ceil_r[r] <= 0 || ceilh_r[r] <= 0 || drain_r[r] <= 0 ||
		    hot_r[r] <= 0)
			return 1;
	return h_failures ? 1 : 0;
}
