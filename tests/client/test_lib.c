/*
 * test_lib.c: libagentlog against a plain Unix socket listener (the
 * framing side of agentlogd): every event arrives whole and in order, a
 * restarted listener is reconnected to, a listener that stops reading
 * never blocks the caller past its timeout, and with no listener the
 * events land in the inbox, decodable, in order, each with the event id
 * the library reported for it.  The real daemon is
 * exercised by the Python tests.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "agentlog.h"
#include "agentlog_int.h"
#include "proto.h"
#include "record.h"
#include "tutil.h"

#define CORR "ad12146a-b7d0-4a47-86bf-7ec298ce2c81"

static int event(char *buf, size_t cap, int i)
{
	return snprintf(buf, cap, "{\"type\":\"routing_decision\",\"correlation_id\":"
			"\"" CORR "\",\"selected_agent\":\"agent-%d\","
			"\"confidence_score\":0.92,\"routing_strategy\":\"fuzzy\","
			"\"routing_time_ms\":%d}", i, i % 1000);
}

static agentlog_t *open_handle(const char *sock, const char *jdir, int timeout,
			       unsigned flags)
{
	struct agentlog_opts o;
	agentlog_t *h;

	agentlog_opts_init(&o);
	o.socket_path = sock;
	o.journal_dir = jdir;
	o.timeout_ms = timeout;
	o.flags = flags;
	CHECK(agentlog_open(&h, &o) == 0);
	return h;
}

/* Events arrive whole, in order, one line each. */
static void test_send(const char *dir)
{
	char sock[256], ev[512], *expect;
	struct tu_listener l;
	size_t off = 0;
	agentlog_t *h;
	int i, n;

	snprintf(sock, sizeof(sock), "%s/send.sock", dir);
	tu_listen(&l, sock, 1);
	h = open_handle(sock, dir, 1000, 0);
	expect = malloc(1000 * 512);
	for (i = 0; i < 1000; i++) {
		n = event(ev, sizeof(ev), i);
		CHECK_INT(agentlog_send(h, ev, (size_t)n), 0);
		memcpy(expect + off, ev, (size_t)n);
		off += (size_t)n;
		expect[off++] = '\n';
	}
	CHECK_INT(tu_wait_bytes(&l, off, 5000), off);
	CHECK(memcmp(l.data, expect, off) == 0);
	CHECK_INT(l.conns, 1);          /* connected once */
	/* a newline inside would break the framing: refused, nothing sent */
	CHECK_INT(agentlog_send(h, "{\"a\":\n1}", 8), -EINVAL);
	agentlog_close(h);
	/* AGENTLOG_VALIDATE: an invalid event is refused with the reason */
	h = open_handle(sock, dir, 1000, AGENTLOG_VALIDATE);
	CHECK_INT(agentlog_send(h, "{\"type\":\"agent_action\"}", 23), -EINVAL);
	CHECK(strstr(agentlog_error(h), "correlation_id") != NULL);
	CHECK_INT(tu_wait_bytes(&l, off + 1, 50), off);
	free(expect);
	agentlog_close(h);
	tu_unlisten(&l);
}

/* After the listener restarts, the next send reconnects. */
static void test_reconnect(const char *dir)
{
	char sock[256], ev[512];
	struct tu_listener l;
	agentlog_t *h;
	int n;

	snprintf(sock, sizeof(sock), "%s/re.sock", dir);
	tu_listen(&l, sock, 1);
	h = open_handle(sock, dir, 1000, 0);
	n = event(ev, sizeof(ev), 1);
	CHECK_INT(agentlog_send(h, ev, (size_t)n), 0);
	CHECK_INT(tu_wait_bytes(&l, (size_t)n + 1, 5000), n + 1);
	tu_unlisten(&l);                /* the daemon goes away ... */
	tu_listen(&l, sock, 1);         /* ... and comes back */
	n = event(ev, sizeof(ev), 2);
	CHECK_INT(agentlog_send(h, ev, (size_t)n), 0);
	CHECK_INT(tu_wait_bytes(&l, (size_t)n + 1, 5000), n + 1);
	CHECK(memcmp(l.data, ev, (size_t)n) == 0);
	agentlog_close(h);
	tu_unlisten(&l);
}

/* A listener that accepts but never reads: sends stop within the timeout
 * and the events go to the inbox. */
