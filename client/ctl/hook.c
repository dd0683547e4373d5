/*
 * hook.c: agentlogctl hook HARNESS: read one hook payload on stdin, send
 * the events it means, exit 0.
 *
 * Whatever happens (a bad payload, no daemon, a full disk, a usage error)
 * the exit status is 0 and stdout stays empty: a hook's exit status can
 * block the agent's tool call and its stdout can reach the model.  What
 * went wrong is said on stderr only with --verbose.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "hook.h"
#include "wire.h"

/* A payload larger than this is not read to the end (nor logged). */
#define HOOK_STDIN_MAX (64u << 20)
/* The default wait on the daemon: a few milliseconds, then the inbox. */
#define HOOK_TIMEOUT_DEFAULT_MS 5

struct hook_harness {
	const char *name;
	void (*handle)(struct hook_ctx *ctx, const cJSON *payload);
};

static const struct hook_harness hook_harnesses[] = {
	{ "claude-code", hook_claude },
};

#define HOOK_NHARNESS (sizeof(hook_harnesses) / sizeof(hook_harnesses[0]))

/* Wall clock, Unix ms: durations span separate hook processes. */
static int64_t hook_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Say something on stderr, with --verbose only. */
__attribute__((format(printf, 2, 3)))
static void hook_say(const struct hook_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (!ctx->verbose)
		return;
	fputs("agentlogctl hook: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Read all of stdin into a NUL-terminated buffer; NULL when too large. */
static char *hook_read_stdin(size_t *len)
{
	size_t cap = 64 << 10, n = 0;
	char *buf = malloc(cap), *p;
	ssize_t r;

	if (!buf)
		return NULL;
	for (;;) {
		if (cap - n < 2) {
			if (cap >= HOOK_STDIN_MAX)
				goto fail;
			p = realloc(buf, cap * 2);
			if (!p)
				goto fail;
			buf = p;
			cap *= 2;
		}
		r = read(STDIN_FILENO, buf + n, cap - n - 1);
		if (r > 0)
			n += (size_t)r;
		else if (r == 0)
			break;
		else if (errno != EINTR)
			goto fail;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	free(buf);
	return NULL;
}

/*
 * A UUID from any string, the same every time: two FNV-1a 64-bit hashes
 * with different offsets, with the version 8 (custom) and variant bits.
 */
static void hook_uuid_of(const char *s, char out[PROTO_UUID_LEN + 1])
{
	uint64_t h1 = 0xcbf29ce484222325ull, h2 = 0x84222325cbf29ce4ull;
	uint8_t id[16];
	int i;

	for (; *s; s++) {
		h1 = (h1 ^ (uint8_t)*s) * 0x100000001b3ull;
		h2 = (h2 ^ (uint8_t)*s) * 0x100000001b3ull;
		h2 ^= h2 >> 29;
	}
	for (i = 0; i < 8; i++) {
		id[i] = (uint8_t)(h1 >> (56 - 8 * i));
		id[8 + i] = (uint8_t)(h2 >> (56 - 8 * i));
	}
	id[6] = (uint8_t)((id[6] & 0x0f) | 0x80);
	id[8] = (uint8_t)((id[8] & 0x3f) | 0x80);
	proto_uuid_format(id, out);
}

/* Whether s is a UUID in 8-4-4-4-12 text form. */
static int hook_is_uuid(const char *s)
{
	int i;

	if (!s || strlen(s) != PROTO_UUID_LEN)
		return 0;
	for (i = 0; i < PROTO_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!strchr("0123456789abcdefABCDEF", s[i])) {
			return 0;
		}
	}
	return 1;
}

/* Copy a UUID in lower case. */
static void hook_uuid_lower(const char *s, char out[PROTO_UUID_LEN + 1])
{
	int i;

	for (i = 0; i < PROTO_UUID_LEN; i++)
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] + 32 : s[i]);
	out[PROTO_UUID_LEN] = '\0';
}

void hook_corr(struct hook_ctx *ctx, const char *session_id)
{
	const char *e = getenv("AGENTLOG_CORRELATION_ID");

	if (hook_is_uuid(e))
		hook_uuid_lower(e, ctx->corr);
	else if (hook_is_uuid(session_id))
		hook_uuid_lower(session_id, ctx->corr);
	else
		hook_uuid_of(session_id ? session_id : "", ctx->corr);
}

cJSON *hook_event(struct hook_ctx *ctx, const char *type)
{
	cJSON *ev = cJSON_CreateObject();

	if (!ev)
		return NULL;
	cJSON_AddStringToObject(ev, "type", type);
	cJSON_AddStringToObject(ev, "correlation_id", ctx->corr);
	return ev;
}

void hook_action(struct hook_ctx *ctx, const char *agent,
		 const char *action_type, const char *action_name,
		 cJSON *details, int64_t duration_ms)
{
	cJSON *ev = hook_event(ctx, "agent_action");

	if (!ev) {
		cJSON_Delete(details);
		return;
	}
	hook_add_text(ev, "agent_name", agent && *agent ? agent : ctx->agent, 256);
	cJSON_AddStringToObject(ev, "action_type", action_type);
	hook_add_text(ev, "action_name", action_name && *action_name ?
		      action_name : "unknown", 256);
	if (details)
		cJSON_AddItemToObject(ev, "action_details", details);
	if (duration_ms >= 0)
		cJSON_AddNumberToObject(ev, "duration_ms", (double)
					(duration_ms > INT32_MAX ? INT32_MAX : duration_ms));
	cJSON_AddTrueToObject(ev, "debug_mode");
	hook_send(ctx, ev);
}

