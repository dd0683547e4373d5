/*
 * hook.h: agentlogctl hook HARNESS: turn an agent harness's hook payload
 * (one JSON object on stdin) into agentlog events.
 *
 * A hook runs inside the harness's loop, so the contract is strict: it
 * always exits 0 (a non-zero status can block a tool call), prints nothing
 * on stdout (some harnesses feed a hook's stdout to the model), waits on
 * the daemon a few milliseconds at most (the event goes to the inbox
 * otherwise) and costs about what `agentlogctl send` costs.
 *
 * Files:
 *   hook.c         the subcommand: options, stdin, the event sender
 *   hook_claude.c  Claude Code's payloads to the seed's events
 *   hook_state.c   per-session state (Pre/Post pairs, open subagents)
 *   hook_text.c    bounded, valid UTF-8 summaries of what a payload carries
 */
#ifndef AGENTLOG_CTL_HOOK_H
#define AGENTLOG_CTL_HOOK_H

#include <limits.h>
#include <stdint.h>

#include "ctl.h"

struct cJSON;

/* The handler of agentlogctl hook, its usage and help (main.c's table). */
int ctl_cmd_hook(const struct ctl_cmd *cmd, int argc, char **argv);

#define HOOK_USAGE "hook claude-code [options] < PAYLOAD"
#define HOOK_HELP \
	"Turn one hook payload of an agent harness (JSON on stdin) into events:\n" \
	"Claude Code's tool calls (timed from PreToolUse to PostToolUse), subagent\n" \
	"launches (a routing decision and a transformation) and stops, prompts,\n" \
	"turns and sessions.  Always exits 0 and prints nothing on stdout (a hook\n" \
	"must not disturb the agent); --verbose says on stderr what happened.\n" \
	"  --agent NAME         the main agent's name (else $AGENTLOG_AGENT, else\n" \
	"                       claude-code); a subagent is named by its type\n" \
	"  --no-prompt-text     log a prompt's length, never its text\n" \
	"  --timeout MS         longest wait on the daemon, then the inbox\n" \
	"                       (default 5)\n" \
	"  --socket PATH        daemon socket (else $AGENTLOG_SOCKET, else default)\n" \
	"  --journal-dir DIR    inbox and per-session state (else\n" \
	"                       $AGENTLOG_JOURNAL_DIR)\n" \
	"  --verbose            the events sent, and failures, on stderr\n" \
	"The correlation id is $AGENTLOG_CORRELATION_ID when set, else the session.\n" \
	"Example (~/.claude/settings.json; see contrib/hooks/claude-code/):\n" \
	"  {\"type\": \"command\", \"command\": \"agentlogctl hook claude-code\",\n" \
	"   \"async\": true}\n"

/* What every event of one hook run shares. */
struct hook_ctx {
	const char *harness;        /* "claude-code" */
	const char *agent;          /* the main agent's name (--agent) */
	int no_prompt_text;         /* --no-prompt-text */
	int verbose;                /* --verbose: events on stderr */
	int64_t now_ms;             /* wall clock when the hook started */
	char corr[PROTO_UUID_LEN + 1];
	char journal_dir[PATH_MAX];
	struct agentlog_opts opts;
	agentlog_t *h;              /* opened on the first send */
	int sent;                   /* events written or stored */
};

/*
 * Fill ctx->corr: $AGENTLOG_CORRELATION_ID when it is a UUID, else the
 * session id when it is one, else a UUID derived from the session id (the
 * same session always gives the same id).
 */
void hook_corr(struct hook_ctx *ctx, const char *session_id);

/*
 * A new event of type ("agent_action", ...) with its type and correlation
 * id set, or NULL (out of memory).
 */
struct cJSON *hook_event(struct hook_ctx *ctx, const char *type);

/*
 * An agent_action event: agent, action_type, action_name, details (taken
 * over; may be NULL), duration_ms unless negative.  Sent at once.
 */
