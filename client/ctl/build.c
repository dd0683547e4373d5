/*
 * build.c: flags to one event line.
 *
 * The event is written directly as JSON text, not built as a cJSON tree:
 * the typed subcommands are on the one-process-per-event path, and linking
 * libcjson alone costs about 6% of a publish's start-up (measured with an
 * interleaved runner against a minimal socket writer).  The writer is
 * small because every value is either a string (escaped here), a number or
 * boolean (the user's text, checked), or JSON text that proto's strict
 * RFC 8259 checker accepted (kept byte for byte, minus the whitespace
 * between tokens, so the event stays one line).  The finished line is
 * validated by proto_event_parse() like any other event.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto.h"
#include "skill.h"

int ctl_build_start(struct ctl_build *b, const struct ctl_skill *s)
{
	memset(b, 0, sizeof(*b));
	b->skill = s;
	return s->nfields <= sizeof(b->val) / sizeof(b->val[0]) ? 0 : -1;
}

static int build_bool(const char *s, int *out)
{
	static const char *const yes[] = { "true", "1", "yes", "y", "on" };
	static const char *const no[] = { "false", "0", "no", "n", "off" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i]))
			return *out = 1, 0;
		if (!strcasecmp(s, no[i]))
			return *out = 0, 0;
	}
	return -1;
}

/*
 * s as a JSON string (malloc'd): quotes, backslashes and control
 * characters escaped; other bytes as they are (proto rejects invalid
 * UTF-8 when the event is validated).
 */
static char *build_string(const char *s)
{
	static const char hex[] = "0123456789abcdef";
	char *out = malloc(strlen(s) * 6 + 3), *p = out;

	if (!out)
		return NULL;
	*p++ = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
		} else if (c == '\n') {
			*p++ = '\\';
			*p++ = 'n';
		} else if (c == '\t') {
			*p++ = '\\';
			*p++ = 't';
		} else if (c < 0x20) {
			memcpy(p, "\\u00", 4);
			p[4] = hex[c >> 4];
			p[5] = hex[c & 15];
			p += 6;
		} else {
			*p++ = (char)c;
		}
	}
	*p++ = '"';
	*p = '\0';
	return out;
}

/* JSON text without the whitespace between tokens (strings untouched). */
static void build_minify(const char *in, char *out)
{
	int str = 0, esc = 0;

	for (; *in; in++) {
		if (str) {
			if (esc)
				esc = 0;
			else if (*in == '\\')
				esc = 1;
			else if (*in == '"')
				str = 0;
		} else if (*in == '"') {
			str = 1;
		} else if (strchr(" \t\r\n", *in)) {
			continue;
		}
		*out++ = *in;
	}
	*out = '\0';
}

/* JSON text of the wanted kind ('{' or '['), strictly checked, minified. */
static char *build_json(struct ctl_build *b, const struct ctl_field *f,
			const char *arg, char want)
{
	char why[PROTO_ERR_MAX], *min;

	if (proto_json_check(arg, strlen(arg), why) < 0) {
		snprintf(b->err, sizeof(b->err), "--%s: not valid JSON (%s)",
			 f->flag, why);
		return NULL;
	}
	min = malloc(strlen(arg) + 1);
	if (!min)
		return NULL;
	build_minify(arg, min);
	if (min[0] != want) {
		snprintf(b->err, sizeof(b->err), "--%s: expects a JSON %s",
			 f->flag, want == '{' ? "object" : "array");
		free(min);
		return NULL;
	}
	return min;
}

/* A number: the user's text when it is valid JSON without whitespace,
 * else (".5", "+1", "1.", " 1" or "\r1": strtod skips leading
 * whitespace, and a CR or LF must never reach the line) reformatted. */
static char *build_number(const char *arg, double d)
{
	char why[PROTO_ERR_MAX], buf[64];

	if (proto_json_check(arg, strlen(arg), why) == 0 &&
	    !strpbrk(arg, " \t\r\n"))
		return strdup(arg);
	snprintf(buf, sizeof(buf), "%.17g", d);
	return strdup(buf);
}

