/*
 * test_units: what a corpus line cannot hold or cannot show: nesting at
 * and past the limit, numbers of thousands of digits, the member limit,
 * default types, the envelope's worst-case size, event ids (UUIDv7 bits,
 * uniqueness, fork), timestamps against gmtime_r(), and path resolution.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "check.h"
#include "proto.h"
#include "wire.h"

#define CORR "\"correlation_id\":\"ad12146a-b7d0-4a47-86bf-7ec298ce2c81\""
#define ACTION "{\"type\":\"agent_action\"," CORR ",\"agent_name\":\"a\"," \
	       "\"action_type\":\"decision\",\"action_name\":\"n\""

static struct proto_event ev;
static char err[PROTO_ERR_MAX];

/* Parse a NUL-terminated line with default type t. */
static int parse(const char *line, int t)
{
	return proto_event_parse(&ev, line, strlen(line), t, err);
}

/* A string of n copies of s, then tail; caller frees. */
static char *repeat(const char *head, const char *s, size_t n,
		    const char *mid, const char *s2, size_t n2,
		    const char *tail)
{
	size_t l = strlen(head) + strlen(s) * n + strlen(mid) +
		   strlen(s2) * n2 + strlen(tail) + 1;
	char *b = malloc(l), *p = b;

	p = stpcpy(p, head);
	for (size_t i = 0; i < n; i++)
		p = stpcpy(p, s);
	p = stpcpy(p, mid);
	for (size_t i = 0; i < n2; i++)
		p = stpcpy(p, s2);
	strcpy(p, tail);
	return b;
}

static void test_nesting(void)
{
	char *b;

	b = repeat("", "[", 64, "", "]", 64, "");
	CHECK(proto_json_check(b, strlen(b), err) == 0, "64 arrays: %s", err);
	free(b);
	b = repeat("", "[", 65, "", "]", 65, "");
	CHECK(proto_json_check(b, strlen(b), err) != 0 &&
	      strcmp(err, "json: nesting deeper than 64 at byte 64") == 0,
	      "65 arrays: %s", err);
	free(b);
	b = repeat("", "[", 1000000, "", "", 0, "");
	CHECK(proto_json_check(b, strlen(b), err) != 0 &&
	      strcmp(err, "json: nesting deeper than 64 at byte 64") == 0,
	      "a million arrays: %s", err);
	free(b);
	/* The event object is level 1, action_details level 2. */
	b = repeat(ACTION ",\"action_details\":", "{\"a\":", 63, "1", "}",
		   63, "}");
	CHECK(parse(b, -1) == 0, "depth 64: %s", err);
	free(b);
	b = repeat(ACTION ",\"action_details\":", "{\"a\":", 64, "1", "}",
		   64, "}");
	CHECK(parse(b, -1) != 0 && strncmp(err, "json: nesting deeper than 64 "
	      "at byte ", 37) == 0, "depth 65: %s", err);
	free(b);
}

static void test_huge_numbers(void)
{
	char *b;

	b = repeat(ACTION ",\"duration_ms\":", "9", 100000, "", "", 0, "}");
	CHECK(parse(b, -1) != 0 && strcmp(err, "duration_ms: out of range "
	      "(max 2147483647)") == 0, "100k digits: %s", err);
	free(b);
	b = repeat(ACTION ",\"big\":-", "9", 100000, ".", "9", 100000, "e99}");
	CHECK(parse(b, -1) == 0, "huge unknown number: %s", err);
	free(b);
	b = repeat("{\"type\":\"transformation\"," CORR ",\"source_agent\":\"a"
		   "\",\"target_agent\":\"b\",\"transformation_duration_ms\":1,"
		   "\"confidence_score\":0.", "0", 100000, "1", "", 0, "}");
	CHECK(parse(b, -1) == 0, "0.000...1: %s", err);
	free(b);
	b = repeat("{\"type\":\"transformation\"," CORR ",\"source_agent\":\"a"
		   "\",\"target_agent\":\"b\",\"transformation_duration_ms\":1,"
		   "\"confidence_score\":1.", "0", 100000, "1", "", 0, "}");
	CHECK(parse(b, -1) != 0 && strcmp(err, "confidence_score: must be "
	      "between 0.0 and 1.0, got 1.0000000000000000000000000000000000000"
	      "0...") == 0, "1.000...1: %s", err);
	free(b);
}

