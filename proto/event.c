/*
 * event.c: the four event types, their fields and the rules an event must
 * pass (PROTOCOL.md, "Events", says the same in prose; the JSON Schemas in
 * schema/ say it for other languages, and a test keeps the three agreeing).
 *
 * Validation works on the spans json.c records for the top-level members:
 * each key is mapped to a known field (or kept as unknown), then the
 * rules of the event's type are checked in a fixed order, so the first
 * failure is always the same one and its message names the field.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "json.h"
#include "proto.h"

static const char *const type_names[PROTO_TYPE_COUNT] = {
	"agent_action", "routing_decision", "transformation",
	"performance_metrics",
};
static const char *const type_topics[PROTO_TYPE_COUNT] = {
	"agent-actions", "agent-routing-decisions",
	"agent-transformation-events", "router-performance-metrics",
};
static const uint8_t type_name_len[PROTO_TYPE_COUNT] = { 12, 16, 14, 19 };
static const uint8_t type_topic_len[PROTO_TYPE_COUNT] = { 13, 23, 27, 26 };
#define TYPE_LIST "agent_action, routing_decision, transformation, " \
		  "performance_metrics"

/* Every top-level field any type knows; 0 is "unknown". */
enum field {
	F_NONE, F_TYPE, F_EVENT_ID, F_SOURCE, F_SCHEMA_VERSION, F_TIMESTAMP,
	F_CORRELATION_ID,
	F_AGENT_NAME, F_ACTION_TYPE, F_ACTION_NAME, F_ACTION_DETAILS,
	F_DEBUG_MODE, F_DURATION_MS,
	F_SELECTED_AGENT, F_CONFIDENCE_SCORE, F_ROUTING_STRATEGY,
	F_ROUTING_TIME_MS, F_USER_REQUEST, F_REASONING, F_ALTERNATIVES,
	F_CONTEXT,
	F_SOURCE_AGENT, F_TARGET_AGENT, F_TRANSFORMATION_DURATION_MS,
	F_TRANSFORMATION_REASON, F_SUCCESS,
	F_QUERY_TEXT, F_ROUTING_DURATION_MS, F_CANDIDATES_EVALUATED,
	F_CACHE_HIT, F_TRIGGER_MATCH_STRATEGY, F_CONFIDENCE_COMPONENTS,
	F_COUNT
};

static const char *const field_names[F_COUNT] = {
	"", "type", "event_id", "source", "schema_version", "timestamp",
	"correlation_id",
	"agent_name", "action_type", "action_name", "action_details",
	"debug_mode", "duration_ms",
	"selected_agent", "confidence_score", "routing_strategy",
	"routing_time_ms", "user_request", "reasoning", "alternatives",
	"context",
	"source_agent", "target_agent", "transformation_duration_ms",
	"transformation_reason", "success",
	"query_text", "routing_duration_ms", "candidates_evaluated",
	"cache_hit", "trigger_match_strategy", "confidence_components",
};

/* The fields of each name length (0-terminated): a key is compared with
 * at most four names. */
#define FIELD_MAX_LEN 26
static const uint8_t fields_by_len[FIELD_MAX_LEN + 1][5] = {
	[4] = { F_TYPE },
	[6] = { F_SOURCE },
	[7] = { F_CONTEXT, F_SUCCESS },
	[8] = { F_EVENT_ID },
	[9] = { F_TIMESTAMP, F_REASONING, F_CACHE_HIT },
	[10] = { F_AGENT_NAME, F_DEBUG_MODE, F_QUERY_TEXT },
	[11] = { F_ACTION_TYPE, F_ACTION_NAME, F_DURATION_MS },
	[12] = { F_USER_REQUEST, F_ALTERNATIVES, F_SOURCE_AGENT,
		 F_TARGET_AGENT },
	[14] = { F_SCHEMA_VERSION, F_CORRELATION_ID, F_ACTION_DETAILS,
		 F_SELECTED_AGENT },
	[15] = { F_ROUTING_TIME_MS },
	[16] = { F_CONFIDENCE_SCORE, F_ROUTING_STRATEGY },
	[19] = { F_ROUTING_DURATION_MS },
	[20] = { F_CANDIDATES_EVALUATED },
	[21] = { F_TRANSFORMATION_REASON, F_CONFIDENCE_COMPONENTS },
	[22] = { F_TRIGGER_MATCH_STRATEGY },
	[26] = { F_TRANSFORMATION_DURATION_MS },
};