/* Open the library handle on first use.  Returns 0 or -1. */
static int hook_open(struct hook_ctx *ctx)
{
	int rc;

	if (ctx->h)
		return 0;
	rc = agentlog_open(&ctx->h, &ctx->opts);
	if (rc < 0) {
		hook_say(ctx, "cannot open a handle: %s", strerror(-rc));
		ctx->h = NULL;
		return -1;
	}
	return 0;
}

void hook_send(struct hook_ctx *ctx, cJSON *ev)
{
	char ts[PROTO_TIMESTAMP_LEN + 1];
	char *line;
	int rc;

	if (!ev)
		return;
	proto_timestamp_format(ctx->now_ms, ts);
	cJSON_AddStringToObject(ev, "timestamp", ts);
	line = cJSON_PrintUnformatted(ev);
	cJSON_Delete(ev);
	if (!line || hook_open(ctx) < 0)
		goto out;
	rc = agentlog_send(ctx->h, line, strlen(line));
	if (rc >= 0)
		ctx->sent++;
	if (ctx->verbose)
		hook_say(ctx, "%s: %s", rc == 0 ? "sent" : rc == AGENTLOG_INBOXED ?
			 "stored in the inbox" : agentlog_error(ctx->h), line);
out:
	free(line);
}

/* Parse the options.  Returns the harness, or NULL (say why if verbose). */
static const struct hook_harness *hook_parse(const struct ctl_cmd *cmd,
					     struct hook_ctx *ctx, int argc,
					     char **argv, int *help)
{
	static const struct option opts[] = {
		{ "agent", required_argument, NULL, 'a' },
		{ "no-prompt-text", no_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "socket", required_argument, NULL, 'S' },
		{ "journal-dir", required_argument, NULL, 'J' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *jdir = NULL;
	size_t i;
	long v;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		switch (c) {
		case 'a': ctx->agent = optarg; break;
		case 'n': ctx->no_prompt_text = 1; break;
		case 'S': ctx->opts.socket_path = optarg; break;
		case 'J': jdir = optarg; break;
		case 'v': ctx->verbose = 1; break;
		case 'h': *help = 1; return NULL;
		case 'T':
			v = strtol(optarg, NULL, 10);
			if (v > 0 && v <= 60000)
				ctx->opts.timeout_ms = (int)v;
			break;
		default:
			hook_say(ctx, "unknown option '%s'", argv[optind - 1]);
			break;
		}
	}
	if (jdir && strlen(jdir) < sizeof(ctx->journal_dir))
		strcpy(ctx->journal_dir, jdir);
	else if (proto_journal_dir(ctx->journal_dir, sizeof(ctx->journal_dir)) < 0)
		ctx->journal_dir[0] = '\0';
	ctx->opts.journal_dir = ctx->journal_dir[0] ? ctx->journal_dir : NULL;
	if (optind >= argc) {
		hook_say(ctx, "which harness? (claude-code)");
		return NULL;
	}
	for (i = 0; i < HOOK_NHARNESS; i++)
		if (!strcmp(argv[optind], hook_harnesses[i].name))
			return &hook_harnesses[i];
	hook_say(ctx, "unknown harness '%s' (claude-code)", argv[optind]);
	(void)cmd;
	return NULL;
}

int ctl_cmd_hook(const struct ctl_cmd *cmd, int argc, char **argv)
{
	const struct hook_harness *hs;
	struct hook_ctx ctx;
	cJSON *payload = NULL;
	char *in = NULL;
	size_t len = 0;
	int help = 0;

	memset(&ctx, 0, sizeof(ctx));
	ctx.now_ms = hook_now_ms();
	ctx.agent = getenv("AGENTLOG_AGENT");
	if (!ctx.agent || !*ctx.agent)
		ctx.agent = "claude-code";
	agentlog_opts_init(&ctx.opts);
	ctx.opts.timeout_ms = HOOK_TIMEOUT_DEFAULT_MS;
	ctx.opts.flags = AGENTLOG_VALIDATE;
	hs = hook_parse(cmd, &ctx, argc, argv, &help);
	if (help) {
		ctl_usage(cmd, stdout, 1);
		return CTL_OK;
	}
	if (!hs)
		return CTL_OK;
	ctx.harness = hs->name;
	in = hook_read_stdin(&len);
	if (!in) {
		hook_say(&ctx, "cannot read the payload on stdin");
		goto out;
	}
	payload = cJSON_ParseWithLength(in, len);
	if (!cJSON_IsObject(payload)) {
		hook_say(&ctx, "the payload is not a JSON object");
		goto out;
	}
	hs->handle(&ctx, payload);
out:
	cJSON_Delete(payload);
	free(in);
	agentlog_close(ctx.h);
	return CTL_OK;
}
