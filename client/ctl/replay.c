/*
 * replay.c: agentlogctl replay: stream events from the start (or --since,
 * --offset) of the chosen topics, in order, each with its key, partition,
 * offset and timestamp: the seed's `kafka-console-consumer --from-beginning
 * --property print.key=true --property print.timestamp=true`, without
 * Kafka's tools, and likewise from the local journal.
 *
 * One JSON object per line:
 *   {"topic":"agent-actions","partition":0,"offset":12,"timestamp":<ms>,
 *    "key":"<correlation id>","event":<the event exactly as delivered>}
 * (from the journal: "seq" instead of partition and offset).
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ctl.h"
#include "jsonout.h"
#include "render.h"
#include "trace.h"

#define REPLAY_MAX_TOPICS 32

struct replay_opts {
	struct trace_opts t;
	const char *topics[REPLAY_MAX_TOPICS + 1];
	size_t ntopics;
	unsigned types;              /* bit per enum proto_type; 0: all */
	const char *agent;
};

/* Whether one of the event's agent fields is agent. */
static int replay_agent_match(const char *v, size_t len, const char *agent)
{
	static const char *const keys[] = { "agent_name", "selected_agent",
					    "source_agent", "target_agent" };
	const cJSON *a;
	cJSON *j;
	size_t i;
	int hit = 0;

	if (!memmem(v, len, agent, strlen(agent)))
		return 0;               /* cheap rejection before parsing */
	j = cJSON_ParseWithLength(v, len);
	for (i = 0; j && !hit && i < sizeof(keys) / sizeof(keys[0]); i++) {
		a = cJSON_GetObjectItemCaseSensitive(j, keys[i]);
		hit = cJSON_IsString(a) && !strcmp(a->valuestring, agent);
	}
	cJSON_Delete(j);
	return hit;
}

static int replay_match(const struct replay_opts *o, struct src_rec *r)
{
	size_t i;

	for (i = 0; i < o->ntopics; i++)
		if (r->topic && !strcmp(r->topic, o->topics[i]))
			break;
	if (o->ntopics && i == o->ntopics)
		return 0;
	if (r->type < 0 && r->topic)
		r->type = proto_type_lookup(r->topic, strlen(r->topic));
	if (o->types && (r->type < 0 || !(o->types & (1u << r->type))))
		return 0;
	if (o->agent && !replay_agent_match(r->value, r->value_len, o->agent))
		return 0;
	return 1;
}

static void replay_ndjson(const struct src_rec *r)
{
	fputs("{\"topic\":", stdout);
	jsonout_str(stdout, r->topic ? r->topic : "", r->topic ? strlen(r->topic) : 0,
		    r->topic == NULL);
	if (r->partition >= 0)
		printf(",\"partition\":%d,\"offset\":%lld", r->partition,
		       (long long)r->offset);
	else
		printf(",\"seq\":%lld", (long long)r->offset);
	printf(",\"timestamp\":%lld,\"key\":", (long long)r->time_ms);
	jsonout_str(stdout, r->key, r->key_len, r->key == NULL);
	fputs(",\"event\":", stdout);
	trace_value(stdout, r->value, r->value_len);
	fputs("}\n", stdout);
}

static void replay_table(const struct replay_opts *o, const struct src_rec *r,
			 int64_t *first)
{
	cJSON *j = cJSON_ParseWithLength(r->value, r->value_len);

	if (*first == INT64_MIN)
		*first = r->time_ms;
	if (j)
		render_event(stdout, j, r->time_ms - *first, o->t.color);
	cJSON_Delete(j);
}

/* Stream the source to stdout. */
static int replay_run(struct replay_opts *o)
{
	int64_t first = INT64_MIN;
	struct src_rec r;
	struct src *s;
	int n;

	o->t.src.topics = o->ntopics ? o->topics : NULL;
	s = trace_source(&o->t.src, o->t.from, o->t.brokers_explicit);
	if (!s)
		return CTL_FAIL;
	ctl_warn("replay from %s (%s)", s->name, s->where);
	if (!o->t.src.follow)
		setvbuf(stdout, NULL, _IOFBF, 1 << 20);
	for (;;) {
		n = s->ops->next(s, &r, 200);
		if (n == 0 && o->t.src.follow) {
			fflush(stdout);
			continue;
		}
		if (n <= 0)
			break;
		if (!replay_match(o, &r))
			continue;
		if (o->t.format == TRACE_TABLE)
			replay_table(o, &r, &first);
		else
			replay_ndjson(&r);
		if (o->t.src.follow)
			fflush(stdout);
	}
	fflush(stdout);
	if (n < 0)
		ctl_warn("%s: %s", s->name, s->ops->error(s));
	s->ops->close(s);
	return n < 0 ? CTL_FAIL : CTL_OK;
}

/* --type: a type or topic name; also picks that topic when none given. */
static int replay_type(const struct ctl_cmd *cmd, struct replay_opts *o,
		       const char *arg)
{
	int t = proto_type_lookup(arg, strlen(arg));

	if (t < 0)
		return ctl_usage_error(cmd, "--type: unknown '%s'", arg), -1;
	o->types |= 1u << t;
	return 0;
}

/* The topics of --type when no --topic was given. */
static void replay_type_topics(struct replay_opts *o)
{
	int t;

	if (o->ntopics || !o->types)
		return;
	for (t = 0; t < PROTO_TYPE_COUNT; t++)
		if (o->types & (1u << t))
			o->topics[o->ntopics++] = proto_type_topic(t);
}

int ctl_cmd_replay(const struct ctl_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		TRACE_OPTS,
		{ "topic", required_argument, NULL, 't' },
		{ "offset", required_argument, NULL, 'o' },
		{ "follow", no_argument, NULL, 'w' },
		{ "type", required_argument, NULL, 'y' },
		{ "agent", required_argument, NULL, 'a' },
		{ "correlation-id", required_argument, NULL, 'c' },
		{ 0 }
	};
	struct replay_opts o;
	int c, r;

	memset(&o, 0, sizeof(o));
	trace_opts_init(&o.t);
	o.t.format = TRACE_NDJSON;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': ctl_usage(cmd, stdout, 1); return CTL_OK;
		case 't':
			if (o.ntopics == REPLAY_MAX_TOPICS)
				return ctl_usage_error(cmd, "too many --topic");
			o.topics[o.ntopics++] = optarg;
			continue;
		case 'o': o.t.src.from_offset = strtoll(optarg, NULL, 10); continue;
		case 'w': o.t.src.follow = 1; continue;
		case 'y':
			if (replay_type(cmd, &o, optarg) < 0)
				return CTL_USAGE;
			continue;
		case 'a': o.agent = optarg; continue;
		case 'c': o.t.src.key = optarg; continue;
		}
		r = trace_opt(cmd, &o.t, c, optarg);
		if (r < 0)
			return CTL_USAGE;
		if (r == 0)
			return ctl_usage_error(cmd, "bad option");
	}
	if (optind != argc)
		return ctl_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	replay_type_topics(&o);
	return replay_run(&o);
}
