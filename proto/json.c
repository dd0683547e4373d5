/*
 * json.c: a strict, single-pass RFC 8259 scanner.
 *
 * Why not cJSON: cJSON 1.7.15 accepts numbers such as -01 and 2., raw
 * control characters inside strings and any bytes at all as "UTF-8", and
 * every consumer downstream of agentlogd (PostgreSQL jsonb, Python,
 * JavaScript, jq) is strict.  And once we scan, building a tree too would
 * be wasted work on the hot path: the event is validated from the spans of
 * its top-level members and the envelope is spliced into the original
 * bytes.  So this scanner validates the whole line and, for the top-level
 * object only, records where each member sits.  It builds nothing.
 *
 * Beyond RFC 8259 it refuses two things consumers cannot store: a \u
 * escape that is a lone surrogate (\ud800 alone) and \u0000 (PostgreSQL
 * text and jsonb reject both).  It never reads past buf + len.
 */
#include <stdio.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "json.h"

struct scan {
	const unsigned char *buf;
	const unsigned char *p;
	const unsigned char *end;
	int depth;
	char *err;
	struct proto_member *m;     /* top-level members, or NULL */
	unsigned max;
	unsigned n;
};

/* String bytes: 0 plain, 1 quote, 2 backslash, 3 control, 4 non-ASCII. */
#define R16(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
static const uint8_t str_class[256] = {
	R16(3), R16(3),
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	R16(0), R16(0),
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0,
	R16(0), R16(0),
	R16(4), R16(4), R16(4), R16(4), R16(4), R16(4), R16(4), R16(4)
};
#undef R16

/*
 * Results travel in return values, not through uint8_t pointers: a store
 * through an unsigned char pointer may alias anything, which would make
 * the compiler reload the scan state after every one of them.
 */
#define ESC 0x10        /* in scan_value()'s result: a string had escapes */

static int scan_value(struct scan *s);

/* The kind of value v (-1 stays -1: an error). */
static int kind(int v, int kind)
{
	return v < 0 ? -1 : v | kind;
}

/* Write "json: <why> at byte N" and fail. */
static int fail(struct scan *s, const unsigned char *at, const char *why)
{
	if (s->err != NULL)
		snprintf(s->err, PROTO_ERR_MAX, "json: %s at byte %zu", why,
			 (size_t)(at - s->buf));
	return -1;
}

/* Fail on whatever sits at s->p when `expected` should have. */
static int unexpected(struct scan *s, const char *expected)
{
	size_t off = (size_t)(s->p - s->buf);
	unsigned c;

	if (s->err == NULL)
		return -1;
	if (s->p >= s->end) {
		snprintf(s->err, PROTO_ERR_MAX,
			 "json: unexpected end of input at byte %zu "
			 "(expected %s)", off, expected);
		return -1;
	}
	c = *s->p;
	if (c > 0x20 && c < 0x7f)
		snprintf(s->err, PROTO_ERR_MAX,
			 "json: unexpected '%c' at byte %zu (expected %s)",
			 (int)c, off, expected);
	else
		snprintf(s->err, PROTO_ERR_MAX,
			 "json: unexpected byte 0x%02x at byte %zu (expected %s)",
			 c, off, expected);
	return -1;
}

