/*
 * fuzz_line: agentlogd's line framer (daemon/conn.c), the validator
 * (proto_event_parse) and the envelope splice, over arbitrary bytes from a
 * client.
 *
 * The framer is static inside conn.c and works on a libuv stream, so this
 * file includes conn.c itself and drives its read callback with the bytes,
 * cut into reads of fuzzer-chosen sizes, then EOF.  The connection's pipe
 * is initialised but never opened: replies are held (the journal's durable
 * sequence stays 0), so nothing is written.  What conn.c calls outside
 * itself is replaced here: ingest_line() runs the real proto_event_parse()
 * and proto_envelope_splice() into an exact-size buffer, and can answer
 * "the journal is waiting" (-1) to drive the backpressure path (the held
 * input is offered again with conn_retry_blocked(), as the daemon does).
 *
 * Checked, beyond memory safety and leaks:
 *   - the lines handed to ingest are exactly those of a reference framing
 *     of the whole input (split on \n, one trailing \r dropped, empty lines
 *     and control lines skipped, lines longer than --max-line-bytes
 *     rejected once each), whatever the read sizes and the backpressure;
 *   - an accepted event's enriched form fits the bound the daemon
 *     reserves, has no newline, is strict JSON, passes validation again
 *     with the same type and key, and splicing it again changes nothing;
 *   - a rejected one has a "field: reason" message.
 */
#include <string.h>

#include "conn.c"
#include "fuzz.h"
#include "json.h"

#define FZ_MAX_LINE 4096

/* What one run saw, and how ingest should answer. */
static struct fz {
	int ready;
	uv_loop_t loop;
	struct server s;
	struct config cfg;
	char *seen;              /* consumed lines: u32 length, bytes */
	size_t seen_len, seen_cap;
	unsigned oversize;       /* "line: longer than" rejections */
	unsigned period;         /* every period-th ingest waits once (0: never) */
	unsigned calls;
	int just_blocked;
	uint64_t seq;
	uint8_t id[16];
	int64_t now;
} fz;

int log_enabled(enum log_level level)
{
	return 0;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
}

char *status_json(struct server *s)
{
	return strdup("{}");
}

void ingest_count_reject(struct server *s, const char *reason)
{
	if (strncmp(reason, "line: longer than", 17) == 0)
		fz.oversize++;
}

/* Append one line to a record of lines (u32 length, then the bytes). */
static void fz_record(char **buf, size_t *len, size_t *cap, const char *p,
		      uint32_t n)
{
	if (*len + 4 + n > *cap) {
		*cap = (*len + 4 + n) * 2;
		*buf = realloc(*buf, *cap);
		FUZZ_CHECK(*buf != NULL);
	}
	memcpy(*buf + *len, &n, 4);
	memcpy(*buf + *len + 4, p, n);
	*len += 4 + n;
}

/* The enriched event of an accepted line: see the file's comment. */
static void fz_check_splice(const struct proto_event *ev, const char *line,
			    size_t len, const struct proto_source *src)
{
	size_t vmax = len + PROTO_ENVELOPE_MAX(strlen(src->host));
	char *out = malloc(vmax), *again, err[PROTO_ERR_MAX];
	char id[PROTO_UUID_LEN + 1];
	struct proto_event ev2;
	size_t vlen, vlen2;

	FUZZ_CHECK(out != NULL);
	vlen = proto_envelope_splice(ev, line, len, fz.id, fz.now, src, out);
	FUZZ_CHECK(vlen <= vmax);
	FUZZ_CHECK(memchr(out, '\n', vlen) == NULL);
	FUZZ_CHECK(proto_json_check(out, vlen, err) == 0);
	proto_uuid_format(fz.id, id);
	FUZZ_CHECK(vlen > 14 + PROTO_UUID_LEN &&
		   memcmp(out, "{\"event_id\":\"", 13) == 0 &&
		   memcmp(out + 13, id, PROTO_UUID_LEN) == 0);
	ev2.type = -1;
	FUZZ_CHECK(proto_event_parse(&ev2, out, vlen, -1, err) == 0);
	FUZZ_CHECK(ev2.type == ev->type);
	FUZZ_CHECK(strcmp(ev2.corr, ev->corr) == 0);
	/* Enriching an enriched event (a replay, an inbox record) is a
	 * no-op: the envelope is replaced, the timestamp kept. */
	again = malloc(vlen + PROTO_ENVELOPE_MAX(strlen(src->host)));
	FUZZ_CHECK(again != NULL);
	vlen2 = proto_envelope_splice(&ev2, out, vlen, fz.id, fz.now + 1, src,
				      again);
	FUZZ_CHECK(vlen2 == vlen && memcmp(again, out, vlen) == 0);
	free(again);
	free(out);
}

int ingest_line(struct server *s, const char *line, size_t len,
		const struct proto_source *src, uint64_t *seq,
		uint8_t event_id[16], char *err)
{
	struct proto_event ev;

	fz.calls++;
	if (fz.period && fz.calls % fz.period == 0 && !fz.just_blocked) {
		fz.just_blocked = 1;
		return -1;
	}
	fz.just_blocked = 0;
	FUZZ_CHECK(len > 0 && len <= s->cfg->max_line && line[0] != '.');
	fz_record(&fz.seen, &fz.seen_len, &fz.seen_cap, line, (uint32_t)len);
	ev.type = -1;
	if (proto_event_parse(&ev, line, len, -1, err) != 0) {
		FUZZ_CHECK(memchr(err, '\0', PROTO_ERR_MAX) != NULL);
		FUZZ_CHECK(strstr(err, ": ") != NULL);
		FUZZ_CHECK(ev.type >= -1 && ev.type < PROTO_TYPE_COUNT);
		return 0;
	}
	FUZZ_CHECK(ev.type >= 0 && ev.type < PROTO_TYPE_COUNT);
	FUZZ_CHECK(strlen(ev.corr) == PROTO_UUID_LEN);
	fz_check_splice(&ev, line, len, src);
	memcpy(event_id, fz.id, 16);
	*seq = ++fz.seq;
	return 1;
}

