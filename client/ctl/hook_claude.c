/*
 * hook_claude.c: Claude Code's hook payloads as the seed's events.
 *
 * Claude Code is a polymorphic agent: a main agent that routes work to
 * specialised subagents (the Task tool, named Agent in later versions,
 * with a subagent_type).  Its hooks map onto the seed's four topics:
 *
 *   PreToolUse            nothing sent; the start is kept in the session's
 *                         state, keyed by tool_use_id
 *   PostToolUse           agent_action tool_call, duration from the Pre
 *                         (none when an async Post ran before its Pre)
 *   PostToolUseFailure    agent_action tool_call and agent_action error
 *   PreToolUse of Task    routing_decision (the subagent chosen, strategy
 *                         "claude-code-subagent") and transformation from
 *                         the calling agent to the subagent
 *   SubagentStart         binds the subagent's agent_id to its launch
 *   SubagentStop          agent_action success, duration from the launch
 *   UserPromptSubmit      agent_action decision (the prompt, bounded, or
 *                         only its length with --no-prompt-text)
 *   Stop                  agent_action success, duration of the turn
 *   SessionStart/End      agent_action decision / success (its duration)
 *   Notification, PreCompact and any other event: agent_action decision
 *
 * The correlation id is the session (hook_corr()).  action_name is the
 * tool's name for tool events, else the event's name in snake case.  The
 * acting agent is the subagent (agent_type) when the payload comes from
 * one, else --agent (default "claude-code").  transcript_path (under the
 * user's home) is reduced to its file name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "hook.h"

/* Longest texts copied into an event (bytes). */
#define CLAUDE_NAME_MAX 128
#define CLAUDE_PATH_MAX 512
#define CLAUDE_TEXT_MAX 500
#define CLAUDE_PROMPT_MAX 1000
/* State files of sessions idle this long are removed at a SessionStart. */
#define CLAUDE_SWEEP_AGE_MS (7LL * 24 * 3600 * 1000)

#define CLAUDE_STRATEGY "claude-code-subagent"
#define CLAUDE_DEFAULT_SUBAGENT "general-purpose"

/* What every payload carries. */
struct claude_common {
	const cJSON *p;             /* the payload */
	const char *event;          /* hook_event_name */
	const char *session;        /* session_id */
	const char *agent;          /* who acts: agent_type, else --agent */
	char action[64];            /* the event's name in snake case */
};

/* A string member of o, or NULL. */
static const char *claude_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* "PreToolUse" -> "pre_tool_use" (ASCII letters and digits only). */
static void claude_snake(const char *name, char *out, size_t len)
{
	size_t o = 0;

	for (; *name && o + 2 < len; name++) {
		char c = *name;

		if (c >= 'A' && c <= 'Z') {
			if (o > 0)
				out[o++] = '_';
			out[o++] = (char)(c + 32);
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			out[o++] = c;
		}
	}
	out[o] = '\0';
	if (o == 0)
		snprintf(out, len, "unknown");
}

/* The members every agent_action's details start with. */
static cJSON *claude_details(struct hook_ctx *ctx,
			     const struct claude_common *c)
{
	const char *t = claude_str(c->p, "transcript_path");
	cJSON *d = cJSON_CreateObject();

	if (!d)
		return NULL;
	hook_add_text(d, "hook", c->event, CLAUDE_NAME_MAX);
	if (c->session && strcasecmp(c->session, ctx->corr))
		hook_add_text(d, "session_id", c->session, CLAUDE_NAME_MAX);
	hook_add_text(d, "cwd", claude_str(c->p, "cwd"), CLAUDE_PATH_MAX);
	if (t)
		hook_add_text(d, "transcript", hook_basename(t), CLAUDE_NAME_MAX);
	hook_add_text(d, "agent_id", claude_str(c->p, "agent_id"), CLAUDE_NAME_MAX);
	hook_add_text(d, "agent_type", claude_str(c->p, "agent_type"),
		      CLAUDE_NAME_MAX);
	hook_add_text(d, "prompt_id", claude_str(c->p, "prompt_id"),
		      CLAUDE_NAME_MAX);
	hook_add_text(d, "permission_mode", claude_str(c->p, "permission_mode"),
		      CLAUDE_NAME_MAX);
	return d;
}

/* Open the session's state (see hook_state.c).  Returns 0 or -1. */
static int claude_state(struct hook_ctx *ctx, const struct claude_common *c,
			struct hook_state *st)
{
	return hook_state_open(st, ctx->journal_dir, ctx->harness,
			       c->session ? c->session : ctx->corr, ctx->now_ms);
}

/* Milliseconds since an entry's start; -1 without one. */
static int64_t claude_since(const struct hook_ctx *ctx,
			    const struct hook_entry *e)
{
	if (!e)
		return -1;
	return ctx->now_ms > e->ms ? ctx->now_ms - e->ms : 0;
}