static inline void skip_ws(struct scan *s)
{
	const unsigned char *p = s->p;

	while (p < s->end && *p <= ' ' &&
	       (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	s->p = p;
}

static int is_digit(unsigned c)
{
	return c - '0' < 10;
}

/* The value of 4 hex digits at p, or -1. */
static int hex4(const unsigned char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned c = p[i];
		int d;

		if (c - '0' < 10)
			d = (int)(c - '0');
		else if ((c | 0x20) - 'a' < 6)
			d = (int)((c | 0x20) - 'a' + 10);
		else
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/*
 * The length of the well-formed UTF-8 sequence at p (Unicode table 3-7:
 * no overlongs, no surrogates, nothing past U+10FFFF), or 0.
 */
int proto_utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0], lo = 0x80, hi = 0xbf;
	size_t avail = (size_t)(end - p);

	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;
	if (c < 0xe0)
		return avail >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c < 0xf0) {
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
		return avail >= 3 && p[1] >= lo && p[1] <= hi &&
		       (p[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c < 0xf5) {
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
		return avail >= 4 && p[1] >= lo && p[1] <= hi &&
		       (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

/* Check the escape at *pp (a backslash) and step over it. */
static int scan_escape(struct scan *s, const unsigned char **pp)
{
	const unsigned char *p = *pp;
	size_t avail = (size_t)(s->end - p);
	int cp, lo;

	if (avail < 2)          /* s->p: the string's opening quote */
		return fail(s, s->p, "unterminated string");
	switch (p[1]) {
	case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r':
	case 't':
		*pp = p + 2;
		return 0;
	case 'u':
		break;
	default:
		return fail(s, p, "invalid escape");
	}
	if (avail < 6 || (cp = hex4(p + 2)) < 0)
		return fail(s, p, "invalid \\u escape (want 4 hex digits)");
	if (cp == 0)
		return fail(s, p, "\\u0000 is not allowed");
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail(s, p, "lone surrogate in \\u escape");
	if (cp < 0xd800 || cp > 0xdbff) {
		*pp = p + 6;
		return 0;
	}
	if (avail < 12 || p[6] != '\\' || p[7] != 'u' ||
	    (lo = hex4(p + 8)) < 0xdc00 || lo > 0xdfff)
		return fail(s, p, "lone surrogate in \\u escape");
	*pp = p + 12;
	return 0;
}

/*
 * Find the first string byte at or after p that is not plain (printable
 * ASCII other than quote and backslash): most of an event is plain bytes.
 *
 * With SSE2 (every x86-64) sixteen bytes at a time: equal to '"', equal
 * to '\\', or below 0x20 as a signed byte, which takes in 0x80-0xff too
 * (negative): three compares and a movemask flag every byte that needs a
 * look.  Then, and everywhere else, eight at a time with the classic bit
 * tricks (Hacker's Delight 6-1): a byte below 0x20, a byte with its top
 * bit set, a byte equal to '"' or to '\\'.  A borrow can flag a byte above
 * a real hit but never below one, so the lowest flagged byte is exact.
 * Neither reads past end.  Returns the byte, or -1 at the end of the input.
 */
static inline int next_special(const unsigned char **pp,
			       const unsigned char *end)
{
	const unsigned char *p = *pp;
#if defined(__SSE2__)
	const __m128i quote = _mm_set1_epi8('"');
	const __m128i bslash = _mm_set1_epi8('\\');
	const __m128i space = _mm_set1_epi8(0x20);

	while (end - p >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote),
						      _mm_cmpeq_epi8(x, bslash)),
					 _mm_cmplt_epi8(x, space));
		unsigned bits = (unsigned)_mm_movemask_epi8(m);

		if (bits != 0) {
			p += __builtin_ctz(bits);
			*pp = p;
			return *p;
		}
		p += 16;
	}
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ULL, high = ones * 0x80;
	uint64_t x, q, b, m;
	int bit;

	while (end - p >= 8) {
		memcpy(&x, p, 8);
		q = x ^ (ones * '"');
		b = x ^ (ones * '\\');
		m = (((x - ones * 0x20) & ~x) | x | ((q - ones) & ~q) |
		     ((b - ones) & ~b)) & high;
		if (m != 0) {
			bit = __builtin_ctzll(m) & ~7;
			*pp = p + (bit >> 3);
			return (int)(x >> bit & 0xff);
		}
		p += 8;
	}
#endif
	while (p < end && str_class[*p] == 0)
		p++;
	*pp = p;
	return p < end ? *p : -1;
}

/*
 * The rest of a string from p, a byte next_special() stopped at that is
 * not its closing quote: escapes, UTF-8, errors.  Out of line: most
 * strings in an event never come here.
 */
static __attribute__((noinline)) int scan_string_rest(struct scan *s,
						      const unsigned char *p,
						      int c)
{
	const unsigned char *end = s->end;
	int n, esc = 0;

	for (;;) {
		if (c == '"') {
			s->p = p + 1;
			return esc;
		}
		if (c == '\\') {
			esc = ESC;
			if (scan_escape(s, &p) != 0)
				return -1;
		} else if (c < 0) {
			return fail(s, s->p, "unterminated string");
		} else if (c < 0x20) {
			return fail(s, p, "raw control character in string "
				    "(escape it)");
		} else {
			if ((n = proto_utf8_len(p, end)) == 0)
				return fail(s, p, "invalid UTF-8");
			p += n;
		}
		c = next_special(&p, end);
	}
}

/* Scan the string at s->p (its opening quote).  Returns -1, or ESC when
 * it had escapes, else 0. */
static inline int scan_string(struct scan *s)
{
	const unsigned char *p = s->p + 1;
	int c = next_special(&p, s->end);

	if (c == '"') {
		s->p = p + 1;
		return 0;
	}
	return scan_string_rest(s, p, c);
}

/* Scan a number by the RFC 8259 grammar: -?(0|[1-9][0-9]*)(.d+)?([eE][+-]?d+)? */
static int scan_number(struct scan *s)
{
	const unsigned char *p = s->p, *end = s->end;

	if (*p == '-')
		p++;
	if (p < end && *p == '0') {
		p++;
		if (p < end && is_digit(*p))
			return fail(s, p, "invalid number (leading zero)");
	} else if (p < end && is_digit(*p)) {
		while (p < end && is_digit(*p))
			p++;
	} else {
		return fail(s, p, "invalid number (digit expected after '-')");
	}
	if (p < end && *p == '.') {
		p++;
		if (p >= end || !is_digit(*p))
			return fail(s, p, "invalid number (digit expected "
				    "after '.')");
		while (p < end && is_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !is_digit(*p))
			return fail(s, p, "invalid number (digit expected in "
				    "exponent)");
		while (p < end && is_digit(*p))
			p++;
	}
	s->p = p;
	return 0;
}

/* Scan the literal lit (true, false, null) at s->p. */
static int scan_literal(struct scan *s, const char *lit, size_t n,
			const char *why)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
		return fail(s, s->p, why);
	s->p += n;
	return 0;
}

/*
 * One "key": value of an object, s->p on the key's opening quote, its
 * offsets written to *mem as they are found (straight into the caller's
 * array: a member built on the stack and copied whole would read back
 * bytes just stored separately, which stalls the copy).
 */
static inline int scan_member(struct scan *s, struct proto_member *mem)
{
	int esc, v;

	mem->start = (uint32_t)(s->p - s->buf);
	if ((esc = scan_string(s)) < 0)
		return -1;
	mem->key_end = (uint32_t)(s->p - s->buf);
	skip_ws(s);
	if (s->p >= s->end || *s->p != ':')
		return unexpected(s, "':'");
	s->p++;
	skip_ws(s);
	mem->val = (uint32_t)(s->p - s->buf);
	if (s->p < s->end && *s->p == '"')      /* most values: a string */
		v = kind(scan_string(s), PROTO_STRING);
	else
		v = scan_value(s);
	if (v < 0)
		return -1;
	mem->end = (uint32_t)(s->p - s->buf);
	mem->kind = (uint8_t)(v & 0x0f);
	mem->flags = (uint8_t)((esc ? PROTO_KEY_ESC : 0) |
			       (v & ESC ? PROTO_VAL_ESC : 0));
	return 0;
}

/* Members of the top-level object go to s->m (past s->max they are
 * only counted); those of nested objects to a scratch slot. */
static int scan_object(struct scan *s)
{
	int top = s->depth == 0 && s->m != NULL;
	struct proto_member scratch, *mem;

	if (++s->depth > PROTO_MAX_DEPTH)
		return fail(s, s->p, "nesting deeper than 64");
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == '}')
		goto done;
	for (;;) {
		if (s->p >= s->end || *s->p != '"')
			return unexpected(s, "a string key");
		mem = top && s->n < s->max ? &s->m[s->n] : &scratch;
		if (scan_member(s, mem) != 0)
			return -1;
		s->n += (unsigned)top;
		skip_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			skip_ws(s);
			continue;
		}
		if (s->p < s->end && *s->p == '}')
			break;
		return unexpected(s, "',' or '}'");
	}
