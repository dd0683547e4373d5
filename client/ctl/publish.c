/*
 * publish.c: what every publishing subcommand shares: the common options,
 * the correlation id, validation, the send, and how the outcome is
 * reported.
 *
 * stdout carries only what a script captures: a correlation id this
 * command generated (its first line, once, whatever the outcome), the
 * event id with --wait, or with --json one result object per event (the
 * generated id is then inside it).  Everything else goes to stderr.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "ctl.h"
#include "jsonout.h"
#include "skill.h"

int ctl_publish_opt(struct ctl_publish *p, int c, const char *arg)
{
	char *end;
	long v;

	switch (c) {
	case 'S': p->socket = arg; return 1;
	case 'J': p->journal_dir = arg; return 1;
	case 'c': p->corr_id = arg; return 1;
	case 'j': p->json = 1; return 1;
	case 'w': p->wait = 1; return 1;
	case 'T':
		v = strtol(arg, &end, 10);
		if (end == arg || *end || v <= 0 || v > 3600000) {
			ctl_publish_fail(p, CTL_USAGE, NULL,
					 "--timeout: expects milliseconds, got '%s'",
					 arg);
			return -1;
		}
		p->timeout_ms = (int)v;
		return 1;
	}
	return 0;
}

/* A random (version 4) UUID. */
static void publish_uuid(char out[PROTO_UUID_LEN + 1])
{
	uint8_t id[16];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(id)) {
		n = getrandom(id + got, sizeof(id) - got, 0);
		if (n > 0)
			got += (size_t)n;
		else if (errno != EINTR)
			abort();        /* getrandom() cannot fail on Linux >= 3.17 */
	}
	id[6] = (uint8_t)((id[6] & 0x0f) | 0x40);
	id[8] = (uint8_t)((id[8] & 0x3f) | 0x80);
	proto_uuid_format(id, out);
}

void ctl_publish_corr(struct ctl_publish *p)
{
	const char *e;

	if (p->corr_id)
		return;
	e = getenv("AGENTLOG_CORRELATION_ID");
	if (!e || !*e)
		e = getenv("CORRELATION_ID");
	if (e && *e) {
		p->corr_id = e;
		return;
	}
	publish_uuid(p->corr_buf);
	p->corr_id = p->corr_buf;
	p->corr_generated = 1;
}

int ctl_publish_open(struct ctl_publish *p)
{
	struct agentlog_opts o;
	int rc;

	agentlog_opts_init(&o);
	o.socket_path = p->socket;
	o.journal_dir = p->journal_dir;
	o.timeout_ms = p->timeout_ms;
	o.default_type = p->type;
	p->default_type = -1;
	if (p->type) {
		p->default_type = proto_type_lookup(p->type, strlen(p->type));
		if (p->default_type < 0)
			return ctl_publish_fail(p, CTL_USAGE, NULL, "--type: unknown "
						"type '%s' (agent_action, routing_decision, "
						"transformation, performance_metrics)", p->type);
	}
	rc = agentlog_open(&p->h, &o);
	if (rc < 0)
		return ctl_publish_fail(p, CTL_USAGE, NULL, "%s",
					rc == -ENAMETOOLONG ? "path too long"
							    : strerror(-rc));
	return CTL_OK;
}

/* The generated correlation id, once, as stdout's first line. */
static void publish_print_corr(struct ctl_publish *p)
{
	if (p->corr_generated && !p->corr_printed && !p->json) {
		fputs(p->corr_buf, stdout);
		fputc('\n', stdout);
	}
	p->corr_printed = 1;
}

/* One --json result line. */
static void publish_print_json(int ok, const char *corr, size_t corr_len,
			       const char *event_id, const char *via,
			       const char *error)
{
	FILE *o = stdout;

	fprintf(o, "{\"success\": %s, \"correlation_id\": ", ok ? "true" : "false");
	jsonout_str(o, corr, corr ? corr_len : 0, corr == NULL);
	fputs(", \"event_id\": ", o);
	jsonout_str(o, event_id, event_id ? strlen(event_id) : 0, event_id == NULL);
	if (via)
		fprintf(o, ", \"via\": \"%s\"", via);
	if (error) {
		fputs(", \"error\": ", o);
		jsonout_str(o, error, strlen(error), 0);
	}
	fputs("}\n", o);
}

int ctl_publish_fail(struct ctl_publish *p, int code, const char *corr,
		     const char *fmt, ...)
{
	char msg[AGENTLOG_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	publish_print_corr(p);
	if (p->json)
		publish_print_json(0, corr, corr ? strlen(corr) : 0, NULL,
				   NULL, msg);
	else
		ctl_warn("%s", msg);
	if (code > p->worst)
		p->worst = code;
	return code;
}

/* The validator's "field: reason", naming the skill's flag when known. */
static int publish_invalid(struct ctl_publish *p, const char *why)
{
	const char *flag = p->skill ? ctl_build_flag_of(p->skill, why) : NULL;

	if (flag)
		return ctl_publish_fail(p, CTL_USAGE, p->corr_id,
					"invalid event: %s (--%s)", why, flag);
	return ctl_publish_fail(p, CTL_USAGE, p->corr_id, "invalid event: %s",
				why);
}

/*
 * The event id a --json result reports: the daemon's (--wait), or the one
 * the library gave an event it stored in the inbox (the daemon keeps it);
 * NULL (null) for a fire-and-forget send, whose id the daemon assigns.
 */
static const char *publish_event_id(const struct ctl_publish *p, int rc,
				    const char *eid)
{
	const char *id;

	if (rc == 0)
		return p->wait ? eid : NULL;
	id = agentlog_inbox_event_id(p->h);
	return *id ? id : NULL;
}

int ctl_publish_line(struct ctl_publish *p, const char *line, size_t len)
{
	char why[PROTO_ERR_MAX], eid[AGENTLOG_UUID_LEN + 1];
	char corr[PROTO_UUID_LEN + 1];
	struct proto_event ev;
	int rc;

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (memchr(line, '\n', len))
		return publish_invalid(p, "event: a newline inside the event");
	if (proto_event_parse(&ev, line, len, p->default_type, why) < 0)
		return publish_invalid(p, why);
	memcpy(corr, ev.corr, sizeof(corr));     /* canonical, as the key */
	rc = p->wait ? agentlog_send_wait(p->h, line, len, eid)
		     : agentlog_send(p->h, line, len);
	if (rc < 0)
		return ctl_publish_fail(p, CTL_FAIL, corr, "%s", agentlog_error(p->h));
	publish_print_corr(p);
	if (rc == AGENTLOG_INBOXED)
		ctl_warn("warning: agentlogd unreachable, event kept for later: %s",
			 agentlog_error(p->h));
	if (p->json)
		publish_print_json(1, corr, strlen(corr), publish_event_id(p, rc, eid),
				   rc == 0 ? "daemon" : "inbox", NULL);
	else if (p->wait && rc == 0)
		printf("%s\n", eid);
	return CTL_OK;
}

void ctl_publish_close(struct ctl_publish *p)
{
	agentlog_close(p->h);
	p->h = NULL;
}