/* What a field must hold. */
enum check {
	CK_UUID,        /* string, canonical 8-4-4-4-12 UUID */
	CK_TIMESTAMP,   /* string, RFC 3339 date-time */
	CK_NESTR,       /* non-empty string */
	CK_STR,         /* string */
	CK_ACTION_TYPE, /* tool_call | decision | error | success */
	CK_SCORE,       /* number, 0 <= x <= 1 */
	CK_INT,         /* integer literal, 0..2147483647 */
	CK_BOOL,
	CK_OBJECT,
	CK_ARRAY,
};

struct rule {
	uint8_t field;
	uint8_t check;
	uint8_t optional;     /* absent or null is fine */
};

/* The rules of each type, in the order they are checked (after
 * correlation_id, before timestamp). */
static const struct rule agent_action_rules[] = {
	{ F_AGENT_NAME, CK_NESTR, 0 },
	{ F_ACTION_TYPE, CK_ACTION_TYPE, 0 },
	{ F_ACTION_NAME, CK_NESTR, 0 },
	{ F_ACTION_DETAILS, CK_OBJECT, 1 },
	{ F_DEBUG_MODE, CK_BOOL, 1 },
	{ F_DURATION_MS, CK_INT, 1 },
};
static const struct rule routing_decision_rules[] = {
	{ F_SELECTED_AGENT, CK_NESTR, 0 },
	{ F_CONFIDENCE_SCORE, CK_SCORE, 0 },
	{ F_ROUTING_STRATEGY, CK_NESTR, 0 },
	{ F_ROUTING_TIME_MS, CK_INT, 0 },
	{ F_USER_REQUEST, CK_STR, 1 },
	{ F_REASONING, CK_STR, 1 },
	{ F_ALTERNATIVES, CK_ARRAY, 1 },
	{ F_CONTEXT, CK_OBJECT, 1 },
};
static const struct rule transformation_rules[] = {
	{ F_SOURCE_AGENT, CK_NESTR, 0 },
	{ F_TARGET_AGENT, CK_NESTR, 0 },
	{ F_TRANSFORMATION_DURATION_MS, CK_INT, 0 },
	{ F_TRANSFORMATION_REASON, CK_STR, 1 },
	{ F_CONFIDENCE_SCORE, CK_SCORE, 1 },
	{ F_SUCCESS, CK_BOOL, 1 },
};
static const struct rule performance_metrics_rules[] = {
	{ F_QUERY_TEXT, CK_STR, 0 },
	{ F_ROUTING_DURATION_MS, CK_INT, 0 },
	{ F_CANDIDATES_EVALUATED, CK_INT, 0 },
	{ F_CACHE_HIT, CK_BOOL, 1 },
	{ F_TRIGGER_MATCH_STRATEGY, CK_STR, 1 },
	{ F_CONFIDENCE_COMPONENTS, CK_OBJECT, 1 },
};

#define NRULES(a) (sizeof(a) / sizeof((a)[0]))
static const struct {
	const struct rule *rule;
	size_t n;
} type_rules[PROTO_TYPE_COUNT] = {
	{ agent_action_rules, NRULES(agent_action_rules) },
	{ routing_decision_rules, NRULES(routing_decision_rules) },
	{ transformation_rules, NRULES(transformation_rules) },
	{ performance_metrics_rules, NRULES(performance_metrics_rules) },
};

static const struct rule corr_rule = { F_CORRELATION_ID, CK_UUID, 0 };
static const struct rule ts_rule = { F_TIMESTAMP, CK_TIMESTAMP, 1 };

static const char *const kind_names[] = {
	"?", "null", "boolean", "boolean", "number", "string", "object",
	"array",
};

/* One validation in progress. */
struct parse {
	struct proto_event *ev;
	const char *line;
	char *err;
	int8_t at[F_COUNT];          /* member index of each field, or -1 */
};

