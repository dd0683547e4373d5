/*
 * skill.c: agent-action, routing-decision, transformation and
 * performance-metrics: the seed's four skills, flag for flag.
 *
 * Each skill is a table of fields: the seed example's flag, the event
 * member it fills, its kind.  The long options are generated from the
 * table (each field also answers to its member name with dashes), so a
 * prompt written for `python3 .../log-routing-decision/execute_kafka.py`
 * works with `agentlogctl log-routing-decision` and the same flags.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "skill.h"

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

static const struct ctl_field action_fields[] = {
	{ "agent", "agent_name", CTL_STR, "agent performing the action" },
	{ "action-type", "action_type", CTL_STR,
	  "tool_call | decision | error | success" },
	{ "action-name", "action_name", CTL_STR, "specific action name" },
	{ "details", "action_details", CTL_OBJ,
	  "JSON object with action-specific data" },
	{ "duration-ms", "duration_ms", CTL_INT, "action duration" },
	{ "debug-mode", "debug_mode", CTL_BOOL, "true|false (default true)" },
};

const struct ctl_skill ctl_skill_agent_action = {
	"agent_action", action_fields, NFIELDS(action_fields),
	"agentlogctl log-agent-action \\\n"
	"  --agent \"polymorphic-agent\" \\\n"
	"  --action-type \"decision\" \\\n"
	"  --action-name \"route_to_specialized_agent\" \\\n"
	"  --details '{\"selected_agent\":\"agent-performance\",\"confidence\":0.92}' \\\n"
	"  --correlation-id \"ad12146a-b7d0-4a47-86bf-7ec298ce2c81\" \\\n"
	"  --duration-ms 45\n",
	"debug_mode", "true",
};

static const struct ctl_field routing_fields[] = {
	{ "agent", "selected_agent", CTL_STR, "agent selected" },
	{ "confidence", "confidence_score", CTL_NUM, "confidence 0.0-1.0" },
	{ "strategy", "routing_strategy", CTL_STR,
	  "strategy used (e.g. enhanced_fuzzy_matching)" },
	{ "latency-ms", "routing_time_ms", CTL_INT,
	  "time taken by the routing decision" },
	{ "user-request", "user_request", CTL_STR, "original user request" },
	{ "reasoning", "reasoning", CTL_STR, "why this agent was selected" },
	{ "alternatives", "alternatives", CTL_ARR,
	  "JSON array of alternative agents considered" },
	{ "context", "context", CTL_OBJ, "JSON object with more context" },
};

const struct ctl_skill ctl_skill_routing_decision = {
	"routing_decision", routing_fields, NFIELDS(routing_fields),
	"agentlogctl log-routing-decision \\\n"
	"  --agent \"agent-performance\" \\\n"
	"  --confidence 0.92 \\\n"
	"  --strategy \"enhanced_fuzzy_matching\" \\\n"
	"  --latency-ms 45 \\\n"
	"  --user-request \"optimize my database queries\" \\\n"
	"  --reasoning \"High confidence match on 'optimize' and 'performance' triggers\" \\\n"
	"  --correlation-id \"ad12146a-b7d0-4a47-86bf-7ec298ce2c81\"\n",
	NULL, NULL,
};

static const struct ctl_field transformation_fields[] = {
	{ "from-agent", "source_agent", CTL_STR, "source agent" },
	{ "to-agent", "target_agent", CTL_STR, "target agent" },
	{ "success", "success", CTL_BOOL, "true|false" },
	{ "duration-ms", "transformation_duration_ms", CTL_INT,
	  "time taken to transform" },
	{ "reason", "transformation_reason", CTL_STR,
	  "why the transformation occurred" },
	{ "confidence", "confidence_score", CTL_NUM, "routing confidence 0.0-1.0" },
};

const struct ctl_skill ctl_skill_transformation = {
	"transformation", transformation_fields, NFIELDS(transformation_fields),
	"agentlogctl log-transformation \\\n"
	"  --from-agent \"polymorphic-agent\" \\\n"
	"  --to-agent \"agent-performance\" \\\n"
	"  --success true \\\n"
	"  --duration-ms 85 \\\n"
	"  --correlation-id \"ad12146a-b7d0-4a47-86bf-7ec298ce2c81\" \\\n"
	"  --reason \"High confidence match on 'optimize' and 'performance' triggers\" \\\n"
	"  --confidence 0.92\n",
	NULL, NULL,
};

static const struct ctl_field metrics_fields[] = {
	{ "query", "query_text", CTL_STR, "user request text" },
	{ "duration-ms", "routing_duration_ms", CTL_INT, "routing time (0-999)" },
	{ "cache-hit", "cache_hit", CTL_BOOL, "true|false" },
	{ "candidates", "candidates_evaluated", CTL_INT,
	  "number of agents considered" },
	{ "strategy", "trigger_match_strategy", CTL_STR, "strategy used" },
	{ "confidence-components", "confidence_components", CTL_OBJ,
	  "JSON breakdown of the confidence scoring" },
};

const struct ctl_skill ctl_skill_performance_metrics = {
	"performance_metrics", metrics_fields, NFIELDS(metrics_fields),
	"agentlogctl log-performance-metrics \\\n"
	"  --query \"optimize my database queries\" \\\n"
	"  --duration-ms 45 \\\n"
	"  --cache-hit false \\\n"
	"  --candidates 5 \\\n"
	"  --correlation-id \"ad12146a-b7d0-4a47-86bf-7ec298ce2c81\" \\\n"
	"  --strategy \"enhanced_fuzzy_matching\"\n",
	NULL, NULL,
};

/* A skill's --help: its flags from the table, the common ones, an example. */
void ctl_skill_usage(const struct ctl_skill *s, FILE *out)
{
	char flag[64];
	size_t i;

	for (i = 0; i < s->nfields; i++) {
		snprintf(flag, sizeof(flag), "--%s %s", s->fields[i].flag,
			 s->fields[i].kind == CTL_STR ? "TEXT" :
			 s->fields[i].kind == CTL_INT ? "N" :
			 s->fields[i].kind == CTL_NUM ? "X" :
			 s->fields[i].kind == CTL_BOOL ? "BOOL" : "JSON");
		fprintf(out, "  %-20s %s -> \"%s\"\n", flag, s->fields[i].help,
			s->fields[i].field);
	}
	fputs(CTL_PUBLISH_HELP "Example:\n", out);
	fputs(s->example, out);
}