done:
	s->p++;
	s->depth--;
	return 0;
}

static int scan_array(struct scan *s)
{

	if (++s->depth > PROTO_MAX_DEPTH)
		return fail(s, s->p, "nesting deeper than 64");
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == ']')
		goto done;
	for (;;) {
		if (scan_value(s) < 0)
			return -1;
		skip_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			skip_ws(s);
			continue;
		}
		if (s->p < s->end && *s->p == ']')
			break;
		return unexpected(s, "',' or ']'");
	}
done:
	s->p++;
	s->depth--;
	return 0;
}

/* Scan any value at s->p.  Returns -1, or its enum proto_kind, with ESC
 * added for a string that had escapes. */
static int scan_value(struct scan *s)
{
	if (s->p >= s->end)
		return unexpected(s, "a value");
	switch (*s->p) {
	case '{':
		return kind(scan_object(s), PROTO_OBJECT);
	case '[':
		return kind(scan_array(s), PROTO_ARRAY);
	case '"':
		return kind(scan_string(s), PROTO_STRING);
	case 't':
		return kind(scan_literal(s, "true", 4,
					 "invalid literal (want true)"),
			    PROTO_TRUE);
	case 'f':
		return kind(scan_literal(s, "false", 5,
					 "invalid literal (want false)"),
			    PROTO_FALSE);
	case 'n':
		return kind(scan_literal(s, "null", 4,
					 "invalid literal (want null)"),
			    PROTO_NULL);
	default:
		if (*s->p == '-' || is_digit(*s->p))
			return kind(scan_number(s), PROTO_NUMBER);
		return unexpected(s, "a value");
	}
}

/*
 * Scan one JSON value and nothing but whitespace around it, recording the
 * members of a top-level object when m is given.
 */