/* The type's name, or NULL when out of range. */
const char *proto_type_name(int type)
{
	return type >= 0 && type < PROTO_TYPE_COUNT ? type_names[type] : NULL;
}

/* The type's default topic, or NULL when out of range. */
const char *proto_type_topic(int type)
{
	return type >= 0 && type < PROTO_TYPE_COUNT ? type_topics[type] : NULL;
}

/* The type named s[0..len) by its name or its topic, or -1. */
int proto_type_lookup(const char *s, size_t len)
{
	for (int t = 0; t < PROTO_TYPE_COUNT; t++) {
		if (type_name_len[t] == len &&
		    memcmp(s, type_names[t], len) == 0)
			return t;
		if (type_topic_len[t] == len &&
		    memcmp(s, type_topics[t], len) == 0)
			return t;
	}
	return -1;
}

__attribute__((format(printf, 2, 3)))
static int reject(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, PROTO_ERR_MAX, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Copy at most max bytes of s[0..n) (the raw text of an accepted string or
 * number, so printable and well-formed) into out for a message, cut on a
 * UTF-8 boundary and marked "..." when cut.  out holds max + 4 bytes.
 */
static const char *excerpt(const char *s, size_t n, size_t max, char *out)
{
	size_t k = n;

	if (n > max) {
		k = max;
		while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
	}
	memcpy(out, s, k);
	strcpy(out + k, n > max ? "..." : "");
	return out;
}

/* The raw text of member m's key, without its quotes. */
static const char *key_text(const struct parse *p,
			    const struct proto_member *m, size_t *n)
{
	*n = m->key_end - m->start - 2;
	return p->line + m->start + 1;
}

/* The raw text of member m's string value, without its quotes. */
static const char *str_text(const struct parse *p,
			    const struct proto_member *m, size_t *n)
{
	*n = m->end - m->val - 2;
	return p->line + m->val + 1;
}

static uint32_t load4(const char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t load8(const char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/*
 * Does key k[0..n) spell field f (whose name has n bytes, n >= 4)?  The
 * first and last four bytes (eight from n = 8) settle it for names up to
 * sixteen bytes, overlapping in the middle; a library memcmp() per key
 * would cost more than the rest of the lookup.
 */
static int is_field(const char *k, size_t n, int f)
{
	const char *name = field_names[f];

	if (n < 8)
		return load4(k) == load4(name) &&
		       load4(k + n - 4) == load4(name + n - 4);
	return load8(k) == load8(name) &&
	       load8(k + n - 8) == load8(name + n - 8) &&
	       (n <= 16 || memcmp(k + 8, name + 8, n - 16) == 0);
}

/*
 * The text of an accepted string as its decoded value: the raw text
 * itself when it has no escapes (the common case), else decoded into
 * dec[0..max).  Returns the length, or -1 when it needs more than max.
 */
static int decoded(const char *raw, size_t n, int esc, char *dec,
		   size_t max, const char **text)
{
	if (!esc) {
		*text = raw;
		return n > max ? -1 : (int)n;
	}
	*text = dec;
	return proto_json_unescape(raw, n, dec, max);
}

/* The known field a key names (by its decoded value), or F_NONE. */
static int field_of(const struct parse *p, const struct proto_member *m)
{
	char dec[FIELD_MAX_LEN];
	size_t n;
	const char *raw = key_text(p, m, &n), *k;
	int len = decoded(raw, n, m->flags & PROTO_KEY_ESC, dec, sizeof dec,
			  &k);

	if (len < 4)
		return F_NONE;          /* no field name is shorter */
	for (const uint8_t *f = fields_by_len[len]; *f != F_NONE; f++)
		if (is_field(k, (size_t)len, *f))
			return *f;
	return F_NONE;
}

/* Are the keys of members a and b the same string? */
static int same_key(const struct parse *p, const struct proto_member *a,
		    const struct proto_member *b)
{
	size_t an, bn;
	const char *ak = key_text(p, a, &an), *bk = key_text(p, b, &bn);

	if (!((a->flags | b->flags) & PROTO_KEY_ESC))
		return an == bn && memcmp(ak, bk, an) == 0;
	return proto_json_str_eq(ak, an, bk, bn);
}

static int reject_duplicate(struct parse *p, const struct proto_member *m,
			    int f)
{
	char ex[68];
	size_t n;
	const char *k = key_text(p, m, &n);

	if (f != F_NONE)
		return reject(p, "%s: duplicate key", field_names[f]);
	return reject(p, "%s: duplicate key", excerpt(k, n, 64, ex));
}

/*
 * Map each member to its field and refuse duplicate keys (known fields by
 * their index, the others pairwise: an event has a handful of them).
 */
static int map_members(struct parse *p)
{
	struct proto_event *ev = p->ev;
	uint8_t unknown[PROTO_MAX_MEMBERS + PROTO_OWNED_MAX];
	unsigned nunknown = 0;

	memset(p->at, -1, sizeof p->at);
	for (unsigned i = 0; i < ev->nmembers; i++) {
		const struct proto_member *m = &ev->member[i];
		int f = field_of(p, m);

		if (f == F_NONE) {
			for (unsigned j = 0; j < nunknown; j++)
				if (same_key(p, &ev->member[unknown[j]], m))
					return reject_duplicate(p, m, F_NONE);
			unknown[nunknown++] = (uint8_t)i;
			continue;
		}
		if (p->at[f] >= 0)
			return reject_duplicate(p, m, f);
		p->at[f] = (int8_t)i;
	}
	return 0;
}

/* Mark the members the daemon owns: they never reach the output. */
static void strip_owned(struct parse *p)
{
	static const uint8_t owned[] = {
		F_TYPE, F_EVENT_ID, F_SOURCE, F_SCHEMA_VERSION, F_TIMESTAMP,
	};
	struct proto_event *ev = p->ev;

	ev->nstrip = 0;
	for (size_t k = 0; k < sizeof owned; k++) {
		int i = p->at[owned[k]];

		if (i < 0)
			continue;
		ev->strip[ev->nstrip++] = (uint16_t)i;
		ev->member[i].flags |= PROTO_DROP;
	}
}

/* Settle the event's type from its "type" member or default_type. */
static int resolve_type(struct parse *p, int default_type)
{
	int i = p->at[F_TYPE], t = default_type;
	const struct proto_member *m;
	char dec[32], ex[44];
	const char *s, *text;
	size_t n;
	int len;

	if (i < 0 || p->ev->member[i].kind == PROTO_NULL) {
		if (t < 0 || t >= PROTO_TYPE_COUNT)
			return reject(p, "type: missing (one of " TYPE_LIST ")");
		p->ev->type = t;
		return 0;
	}
	m = &p->ev->member[i];
	if (m->kind != PROTO_STRING)
		return reject(p, "type: must be a string, got %s",
			      kind_names[m->kind]);
	s = str_text(p, m, &n);
	len = decoded(s, n, m->flags & PROTO_VAL_ESC, dec, sizeof dec, &text);
	t = len < 0 ? -1 : proto_type_lookup(text, (size_t)len);
	if (t < 0)
		return reject(p, "type: unknown \"%s\" (one of " TYPE_LIST ")",
			      excerpt(s, n, 40, ex));
	p->ev->type = t;
	return 0;
}

/* Is the JSON number text s[0..e) an integer literal in 0..INT32_MAX? */
static int check_int(struct parse *p, const char *name,
		     const struct proto_member *m)
{
	const char *s = p->line + m->val, *e = p->line + m->end;
	int neg = *s == '-';
	uint64_t v = 0;

	if (m->kind != PROTO_NUMBER)
		return reject(p, "%s: must be an integer, got %s", name,
			      kind_names[m->kind]);
	for (const char *q = s; q < e; q++)
		if (*q == '.' || *q == 'e' || *q == 'E')
			return reject(p, "%s: must be an integer", name);
	s += neg;
	if (neg && !(e - s == 1 && *s == '0'))
		return reject(p, "%s: must be a non-negative integer", name);
	if (e - s > 10)
		return reject(p, "%s: out of range (max 2147483647)", name);
	for (; s < e; s++)
		v = v * 10 + (uint64_t)(*s - '0');
	if (v > INT32_MAX)
		return reject(p, "%s: out of range (max 2147483647)", name);
	return 0;
}

/* Digit k of the digits of a number split in integer and fraction parts. */
static char digit_at(const char *ip, size_t nint, const char *fp, size_t k)
{
	return k < nint ? ip[k] : fp[k - nint];
}

/*
 * Is the JSON number text s[0..e) between 0 and 1 inclusive?  Decided on
 * the decimal text exactly (no floating point): 1.0000001 and
 * 1.00000000000000000001 are both above 1, 1e-400 is not below 0.
 */
static int score_in_range(const char *s, const char *e)
{
	const char *ip, *fp = NULL;
	size_t nint, nfrac = 0, nall, f;
	int64_t exp = 0, sci;
	int neg = *s == '-', eneg = 0;

	s += neg;
	for (ip = s; s < e && *s >= '0' && *s <= '9'; s++)
		;
	nint = (size_t)(s - ip);
	if (s < e && *s == '.') {
		for (fp = ++s; s < e && *s >= '0' && *s <= '9'; s++)
			;
		nfrac = (size_t)(s - fp);
	}
	if (s < e) {
		s++;
		if (*s == '+' || *s == '-')
			eneg = *s++ == '-';
		for (; s < e; s++)
			if (exp < 1000000000)
				exp = exp * 10 + (*s - '0');
	}
	nall = nint + nfrac;
	for (f = 0; f < nall && digit_at(ip, nint, fp, f) == '0'; f++)
		;
	if (f == nall)
		return 1;                       /* zero, or minus zero */
	if (neg)
		return 0;
	sci = (int64_t)nint - 1 - (int64_t)f + (eneg ? -exp : exp);
	if (sci != 0)
		return sci < 0;
	if (digit_at(ip, nint, fp, f) != '1')
		return 0;
	while (++f < nall)
		if (digit_at(ip, nint, fp, f) != '0')
			return 0;
	return 1;
}

static int check_score(struct parse *p, const char *name,
		       const struct proto_member *m)
{
	char ex[44];

	if (m->kind != PROTO_NUMBER)
		return reject(p, "%s: must be a number, got %s", name,
			      kind_names[m->kind]);
	if (!score_in_range(p->line + m->val, p->line + m->end))
		return reject(p, "%s: must be between 0.0 and 1.0, got %s",
			      name, excerpt(p->line + m->val, m->end - m->val,
					    40, ex));
	return 0;
}

static int check_action_type(struct parse *p, const struct proto_member *m)
{
	static const char *const names[] = {
		"tool_call", "decision", "error", "success",
	};
	char dec[16], ex[44];
	size_t n;
	const char *s, *text;
	int len;

	if (m->kind != PROTO_STRING)
		return reject(p, "action_type: must be a string, got %s",
			      kind_names[m->kind]);
	s = str_text(p, m, &n);
	len = decoded(s, n, m->flags & PROTO_VAL_ESC, dec, sizeof dec, &text);
	for (size_t k = 0; len >= 0 && k < 4; k++)
		if (strlen(names[k]) == (size_t)len &&
		    memcmp(text, names[k], (size_t)len) == 0)
			return 0;
	return reject(p, "action_type: must be one of tool_call, decision, "
		      "error, success, got \"%s\"", excerpt(s, n, 40, ex));
}

#if !defined(__SSE2__)
/* Hex digits, for is_uuid() without SSE2. */
static const uint8_t hex_digit[256] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
};
#endif

/*
 * Is s[0..36) a UUID in the 8-4-4-4-12 hex form, any case?  This is the
 * form libuuid's uuid_parse() accepts (test_units checks the two agree);
 * uuid_parse() itself costs ~190 ns here (it converts with strtoul), a
 * tenth of the whole per-event budget, for a check that needs none.
 */
static int is_uuid(const char *s)
{
#if defined(__SSE2__)
	/* Bytes 0-15, 16-31 and 20-35: each a hex digit, or '-' exactly at
	 * 8, 13, 18 and 23.  Signed compares: 0x80-0xff are below '0'. */
	static const uint16_t dashes[3] = {
		1u << 8 | 1u << 13, 1u << (18 - 16) | 1u << (23 - 16),
		1u << (23 - 20),
	};
	static const uint8_t at[3] = { 0, 16, 20 };
	unsigned ok = 1;

	for (int i = 0; i < 3; i++) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)
					    (s + at[i]));
		__m128i lo = _mm_or_si128(x, _mm_set1_epi8(0x20));
		__m128i dig = _mm_and_si128(
			_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)),
			_mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1)));
		__m128i let = _mm_and_si128(
			_mm_cmpgt_epi8(lo, _mm_set1_epi8('a' - 1)),
			_mm_cmplt_epi8(lo, _mm_set1_epi8('f' + 1)));
		unsigned hex = (unsigned)_mm_movemask_epi8(_mm_or_si128(dig,
									 let));
		unsigned dash = (unsigned)_mm_movemask_epi8(
			_mm_cmpeq_epi8(x, _mm_set1_epi8('-')));

		ok &= dash == dashes[i] && (hex | dash) == 0xffff;
	}
	return (int)ok;