void hook_action(struct hook_ctx *ctx, const char *agent,
		 const char *action_type, const char *action_name,
		 struct cJSON *details, int64_t duration_ms);

/*
 * Add the timestamp, send ev (fire and forget, inbox fallback) and free
 * it.  Failures are silent unless --verbose.
 */
void hook_send(struct hook_ctx *ctx, struct cJSON *ev);

/* Claude Code (hook_claude.c): one payload, already parsed. */
void hook_claude(struct hook_ctx *ctx, const struct cJSON *payload);

/*
 * Per-session state (hook_state.c): a small text file per session in
 * <journal dir>/hooks/, locked with flock() for the whole hook run, so
 * concurrent hooks of one session see each other's updates.
 */
#define HOOK_STATE_MAX 256          /* entries kept; the oldest go first */
#define HOOK_KEY_MAX 128            /* bytes of a key or a value, NUL incl. */
#define HOOK_STATE_MAX_AGE_MS (24LL * 3600 * 1000)

struct hook_entry {
	char kind;                  /* 'T' tool call, 'A' subagent, ... */
	char key[HOOK_KEY_MAX];
	int64_t ms;                 /* when it began */
	char a[HOOK_KEY_MAX];       /* per kind: tool name, agent type */
	char b[HOOK_KEY_MAX];       /* per kind: agent id */
};

struct hook_state {
	int fd;                     /* locked, or -1 */
	char path[PATH_MAX];
	int dirty;
	int n;
	struct hook_entry e[HOOK_STATE_MAX];
};

/*
 * Open (creating it and its directory, 0700/0600) and lock the state file
 * of one session, and read it; entries older than HOOK_STATE_MAX_AGE_MS
 * are dropped.  Returns 0, or -1 (then the hook goes on without state:
 * durations are left out).
 */
int hook_state_open(struct hook_state *st, const char *journal_dir,
		    const char *harness, const char *session, int64_t now_ms);
/* The entry of this kind and key, or NULL. */
struct hook_entry *hook_state_find(struct hook_state *st, char kind,
				   const char *key);
/* The oldest entry of this kind whose a (and b, unless NULL) match. */
struct hook_entry *hook_state_oldest(struct hook_state *st, char kind,
				     const char *a, const char *b);
/* Add or replace an entry (the oldest goes when the table is full). */
struct hook_entry *hook_state_put(struct hook_state *st, char kind,
				  const char *key, int64_t ms, const char *a,
				  const char *b);
/* Remove an entry found above. */
void hook_state_del(struct hook_state *st, struct hook_entry *e);
/* Write back when changed, unlock and close.  unlink: remove the file. */
void hook_state_close(struct hook_state *st, int unlink_it);
/* Remove state files of sessions untouched for max_age_ms (a sweep). */
void hook_state_sweep(const char *journal_dir, int64_t now_ms,
		      int64_t max_age_ms);

/*
 * Text (hook_text.c).  Every string copied from a payload into an event
 * goes through hook_text(): valid UTF-8 (an invalid byte becomes U+FFFD),
 * at most max bytes, cut on a character boundary with "..." marked by
 * U+2026.  Returns a malloc'd string or NULL.
 */
char *hook_text(const char *s, size_t max);
/* The same, of the first line only. */
char *hook_text_line(const char *s, size_t max);
/* Add a bounded copy of s under key; nothing when s is NULL. */
void hook_add_text(struct cJSON *o, const char *key, const char *s,
		   size_t max);
/* The last path component of path (a pointer into it). */
const char *hook_basename(const char *path);
/* The number of characters (code points) in s. */
size_t hook_chars(const char *s);
/*
 * A bounded summary of a tool's input: paths, a command's first line,
 * patterns, descriptions; only the sizes of contents; numbers and
 * booleans; the names of other members.  Never whole file contents.
 */
struct cJSON *hook_input_summary(const struct cJSON *input);
/* The same for a tool's response: flags, numbers, short names, sizes. */
struct cJSON *hook_response_summary(const struct cJSON *response);

#endif
