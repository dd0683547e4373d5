/*
 * harness.c: a real loop, journal, forwarder and Kafka for the forwarder's
 * tests and benchmark (see harness.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "harness.h"
#include "proto.h"

int h_failures;

const char *h_tool(const char *name)
{
	static char buf[4][1024];
	static unsigned n;
	const char *build = getenv("AGENTLOG_BUILD");
	char *p = buf[n++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/tests/broker/%s", build ? build : ".",
		 name);
	return p;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int h_broker_start(struct h_broker *b, const char *const *args)
{
	int in[2], out[2], n = 0;
	const char *argv[32];
	char line[600];

	memset(b, 0, sizeof(*b));
	argv[n++] = h_tool("agentlog-test-broker");
	while (args && *args && n < 30)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		return -errno;
	b->pid = fork();
	if (b->pid < 0)
		return -errno;
	if (b->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execv(argv[0], (char *const *)argv);
		perror("execv(agentlog-test-broker)");
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	b->in = fdopen(in[1], "w");
	b->out = fdopen(out[0], "r");
	if (!fgets(line, sizeof(line), b->out) ||
	    strncmp(line, "bootstrap=", 10) != 0) {
		fprintf(stderr, "harness: the broker helper did not start\n");
		h_broker_stop(b);
		return -EIO;
	}
	line[strcspn(line, "\n")] = '\0';
	if (strlen(line + 10) >= sizeof(b->bootstrap)) {
		h_broker_stop(b);
		return -E2BIG;
	}
	memcpy(b->bootstrap, line + 10, strlen(line + 10) + 1);
	return 0;
}

int h_broker_cmd(struct h_broker *b, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vfprintf(b->in, fmt, ap);
	va_end(ap);
	fputc('\n', b->in);
	fflush(b->in);
	if (!fgets(line, sizeof(line), b->out))
		return -EIO;
	if (strcmp(line, "ok\n") != 0) {
		fprintf(stderr, "harness: broker answered %s", line);
		return -EINVAL;
	}
	return 0;
}

void h_broker_stop(struct h_broker *b)
{
	if (b->pid > 0) {
		kill(b->pid, SIGTERM);
		waitpid(b->pid, NULL, 0);
		b->pid = 0;
	}
	if (b->in)
		fclose(b->in);
	if (b->out)
		fclose(b->out);
	b->in = b->out = NULL;
}

static void on_written(void *arg, const char *buf, size_t len,
		       uint64_t first, uint64_t last)
{
	struct h_env *e = arg;

	if (e->f)
		fwd_on_written(e->f, buf, len, first, last);
}

static void on_dropped(void *arg, uint64_t first, uint64_t last,
		       uint64_t cursor)
{
	struct h_env *e = arg;

	if (e->f)
		fwd_on_dropped(e->f, first, last, cursor);
}

static void on_durable(void *arg, uint64_t durable_seq)
{
}

int h_env_init(struct h_env *e, int nkeys, size_t size)
{
	const char *tmp = getenv("TMPDIR");
	int rc;

	memset(e, 0, sizeof(*e));
	e->nkeys = nkeys;
	e->size = size;
	uv_loop_init(&e->loop);
	snprintf(e->dir, sizeof(e->dir), "%s/agentlog-fwd-XXXXXX",
		 tmp ? tmp : "/tmp");
	if (!mkdtemp(e->dir)) {
		perror("mkdtemp");
		return -errno;
	}
	journal_opts_init(&e->jopts);
	e->jopts.dir = e->dir;
	rc = h_broker_start(&e->broker, NULL);
	if (rc)
		return rc;
	e->fopts.brokers = e->broker.bootstrap;
	e->fopts.linger_ms = -1;
	e->fopts.headers = FWD_HDR_ALL;       /* check_record checks all three */
	return 0;
}

int h_journal_open(struct h_env *e)
{
	char err[512];
	int rc = journal_open(&e->loop, &e->jopts, &e->j, err, sizeof(err));

	if (rc) {
		fprintf(stderr, "harness: journal_open: %s\n", err);
		return rc;
	}
	journal_set_callbacks(e->j, on_durable, on_written, e);
	journal_set_drop_callback(e->j, on_dropped, e);
	return 0;
}

int h_fwd_start(struct h_env *e)
{
	struct journal_stats js;
	char err[512];
	int rc;

	journal_get_stats(e->j, &js);
	rc = fwd_start(&e->loop, e->j, &e->fopts, js.cursor, &e->f, err,
		       sizeof(err));
	if (rc)
		fprintf(stderr, "harness: fwd_start: %s\n", err);
	return rc;
}

void h_fwd_stop(struct h_env *e, int timeout_ms)
{
	if (!e->f)
		return;
	fwd_stop(e->f, timeout_ms);
	e->f = NULL;
	uv_run(&e->loop, UV_RUN_NOWAIT);
}