/* An integer in canonical form (no leading zeros, no '+'). */
static char *build_int(long long v)
{
	char buf[24], *p = buf + sizeof(buf) - 1;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v
				     : (unsigned long long)v;

	*p = '\0';
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	return strdup(p);
}

/* The JSON text of one flag's value (malloc'd), or NULL with b->err. */
static char *build_value(struct ctl_build *b, const struct ctl_field *f,
			 const char *arg)
{
	char *end;
	double d;
	long long ll;
	int t;

	switch (f->kind) {
	case CTL_STR:
		return build_string(arg);
	case CTL_INT:
		errno = 0;
		ll = strtoll(arg, &end, 10);
		if (errno || end == arg || *end || ll > (1LL << 53) ||
		    ll < -(1LL << 53))
			break;
		return build_int(ll);
	case CTL_NUM:
		d = strtod(arg, &end);
		if (end == arg || *end || !isfinite(d))
			break;
		return build_number(arg, d);
	case CTL_BOOL:
		if (build_bool(arg, &t) < 0)
			break;
		return strdup(t ? "true" : "false");
	case CTL_OBJ:
		return build_json(b, f, arg, '{');
	case CTL_ARR:
		return build_json(b, f, arg, '[');
	}
	snprintf(b->err, sizeof(b->err), "--%s: expects %s, got '%.64s'",
		 f->flag, f->kind == CTL_INT ? "an integer" :
		 f->kind == CTL_NUM ? "a number" : "true or false", arg);
	return NULL;
}

int ctl_build_set(struct ctl_build *b, size_t i, const char *arg)
{
	char *v;

	v = build_value(b, &b->skill->fields[i], arg);
	if (!v) {
		if (!b->err[0])
			snprintf(b->err, sizeof(b->err), "out of memory");
		return -1;
	}
	free(b->val[i]);        /* the last of a repeated flag wins */
	b->val[i] = v;
	return 0;
}

/* Append ,"name":value to out at *n. */
static void build_member(char *out, size_t *n, const char *name,
			 const char *value)
{
	*n += (size_t)sprintf(out + *n, ",\"%s\":%s", name, value);
}

char *ctl_build_finish(struct ctl_build *b, const char *corr, int64_t now_ms)
{
	const struct ctl_skill *s = b->skill;
	char ts[PROTO_TIMESTAMP_LEN + 3], *out, *c;
	size_t i, n, cap;
	int have_default = 0;

	c = build_string(corr);
	cap = 128 + strlen(s->type) + (c ? strlen(c) : 0);
	for (i = 0; i < s->nfields; i++)
		cap += b->val[i] ? strlen(s->fields[i].field) + strlen(b->val[i]) + 4 : 0;
	cap += s->default_field ? strlen(s->default_field) + strlen(s->default_json) + 4 : 0;
	out = c ? malloc(cap) : NULL;
	if (!out)
		goto done;
	n = (size_t)sprintf(out, "{\"type\":\"%s\",\"correlation_id\":%s", s->type, c);
	for (i = 0; i < s->nfields; i++) {
		if (!b->val[i])
			continue;
		build_member(out, &n, s->fields[i].field, b->val[i]);
		if (s->default_field && !strcmp(s->fields[i].field, s->default_field))
			have_default = 1;
	}
	if (s->default_field && !have_default)
		build_member(out, &n, s->default_field, s->default_json);
	ts[0] = '"';
	proto_timestamp_format(now_ms, ts + 1);
	strcat(ts, "\"");
	build_member(out, &n, "timestamp", ts);
	out[n++] = '}';
	out[n] = '\0';
done:
	free(c);
	ctl_build_abort(b);
	return out;
}

void ctl_build_abort(struct ctl_build *b)
{
	size_t i;

	for (i = 0; i < sizeof(b->val) / sizeof(b->val[0]); i++) {
		free(b->val[i]);
		b->val[i] = NULL;
	}
}

const char *ctl_build_flag_of(const struct ctl_skill *s, const char *msg)
{
	size_t i, n;

	for (i = 0; i < s->nfields; i++) {
		n = strlen(s->fields[i].field);
		if (!strncmp(msg, s->fields[i].field, n) && msg[n] == ':')
			return s->fields[i].flag;
	}
	return NULL;
}
