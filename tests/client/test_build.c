/*
 * test_build.c: agentlogctl's flags-to-event builder, for the four seed
 * skills: every flag lands in its field with the right JSON kind, the
 * event passes proto's validation, bad values are refused naming the flag.
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "proto.h"
#include "skill.h"
#include "ctl.h"
#include "tutil.h"

#define CORR "ad12146a-b7d0-4a47-86bf-7ec298ce2c81"

/* Build an event of s from "flag", "value" pairs; NULL-terminated. */
static char *build(const struct ctl_skill *s, const char **kv, char *err)
{
	struct ctl_build b;
	size_t i;

	CHECK(ctl_build_start(&b, s) == 0);
	for (; kv[0]; kv += 2) {
		for (i = 0; i < s->nfields; i++)
			if (!strcmp(s->fields[i].flag, kv[0]))
				break;
		CHECK(i < s->nfields);
		if (ctl_build_set(&b, i, kv[1]) < 0) {
			strcpy(err, b.err);
			ctl_build_abort(&b);
			return NULL;
		}
	}
	return ctl_build_finish(&b, CORR, 1761215400123LL);
}

/* Parse, validate with proto, and return the tree. */
static cJSON *check_event(const char *line, int type)
{
	struct proto_event ev;
	char err[PROTO_ERR_MAX];
	cJSON *j;

	CHECK(strchr(line, '\n') == NULL);
	if (proto_event_parse(&ev, line, strlen(line), -1, err) < 0) {
		fprintf(stderr, "invalid: %s: %s\n", err, line);
		CHECK(0);
	}
	CHECK_INT(ev.type, type);
	j = cJSON_Parse(line);
	CHECK(j != NULL);
	CHECK(!strcmp(cJSON_GetObjectItem(j, "correlation_id")->valuestring, CORR));
	CHECK(!strcmp(cJSON_GetObjectItem(j, "timestamp")->valuestring,
		      "2025-10-23T10:30:00.123Z"));
	return j;
}

static double num(cJSON *j, const char *k)
{
	cJSON *v = cJSON_GetObjectItem(j, k);

	CHECK(cJSON_IsNumber(v));
	return v->valuedouble;
}

static const char *str(cJSON *j, const char *k)
{
	cJSON *v = cJSON_GetObjectItem(j, k);

	CHECK(cJSON_IsString(v));
	return v->valuestring;
}

static void test_seed_examples(void)
{
	const char *action[] = { "agent", "polymorphic-agent", "action-type",
		"decision", "action-name", "route_to_specialized_agent",
		"details", "{\"selected_agent\":\"agent-performance\",\"confidence\":0.92}",
		"duration-ms", "45", NULL };
	const char *routing[] = { "agent", "agent-performance", "confidence",
		"0.92", "strategy", "enhanced_fuzzy_matching", "latency-ms", "45",
		"user-request", "optimize my database queries", "reasoning",
		"High confidence match on 'optimize' and 'performance' triggers",
		"alternatives", "[\"agent-api\",\"agent-debug\"]",
		"context", "{\"k\": [1, 2]}", NULL };
	const char *transf[] = { "from-agent", "polymorphic-agent", "to-agent",
		"agent-performance", "success", "true", "duration-ms", "85",
		"reason", "why", "confidence", "0.92", NULL };
	const char *perf[] = { "query", "optimize my database queries",
		"duration-ms", "45", "cache-hit", "false", "candidates", "5",
		"strategy", "enhanced_fuzzy_matching",
		"confidence-components", "{\"trigger\":0.5}", NULL };
	char err[512], *line;
	cJSON *j;

	line = build(&ctl_skill_agent_action, action, err);
	j = check_event(line, PROTO_AGENT_ACTION);
	CHECK(!strcmp(str(j, "agent_name"), "polymorphic-agent"));
	CHECK(!strcmp(str(j, "action_type"), "decision"));
	CHECK(num(cJSON_GetObjectItem(j, "action_details"), "confidence") == 0.92);
	CHECK(num(j, "duration_ms") == 45);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(j, "debug_mode")));
	CHECK(strstr(line, "\"duration_ms\":45") != NULL);      /* an integer */
	cJSON_Delete(j);
	free(line);

	line = build(&ctl_skill_routing_decision, routing, err);
	j = check_event(line, PROTO_ROUTING_DECISION);
	CHECK(!strcmp(str(j, "selected_agent"), "agent-performance"));
	CHECK(num(j, "confidence_score") == 0.92);
	CHECK(strstr(line, "\"confidence_score\":0.92") != NULL);
	CHECK(num(j, "routing_time_ms") == 45);
	CHECK(!strcmp(str(j, "reasoning"),
		      "High confidence match on 'optimize' and 'performance' triggers"));
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "alternatives")) == 2);
	CHECK(strstr(line, "\"context\":{\"k\":[1,2]}") != NULL);   /* one line */
	cJSON_Delete(j);
	free(line);

	line = build(&ctl_skill_transformation, transf, err);
	j = check_event(line, PROTO_TRANSFORMATION);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(j, "success")));
	CHECK(num(j, "transformation_duration_ms") == 85);
	CHECK(!strcmp(str(j, "transformation_reason"), "why"));
	cJSON_Delete(j);
	free(line);

	line = build(&ctl_skill_performance_metrics, perf, err);
	j = check_event(line, PROTO_PERFORMANCE_METRICS);
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(j, "cache_hit")));
	CHECK(num(j, "candidates_evaluated") == 5);
	CHECK(!strcmp(str(j, "trigger_match_strategy"), "enhanced_fuzzy_matching"));
	CHECK(num(cJSON_GetObjectItem(j, "confidence_components"), "trigger") == 0.5);
	cJSON_Delete(j);
	free(line);
}