#else
	const unsigned char *u = (const unsigned char *)s;
	unsigned ok = u[8] == '-' && u[13] == '-' && u[18] == '-' &&
		      u[23] == '-';

	for (int i = 0; i < PROTO_UUID_LEN; i++)
		ok &= hex_digit[u[i]] | (i == 8 || i == 13 || i == 18 ||
					 i == 23);
	return ok;
#endif
}

/* The exported form of is_uuid(), with the length checked (proto.h). */
int proto_uuid_check(const char *s, size_t len)
{
	return len == PROTO_UUID_LEN && is_uuid(s);
}

/*
 * The lower-case form of a UUID is_uuid() accepted: hex letters, digits
 * and '-' all have bit 0x20 set once lower case, so OR-ing it in is all.
 */
static void uuid_lower(char out[PROTO_UUID_LEN + 1], const char *u)
{
	uint32_t w;

	for (int i = 0; i < 32; i += 8) {
		uint64_t v = load8(u + i) | 0x2020202020202020ULL;
		memcpy(out + i, &v, 8);
	}
	w = load4(u + 32) | 0x20202020u;
	memcpy(out + 32, &w, 4);
	out[PROTO_UUID_LEN] = '\0';
}

/*
 * correlation_id: a UUID, written plainly (no escapes: the daemon takes the
 * Kafka key from the line as written); its lower-case form is the key.
 */