static void test_members_limit(void)
{
	char line[4096], *p = stpcpy(line, ACTION);

	/* ACTION has 4 members besides type: 60 more make 64. */
	for (int i = 0; i < 60; i++)
		p += sprintf(p, ",\"k%d\":%d", i, i);
	strcpy(p, "}");
	CHECK(parse(line, -1) == 0, "64 members: %s", err);
	strcpy(p, ",\"event_id\":1,\"source\":2,\"schema_version\":3,"
	       "\"timestamp\":null}");
	CHECK(parse(line, -1) == 0 && ev.nmembers == 69,
	      "64 members and all 5 owned ones: %s", err);
	strcpy(p, ",\"k60\":0}");
	CHECK(parse(line, -1) != 0 && strcmp(err, "event: more than 64 members "
	      "(not counting type, timestamp, event_id, source, schema_"
	      "version)") == 0, "65 members: %s", err);
	strcpy(p, ",\"k60\":0,\"event_id\":1,\"source\":2,\"schema_version"
	       "\":3,\"timestamp\":null}");
	CHECK(parse(line, -1) != 0 && strncmp(err, "event: more than 64 ", 20)
	      == 0, "70 members: %s", err);
}

static void test_default_type(void)
{
	const char *no_type = "{" CORR ",\"selected_agent\":\"a\","
		"\"confidence_score\":0.5,\"routing_strategy\":\"s\","
		"\"routing_time_ms\":3}";
	const char *null_type = "{\"type\":null," CORR ",\"query_text\":\"q\","
		"\"routing_duration_ms\":1,\"candidates_evaluated\":2}";

	CHECK(parse(no_type, -1) != 0 && strcmp(err, "type: missing (one of "
	      "agent_action, routing_decision, transformation, "
	      "performance_metrics)") == 0, "%s", err);
	CHECK(parse(no_type, PROTO_ROUTING_DECISION) == 0 &&
	      ev.type == PROTO_ROUTING_DECISION, "%s", err);
	CHECK(parse(no_type, PROTO_AGENT_ACTION) != 0 && strcmp(err,
	      "agent_name: missing (required for agent_action)") == 0, "%s",
	      err);
	CHECK(parse(null_type, PROTO_PERFORMANCE_METRICS) == 0 &&
	      ev.type == PROTO_PERFORMANCE_METRICS && ev.nstrip == 1, "%s",
	      err);
	CHECK(parse(ACTION "}", PROTO_TRANSFORMATION) == 0 &&
	      ev.type == PROTO_AGENT_ACTION, "the member wins: %s", err);
	CHECK(proto_type_lookup("router-performance-metrics", 26) ==
	      PROTO_PERFORMANCE_METRICS && proto_type_lookup("agent", 5) < 0 &&
	      proto_type_name(PROTO_TYPE_COUNT) == NULL &&
	      strcmp(proto_type_topic(PROTO_TRANSFORMATION),
		     "agent-transformation-events") == 0, "type tables");
}

/* The worst case of the envelope's size against PROTO_ENVELOPE_MAX. */
static void test_envelope_bound(void)
{
	char host[256], via[PROTO_VIA_MAX + 1], *out;
	const char *line = "{\"type\":\"routing_decision\",\"timestamp\":"
		"\"2025-10-23T10:30:00.1234567890123456789012345678901234567"
		"8+23:59\"," CORR ",\"selected_agent\":\"a\",\"confidence_score"
		"\":1,\"routing_strategy\":\"s\",\"routing_time_ms\":0}";
	struct proto_source src = {
		.pid = INT64_MIN, .uid = INT64_MIN, .gid = INT64_MIN,
		.host = host, .via = via,
	};
	uint8_t id[16] = { 0 };
	size_t n, len = strlen(line), cap;

	memset(host, 0x01, 255);
	host[255] = '\0';
	memset(via, '"', PROTO_VIA_MAX);
	via[PROTO_VIA_MAX] = '\0';
	CHECK(parse(line, -1) == 0 && ev.ts_len == PROTO_TIMESTAMP_MAX,
	      "%s", err);
	cap = len + PROTO_ENVELOPE_MAX(255);
	out = malloc(cap);
	n = proto_envelope_splice(&ev, line, len, id, 0, &src, out);
	CHECK(n <= cap && proto_json_check(out, n, err) == 0,
	      "worst case: %zu of %zu: %s", n, cap, err);
	CHECK(len + 400 + 6 * 255 < cap, "the bound has slack");
	free(out);
}