void h_journal_close(struct h_env *e)
{
	if (!e->j)
		return;
	journal_close(e->j);
	e->j = NULL;
	uv_run(&e->loop, UV_RUN_NOWAIT);
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	return remove(path);
}

void h_env_done(struct h_env *e)
{
	h_fwd_stop(e, 0);
	h_journal_close(e);
	h_broker_stop(&e->broker);
	if (e->dir[0])
		nftw(e->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	uv_run(&e->loop, UV_RUN_DEFAULT);
	CHECK(uv_loop_close(&e->loop) == 0);
}

/* The correlation id of event i: one of nkeys fixed UUIDs. */
static void key_of(const struct h_env *e, uint64_t i, char key[37])
{
	snprintf(key, 37, "00000000-0000-4000-8000-%012u",
		 (unsigned)(i % (uint64_t)e->nkeys) % 1000000u);
}

/*
 * Text that compresses like prose: words from a small list, chosen by a
 * xorshift generator (as agentlog-test-produce --bench fills its values,
 * so the benchmark's ceiling and forwarder compress alike).
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

/* One event of about e->size bytes, written straight into the journal's
 * reservation. */
static int append_one(struct h_env *e)
{
	static uint64_t state = 88172645463325252ull;
	static char pad[8192];
	uint64_t i = e->appended;
	char key[37], id_text[PROTO_UUID_LEN + 1], *p;
	size_t max = e->size + 512, len;
	uint8_t id[16];
	int err = 0, type = (int)(i % PROTO_TYPE_COUNT), padlen;
	int64_t t = now_ms();

	key_of(e, i, key);
	proto_event_id_new(id, t);
	proto_uuid_format(id, id_text);
	p = journal_reserve(e->j, 36, max, &err);
	if (!p)
		return err;
	memcpy(p, key, 36);
	padlen = e->size > 160 ? (int)(e->size - 160) : 1;
	if (padlen > (int)sizeof(pad) - 1)
		padlen = (int)sizeof(pad) - 1;
	fill_text(pad, (size_t)padlen, &state);
	len = (size_t)snprintf(p + 36, max, "{\"event_id\":\"%s\",\"type\":\"%s\","
			       "\"correlation_id\":\"%s\",\"i\":%llu,"
			       "\"pad\":\"%.*s\"}", id_text,
			       proto_type_name(type), key,
			       (unsigned long long)i, padlen, pad);
	journal_commit(e->j, type, id, t, 36, len);
	e->appended++;
	return 0;
}

int h_append_one(struct h_env *e)
{
	int rc = append_one(e);

	if (rc) {
		fprintf(stderr, "harness: journal_reserve: %s\n", strerror(-rc));
		h_failures++;
	}
	return rc;
}

void h_append(struct h_env *e, uint64_t n, unsigned chunk)
{
	uint64_t k;

	for (k = 0; k < n; k++) {
		if (h_append_one(e) != 0) {
			journal_flush(e->j);
			return;
		}
		if ((k + 1) % chunk == 0 || k + 1 == n) {
			journal_flush(e->j);
			uv_run(&e->loop, UV_RUN_NOWAIT);
		}
	}
}

/* What the forwarder and the journal say, for a failing test's log. */
void h_dump(struct h_env *e, const char *why)
{
	struct journal_stats js;
	struct fwd_stats st;

	fprintf(stderr, "harness: %s\n", why);
	if (e->j) {
		journal_get_stats(e->j, &js);
		fprintf(stderr, "  journal: next %llu written %llu durable %llu "
			"cursor %llu segments %llu\n",
			(unsigned long long)js.next_seq,
			(unsigned long long)js.written_seq,
			(unsigned long long)js.durable_seq,
			(unsigned long long)js.cursor,
			(unsigned long long)js.segments);
	}
	if (e->f) {
		fwd_get_stats(e->f, &st);
		fprintf(stderr, "  forwarder: up %d cold %d next %llu cursor %llu "
			"produced %llu delivered %llu failed %llu in flight "
			"%llu cold switches %llu rebuilds %llu reproduced %llu "
			"missing %llu last error: %s\n", st.up, st.cold,
			(unsigned long long)st.next_seq,
			(unsigned long long)st.cursor,
			(unsigned long long)st.produced,
			(unsigned long long)st.delivered,
			(unsigned long long)st.failed,
			(unsigned long long)st.in_flight,
			(unsigned long long)st.cold_switches,
			(unsigned long long)st.rebuilds,
			(unsigned long long)st.reproduced,
			(unsigned long long)st.missing, st.last_error);
	}
}

static void on_tick(uv_timer_t *t)
{
}

int h_wait(struct h_env *e, int (*pred)(struct h_env *), int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	uv_timer_t tick;
	int ok;

	uv_timer_init(&e->loop, &tick);
	uv_timer_start(&tick, on_tick, 10, 10);
	while (!(ok = pred(e)) && now_ms() < deadline)
		uv_run(&e->loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&tick, NULL);
	uv_run(&e->loop, UV_RUN_NOWAIT);
	if (!ok)
		h_dump(e, "condition not met in time");
	return ok;
}

struct fwd_stats h_stats(struct h_env *e)
{
	struct fwd_stats st;

	fwd_get_stats(e->f, &st);
	return st;
}

int h_all_delivered(struct h_env *e)
{
	struct journal_stats js;
	struct fwd_stats st;

	journal_get_stats(e->j, &js);
	fwd_get_stats(e->f, &st);
	return st.cursor == js.next_seq && st.in_flight == 0;
}

static const char *topics_arg(void)
{
	static char buf[256];
	int t;

	buf[0] = '\0';
	for (t = 0; t < PROTO_TYPE_COUNT; t++) {
		if (t)
			strcat(buf, ",");
		strcat(buf, proto_type_topic(t));
	}
	return buf;
}

long h_kafka_total(struct h_env *e)
{
	char cmd[2048], line[512];
	long total = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "'%s' --bootstrap '%s' --topics '%s' "
		 "--watermarks", h_tool("agentlog-test-consume"),
		 e->broker.bootstrap, topics_arg());
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		const char *h = strstr(line, "\"high\":");

		if (h)
			total += atol(h + 7);
	}
	if (pclose(p) != 0)
		return -1;
	return total;
}