static void test_timeout(const char *dir)
{
	char sock[256], jdir[256], ev[512], big[60000], pad[50001];
	struct tu_listener l;
	double t0, worst = 0, t;
	int i, n, rc, inboxed = 0;
	agentlog_t *h;

	snprintf(sock, sizeof(sock), "%s/stuck.sock", dir);
	snprintf(jdir, sizeof(jdir), "%s/stuck-journal", dir);
	tu_listen(&l, sock, 0);
	h = open_handle(sock, jdir, 200, 0);
	n = event(ev, sizeof(ev), 0);
	/* pad the event so a few fill the socket buffer */
	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	n = snprintf(big, sizeof(big), "%.*s,\"reasoning\":\"%s\"}", n - 1, ev,
		     pad);
	for (i = 0; i < 100 && inboxed < 3; i++) {
		t0 = tu_now_ms();
		rc = agentlog_send(h, big, (size_t)n);
		t = tu_now_ms() - t0;
		if (t > worst)
			worst = t;
		CHECK(rc == 0 || rc == AGENTLOG_INBOXED);
		inboxed += rc == AGENTLOG_INBOXED;
	}
	CHECK(inboxed == 3);
	CHECK(worst < 200 + 150);
	agentlog_close(h);
	tu_unlisten(&l);
}

/*
 * An inbox record's event id: a UUIDv7 whose time is the record's, whose
 * text is the one the library reported for it (ids[i]), and unlike the
 * one before it.
 */
static void check_inbox_id(const struct rec *r, char ids[][AGENTLOG_UUID_LEN + 1],
			   int i)
{
	char text[PROTO_UUID_LEN + 1];
	int64_t ms = 0;
	int k;

	proto_uuid_format(r->event_id, text);
	CHECK(strcmp(text, ids[i]) == 0);
	CHECK_INT(r->event_id[6] >> 4, 7);
	CHECK_INT(r->event_id[8] >> 6, 2);
	for (k = 0; k < 6; k++)
		ms = ms << 8 | r->event_id[k];
	CHECK(ms == r->time_ms);
	CHECK(i == 0 || strcmp(ids[i], ids[i - 1]) != 0);
}

/* No daemon: the inbox gets every event, whole and in order, each with
 * the event id the library reported. */
static void test_inbox(const char *dir)
{
	static char ids[101][AGENTLOG_UUID_LEN + 1];
	char sock[256], jdir[256], path[512], ev[512];
	size_t len, off = 0;
	struct rec r;
	agentlog_t *h;
	char *buf;
	int i, n;

	snprintf(sock, sizeof(sock), "%s/none.sock", dir);
	snprintf(jdir, sizeof(jdir), "%s/j/deeper", dir);
	h = open_handle(sock, jdir, 1000, 0);
	CHECK(strcmp(agentlog_inbox_event_id(h), "") == 0);
	for (i = 0; i < 100; i++) {
		n = event(ev, sizeof(ev), i);
		CHECK_INT(agentlog_send(h, ev, (size_t)n), AGENTLOG_INBOXED);
		snprintf(ids[i], sizeof(ids[i]), "%s", agentlog_inbox_event_id(h));
	}
	CHECK(strstr(agentlog_error(h), "connect(") != NULL);
	snprintf(path, sizeof(path), "%s/inbox/pending.rec", jdir);
	CHECK(strcmp(agentlog_inbox_path(h), path) == 0);
	/* acknowledged mode falls back the same way, and gives the id */
	n = event(ev, sizeof(ev), 100);
	CHECK_INT(agentlog_send_wait(h, ev, (size_t)n, ids[100]), AGENTLOG_INBOXED);
	CHECK(strcmp(ids[100], agentlog_inbox_event_id(h)) == 0);
	agentlog_close(h);
	buf = tu_read(path, &len);
	CHECK(buf != NULL);
	for (i = 0; i <= 100; i++) {
		CHECK_INT(rec_decode(buf + off, len - off, &r), REC_OK);
		n = event(ev, sizeof(ev), i);
		CHECK_INT(r.value_len, n);
		CHECK(memcmp(r.value, ev, (size_t)n) == 0);
		CHECK_INT(r.key_len, 36);
		CHECK(memcmp(r.key, CORR, 36) == 0);
		CHECK_INT(r.type, 1);   /* PROTO_ROUTING_DECISION */
		CHECK_INT(r.seq, 0);
		CHECK(r.time_ms > 1700000000000LL);
		check_inbox_id(&r, ids, i);
		off += r.len;
	}
	CHECK_INT(off, len);
	free(buf);
}

/* An event that relies on the default type is stored with "type" spliced
 * in, so the inbox record stands by itself. */
