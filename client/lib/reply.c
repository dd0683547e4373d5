/*
 * reply.c: the daemon's one-line replies ({"ok":true,"event_id":"..."},
 * {"ok":false,"error":"..."}, the hello reply), read without a JSON
 * library: the line is checked by proto's strict parser first, so the
 * scanner below only walks well-formed JSON, and it looks at top-level
 * members only.  (libagentlog links no cJSON: agentlogctl's start-up and
 * the library's users are spared one shared library.)
 */
#include <string.h>

#include "agentlog_int.h"

static const char *reply_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

static unsigned reply_hex4(const char *p)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return v;
}

/* Append code point cp as UTF-8 to out (room permitting). */
static void reply_utf8(char *out, size_t cap, size_t *n, unsigned cp)
{
	char b[4];
	size_t k = 0, i;

	if (cp < 0x80) {
		b[k++] = (char)cp;
	} else if (cp < 0x800) {
		b[k++] = (char)(0xc0 | cp >> 6);
		b[k++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		b[k++] = (char)(0xe0 | cp >> 12);
		b[k++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[k++] = (char)(0x80 | (cp & 0x3f));
	} else {
		b[k++] = (char)(0xf0 | cp >> 18);
		b[k++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[k++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[k++] = (char)(0x80 | (cp & 0x3f));
	}
	for (i = 0; i < k && *n + 1 < cap; i++)
		out[(*n)++] = b[i];
}

/*
 * Decode the JSON string at p (on its opening quote) into out (cap bytes,
 * NUL-terminated, cut when longer).  Returns the position after it.
 */
static const char *reply_string(const char *p, char *out, size_t cap)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	size_t n = 0;
	unsigned cp, lo;

	for (p++; *p != '"'; p++) {
		if (*p != '\\') {
			if (n + 1 < cap)
				out[n++] = *p;
			continue;
		}
		p++;
		if (*p != 'u') {
			if (n + 1 < cap)
				out[n++] = to[strchr(from, *p) - from];
			continue;
		}
		cp = reply_hex4(p + 1);
		p += 4;
		if (cp >= 0xd800 && cp < 0xdc00 && p[1] == '\\' && p[2] == 'u') {
			lo = reply_hex4(p + 3);
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			p += 6;
		}
		reply_utf8(out, cap, &n, cp);
	}
	if (cap)
		out[n] = '\0';
	return p + 1;
}

/* Skip one value (well-formed JSON) at p. */
static const char *reply_skip(const char *p)
{
	int depth = 0;

	do {
		if (*p == '"') {
			for (p++; *p != '"'; p++)
				if (*p == '\\')
					p++;
			p++;
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']')
			depth--;
		p++;
		if (depth == 0)
			while (*p && !strchr(",}] \t\r\n", *p))
				p++;    /* the rest of a number or literal */
	} while (depth > 0);
	return p;
}

int agentlog__reply_parse(const char *line, size_t len,
			  struct agentlog__reply *r)
{
	char key[32], why[PROTO_ERR_MAX];
	const char *p;

	memset(r, 0, sizeof(*r));
	r->ok = -1;
	if (proto_json_check(line, len, why) < 0 || line[len] != '\0')
		return -1;
	p = reply_ws(line);
	if (*p++ != '{')
		return -1;
	for (p = reply_ws(p); *p == '"'; p = reply_ws(p)) {
		p = reply_ws(reply_string(p, key, sizeof(key)) );
		p = reply_ws(p + 1);                    /* the ':' */
		if (*p == '"' && !strcmp(key, "event_id"))
			p = reply_string(p, r->event_id, sizeof(r->event_id));
		else if (*p == '"' && !strcmp(key, "error"))
			p = reply_string(p, r->error, sizeof(r->error));
		else if (!strcmp(key, "ok") && (*p == 't' || *p == 'f'))
			r->ok = *p == 't', p += *p == 't' ? 4 : 5;
		else
			p = reply_skip(p);
		p = reply_ws(p);
		if (*p == ',')
			p++;
	}
	return 0;
}