static void test_bad_values(void)
{
	const char *badint[] = { "duration-ms", "4.5", NULL };
	const char *badbool[] = { "success", "maybe", NULL };
	const char *badjson[] = { "details", "{\"a\":01}", NULL };
	const char *notobj[] = { "details", "[1]", NULL };
	const char *notarr[] = { "alternatives", "{}", NULL };
	const char *badnum[] = { "confidence", "high", NULL };
	char err[512];

	CHECK(build(&ctl_skill_agent_action, badint, err) == NULL);
	CHECK(strstr(err, "--duration-ms") && strstr(err, "integer"));
	CHECK(build(&ctl_skill_transformation, badbool, err) == NULL);
	CHECK(strstr(err, "--success"));
	CHECK(build(&ctl_skill_agent_action, badjson, err) == NULL);
	CHECK(strstr(err, "--details") && strstr(err, "not valid JSON"));
	CHECK(build(&ctl_skill_agent_action, notobj, err) == NULL);
	CHECK(strstr(err, "object"));
	CHECK(build(&ctl_skill_routing_decision, notarr, err) == NULL);
	CHECK(strstr(err, "array"));
	CHECK(build(&ctl_skill_routing_decision, badnum, err) == NULL);
	CHECK(strstr(err, "--confidence"));
}

/* Hostile strings stay inside their field and the line stays one line;
 * a missing required field is reported by proto and mapped to its flag. */
static void test_strings_and_missing(void)
{
	const char *hostile[] = { "agent", "a\"b\\c\nd\te\x1b[31m", "confidence",
		"1", "strategy", "s", "latency-ms", "0", NULL };
	const char *missing[] = { "confidence", "0.5", "strategy", "s",
		"latency-ms", "1", NULL };
	struct proto_event ev;
	char err[512], *line;
	cJSON *j;

	line = build(&ctl_skill_routing_decision, hostile, err);
	j = check_event(line, PROTO_ROUTING_DECISION);
	CHECK(!strcmp(str(j, "selected_agent"), "a\"b\\c\nd\te\x1b[31m"));
	cJSON_Delete(j);
	free(line);
	line = build(&ctl_skill_routing_decision, missing, err);
	CHECK(proto_event_parse(&ev, line, strlen(line), -1, err) < 0);
	CHECK(!strcmp(ctl_build_flag_of(&ctl_skill_routing_decision, err), "agent"));
	free(line);
}

int main(void)
{
	test_seed_examples();
	test_bad_values();
	test_strings_and_missing();
	printf("ok\n");
	return 0;
}