/* Members are copied byte for byte, whitespace included. */
static void test_splice_bytes(void)
{
	const char *line = " { \"type\" : \"agent-actions\" , \"x\" : [ 1 ,"
		"\t2 ] , \"correlation_id\" : \"AD12146A-B7D0-4A47-86BF-7EC298CE"
		"2C81\" ,\"agent_name\":\"a\",\"action_type\":\"decision\","
		"\"action_name\":\"n\" , \"y\":\"\\u00e9\" } ";
	struct proto_source src = {
		.pid = 1, .uid = 2, .gid = 3, .host = "h", .via = "dgram",
	};
	uint8_t id[16];
	char out[1024];
	size_t n;

	CHECK(parse(line, -1) == 0, "%s", err);
	memset(id, 0xab, sizeof id);
	n = proto_envelope_splice(&ev, line, strlen(line), id, 0, &src, out);
	out[n] = '\0';
	CHECK(strcmp(out, "{\"event_id\":\"abababab-abab-abab-abab-abababababab"
		     "\",\"timestamp\":\"1970-01-01T00:00:00.000Z\",\"schema_"
		     "version\":1,\"type\":\"agent_action\",\"source\":{\"pid\":1,"
		     "\"uid\":2,\"gid\":3,\"host\":\"h\",\"via\":\"dgram\"},\"x\" "
		     ": [ 1 ,\t2 ],\"correlation_id\":\"ad12146a-b7d0-4a47-86bf-"
		     "7ec298ce2c81\",\"agent_name\":\"a\",\"action_type\":\"deci"
		     "sion\",\"action_name\":\"n\" , \"y\":\"\\u00e9\"}") == 0,
	      "splice: %s", out);
	CHECK(strcmp(ev.corr, "ad12146a-b7d0-4a47-86bf-7ec298ce2c81") == 0 &&
	      ev.corr_len == 36 && memcmp(line + ev.corr_off, "AD12146A", 8)
	      == 0, "corr");
}

/*
 * The string scanner looks at 16 and then 8 bytes at a time: every kind
 * of byte that needs a look, at every place in strings of every length
 * around those strides, at every alignment, with the input ending exactly
 * where its allocation does (so a read past the end shows under ASan).
 */
static void test_string_scan(void)
{
	static const struct {
		const char *bytes;      /* put at position i */
		const char *error;      /* NULL: accepted */
	} cases[] = {
		{ "\x01", "raw control character in string (escape it)" },
		{ "\x1f", "raw control character in string (escape it)" },
		{ "\x80", "invalid UTF-8" },
		{ "\xff", "invalid UTF-8" },
		{ "\xc3", "invalid UTF-8" },          /* truncated sequence */
		{ "\x7f", NULL },
		{ " ", NULL },
		{ "\xc3\xa9", NULL },
		{ "\xe2\x82\xac", NULL },
		{ "\xf0\x9f\x98\x80", NULL },
		{ "\\n", NULL },
		{ "\\\"", NULL },
		{ "\\u00e9", NULL },
	};
	char want[PROTO_ERR_MAX];
	int bad = 0;

	for (int len = 0; len <= 40; len++)
		for (int i = 0; i <= len; i++)
			for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
				for (int align = 0; align < 16; align += 5) {
					size_t k = strlen(cases[c].bytes);
					size_t n = (size_t)len + k + 2;
					char *buf = malloc(n + (size_t)align), *in = buf + align;

					in[0] = '"';
					memset(in + 1, 'a', (size_t)len);
					memmove(in + 1 + i, cases[c].bytes, k);
					memset(in + 1 + i + k, 'b', (size_t)(len - i));
					in[n - 1] = '"';
					int rc = proto_json_check(in, n, err);

					if (cases[c].error == NULL) {
						bad += rc != 0;
					} else {
						snprintf(want, sizeof want, "json: %s at byte %d",
							 cases[c].error, 1 + i);
						bad += rc == 0 || strcmp(err, want) != 0;
					}
					/* unterminated: the closing quote cut off */
					bad += proto_json_check(in, n - 1, err) == 0;
					free(buf);
				}
	CHECK(bad == 0, "%d string scans went wrong", bad);
}