/* Whether this tool call launches a subagent (the Task / Agent tool). */
static int claude_is_launch(const char *tool, const cJSON *input)
{
	return tool && (!strcmp(tool, "Task") || !strcmp(tool, "Agent")) &&
	       cJSON_IsObject(input);
}

/* The routing_decision and transformation of a subagent launch. */
static void claude_launch_events(struct hook_ctx *ctx,
				 const struct claude_common *c,
				 const char *target, const cJSON *input,
				 const char *tool_use_id)
{
	const char *desc = claude_str(input, "description");
	cJSON *ev, *ctxo;
	char *req;

	if (!desc)
		desc = claude_str(input, "prompt");
	req = desc ? hook_text_line(desc, CLAUDE_TEXT_MAX) : NULL;
	ev = hook_event(ctx, "routing_decision");
	if (ev) {
		hook_add_text(ev, "selected_agent", target, CLAUDE_NAME_MAX);
		cJSON_AddNumberToObject(ev, "confidence_score", 1);
		cJSON_AddStringToObject(ev, "routing_strategy", CLAUDE_STRATEGY);
		cJSON_AddNumberToObject(ev, "routing_time_ms", 0);
		if (req)
			cJSON_AddStringToObject(ev, "user_request", req);
		ctxo = claude_details(ctx, c);
		if (ctxo) {
			hook_add_text(ctxo, "calling_agent", c->agent, CLAUDE_NAME_MAX);
			hook_add_text(ctxo, "tool_use_id", tool_use_id, CLAUDE_NAME_MAX);
			cJSON_AddItemToObject(ev, "context", ctxo);
		}
		hook_send(ctx, ev);
	}
	ev = hook_event(ctx, "transformation");
	if (ev) {
		hook_add_text(ev, "source_agent", c->agent, CLAUDE_NAME_MAX);
		hook_add_text(ev, "target_agent", target, CLAUDE_NAME_MAX);
		cJSON_AddNumberToObject(ev, "transformation_duration_ms", 0);
		if (req)
			cJSON_AddStringToObject(ev, "transformation_reason", req);
		cJSON_AddNumberToObject(ev, "confidence_score", 1);
		cJSON_AddTrueToObject(ev, "success");
		hook_send(ctx, ev);
	}
	free(req);
}

/* PreToolUse: remember the start; a subagent launch is routed now. */
static void claude_pre_tool(struct hook_ctx *ctx, const struct claude_common *c)
{
	const char *tool = claude_str(c->p, "tool_name");
	const char *id = claude_str(c->p, "tool_use_id");
	const cJSON *input = cJSON_GetObjectItemCaseSensitive(c->p, "tool_input");
	const char *target = NULL;
	struct hook_entry *e;
	struct hook_state st;

	if (claude_is_launch(tool, input)) {
		target = claude_str(input, "subagent_type");
		if (!target || !*target)
			target = CLAUDE_DEFAULT_SUBAGENT;
	}
	if (id && claude_state(ctx, c, &st) == 0) {
		if ((e = hook_state_find(&st, 'D', id)) != NULL)
			hook_state_del(&st, e);     /* its Post ran first */
		else
			hook_state_put(&st, 'T', id, ctx->now_ms, tool, "");
		if (target)
			hook_state_put(&st, 'A', id, ctx->now_ms, target, "");
		hook_state_close(&st, 0);
	}
	if (target)
		claude_launch_events(ctx, c, target, input, id);
}

/* PostToolUse / PostToolUseFailure: the completed call (and its error). */
static void claude_post_tool(struct hook_ctx *ctx,
			     const struct claude_common *c, int failed)
{
	const char *tool = claude_str(c->p, "tool_name");
	const char *id = claude_str(c->p, "tool_use_id");
	const char *err = claude_str(c->p, "error");
	const cJSON *intr = cJSON_GetObjectItemCaseSensitive(c->p, "is_interrupt");
	struct hook_entry *e;
	struct hook_state st;
	int64_t dur = -1;
	cJSON *d;

	if (id && claude_state(ctx, c, &st) == 0) {
		if ((e = hook_state_find(&st, 'T', id)) != NULL) {
			dur = claude_since(ctx, e);
			hook_state_del(&st, e);
		} else {
			/* Async hooks race: the Pre may still come; it must
			 * not leave an entry nobody takes. */
			hook_state_put(&st, 'D', id, ctx->now_ms, tool, "");
		}
		if (failed && (e = hook_state_find(&st, 'A', id)) != NULL)
			hook_state_del(&st, e);     /* no subagent will stop */
		hook_state_close(&st, 0);
	}
	d = claude_details(ctx, c);
	if (d) {
		hook_add_text(d, "tool_use_id", id, CLAUDE_NAME_MAX);
		cJSON_AddItemToObject(d, "input", hook_input_summary(
			cJSON_GetObjectItemCaseSensitive(c->p, "tool_input")));
		if (!failed)
			cJSON_AddItemToObject(d, "response", hook_response_summary(
				cJSON_GetObjectItemCaseSensitive(c->p, "tool_response")));
		cJSON_AddBoolToObject(d, "success", !failed);
	}
	hook_action(ctx, c->agent, "tool_call", tool, d, dur);
	if (!failed)
		return;
	d = claude_details(ctx, c);
	if (d) {
		hook_add_text(d, "tool", tool, CLAUDE_NAME_MAX);
		hook_add_text(d, "tool_use_id", id, CLAUDE_NAME_MAX);
		hook_add_text(d, "error", err ? err : "tool call failed",
			      CLAUDE_TEXT_MAX);
		if (cJSON_IsBool(intr))
			cJSON_AddBoolToObject(d, "is_interrupt", cJSON_IsTrue(intr));
	}
	hook_action(ctx, c->agent, "error", tool, d, dur);
}