static int check_uuid(struct parse *p, const struct proto_member *m, int i)
{
	struct proto_event *ev = p->ev;
	char ex[44];
	size_t n;
	const char *s;

	if (m->kind != PROTO_STRING)
		return reject(p, "correlation_id: must be a string (a UUID), "
			      "got %s", kind_names[m->kind]);
	s = str_text(p, m, &n);
	if (m->flags & PROTO_VAL_ESC)
		return reject(p, "correlation_id: write the UUID without "
			      "backslash escapes");
	if (n != PROTO_UUID_LEN || !is_uuid(s))
		return reject(p, "correlation_id: not a UUID (want 8-4-4-4-12 "
			      "hex digits), got \"%s\"", excerpt(s, n, 40, ex));
	uuid_lower(ev->corr, s);
	ev->corr_off = m->val + 1;
	ev->corr_len = PROTO_UUID_LEN;
	ev->corr_member = (uint16_t)i;
	return 0;
}

static int check_timestamp(struct parse *p, const struct proto_member *m)
{
	struct proto_event *ev = p->ev;
	char dec[PROTO_TIMESTAMP_MAX];
	size_t n;
	const char *s, *text;
	int len;

	if (m->kind != PROTO_STRING)
		return reject(p, "timestamp: must be a string, got %s",
			      kind_names[m->kind]);
	s = str_text(p, m, &n);
	len = decoded(s, n, m->flags & PROTO_VAL_ESC, dec, sizeof dec, &text);
	if (len < 0 ||
	    proto_timestamp_parse(text, (size_t)len, &ev->ts_ms) < 0)
		return reject(p, "timestamp: not an ISO 8601 date-time");
	ev->ts_off = (int32_t)(m->val + 1);
	ev->ts_len = (uint16_t)n;
	ev->ts_esc = (m->flags & PROTO_VAL_ESC) != 0;
	return 0;
}