static const char *str_item(const cJSON *o, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(it) ? it->valuestring : "";
}

/* Check one consumed record against what event i must look like. */
static int check_record(struct h_env *e, const cJSON *rec, uint64_t n,
			uint64_t *ip)
{
	const cJSON *hdrs = cJSON_GetObjectItemCaseSensitive(rec, "headers");
	cJSON *v = cJSON_Parse(str_item(rec, "value"));
	const cJSON *iv = cJSON_GetObjectItemCaseSensitive(v, "i");
	char key[37];
	uint64_t i;
	int type, ok = 0;

	if (!cJSON_IsNumber(iv) || iv->valuedouble < 0 ||
	    iv->valuedouble >= (double)n)
		goto out;
	*ip = i = (uint64_t)iv->valuedouble;
	type = (int)(i % PROTO_TYPE_COUNT);
	key_of(e, i, key);
	ok = strcmp(str_item(rec, "key"), key) == 0 &&
	     strcmp(str_item(rec, "topic"), proto_type_topic(type)) == 0 &&
	     strcmp(str_item(hdrs, "type"), proto_type_name(type)) == 0 &&
	     strcmp(str_item(hdrs, "event_id"), str_item(v, "event_id")) == 0 &&
	     strlen(str_item(hdrs, "event_id")) == PROTO_UUID_LEN &&
	     strcmp(str_item(hdrs, "schema_version"), "1") == 0;
out:
	cJSON_Delete(v);
	return ok;
}

long h_check_kafka(struct h_env *e, uint64_t n)
{
	long total = h_kafka_total(e), dups = 0, bad = 0, missing = 0, disorder = 0;
	uint8_t *seen = calloc(n ? n : 1, 1);
	int64_t *last = malloc(sizeof(int64_t) * PROTO_TYPE_COUNT * (size_t)e->nkeys);
	char cmd[2048], *line = NULL;
	size_t cap = 0;
	uint64_t i, k;
	FILE *p;

	for (k = 0; k < (uint64_t)PROTO_TYPE_COUNT * (uint64_t)e->nkeys; k++)
		last[k] = -1;
	snprintf(cmd, sizeof(cmd), "'%s' --bootstrap '%s' --topics '%s' "
		 "--count %ld --timeout-ms 60000", h_tool("agentlog-test-consume"),
		 e->broker.bootstrap, topics_arg(), total);
	p = popen(cmd, "r");
	while (p && total > 0 && getline(&line, &cap, p) > 0) {
		cJSON *rec = cJSON_Parse(line);

		if (!rec || !check_record(e, rec, n, &i)) {
			if (bad++ < 3)
				fprintf(stderr, "harness: bad record: %s", line);
		} else if (seen[i]++) {
			dups++;
		} else {
			/* First sight: per topic and key, in append order. */
			k = (i % PROTO_TYPE_COUNT) * (uint64_t)e->nkeys +
			    i % (uint64_t)e->nkeys;
			if ((int64_t)i < last[k] && disorder++ < 3)
				fprintf(stderr, "harness: event %llu after %lld "
					"on its key\n", (unsigned long long)i,
					(long long)last[k]);
			last[k] = (int64_t)i;
		}
		cJSON_Delete(rec);
	}
	if (p)
		pclose(p);
	for (i = 0; i < n; i++)
		missing += !seen[i];
	if (missing)
		fprintf(stderr, "harness: %ld of %llu events missing from Kafka\n",
			missing, (unsigned long long)n);
	fprintf(stderr, "harness: Kafka holds %ld records: %llu events, %ld "
		"duplicates\n", total, (unsigned long long)n, dups);
	free(line);
	free(seen);
	free(last);
	return bad || missing > e->allow_missing || disorder || total < 0 ? -1
								      : dups;
}