/* SubagentStart: bind the new agent_id to the oldest unbound launch. */
static void claude_subagent_start(struct hook_ctx *ctx,
				  const struct claude_common *c)
{
	const char *aid = claude_str(c->p, "agent_id");
	const char *type = claude_str(c->p, "agent_type");
	struct hook_entry *e;
	struct hook_state st;

	if (!aid || claude_state(ctx, c, &st) < 0)
		return;
	e = hook_state_oldest(&st, 'A', type, "");
	if (!e && !type)
		e = hook_state_oldest(&st, 'A', NULL, "");
	if (e) {
		snprintf(e->b, sizeof(e->b), "%s", aid);
		st.dirty = 1;
	}
	hook_state_close(&st, 0);
}

/*
 * SubagentStop: the subagent's success, timed from its launch, found by
 * agent_id, else as the oldest open launch of its type.
 */
static void claude_subagent_stop(struct hook_ctx *ctx,
				 const struct claude_common *c)
{
	const char *aid = claude_str(c->p, "agent_id");
	const char *type = claude_str(c->p, "agent_type");
	const char *last = claude_str(c->p, "last_assistant_message");
	const cJSON *active = cJSON_GetObjectItemCaseSensitive(c->p,
							       "stop_hook_active");
	char launch[HOOK_KEY_MAX] = "", target[HOOK_KEY_MAX] = "";
	struct hook_entry *e = NULL;
	struct hook_state st;
	int64_t dur = -1;
	cJSON *d;

	if (claude_state(ctx, c, &st) == 0) {
		if (aid)
			e = hook_state_oldest(&st, 'A', NULL, aid);
		if (!e)
			e = hook_state_oldest(&st, 'A', type, "");
		if (!e && !type)
			e = hook_state_oldest(&st, 'A', NULL, NULL);
		if (e) {
			dur = claude_since(ctx, e);
			memcpy(launch, e->key, sizeof(launch));
			memcpy(target, e->a, sizeof(target));
			hook_state_del(&st, e);
		}
		hook_state_close(&st, 0);
	}
	d = claude_details(ctx, c);
	if (d) {
		if (launch[0])
			hook_add_text(d, "tool_use_id", launch, CLAUDE_NAME_MAX);
		if (last)
			cJSON_AddNumberToObject(d, "last_message_chars",
						(double)hook_chars(last));
		if (cJSON_IsBool(active))
			cJSON_AddBoolToObject(d, "stop_hook_active",
					      cJSON_IsTrue(active));
	}
	hook_action(ctx, type ? type : target[0] ? target : c->agent, "success",
		    c->action, d, dur);
}

/*
 * The events of a turn and a session: mark = the state kind opened here
 * ('P' turn, 'S' session), close = the kind closed here (its duration).
 */
static void claude_span(struct hook_ctx *ctx, const struct claude_common *c,
			char mark, char close, int end_session, cJSON *d,
			const char *action_type)
{
	struct hook_entry *e;
	struct hook_state st;
	int64_t dur = -1;

	if (claude_state(ctx, c, &st) == 0) {
		if (close && (e = hook_state_find(&st, close, "span")) != NULL) {
			dur = claude_since(ctx, e);
			hook_state_del(&st, e);
		}
		if (mark)
			hook_state_put(&st, mark, "span", ctx->now_ms, "", "");
		hook_state_close(&st, end_session);
	}
	hook_action(ctx, c->agent, action_type, c->action, d, dur);
}

