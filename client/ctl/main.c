/*
 * main.c: agentlogctl's command table and dispatch.
 *
 * Start-up does nothing a command does not need: no configuration file,
 * no JSON library, no Kafka client (see module.c).
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "hook.h"
#include "skill.h"
#include "trace.h"
#include "wire.h"

#define SKILL_HELP \
	"Builds the event from the flags (the seed skill's own), validates it\n" \
	"and sends it to agentlogd.  Each flag also answers to the event field's\n" \
	"name with dashes (e.g. --selected-agent for --agent).\n"

/*
 * status, trace, replay and hook need cJSON: agentlogctl (static, libc only)
 * hands them to agentlogctl-view, which is this same table compiled with
 * CTL_VIEW and linked dynamically with cJSON (and can load the Kafka
 * module).
 */
#ifdef CTL_VIEW
#define VIEW(fn) fn, NULL
#else
#define VIEW(fn) ctl_cmd_view, NULL
#endif

static const struct ctl_cmd ctl_cmds[] = {
	{ "send", NULL, "send [--type TYPE] [options] [EVENT | -]",
	  "Send one event (a JSON object) given as an argument, or many from stdin\n"
	  "(one per line, any number, one connection) when EVENT is '-' or absent.\n"
	  "An event without \"correlation_id\" gets the one from --correlation-id\n"
	  "or the environment (else a new one, printed on stdout).\n"
	  "  --type TYPE          type of events without a \"type\" member\n"
	  "                       (agent_action, routing_decision, transformation,\n"
	  "                       performance_metrics, or their topic names)\n"
	  CTL_PUBLISH_HELP
	  "Example:\n"
	  "  agentlogctl send '{\"type\":\"agent_action\",\"correlation_id\":"
	  "\"ad12146a-b7d0-4a47-86bf-7ec298ce2c81\",\"agent_name\":\"polymorphic-agent\","
	  "\"action_type\":\"tool_call\",\"action_name\":\"read_file\"}'\n"
	  "  some-agent --events | agentlogctl send --type agent_action\n",
	  ctl_cmd_send, NULL },
	{ "agent-action", "log-agent-action", "agent-action [options]",
	  SKILL_HELP, ctl_cmd_skill, &ctl_skill_agent_action },
	{ "routing-decision", "log-routing-decision", "routing-decision [options]",
	  SKILL_HELP, ctl_cmd_skill, &ctl_skill_routing_decision },
	{ "transformation", "log-transformation", "transformation [options]",
	  SKILL_HELP, ctl_cmd_skill, &ctl_skill_transformation },
	{ "performance-metrics", "log-performance-metrics",
	  "performance-metrics [options]", SKILL_HELP, ctl_cmd_skill,
	  &ctl_skill_performance_metrics },
	{ "status", NULL, "status [--json] [--socket PATH] [--timeout MS]",
	  "A summary of the daemon: who answered, events accepted and rejected,\n"
	  "the journal, Kafka (up, or DOWN with its last error; the backlog and\n"
	  "the time to drain it), then a \"problems\" line for each thing wrong.\n"
	  "  --json               the daemon's status object, unchanged\n"
	  "  --socket PATH        daemon socket (else $AGENTLOG_SOCKET, else default)\n"
	  "  --timeout MS         longest wait for the answer (default 1000)\n"
	  "Exit status: 0, or 1 when agentlogd is unreachable.\n"
	  "Example:\n  agentlogctl status\n  agentlogctl status --json | jq .\n",
	  VIEW(ctl_cmd_status) },
	{ "ping", NULL, "ping [--json] [--socket PATH] [--timeout MS]",
	  "Check that agentlogd answers, and how fast.\n"
	  "Exit status: 0, or 1 when agentlogd is unreachable.\n"
	  "Example:\n  agentlogctl ping || echo 'agentlogd is down'\n",
	  ctl_cmd_ping, NULL },
	{ "trace", NULL, "trace [options] CORRELATION_ID",
	  "The complete timeline of one workflow: routing decision, transformation,\n"
	  "performance metrics and every action, in time order, with time relative\n"
	  "to the first event; errors stand out.  Duplicates (same event_id) show\n"
	  "once.  From Kafka, only the partition the id hashes to is read.\n"
	  "  --format FMT       table (default on a terminal), ndjson (default\n"
	  "                     otherwise: the events as delivered), or json\n"
	  TRACE_HELP
	  "Exit status: 0, 1 when the source cannot be read, 2 usage error.\n"
	  "Example:\n  agentlogctl trace ad12146a-b7d0-4a47-86bf-7ec298ce2c81 --from journal\n",
	  VIEW(ctl_cmd_trace) },
	{ "replay", NULL, "replay [options]",
	  "Stream events from the beginning (or --since, --offset) of the topics, in\n"
	  "order, one JSON object per line: topic, partition, offset, timestamp, key\n"
	  "and the event exactly as delivered (from the journal: seq).\n"
	  "  --topic NAME       a topic to read (repeatable; default: the four)\n"
	  "  --type TYPE        only events of this type (repeatable)\n"
	  "  --agent NAME       only events naming this agent\n"
	  "  --correlation-id ID  only this workflow\n"
	  "  --offset N         start at this offset (journal: sequence number)\n"
	  "  --follow           keep tailing new events\n"
	  "  --format FMT       ndjson (default) or table\n"
	  TRACE_HELP
	  "Exit status: 0, 1 when the source cannot be read, 2 usage error.\n"
	  "Example:\n  agentlogctl replay --from kafka --topic agent-routing-decisions | jq .\n",
	  VIEW(ctl_cmd_replay) },
	{ "journal", NULL, "journal [--journal-dir DIR] dump [--from-seq N] | inbox [FILE]",
	  "Print the records of the local journal (dump) or of the fallback inbox\n"
	  "(inbox), one JSON object per line: seq, time_ms, type, key, event_id,\n"
	  "value (the event).\n"
	  "Example:\n  agentlogctl journal dump | jq -c .value\n",
	  ctl_cmd_journal, NULL },
	{ "hook", NULL, HOOK_USAGE, HOOK_HELP, VIEW(ctl_cmd_hook) },
};

