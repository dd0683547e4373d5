/*
 * build.c: flags to one event, with cJSON.
 *
 * Values given as JSON text (--details, --alternatives, ...) are checked
 * with proto's strict RFC 8259 checker before cJSON (which is lax) parses
 * them, and the event is printed unformatted, so it is always one line.
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

/* Parse JSON text of the wanted kind (cJSON_Object or cJSON_Array). */
static cJSON *build_json(struct ctl_build *b, const struct ctl_field *f,
			 const char *arg, int want)
{
	char why[PROTO_ERR_MAX];
	cJSON *v;

	if (proto_json_check(arg, strlen(arg), why) < 0) {
		snprintf(b->err, sizeof(b->err), "--%s: not valid JSON (%s)",
			 f->flag, why);
		return NULL;
	}
	v = cJSON_Parse(arg);
	if (v && (v->type & 0xff) != want) {
		snprintf(b->err, sizeof(b->err), "--%s: expects a JSON %s",
			 f->flag, want == cJSON_Object ? "object" : "array");
		cJSON_Delete(v);
		return NULL;
	}
	if (!v)
		snprintf(b->err, sizeof(b->err), "--%s: out of memory", f->flag);
	return v;
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
		return cJSON_CreateNumber((double)ll);
	case CTL_NUM:
		d = strtod(arg, &end);
		if (end == arg || *end || !isfinite(d))
			break;
		return cJSON_CreateNumber(d);
	case CTL_BOOL:
		if (build_bool(arg, &t) < 0)
			break;
		return cJSON_CreateBool(t);
	case CTL_OBJ:
		return build_json(b, f, arg, cJSON_Object);
	case CTL_ARR:
		return build_json(b, f, arg, cJSON_Array);
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
		def = cJSON_Parse(s->default_json);
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