static void test_inbox_default_type(const char *dir)
{
	static const char ev[] = "{ \"correlation_id\":\"" CORR "\","
		"\"agent_name\":\"a\",\"action_type\":\"error\",\"action_name\":\"n\"}";
	static const char want[] = "{\"type\":\"agent_action\", \"correlation_id\":\""
		CORR "\",\"agent_name\":\"a\",\"action_type\":\"error\",\"action_name\":\"n\"}";
	char jdir[256], path[512], sock[256];
	struct agentlog_opts o;
	struct proto_event pe;
	char err[PROTO_ERR_MAX];
	agentlog_t *h;
	struct rec r;
	size_t len;
	char *buf;

	snprintf(sock, sizeof(sock), "%s/none.sock", dir);
	snprintf(jdir, sizeof(jdir), "%s/typed", dir);
	agentlog_opts_init(&o);
	o.socket_path = sock;
	o.journal_dir = jdir;
	o.default_type = "agent-actions";       /* a topic name works too */
	CHECK(agentlog_open(&h, &o) == 0);
	CHECK_INT(agentlog_send(h, ev, sizeof(ev) - 1), AGENTLOG_INBOXED);
	agentlog_close(h);
	snprintf(path, sizeof(path), "%s/inbox/pending.rec", jdir);
	buf = tu_read(path, &len);
	CHECK(buf != NULL);
	CHECK_INT(rec_decode(buf, len, &r), REC_OK);
	CHECK_INT(r.value_len, sizeof(want) - 1);
	CHECK(memcmp(r.value, want, r.value_len) == 0);
	CHECK(proto_event_parse(&pe, r.value, r.value_len, -1, err) == 0);
	free(buf);
}

/* Over the socket too: the daemon knows nothing of our default type. */
static void test_default_type_on_the_wire(const char *dir)
{
	static const char ev[] = "{\"correlation_id\":\"" CORR "\","
		"\"agent_name\":\"a\",\"action_type\":\"error\",\"action_name\":\"n\"}";
	static const char typed[] = "{\"type\":\"agent_action\",\"type\":1}";
	char sock[256], want[512];
	struct agentlog_opts o;
	struct tu_listener l;
	agentlog_t *h;
	int n;

	snprintf(sock, sizeof(sock), "%s/typed.sock", dir);
	tu_listen(&l, sock, 1);
	agentlog_opts_init(&o);
	o.socket_path = sock;
	o.journal_dir = dir;
	o.default_type = "agent_action";
	CHECK(agentlog_open(&h, &o) == 0);
	CHECK_INT(agentlog_send(h, ev, sizeof(ev) - 1), 0);
	/* an event with its own type is left alone (here: invalid, refused) */
	CHECK_INT(agentlog_send(h, typed, sizeof(typed) - 1), -EINVAL);
	n = snprintf(want, sizeof(want), "{\"type\":\"agent_action\",%s\n", ev + 1);
	CHECK_INT(tu_wait_bytes(&l, (size_t)n, 5000), n);
	CHECK(memcmp(l.data, want, (size_t)n) == 0);
	agentlog_close(h);
	tu_unlisten(&l);
}

/* The daemon's replies, read without a JSON library. */
static void test_reply_parse(void)
{
	static const char *const ok = "{\"ok\":true,\"event_id\":\"" CORR "\"}";
	static const char *const bad = "{ \"x\" : {\"a\":[1,\"}\",-2.5e3,null]},"
		"\"ok\" : false , \"error\":\"q\\\"b\\u00e9\\ud83d\\ude00\\n\"}";
	struct agentlog__reply r;

	CHECK(agentlog__reply_parse(ok, strlen(ok), &r) == 0);
	CHECK_INT(r.ok, 1);
	CHECK(!strcmp(r.event_id, CORR));
	CHECK(agentlog__reply_parse(bad, strlen(bad), &r) == 0);
	CHECK_INT(r.ok, 0);
	CHECK(!strcmp(r.error, "q\"b\xc3\xa9\xf0\x9f\x98\x80\n"));
	CHECK(agentlog__reply_parse("{\"ok\":tru}", 11, &r) == -1);
	CHECK(agentlog__reply_parse("[1]", 3, &r) == -1);
	CHECK(agentlog__reply_parse("{\"pong\":true}", 13, &r) == 0);
	CHECK_INT(r.ok, -1);
}

int main(void)
{
	const char *dir = tu_tmpdir();

	test_reply_parse();
	test_send(dir);
	test_reconnect(dir);
	test_timeout(dir);
	test_inbox(dir);
	test_inbox_default_type(dir);
	test_default_type_on_the_wire(dir);
	printf("ok\n");
	return 0;
}
