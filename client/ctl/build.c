/*
 * build.c: flags to one event, with cJSON.
 *
 * Values given as JSON text (--details, --alternatives, ...) are checked
 * with proto's strict RFC 8259 checker (cJSON is lax), stripped of the
 * whitespace between tokens and kept as raw items, like numbers: cJSON
 * never re-prints them (no float formatting round trip: 0.92 stays 0.92,
 * and start-up touches no printf/scanf float code), and the event is
 * printed unformatted, so it is always one line.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "proto.h"
#include "skill.h"

int ctl_build_start(struct ctl_build *b, const struct ctl_skill *s)
{
	memset(b, 0, sizeof(*b));
	b->skill = s;
	b->obj = cJSON_CreateObject();
	return b->obj ? 0 : -1;
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
 * JSON text without the whitespace between tokens (strings untouched), so
 * the event stays one line.  out has room for strlen(in) + 1.
 */
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

/*
 * JSON text of the wanted kind ('{' or '['), checked by proto's strict
 * parser, as a raw cJSON item: its bytes go into the event as the user
 * wrote them (minus whitespace), never re-printed.
 */
static cJSON *build_json(struct ctl_build *b, const struct ctl_field *f,
			 const char *arg, char want)
{
	char why[PROTO_ERR_MAX], *min;
	cJSON *v;

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
	v = cJSON_CreateRaw(min);
	free(min);
	return v;
}

/* A number as JSON text: the user's own when it is valid JSON, else
 * (".5", "+1", "1.") reformatted. */
static cJSON *build_number(const char *arg, double d)
{
	char why[PROTO_ERR_MAX], buf[64];

	if (proto_json_check(arg, strlen(arg), why) == 0 && !strchr(arg, ' '))
		return cJSON_CreateRaw(arg);
	snprintf(buf, sizeof(buf), "%.17g", d);
	return cJSON_CreateRaw(buf);
}

/* An integer as canonical JSON text (no leading zeros or '+'). */
static cJSON *build_int(long long v)
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
	return cJSON_CreateRaw(p);
}

/* Build the cJSON value of one flag, or NULL with b->err. */
static cJSON *build_value(struct ctl_build *b, const struct ctl_field *f,
			  const char *arg)
{
	char *end;
	double d;
	long long ll;
	int t;

	switch (f->kind) {
	case CTL_STR:
		return cJSON_CreateString(arg);
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
		return cJSON_CreateBool(t);
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
	const struct ctl_field *f = &b->skill->fields[i];
	cJSON *v;

	v = build_value(b, f, arg);
	if (!v) {
		if (!b->err[0])
			snprintf(b->err, sizeof(b->err), "out of memory");
		return -1;
	}
	if (b->set[i])      /* the last of a repeated flag wins */
		cJSON_ReplaceItemInObjectCaseSensitive(b->obj, f->field, v);
	else
		cJSON_AddItemToObject(b->obj, f->field, v);
	b->set[i] = 1;
	return 0;
}

/* Whether field name is among the fields given. */
static int build_has(const struct ctl_build *b, const char *field)
{
	size_t i;

	for (i = 0; i < b->skill->nfields; i++)
		if (b->set[i] && !strcmp(b->skill->fields[i].field, field))
			return 1;
	return 0;
}

char *ctl_build_finish(struct ctl_build *b, const char *corr, int64_t now_ms)
{
	const struct ctl_skill *s = b->skill;
	char ts[PROTO_TIMESTAMP_LEN + 1];
	cJSON *ev, *def;
	char *out;

	ev = cJSON_CreateObject();
	if (!ev)
		goto fail;
	proto_timestamp_format(now_ms, ts);
	cJSON_AddStringToObject(ev, "type", s->type);
	cJSON_AddStringToObject(ev, "correlation_id", corr);
	while (b->obj->child) {         /* move the fields in flag order */
		cJSON *it = cJSON_DetachItemViaPointer(b->obj, b->obj->child);
		cJSON_AddItemToObject(ev, it->string, it);
	}
	if (s->default_field && !build_has(b, s->default_field)) {
		def = cJSON_CreateRaw(s->default_json);
		if (def)
			cJSON_AddItemToObject(ev, s->default_field, def);
	}
	cJSON_AddStringToObject(ev, "timestamp", ts);
	out = cJSON_PrintUnformatted(ev);
	cJSON_Delete(ev);
	cJSON_Delete(b->obj);
	b->obj = NULL;
	return out;
fail:
	ctl_build_abort(b);
	return NULL;
}

void ctl_build_abort(struct ctl_build *b)
{
	cJSON_Delete(b->obj);
	b->obj = NULL;
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