/* UserPromptSubmit: the prompt (bounded, or its length only). */
static void claude_prompt(struct hook_ctx *ctx, const struct claude_common *c)
{
	const char *prompt = claude_str(c->p, "prompt");
	cJSON *d = claude_details(ctx, c);

	if (d && prompt) {
		if (!ctx->no_prompt_text)
			hook_add_text(d, "prompt", prompt, CLAUDE_PROMPT_MAX);
		cJSON_AddNumberToObject(d, "prompt_chars", (double)hook_chars(prompt));
	}
	claude_span(ctx, c, 'P', 0, 0, d, "decision");
}

/* Stop: the turn's end. */
static void claude_stop(struct hook_ctx *ctx, const struct claude_common *c)
{
	const char *last = claude_str(c->p, "last_assistant_message");
	const cJSON *active = cJSON_GetObjectItemCaseSensitive(c->p,
							       "stop_hook_active");
	cJSON *d = claude_details(ctx, c);

	if (d && last)
		cJSON_AddNumberToObject(d, "last_message_chars",
					(double)hook_chars(last));
	if (d && cJSON_IsBool(active))
		cJSON_AddBoolToObject(d, "stop_hook_active", cJSON_IsTrue(active));
	claude_span(ctx, c, 0, 'P', 0, d, "success");
}

/* SessionStart / SessionEnd. */
static void claude_session(struct hook_ctx *ctx, const struct claude_common *c,
			   int end)
{
	cJSON *d = claude_details(ctx, c);

	if (d && !end) {
		hook_add_text(d, "source", claude_str(c->p, "source"), CLAUDE_NAME_MAX);
		hook_add_text(d, "model", claude_str(c->p, "model"), CLAUDE_NAME_MAX);
	}
	if (d && end)
		hook_add_text(d, "reason", claude_str(c->p, "reason"), CLAUDE_NAME_MAX);
	if (!end && ctx->journal_dir[0])
		hook_state_sweep(ctx->journal_dir, ctx->now_ms, CLAUDE_SWEEP_AGE_MS);
	if (end)
		claude_span(ctx, c, 0, 'S', 1, d, "success");
	else
		claude_span(ctx, c, 'S', 0, 0, d, "decision");
}

/* Notification, PreCompact and events this file does not know. */
static void claude_other(struct hook_ctx *ctx, const struct claude_common *c)
{
	const char *ci = claude_str(c->p, "custom_instructions");
	cJSON *d = claude_details(ctx, c);

	if (d) {
		hook_add_text(d, "notification_type",
			      claude_str(c->p, "notification_type"), CLAUDE_NAME_MAX);
		hook_add_text(d, "title", claude_str(c->p, "title"), CLAUDE_NAME_MAX);
		hook_add_text(d, "message", claude_str(c->p, "message"),
			      CLAUDE_TEXT_MAX);
		hook_add_text(d, "trigger", claude_str(c->p, "trigger"),
			      CLAUDE_NAME_MAX);
		if (ci && *ci && !ctx->no_prompt_text)
			hook_add_text(d, "custom_instructions", ci, CLAUDE_TEXT_MAX);
		hook_add_text(d, "source", claude_str(c->p, "source"),
			      CLAUDE_NAME_MAX);
		hook_add_text(d, "reason", claude_str(c->p, "reason"),
			      CLAUDE_NAME_MAX);
	}
	hook_action(ctx, c->agent, "decision", c->action, d, -1);
}

void hook_claude(struct hook_ctx *ctx, const cJSON *payload)
{
	struct claude_common c;
	const char *ev, *type;

	memset(&c, 0, sizeof(c));
	c.p = payload;
	c.event = claude_str(payload, "hook_event_name");
	c.session = claude_str(payload, "session_id");
	type = claude_str(payload, "agent_type");
	c.agent = type && *type ? type : ctx->agent;
	hook_corr(ctx, c.session);
	ev = c.event ? c.event : "";
	claude_snake(ev, c.action, sizeof(c.action));
	if (!strcmp(ev, "PreToolUse"))
		claude_pre_tool(ctx, &c);
	else if (!strcmp(ev, "PostToolUse"))
		claude_post_tool(ctx, &c, 0);
	else if (!strcmp(ev, "PostToolUseFailure"))
		claude_post_tool(ctx, &c, 1);
	else if (!strcmp(ev, "SubagentStart"))
		claude_subagent_start(ctx, &c);
	else if (!strcmp(ev, "SubagentStop"))
		claude_subagent_stop(ctx, &c);
	else if (!strcmp(ev, "UserPromptSubmit"))
		claude_prompt(ctx, &c);
	else if (!strcmp(ev, "Stop"))
		claude_stop(ctx, &c);
	else if (!strcmp(ev, "SessionStart"))
		claude_session(ctx, &c, 0);
	else if (!strcmp(ev, "SessionEnd"))
		claude_session(ctx, &c, 1);
	else
		claude_other(ctx, &c);
}