/* The reference framing of the whole input (see the file's comment). */
static void fz_reference(const uint8_t *p, size_t n, uint32_t max,
			 char **buf, size_t *len, size_t *cap,
			 unsigned *oversize)
{
	size_t i = 0;

	while (i < n) {
		const uint8_t *nl = memchr(p + i, '\n', n - i);
		size_t l = nl ? (size_t)(nl - (p + i)) : n - i, k = l;

		if (l > max) {
			(*oversize)++;
		} else {
			if (k > 0 && p[i + k - 1] == '\r')
				k--;
			if (k > 0 && p[i] != '.')
				fz_record(buf, len, cap, (const char *)p + i,
					  (uint32_t)k);
		}
		i += l + 1;
	}
}

static void fz_init(void)
{
	FUZZ_CHECK(uv_loop_init(&fz.loop) == 0);
	fz.s.loop = &fz.loop;
	fz.s.cfg = &fz.cfg;
	fz.ready = 1;
}

/* Offer held input again until the connection is not blocked. */
static void fz_unblock(void)
{
	int rounds = 0;

	while (fz.s.blocked) {
		conn_retry_blocked(&fz.s);
		FUZZ_CHECK(++rounds < 1000000);
	}
}

/* The next read size: one byte, everything, or a pseudo-random size. */
static size_t fz_chunk(unsigned style, uint32_t *rng, size_t left)
{
	size_t n;

	if (style == 0)
		return left;
	if (style == 1)
		return 1;
	*rng = *rng * 1103515245u + 12345u;
	n = 1 + (*rng >> 8) % (1u << (style < 14 ? style : 14));
	return n < left ? n : left;
}

/* The peer: who the kernel says it is, and the daemon's host name. */
static void fz_source(struct fuzz_in *in, struct conn *c)
{
	static const int64_t ids[] = { -1, 0, 1, 1000, 65534, 2147483647,
				       -2147483648LL, INT64_MAX };
	const uint8_t *h;
	size_t hl = fuzz_take(in, fuzz_u8(in) % 24, &h), i;

	for (i = 0; i < hl; i++)
		fz.s.host[i] = h[i] ? (char)h[i] : 'x';
	fz.s.host[hl] = '\0';
	c->src.pid = ids[fuzz_u8(in) % 8];
	c->src.uid = ids[fuzz_u8(in) % 8];
	c->src.gid = ids[fuzz_u8(in) % 8];
	c->src.host = fz.s.host;
	c->src.via = "stream";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	char *want = NULL;
	size_t want_len = 0, want_cap = 0, off = 0;
	unsigned want_oversize = 0, mode, style;
	uint32_t rng;
	struct conn *c;

	if (!fz.ready)
		fz_init();
	fz.cfg.max_line = 1 + fuzz_u16(&in) % FZ_MAX_LINE;
	mode = fuzz_u8(&in);
	style = mode >> 4;
	fz.period = (mode >> 1) & 7;
	fz.calls = 0;
	fz.just_blocked = 0;
	fz.seen_len = 0;
	fz.oversize = 0;
	fz.now = (int64_t)(fuzz_u64(&in) % 253402300800000ULL);
	for (int i = 0; i < 16; i++)
		fz.id[i] = (uint8_t)fuzz_u8(&in);
	rng = mode * 2654435761u;

	c = calloc(1, sizeof(*c));
	FUZZ_CHECK(c != NULL);
	c->s = &fz.s;
	uv_pipe_init(&fz.loop, &c->h, 0);
	conn_list_add(&fz.s.conns, c, CONN_LIST_OFF(all));
	fz.s.nconns++;
	fz_source(&in, c);
	c->ack = mode & 1;
	c->last_seq = 1;         /* replies wait for durable_seq 1: held */
	fz.s.durable_seq = 0;

	while (off < in.n && !c->closing) {
		size_t n = fz_chunk(style, &rng, in.n - off);
		char *copy = malloc(n);  /* exact size: over-reads are caught */
		uv_buf_t b;

		FUZZ_CHECK(copy != NULL);
		memcpy(copy, in.p + off, n);
		b = uv_buf_init(copy, (unsigned)n);
		conn_on_read((uv_stream_t *)&c->h, (ssize_t)n, &b);
		free(copy);
		off += n;
		fz_unblock();
		conn_resume_paused(&fz.s);
	}
	if (!c->closing) {
		conn_on_read((uv_stream_t *)&c->h, UV_EOF, NULL);
		fz_unblock();
	}
	if (!c->closing)
		conn_close(c);
	uv_run(&fz.loop, UV_RUN_NOWAIT);
	FUZZ_CHECK(fz.s.conns == NULL && fz.s.nconns == 0);
	FUZZ_CHECK(fz.s.blocked == NULL && fz.s.waiting == NULL);

	fz_reference(in.p, in.n, fz.cfg.max_line, &want, &want_len, &want_cap,
		     &want_oversize);
	FUZZ_CHECK(fz.oversize == want_oversize);
	FUZZ_CHECK(fz.seen_len == want_len);
	FUZZ_CHECK(want_len == 0 || memcmp(fz.seen, want, want_len) == 0);
	free(want);
	return 0;
}