#define NCMDS (sizeof(ctl_cmds) / sizeof(ctl_cmds[0]))

/* The whole list of commands. */
static void ctl_main_usage(FILE *out)
{
	size_t i;

	fputs("usage: agentlogctl COMMAND [options]   (agentlogctl COMMAND --help)\n"
	      "commands:\n", out);
	for (i = 0; i < NCMDS; i++)
		fprintf(out, "  %s%s%s\n", ctl_cmds[i].usage,
			ctl_cmds[i].alias ? "\n      also: " : "",
			ctl_cmds[i].alias ? ctl_cmds[i].alias : "");
	fputs("  --version\n"
	      "Exit status: 0 done (an event stored in the inbox when agentlogd is down\n"
	      "counts, with a warning on stderr); 1 failed (stored nowhere, rejected with\n"
	      "--wait, daemon unreachable for status/ping); 2 usage error or invalid event.\n",
	      out);
}

static void ctl_version(void)
{
	printf("agentlogctl %s (libagentlog %s, wire protocol %d, schema %d)\n",
	       AGENTLOG_VERSION, agentlog_version(), PROTO_WIRE_VERSION,
	       PROTO_SCHEMA_VERSION);
}

int main(int argc, char **argv)
{
	const char *name;
	size_t i;

	if (argc < 2) {
		ctl_main_usage(stderr);
		return CTL_USAGE;
	}
	name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		ctl_main_usage(stdout);
		return CTL_OK;
	}
	if (!strcmp(name, "--version") || !strcmp(name, "version")) {
		ctl_version();
		return CTL_OK;
	}
	for (i = 0; i < NCMDS; i++) {
		if (strcmp(name, ctl_cmds[i].name) &&
		    (!ctl_cmds[i].alias || strcmp(name, ctl_cmds[i].alias)))
			continue;
		return ctl_cmds[i].handler(&ctl_cmds[i], argc - 1, argv + 1);
	}
	fprintf(stderr, "agentlogctl: unknown command '%s'\n", name);
	ctl_main_usage(stderr);
	return CTL_USAGE;
}