static void test_json_check(void)
{
	CHECK(proto_json_check(" 1 ", 3, err) == 0, "%s", err);
	CHECK(proto_json_check("\"x\"", 3, err) == 0, "%s", err);
	CHECK(proto_json_check("", 0, err) != 0 && strcmp(err, "json: "
	      "unexpected end of input at byte 0 (expected a value)") == 0,
	      "%s", err);
	CHECK(proto_json_check("[1] [2]", 7, err) != 0 && strcmp(err, "json: "
	      "trailing data after the value at byte 4") == 0, "%s", err);
	CHECK(proto_json_check("[1]", 2, err) != 0, "short length");
	CHECK(proto_json_check("\"a\0b\"", 5, err) != 0 && strcmp(err, "json: "
	      "raw control character in string (escape it) at byte 2") == 0,
	      "%s", err);
	CHECK(parse("[1]", -1) != 0 && strcmp(err, "event: must be a JSON "
	      "object, got array") == 0, "%s", err);
}

static int cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

static void test_event_id(void)
{
	enum { N = 200000 };
	uint8_t (*ids)[16] = malloc(N * 16);
	char text[PROTO_UUID_LEN + 1];
	uuid_t back;
	int bad = 0, dup = 0;
	int64_t ms = 1761215400123LL;

	for (int i = 0; i < N; i++) {
		proto_event_id_new(ids[i], ms + i / 1000);
		uint64_t t = 0;

		for (int k = 0; k < 6; k++)
			t = t << 8 | ids[i][k];
		if ((ids[i][6] >> 4) != 7 || (ids[i][8] >> 6) != 2 ||
		    t != (uint64_t)(ms + i / 1000))
			bad++;
	}
	CHECK(bad == 0, "%d ids with bad version, variant or time", bad);
	for (int i = 1; i < N; i++)
		if (memcmp(ids[i - 1], ids[i], 6) > 0)
			bad++;
	CHECK(bad == 0, "ids not ordered by time");
	qsort(ids, N, 16, cmp_id);
	for (int i = 1; i < N; i++)
		dup += memcmp(ids[i - 1], ids[i], 16) == 0;
	CHECK(dup == 0, "%d duplicate ids", dup);
	proto_uuid_format(ids[0], text);
	CHECK(strlen(text) == 36 && uuid_parse(text, back) == 0 &&
	      memcmp(back, ids[0], 16) == 0 && strspn(text,
	      "0123456789abcdef-") == 36, "format %s", text);
	free(ids);
}

/*
 * correlation_id is checked without libuuid (it is slow); it must accept
 * exactly what uuid_parse() accepts: every printable byte at every place.
 */
static void test_uuid_agrees_with_libuuid(void)
{
	const char *base = "ad12146a-B7D0-4a47-86bf-7ec298ce2c81";
	char u[40], line[256];
	uuid_t uu;
	int disagree = 0;

	for (int i = 0; i < 36; i++) {
		for (int c = 0x20; c < 0x7f; c++) {
			if (c == '"' || c == '\\')
				continue;
			strcpy(u, base);
			u[i] = (char)c;
			snprintf(line, sizeof line, "{\"type\":\"transformation"
				 "\",\"correlation_id\":\"%s\",\"source_agent"
				 "\":\"a\",\"target_agent\":\"b\",\"transforma"
				 "tion_duration_ms\":0}", u);
			disagree += (parse(line, -1) == 0) !=
				    (uuid_parse(u, uu) == 0);
			disagree += proto_uuid_check(u, 36) !=
				    (uuid_parse(u, uu) == 0);
		}
	}
	/* Any byte at all, straight to the check (not valid inside JSON) */
	for (int i = 0; i < 36; i++) {
		for (int c = 1; c < 256; c++) {
			strcpy(u, base);
			u[i] = (char)c;
			disagree += proto_uuid_check(u, 36) !=
				    (uuid_parse(u, uu) == 0);
		}
	}
	CHECK(disagree == 0, "%d disagreements with uuid_parse", disagree);
	/* proto_uuid_check() takes a length: no NUL needed, no more read. */
	CHECK(proto_uuid_check(base, 36) == 1, "the base UUID");
	CHECK(proto_uuid_check(base, 35) == 0, "one short");
	strcpy(u, base);
	strcat(u, "0");
	CHECK(proto_uuid_check(u, 37) == 0, "one long");
	CHECK(proto_uuid_check("", 0) == 0, "empty");
}