#define SKILL_OPT_BASE 1000      /* getopt value of field i: base + i */
#define SKILL_ALIAS_BASE 2000    /* ... of its member-name alias */

/*
 * The long options of a skill: each field's flag, its member name with
 * dashes when different, then the publishing options.  names holds the
 * dashed member names.
 */
static void skill_options(const struct ctl_skill *s, struct option *opts,
			  char names[][64])
{
	static const struct option common[] = { CTL_PUBLISH_OPTS, { 0 } };
	size_t i, j, n = 0;

	for (i = 0; i < s->nfields; i++) {
		opts[n++] = (struct option){ s->fields[i].flag, required_argument,
					     NULL, SKILL_OPT_BASE + (int)i };
		snprintf(names[i], 64, "%s", s->fields[i].field);
		for (j = 0; names[i][j]; j++)
			if (names[i][j] == '_')
				names[i][j] = '-';
		if (strcmp(names[i], s->fields[i].flag))
			opts[n++] = (struct option){ names[i], required_argument,
						     NULL, SKILL_ALIAS_BASE + (int)i };
	}
	memcpy(&opts[n], common, sizeof(common));
}

/* Unix ms now. */
static int64_t skill_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Parse argv into b and p.  Returns -1 to go on, else an exit code. */
static int skill_parse(const struct ctl_cmd *cmd, struct ctl_build *b,
		       struct ctl_publish *p, int argc, char **argv)
{
	const struct ctl_skill *s = cmd->data;
	struct option opts[40];
	char names[16][64];
	int c, r;

	skill_options(s, opts, names);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			ctl_usage(cmd, stdout, 1);
			return CTL_OK;
		}
		if (c >= SKILL_OPT_BASE && c < SKILL_OPT_BASE + (int)s->nfields) {
			if (ctl_build_set(b, (size_t)(c - SKILL_OPT_BASE), optarg) < 0)
				return ctl_publish_fail(p, CTL_USAGE, NULL, "%s", b->err);
			continue;
		}
		if (c >= SKILL_ALIAS_BASE && c < SKILL_ALIAS_BASE + (int)s->nfields) {
			if (ctl_build_set(b, (size_t)(c - SKILL_ALIAS_BASE), optarg) < 0)
				return ctl_publish_fail(p, CTL_USAGE, NULL, "%s", b->err);
			continue;
		}
		r = ctl_publish_opt(p, c, optarg);
		if (r == 1)
			continue;
		if (r < 0)
			return CTL_USAGE;
		return ctl_usage_error(cmd, "bad option");
	}
	if (optind < argc)
		return ctl_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	return -1;
}

int ctl_cmd_skill(const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct ctl_publish p = { .skill = cmd->data };
	struct ctl_build b;
	char *line;
	int rc;

	if (ctl_build_start(&b, cmd->data) < 0)
		return CTL_FAIL;
	rc = skill_parse(cmd, &b, &p, argc, argv);
	if (rc >= 0) {
		ctl_build_abort(&b);
		return rc;
	}
	ctl_publish_corr(&p);
	line = ctl_build_finish(&b, p.corr_id, skill_now_ms());
	if (!line)
		return ctl_publish_fail(&p, CTL_FAIL, p.corr_id, "out of memory");
	rc = ctl_publish_open(&p);
	if (rc == CTL_OK)
		rc = ctl_publish_line(&p, line, strlen(line));
	ctl_publish_close(&p);
	free(line);
	return rc;
}