int proto_json_scan(const char *buf, size_t len, struct proto_member *m,
		    unsigned max, struct proto_json_top *top, char *err)
{
	struct scan s = {
		.buf = (const unsigned char *)buf,
		.p = (const unsigned char *)buf,
		.end = (const unsigned char *)buf + len,
		.err = err,
		.m = m,
		.max = max,
	};
	int v;

	if (len >= UINT32_MAX) {
		if (err != NULL)
			snprintf(err, PROTO_ERR_MAX, "json: input of %zu bytes "
				 "is too long", len);
		return -1;
	}
	skip_ws(&s);
	top->open = (uint32_t)(s.p - s.buf);
	if ((v = scan_value(&s)) < 0)
		return -1;
	top->kind = (uint8_t)(v & 0x0f);
	top->close = (uint32_t)(s.p - s.buf) - 1;
	top->n = s.n;
	skip_ws(&s);
	if (s.p < s.end)
		return fail(&s, s.p, "trailing data after the value");
	return 0;
}

/* Check that buf[0..len) is exactly one JSON value (see proto.h). */
int proto_json_check(const char *buf, size_t len, char *err)
{
	struct proto_json_top top;

	return proto_json_scan(buf, len, NULL, 0, &top, err);
}

/* Encode code point cp as UTF-8 at out; returns the bytes written. */
static int utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Decode the escape at *pp (a backslash inside a string the scanner
 * accepted, so it is well formed) to its code point and step over it.
 */
static uint32_t next_escape(const unsigned char **pp)
{
	const unsigned char *p = *pp;
	int cp;

	switch (p[1]) {
	case 'b': cp = '\b'; break;
	case 'f': cp = '\f'; break;
	case 'n': cp = '\n'; break;
	case 'r': cp = '\r'; break;
	case 't': cp = '\t'; break;
	case 'u':
		cp = hex4(p + 2);
		if (cp >= 0xd800 && cp <= 0xdbff) {
			cp = 0x10000 + ((cp - 0xd800) << 10) +
			     (hex4(p + 8) - 0xdc00);
			*pp = p + 12;
			return (uint32_t)cp;
		}
		*pp = p + 6;
		return (uint32_t)cp;
	default: cp = p[1]; break;
	}
	*pp = p + 2;
	return (uint32_t)cp;
}

/* Decode an accepted string's text into out (see json.h). */
int proto_json_unescape(const char *s, size_t n, char *out, size_t outmax)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	size_t o = 0;

	while (p < end) {
		if (*p != '\\') {
			if (o >= outmax)
				return -1;
			out[o++] = (char)*p++;
			continue;
		}
		uint32_t cp = next_escape(&p);
		char tmp[4];
		int k = utf8_put(tmp, cp);

		if (o + (size_t)k > outmax)
			return -1;
		memcpy(out + o, tmp, (size_t)k);
		o += (size_t)k;
	}
	return (int)o;
}

/*
 * Fill buf with the next decoded bytes of a string text (1 to 4 bytes:
 * one raw byte, or one escaped character as UTF-8).
 */
static int next_bytes(const unsigned char **pp, char buf[4])
{
	if (**pp != '\\') {
		buf[0] = (char)*(*pp)++;
		return 1;
	}
	return utf8_put(buf, next_escape(pp));
}

/* Compare two accepted string texts by decoded value. */
int proto_json_str_eq(const char *a, size_t an, const char *b, size_t bn)
{
	const unsigned char *p = (const unsigned char *)a, *pe = p + an;
	const unsigned char *q = (const unsigned char *)b, *qe = q + bn;
	char x[4], y[4];
	int xn = 0, yn = 0, xi = 0, yi = 0;

	for (;;) {
		if (xi == xn && p < pe) {
			xn = next_bytes(&p, x);
			xi = 0;
		}
		if (yi == yn && q < qe) {
			yn = next_bytes(&q, y);
			yi = 0;
		}
		if (xi == xn || yi == yn)
			return xi == xn && yi == yn;
		if (x[xi++] != y[yi++])
			return 0;
	}
}

/* Write s[0..n) as the inside of a JSON string (see json.h). */
char *proto_json_escape(char *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	int k;

	while (p < end) {
		unsigned c = *p;

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			*out++ = (char)*p++;
			continue;
		}
		if (c == '"' || c == '\\') {
			*out++ = '\\';
			*out++ = (char)*p++;
			continue;
		}
		if (c < 0x20) {
			memcpy(out, "\\u00", 4);
			out[4] = hex[c >> 4];
			out[5] = hex[c & 15];
			out += 6;
			p++;
			continue;
		}
		if ((k = proto_utf8_len(p, end)) == 0) {
			memcpy(out, "\\ufffd", 6);
			out += 6;
			p++;
			continue;
		}
		memcpy(out, p, (size_t)k);
		out += k;
		p += k;
	}
	return out;
}
