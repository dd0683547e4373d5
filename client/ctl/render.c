/*
 * render.c: trace's table (see render.h).
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "proto.h"
#include "render.h"

#define RED "\033[1;31m"
#define DIM "\033[2m"
#define OFF "\033[0m"
#define TEXT_MAX 160        /* display characters of one field */

/* Length of a valid UTF-8 sequence at s (n bytes left) and its code
 * point, or 0. */
static size_t render_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (len > n)
		return 0;
	*cp = s[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && *cp < 0x800) || (len == 4 && *cp < 0x10000) ||
	    *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return len;
}

/* Code points that move the cursor, switch direction or are invisible
 * controls: shown escaped. */
static int render_unsafe(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
	       (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

void render_text(FILE *out, const char *str, size_t len, size_t max)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, shown = 0, n;
	uint32_t cp;

	while (i < len) {
		if (shown >= max) {
			fputs("...", out);
			return;
		}
		n = render_utf8(s + i, len - i, &cp);
		if (n == 0) {
			fprintf(out, "\\x%02x", s[i++]);
		} else if (cp == '\n') {
			fputs("\\n", out);
		} else if (cp == '\t') {
			fputs("\\t", out);
		} else if (cp == 0x1b) {
			fputs("\\e", out);
		} else if (render_unsafe(cp)) {
			fprintf(out, cp < 0x100 ? "\\x%02x" : "\\u%04x", (unsigned)cp);
		} else {
			fwrite(s + i, 1, n, out);
		}
		i += n ? n : 0;
		shown++;
	}
}

void render_header(FILE *out, const char *corr, const char *source,
		   const char *where, size_t n, int64_t span_ms)
{
	fprintf(out, "trace ");
	render_text(out, corr, strlen(corr), 64);
	fprintf(out, ": %zu event%s over %.3f s, from %s (", n, n == 1 ? "" : "s",
		(double)span_ms / 1e3, source);
	render_text(out, where, strlen(where), 200);
	fprintf(out, ")\n%9s  %-14s %-22s %s\n", "+ms", "TYPE", "AGENT", "WHAT");
}

static const char *render_str(const cJSON *ev, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A member as text: a string neutralised, anything else as compact JSON. */
static void render_member(FILE *out, const cJSON *ev, const char *k, size_t max)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, k);
	char *s;

	if (!v)
		return;
	if (cJSON_IsString(v)) {
		render_text(out, v->valuestring, strlen(v->valuestring), max);
		return;
	}
	s = cJSON_PrintUnformatted(v);
	if (s)
		render_text(out, s, strlen(s), max);
	cJSON_free(s);
}

/* " label value" when the member exists. */
static void render_opt(FILE *out, const cJSON *ev, const char *label,
		       const char *k, const char *unit)
{
	if (!cJSON_GetObjectItemCaseSensitive(ev, k))
		return;
	fprintf(out, "%s", label);
	render_member(out, ev, k, TEXT_MAX);
	fputs(unit, out);
}

static int render_is_true(const cJSON *ev, const char *k)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, k));
}

/* The columns common to every row. */
static void render_cols(FILE *out, int64_t rel_ms, const char *type,
			const cJSON *ev, const char *agent_key, int err, int color)
{
	const char *agent = render_str(ev, agent_key);

	fprintf(out, "%s%9lld  %-14s ", err && color ? RED : "",
		(long long)rel_ms, type);
	if (agent) {
		render_text(out, agent, strlen(agent), 22);
		fprintf(out, "%*s", (int)(strlen(agent) < 22 ? 22 - strlen(agent) : 0), "");
	} else {
		fprintf(out, "%-22s", "-");
	}
	fputs(" ", out);
}

static void render_routing(FILE *out, const cJSON *ev, int64_t rel, int color)
{
	render_cols(out, rel, "routing", ev, "selected_agent", 0, color);
	fputs("selected", out);
	render_opt(out, ev, " confidence ", "confidence_score", "");
	render_opt(out, ev, " via ", "routing_strategy", "");
	render_opt(out, ev, " in ", "routing_time_ms", " ms");
	fputc('\n', out);
	render_opt(out, ev, "           alternatives: ", "alternatives", "\n");
	render_opt(out, ev, "           reasoning: ", "reasoning", "\n");
	render_opt(out, ev, "           request: ", "user_request", "\n");
}

static void render_transformation(FILE *out, const cJSON *ev, int64_t rel,
				  int color)
{
	const cJSON *ok = cJSON_GetObjectItemCaseSensitive(ev, "success");
	int failed = cJSON_IsFalse(ok);

	render_cols(out, rel, failed ? "transform FAIL" : "transformation", ev,
		    "source_agent", failed, color);
	fputs("-> ", out);
	render_member(out, ev, "target_agent", 40);
	fputs(failed ? " FAILED" : ok ? " ok" : "", out);
	render_opt(out, ev, " in ", "transformation_duration_ms", " ms");
	render_opt(out, ev, " confidence ", "confidence_score", "");
	fputs(failed && color ? OFF "\n" : "\n", out);
	render_opt(out, ev, "           reason: ", "transformation_reason", "\n");
}

static void render_metrics(FILE *out, const cJSON *ev, int64_t rel, int color)
{
	render_cols(out, rel, "metrics", ev, "-", 0, color);
	render_opt(out, ev, "routing ", "routing_duration_ms", " ms");
	fputs(render_is_true(ev, "cache_hit") ? ", cache hit" : ", cache miss", out);
	render_opt(out, ev, ", ", "candidates_evaluated", " candidates");
	render_opt(out, ev, ", ", "trigger_match_strategy", "");
	fputc('\n', out);
	render_opt(out, ev, "           confidence: ", "confidence_components", "\n");
}

static void render_action(FILE *out, const cJSON *ev, int64_t rel, int color)
{
	const char *t = render_str(ev, "action_type");
	int err = t && !strcmp(t, "error");

	render_cols(out, rel, err ? "action ERROR" : "action", ev, "agent_name",
		    err, color);
	render_member(out, ev, "action_type", 20);
	fputc(' ', out);
	render_member(out, ev, "action_name", 60);
	render_opt(out, ev, " in ", "duration_ms", " ms");
	fputs(err && color ? OFF "\n" : "\n", out);
	if (cJSON_GetObjectItemCaseSensitive(ev, "action_details")) {
		fputs(color && !err ? DIM : "", out);
		render_opt(out, ev, "           details: ", "action_details", "");
		fputs(color && !err ? OFF "\n" : "\n", out);
	}
}

void render_event(FILE *out, const cJSON *ev, int64_t rel_ms, int color)
{
	const char *type = render_str(ev, "type");
	int t = type ? proto_type_lookup(type, strlen(type)) : -1;

	switch (t) {
	case PROTO_ROUTING_DECISION:
		render_routing(out, ev, rel_ms, color);
		break;
	case PROTO_TRANSFORMATION:
		render_transformation(out, ev, rel_ms, color);
		break;
	case PROTO_PERFORMANCE_METRICS:
		render_metrics(out, ev, rel_ms, color);
		break;
	case PROTO_AGENT_ACTION:
		render_action(out, ev, rel_ms, color);
		break;
	default:
		render_cols(out, rel_ms, "?", ev, "-", 0, color);
		render_text(out, type ? type : "", type ? strlen(type) : 0, 40);
		fputc('\n', out);
	}
}