/* A forked child must not repeat the ids its parent hands out next. */
static void test_event_id_fork(void)
{
	uint8_t mine[16], theirs[16];
	int fds[2], status;
	pid_t pid;

	proto_event_id_new(mine, 1);           /* the pool is filled */
	if (pipe(fds) != 0) {
		CHECK(0, "pipe failed");
		return;
	}
	pid = fork();
	if (pid == 0) {
		proto_event_id_new(theirs, 1);
		_exit(write(fds[1], theirs, 16) == 16 ? 0 : 1);
	}
	proto_event_id_new(mine, 1);
	CHECK(pid > 0 && read(fds[0], theirs, 16) == 16 &&
	      memcmp(mine, theirs, 16) != 0, "child repeated the parent's id");
	waitpid(pid, &status, 0);
	close(fds[0]);
	close(fds[1]);
}

/* proto_timestamp_format() against gmtime_r(), and parse(format(x)) == x. */
static void test_timestamp_roundtrip(void)
{
	const int64_t lo = -62135596800000LL, hi = 253402300799999LL;
	char out[PROTO_TIMESTAMP_LEN + 1], want[64];
	int bad = 0, badparse = 0;
	uint64_t x = 88172645463325252ULL;

	for (int i = 0; i < 300000; i++) {
		int64_t ms, back;
		time_t t;
		struct tm tm;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		ms = i < 1000 ? (i < 500 ? lo + i : hi - (i - 500)) :
		     lo + (int64_t)(x % (uint64_t)(hi - lo + 1));
		proto_timestamp_format(ms, out);
		t = (time_t)((ms - (((ms % 1000) + 1000) % 1000)) / 1000);
		gmtime_r(&t, &tm);
		snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d."
			 "%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (int)(((ms % 1000) + 1000) % 1000));
		bad += strcmp(out, want) != 0;
		badparse += proto_timestamp_parse(out, PROTO_TIMESTAMP_LEN,
						  &back) != 0 || back != ms;
	}
	CHECK(bad == 0, "%d formats differ from gmtime_r", bad);
	CHECK(badparse == 0, "%d round trips failed", badparse);
	proto_timestamp_format(-1, out);
	CHECK(strcmp(out, "1969-12-31T23:59:59.999Z") == 0, "%s", out);
	proto_timestamp_format(INT64_MAX, out);
	CHECK(strcmp(out, "9999-12-31T23:59:59.999Z") == 0, "clamp %s", out);
}

static void test_timestamp_parse(void)
{
	static const struct { const char *s; int64_t ms; } good[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1970-01-01T00:00:00.1Z", 100 },
		{ "1970-01-01T00:00:00.123456789Z", 123 },
		{ "1970-01-01T02:00:00+02:00", 0 },
		{ "1969-12-31T23:30:00-00:30", 0 },
		{ "2000-02-29T00:00:00Z", 951782400000LL },
		{ "2025-10-23T10:30:00.123Z", 1761215400123LL },
		{ "0001-01-01T00:00:00Z", -62135596800000LL },
	};
	static const char *const bad[] = {
		"2025-10-23t10:30:00Z", "2025-10-23T10:30:00z",
		"2025-10-23 10:30:00Z", "2025-10-23T10:30:00",
		"2025-10-23T24:00:00Z", "2025-10-23T23:60:00Z",
		"2025-10-23T23:59:60Z", "2100-02-29T00:00:00Z",
		"2025-04-31T00:00:00Z", "0000-01-01T00:00:00Z",
		"2025-10-23T10:30:00+24:00", "2025-10-23T10:30:00+0200",
		"2025-1-23T10:30:00Z", "2025-10-23T10:30:00.Z",
		"2025-10-23T10:30:00Z ", "2025-10-23", "",
		"2025-13-01T00:00:00Z", "2025-10-00T00:00:00Z",
		"+2025-10-23T10:30:00Z", "2025-10-23T10:30:00+02:60",
	};
	int64_t ms;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		CHECK(proto_timestamp_parse(good[i].s, strlen(good[i].s), &ms)
		      == 0 && ms == good[i].ms, "%s", good[i].s);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(proto_timestamp_parse(bad[i], strlen(bad[i]), &ms) != 0,
		      "accepted %s", bad[i]);
}