/* Check one field by its rule. */
static int check_field(struct parse *p, const struct rule *r)
{
	const char *name = field_names[r->field];
	int i = p->at[r->field];
	const struct proto_member *m;

	if (i < 0 || (r->optional && p->ev->member[i].kind == PROTO_NULL)) {
		if (r->optional)
			return 0;
		return reject(p, "%s: missing (required for %s)", name,
			      type_names[p->ev->type]);
	}
	m = &p->ev->member[i];
	switch (r->check) {
	case CK_UUID:
		return check_uuid(p, m, i);
	case CK_TIMESTAMP:
		return check_timestamp(p, m);
	case CK_NESTR:
		if (m->kind != PROTO_STRING)
			return reject(p, "%s: must be a non-empty string, "
				      "got %s", name, kind_names[m->kind]);
		if (m->end - m->val == 2)
			return reject(p, "%s: must not be empty", name);
		return 0;
	case CK_STR:
		if (m->kind != PROTO_STRING)
			return reject(p, "%s: must be a string, got %s", name,
				      kind_names[m->kind]);
		return 0;
	case CK_ACTION_TYPE:
		return check_action_type(p, m);
	case CK_SCORE:
		return check_score(p, name, m);
	case CK_INT:
		return check_int(p, name, m);
	case CK_BOOL:
		if (m->kind != PROTO_TRUE && m->kind != PROTO_FALSE)
			return reject(p, "%s: must be true or false, got %s",
				      name, kind_names[m->kind]);
		return 0;
	case CK_OBJECT:
		if (m->kind != PROTO_OBJECT)
			return reject(p, "%s: must be an object, got %s", name,
				      kind_names[m->kind]);
		return 0;
	default:
		if (m->kind != PROTO_ARRAY)
			return reject(p, "%s: must be an array, got %s", name,
				      kind_names[m->kind]);
		return 0;
	}
}

