/*
 * bench_proto: what the daemon's hot path spends on one ~400-byte event in
 * proto/ (validate, splice the envelope, make an event id), next to
 * cJSON_Parse + cJSON_Delete of the same line in the same run.
 *
 *   bench_proto [N]      N events per run (default 1000000), 5 runs,
 *                        the median of each figure in ns per event.
 *
 * The budget (DESIGN.md): 600,000 events/s on one core is 1.67 us per
 * event for everything (framing, journal, forwarding included).
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto.h"

#define RUNS 5

static const char event_line[] =
	"{\"type\":\"routing_decision\",\"correlation_id\":\"ad12146a-b7d0-4a47"
	"-86bf-7ec298ce2c81\",\"user_request\":\"optimize my database queries"
	"\",\"selected_agent\":\"agent-performance\",\"confidence_score\":0.92,"
	"\"alternatives\":[\"agent-api\",\"agent-debug\"],\"reasoning\":\"High "
	"confidence match on 'optimize' and 'performance' triggers\","
	"\"routing_strategy\":\"enhanced_fuzzy_matching\",\"context\":{\"turn"
	"\":7},\"routing_time_ms\":45,\"timestamp\":\"2025-10-23T10:30:00.123Z"
	"\"}";

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* What one measured step does with event i; returns bytes to consume. */
typedef size_t (*step_fn)(long i);

static struct proto_event ev;
static char out[sizeof event_line + PROTO_ENVELOPE_MAX(32)];
static const struct proto_source src = {
	.pid = 4242, .uid = 1000, .gid = 1000, .host = "bench-host",
	.via = "stream",
};

static size_t step_parse(long i)
{
	char err[PROTO_ERR_MAX];

	(void)i;
	if (proto_event_parse(&ev, event_line, sizeof event_line - 1, -1,
			      err) != 0) {
		fprintf(stderr, "bench_proto: %s\n", err);
		exit(1);
	}
	return ev.nmembers;
}

static size_t step_all(long i)
{
	uint8_t id[16];
	int64_t ms = 1761215400123LL + i / 1000;

	step_parse(i);
	proto_event_id_new(id, ms);
	return proto_envelope_splice(&ev, event_line, sizeof event_line - 1,
				     id, ms, &src, out);
}

static size_t step_id(long i)
{
	uint8_t id[16];

	proto_event_id_new(id, 1761215400123LL + i / 1000);
	return id[15];
}

static size_t step_timestamp(long i)
{
	char ts[PROTO_TIMESTAMP_LEN + 1];

	proto_timestamp_format(1761215400123LL + i, ts);
	return (size_t)ts[22];
}

static size_t step_cjson(long i)
{
	cJSON *j = cJSON_ParseWithLength(event_line, sizeof event_line - 1);
	size_t r = j != NULL;

	(void)i;
	cJSON_Delete(j);
	return r;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static const struct {
	const char *label;
	step_fn fn;
} steps[] = {
	{ "proto_event_parse (validate)", step_parse },
	{ "proto_event_id_new", step_id },
	{ "proto_timestamp_format", step_timestamp },
	{ "parse + event id + splice", step_all },
	{ "cJSON_Parse + cJSON_Delete", step_cjson },
};
#define NSTEPS (sizeof steps / sizeof steps[0])

/* ns per call of n calls of f. */
static double time_step(step_fn f, long n, size_t *sink)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++)
		*sink += f(i);
	return (now_ns() - t0) / (double)n;
}

/*
 * RUNS rounds, each timing every step in turn, so that a burst of load on
 * a shared machine hits all steps of a round alike; then the median of
 * each step over the rounds.
 */
int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	double t[NSTEPS][RUNS];
	size_t sink = 0;

	if (n <= 0) {
		fprintf(stderr, "usage: bench_proto [N]\n");
		return 2;
	}
	for (int r = 0; r < RUNS; r++)
		for (size_t k = 0; k < NSTEPS; k++)
			t[k][r] = time_step(steps[k].fn, n, &sink);
	printf("event: %zu bytes, %ld events x %d rounds, median ns/event\n",
	       sizeof event_line - 1, n, RUNS);
	for (size_t k = 0; k < NSTEPS; k++) {
		qsort(t[k], RUNS, sizeof t[k][0], cmp_double);
		printf("  %-34s %7.1f\n", steps[k].label, t[k][RUNS / 2]);
	}
	printf("  (sink %zu)\n", sink % 10);
	return 0;
}