static void test_paths(void)
{
	char p[108], want[108];

	unsetenv("AGENTLOG_SOCKET");
	unsetenv("AGENTLOG_DGRAM_SOCKET");
	unsetenv("AGENTLOG_JOURNAL_DIR");
	setenv("AGENTLOG_SOCKET", "/x/y.sock", 1);
	CHECK(proto_socket_path(p, sizeof p) == 0 &&
	      strcmp(p, "/x/y.sock") == 0, "%s", p);
	setenv("AGENTLOG_SOCKET", "", 1);
	setenv("XDG_RUNTIME_DIR", "/run/user/7", 1);
	CHECK(proto_socket_path(p, sizeof p) == 0 &&
	      strcmp(p, "/run/user/7/agentlog/agentlogd.sock") == 0, "%s", p);
	setenv("XDG_RUNTIME_DIR", "relative", 1);
	CHECK(proto_socket_path(p, sizeof p) == 0, "fallback");
	snprintf(want, sizeof want, geteuid() == 0 ?
		 "/run/agentlog/agentlogd.sock" :
		 "/tmp/agentlog-%u/agentlogd.sock", (unsigned)geteuid());
	CHECK(strcmp(p, want) == 0, "%s, want %s", p, want);
	CHECK(proto_socket_path(p, 10) != 0, "too long");
	CHECK(proto_dgram_path("/a/b/agentlogd.sock", p, sizeof p) == 0 &&
	      strcmp(p, "/a/b/agentlogd.dgram") == 0, "%s", p);
	CHECK(proto_dgram_path("/x/other.sock", p, sizeof p) == 0 &&
	      strcmp(p, "/x/other.dgram") == 0, "%s", p);
	CHECK(proto_dgram_path("/x/sockfile", p, sizeof p) == 0 &&
	      strcmp(p, "/x/sockfile.dgram") == 0, "%s", p);
	setenv("AGENTLOG_DGRAM_SOCKET", "/d.sock", 1);
	CHECK(proto_dgram_path("/a/b/agentlogd.sock", p, sizeof p) == 0 &&
	      strcmp(p, "/d.sock") == 0, "%s", p);
	setenv("AGENTLOG_JOURNAL_DIR", "/j", 1);
	CHECK(proto_journal_dir(p, sizeof p) == 0 && strcmp(p, "/j") == 0,
	      "%s", p);
	unsetenv("AGENTLOG_JOURNAL_DIR");
	setenv("XDG_STATE_HOME", "/st", 1);
	CHECK(proto_journal_dir(p, sizeof p) == 0 &&
	      strcmp(p, "/st/agentlog") == 0, "%s", p);
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "/home/u", 1);
	CHECK(proto_journal_dir(p, sizeof p) == 0 && strcmp(p, geteuid() == 0 ?
	      "/var/lib/agentlog" : "/home/u/.local/state/agentlog") == 0,
	      "%s", p);
}

int main(void)
{
	test_nesting();
	test_huge_numbers();
	test_members_limit();
	test_default_type();
	test_envelope_bound();
	test_splice_bytes();
	test_json_check();
	test_string_scan();
	test_uuid_agrees_with_libuuid();
	test_event_id();
	test_event_id_fork();
	test_timestamp_roundtrip();
	test_timestamp_parse();
	test_paths();
	return check_exit("test_units");
}