/* Check correlation_id, the type's own fields, then timestamp. */
static int check_rules(struct parse *p)
{
	int t = p->ev->type;

	if (check_field(p, &corr_rule) != 0)
		return -1;
	for (size_t k = 0; k < type_rules[t].n; k++)
		if (check_field(p, &type_rules[t].rule[k]) != 0)
			return -1;
	return check_field(p, &ts_rule);
}

static int reject_too_many(struct parse *p)
{
	return reject(p, "event: more than %d members (not counting type, "
		      "timestamp, event_id, source, schema_version)",
		      PROTO_MAX_MEMBERS);
}

/* Validate one event (see proto.h). */
int proto_event_parse(struct proto_event *ev, const char *line, size_t len,
		      int default_type, char *err)
{
	struct parse p = { .ev = ev, .line = line, .err = err };
	struct proto_json_top top;

	ev->type = -1;
	ev->ts_off = -1;
	ev->ts_len = 0;
	ev->ts_esc = 0;
	ev->ts_ms = 0;
	ev->nstrip = 0;
	if (proto_json_scan(line, len, ev->member,
			    PROTO_MAX_MEMBERS + PROTO_OWNED_MAX, &top, err) != 0)
		return -1;
	if (top.kind != PROTO_OBJECT)
		return reject(&p, "event: must be a JSON object, got %s",
			      kind_names[top.kind]);
	if (top.n > PROTO_MAX_MEMBERS + PROTO_OWNED_MAX)
		return reject_too_many(&p);
	ev->open = top.open;
	ev->close = top.close;
	ev->nmembers = (uint16_t)top.n;
	if (map_members(&p) != 0 || resolve_type(&p, default_type) != 0)
		return -1;
	strip_owned(&p);
	if (ev->nmembers - ev->nstrip > PROTO_MAX_MEMBERS)
		return reject_too_many(&p);
	return check_rules(&p);
}
