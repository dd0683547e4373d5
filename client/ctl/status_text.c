/*
 * status_text.c: the daemon's .status, as a few lines an operator reads
 * at a glance (like systemctl status): who answered, events in, the
 * journal, Kafka, then problems, a line each, only when there are any.
 *
 * Every line starts with a fixed label (events, journal, kafka, problems)
 * so it stays easy to grep; continuation lines are indented under it.
 * What is normal is compact or left out; what is wrong is always shown.
 * The reply is read leniently: a member missing (an older daemon) or of
 * another type leaves its part out, a member we do not know is ignored.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "status.h"

#define TEXT_RED "\033[1;31m"
#define TEXT_OFF "\033[0m"
/* Journal use from which it is reported as a problem, in percent. */
#define TEXT_FULL_PCT 90.0

/* Where the text goes, and the colour escapes ("" without colour). */
struct text_ctx {
	FILE *out;
	const char *red;
	const char *off;
	int problems;           /* problem lines printed so far */
};

/* One output line being built; parts is how many ", "-joined parts. */
struct text_line {
	char s[2048];
	size_t len;
	int parts;
};

/* A formatted figure, returned by value (valid to the end of the
 * statement that called the formatter). */
struct text_fig {
	char s[48];
};

/* Append to l (silently cut at its size: a line is for reading). */
__attribute__((format(printf, 2, 0)))
static void text_vadd(struct text_line *l, const char *fmt, va_list ap)
{
	int n;

	if (l->len + 1 >= sizeof(l->s))
		return;
	n = vsnprintf(l->s + l->len, sizeof(l->s) - l->len, fmt, ap);
	if (n > 0)
		l->len += (size_t)n < sizeof(l->s) - l->len ? (size_t)n :
			  sizeof(l->s) - l->len - 1;
}

__attribute__((format(printf, 2, 3)))
static void text_add(struct text_line *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	text_vadd(l, fmt, ap);
	va_end(ap);
}

/* Append the next part: ", " after a part, " " after other text. */
__attribute__((format(printf, 2, 3)))
static void text_part(struct text_line *l, const char *fmt, ...)
{
	va_list ap;

	if (l->parts++ > 0)
		text_add(l, ", ");
	else if (l->len > 0)
		text_add(l, " ");
	va_start(ap, fmt);
	text_vadd(l, fmt, ap);
	va_end(ap);
}

/* Append a string from the reply, control characters shown as '?' (a
 * broker's error text must not move the terminal's cursor). */
static void text_str_add(struct text_line *l, const char *s)
{
	for (; *s && l->len + 1 < sizeof(l->s); s++)
		l->s[l->len++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	l->s[l->len] = '\0';
}

/* Print l under label (NULL: no label column; "": a continuation). */
static void text_emit(struct text_ctx *c, const char *label,
		      const struct text_line *l)
{
	if (label == NULL)
		fprintf(c->out, "%s\n", l->s);
	else
		fprintf(c->out, "%-8s  %s\n", label, l->s);
}

/* The member k of o, or NULL (o NULL or not an object included). */
static const cJSON *text_get(const cJSON *o, const char *k)
{
	return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL;
}

/* A number member, or -1 when missing or not a number. */
static double text_num(const cJSON *o, const char *k)
{
	const cJSON *v = text_get(o, k);

	return cJSON_IsNumber(v) && v->valuedouble >= 0 ? v->valuedouble : -1;
}

static int text_true(const cJSON *o, const char *k)
{
	return cJSON_IsTrue(text_get(o, k));
}

/* A string member, or NULL when missing, not a string or empty. */
static const char *text_str(const cJSON *o, const char *k)
{
	const cJSON *v = text_get(o, k);

	return cJSON_IsString(v) && v->valuestring && *v->valuestring ?
	       v->valuestring : NULL;
}

/* 1234567 as "1,234,567". */
static struct text_fig text_count(double n)
{
	struct text_fig f;
	char digits[32];
	size_t len, i, o = 0;

	snprintf(digits, sizeof(digits), "%.0f", n < 0 ? 0 : n);
	len = strlen(digits);
	for (i = 0; i < len && o + 2 < sizeof(f.s); i++) {
		if (i > 0 && (len - i) % 3 == 0)
			f.s[o++] = ',';
		f.s[o++] = digits[i];
	}
	f.s[o] = '\0';
	return f;
}

/* A count in three figures at most: 999, 1.2k, 20k, 3.4M, 5G. */
static struct text_fig text_short(double n)
{
	static const char units[] = "kMGT";
	struct text_fig f;
	int u = -1;

	while (n >= 999.5 && u < 3) {
		n /= 1000;
		u++;
	}
	if (u < 0)
		snprintf(f.s, sizeof(f.s), "%.0f", n);
	else
		snprintf(f.s, sizeof(f.s), n < 9.95 ? "%.1f%c" : "%.0f%c", n,
			 units[u]);
	return f;
}

/* Bytes in binary units: 512 B, 12.4 MiB, 1 GiB. */
static struct text_fig text_bytes(double n)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	struct text_fig f;
	int u = 0;

	while (n >= 1024 && u < 4) {
		n /= 1024;
		u++;
	}
	if (u == 0 || n == (double)(int64_t)n || n >= 100)
		snprintf(f.s, sizeof(f.s), "%.0f %s", n, units[u]);
	else
		snprintf(f.s, sizeof(f.s), "%.1f %s", n, units[u]);
	return f;
}

/* Seconds as "41 s", "3m 05s", "2h 03m", "4d 07h". */
static struct text_fig text_dur(double s)
{
	struct text_fig f;
	int64_t t = (int64_t)(s + 0.5);

	if (t < 60)
		snprintf(f.s, sizeof(f.s), "%d s", (int)t);
	else if (t < 3600)
		snprintf(f.s, sizeof(f.s), "%dm %02ds", (int)(t / 60),
			 (int)(t % 60));
	else if (t < 86400)
		snprintf(f.s, sizeof(f.s), "%dh %02dm", (int)(t / 3600),
			 (int)(t % 3600 / 60));
	else
		snprintf(f.s, sizeof(f.s), "%lldd %02dh", (long long)(t / 86400),
			 (int)(t % 86400 / 3600));
	return f;
}

/* Per second: "812/s", "4.9/s" (one decimal below 10 when not whole). */
static struct text_fig text_rate(double r)
{
	struct text_fig f;

	if (r > 0 && r < 9.95 && r != (double)(int64_t)r)
		snprintf(f.s, sizeof(f.s), "%.1f/s", r);
	else
		snprintf(f.s, sizeof(f.s), "%.40s/s", text_count(r).s);
	return f;
}

/* "1 event", "2 events". */
static const char *text_s(double n)
{
	return n == 1 ? "" : "s";
}

/* agentlogd 0.1.0, pid 15311, up 2h 03m, protocol 1, socket PATH */
static void text_header(struct text_ctx *c, const cJSON *st,
			const char *socket)
{
	struct text_line l = { .len = 0 };
	const char *name = text_str(st, "daemon"), *ver = text_str(st, "version");
	double v;

	text_str_add(&l, name ? name : "agentlogd");
	if (ver) {
		text_add(&l, " ");
		text_str_add(&l, ver);
	}
	l.parts = 1;
	if ((v = text_num(st, "pid")) >= 0)
		text_part(&l, "pid %.0f", v);
	if ((v = text_num(st, "uptime_seconds")) >= 0)
		text_part(&l, "up %s", text_dur(v).s);
	if ((v = text_num(st, "protocol")) >= 0)
		text_part(&l, "protocol %.0f", v);
	if (socket) {
		text_part(&l, "socket ");
		text_str_add(&l, socket);
	}
	text_emit(c, NULL, &l);
}

/* The non-zero members of a {name: count} object, as "name 1.2k, ...". */
static void text_by(struct text_line *l, const cJSON *by, int exact)
{
	const cJSON *it;

	if (!cJSON_IsObject(by))
		return;
	cJSON_ArrayForEach(it, by) {
		if (!cJSON_IsNumber(it) || it->valuedouble <= 0 || !it->string)
			continue;
		text_part(l, "%s", "");
		text_str_add(l, it->string);
		text_add(l, " %s", exact ? text_count(it->valuedouble).s :
			 text_short(it->valuedouble).s);
	}
}

/* events    1,234,567 accepted (812/s), 3 rejected (0/s); by type: ... */
static void text_events(struct text_ctx *c, const cJSON *st)
{
	const cJSON *e = text_get(st, "events");
	struct text_line l = { .len = 0 }, by = { .len = 0 };
	double acc = text_num(e, "accepted"), rej = text_num(e, "rejected");
	double v;

	if (!cJSON_IsObject(e))
		return;
	if (acc >= 0) {
		text_part(&l, "%s accepted", text_count(acc).s);
		if ((v = text_num(e, "accepted_per_second")) >= 0)
			text_add(&l, " (%s)", text_rate(v).s);
	}
	if (rej > 0) {
		text_part(&l, "%s%s rejected%s", c->red, text_count(rej).s,
			  c->off);
		if ((v = text_num(e, "rejected_per_second")) >= 0)
			text_add(&l, " (%s)", text_rate(v).s);
	} else if (rej == 0) {
		text_part(&l, "0 rejected");
	}
	text_by(&by, text_get(e, "accepted_by_type"), 0);
	if (by.len > 0)
		text_add(&l, "; by type: %s", by.s);
	if (l.len > 0)
		text_emit(c, "events", &l);
}

/* Whether the daemon forwards to Kafka (a reply without "kafka": yes, so
 * the backlog is shown rather than hidden). */
static int text_kafka_on(const cJSON *st)
{
	const cJSON *k = text_get(st, "kafka");

	return !cJSON_IsObject(k) || !cJSON_IsFalse(text_get(k, "enabled"));
}

/* journal   DIR: 3 segments, 12.4 MiB of 1 GiB; backlog 0 events */
static void text_journal(struct text_ctx *c, const cJSON *st)
{
	const cJSON *j = text_get(st, "journal");
	struct text_line l = { .len = 0 };
	const char *dir = text_str(j, "dir");
	double segs = text_num(j, "segments"), bytes = text_num(j, "bytes");
	double max = text_num(j, "max_bytes"), backlog = text_num(j, "backlog_events");
	double oldest;

	if (!cJSON_IsObject(j))
		return;
	if (dir) {
		text_str_add(&l, dir);
		text_add(&l, ":");
	}
	if (segs >= 0)
		text_part(&l, "%.0f segment%s", segs, text_s(segs));
	if (bytes >= 0) {
		text_part(&l, "%s", text_bytes(bytes).s);
		if (max > 0)
			text_add(&l, " of %s", text_bytes(max).s);
	}
	if (text_true(j, "write_failing"))
		text_part(&l, "%sWRITES FAILING%s", c->red, c->off);
	if (backlog >= 0 && text_kafka_on(st)) {
		text_add(&l, "; backlog %s event%s", text_count(backlog).s,
			 text_s(backlog));
		if (backlog > 0 && (oldest = text_num(j, "oldest_age_seconds")) > 0)
			text_add(&l, ", oldest %s", text_dur(oldest).s);
	}
	if (l.len > 0)
		text_emit(c, "journal", &l);
}

/*
 * The continuation line of a Kafka backlog: its size, its age, the time
 * to drain it.  While Kafka is down nothing drains, whatever the daemon's
 * recent rate (a decaying average) would predict.
 */
static void text_kafka_backlog(struct text_ctx *c, const cJSON *st,
			       const cJSON *k)
{
	const cJSON *j = text_get(st, "journal");
	double backlog = text_num(j, "backlog_events");
	double oldest = text_num(j, "oldest_age_seconds");
	const cJSON *eta = text_get(k, "eta_seconds");
	struct text_line l = { .len = 0 };

	if (backlog > 0) {
		text_part(&l, "backlog %s event%s", text_count(backlog).s,
			  text_s(backlog));
		if (oldest > 0)
			text_part(&l, "oldest %s", text_dur(oldest).s);
		if (!text_true(k, "up"))
			text_part(&l, "not draining while Kafka is down");
		else if (cJSON_IsNumber(eta) && eta->valuedouble >= 0.5)
			text_part(&l, "time to drain ~%s",
				  text_dur(eta->valuedouble).s);
		else if (cJSON_IsNumber(eta) && eta->valuedouble >= 0)
			text_part(&l, "time to drain <1 s");
		else if (cJSON_IsNumber(eta))
			text_part(&l, "time to drain unknown (not draining)");
	}
	if (text_true(k, "reading_journal"))
		text_part(&l, "reading back from the journal");
	if (l.len > 0)
		text_emit(c, "", &l);
}

/* kafka     up (BROKERS): 1,234,560 delivered, 7 in flight, draining 810/s
 *           [last error, backlog lines when there is something to say] */
static void text_kafka(struct text_ctx *c, const cJSON *st)
{
	const cJSON *k = text_get(st, "kafka");
	struct text_line l = { .len = 0 };
	const char *brokers = text_str(k, "brokers"), *err;
	double v, failed = text_num(k, "failed");
	int up = text_true(k, "up");

	if (!cJSON_IsObject(k))
		return;
	if (!text_kafka_on(st)) {
		text_add(&l, "off (journal only)");
		text_emit(c, "kafka", &l);
		return;
	}
	if (up)
		text_add(&l, "up");
	else
		text_add(&l, "%sDOWN%s", c->red, c->off);
	if (brokers) {
		text_add(&l, " (");
		text_str_add(&l, brokers);
		text_add(&l, ")");
	}
	text_add(&l, ":");
	if ((v = text_num(k, "delivered")) >= 0)
		text_part(&l, "%s delivered", text_count(v).s);
	if ((v = text_num(k, "in_flight")) >= 0)
		text_part(&l, "%s in flight", text_count(v).s);
	if (failed > 0)
		text_part(&l, "%s%s failed%s", c->red, text_count(failed).s, c->off);
	if (up && (v = text_num(k, "drain_rate")) > 0)
		text_part(&l, "draining %s", text_rate(v).s);
	text_emit(c, "kafka", &l);
	if ((!up || failed > 0) && (err = text_str(k, "last_error"))) {
		struct text_line e = { .len = 0 };

		text_add(&e, "last error: ");
		text_str_add(&e, err);
		text_emit(c, "", &e);
	}
	text_kafka_backlog(c, st, k);
}

/* One problem line: the first under "problems", the others below it. */
__attribute__((format(printf, 2, 3)))
static void text_problem(struct text_ctx *c, const char *fmt, ...)
{
	struct text_line l = { .len = 0 };
	va_list ap;

	va_start(ap, fmt);
	text_vadd(&l, fmt, ap);
	va_end(ap);
	if (c->problems++ == 0)
		fprintf(c->out, "%sproblems%s  %s\n", c->red, c->off, l.s);
	else
		text_emit(c, "", &l);
}

/* The journal's problems: failing writes, a full journal, losses. */
static void text_journal_problems(struct text_ctx *c, const cJSON *st)
{
	const cJSON *j = text_get(st, "journal");
	double v, max = text_num(j, "max_bytes"), bytes = text_num(j, "bytes");
	double full = text_num(j, "rejected_full"), oldest = text_num(j, "dropped_oldest");

	if (text_true(j, "write_failing"))
		text_problem(c, "journal writes failing (see agentlogd's log)");
	if ((v = text_num(j, "write_errors")) > 0)
		text_problem(c, "%s journal write error%s", text_count(v).s,
			     text_s(v));
	if ((v = text_num(j, "fsync_errors")) > 0)
		text_problem(c, "%s journal fsync error%s", text_count(v).s,
			     text_s(v));
	if (max > 0 && bytes >= max * TEXT_FULL_PCT / 100)
		text_problem(c, "journal %.0f%% full (%s of %s)", bytes * 100 / max,
			     text_bytes(bytes).s, text_bytes(max).s);
	if (full > 0)
		text_problem(c, "%s event%s refused: journal full",
			     text_count(full).s, text_s(full));
	if (oldest > 0)
		text_problem(c, "%s event%s dropped (oldest first): journal full",
			     text_count(oldest).s, text_s(oldest));
	if (full < 0 && oldest < 0 && (v = text_num(st, "dropped")) > 0)
		text_problem(c, "%s event%s dropped", text_count(v).s, text_s(v));
	if ((v = text_num(j, "quarantined")) > 0)
		text_problem(c, "%s corrupt journal record%s quarantined",
			     text_count(v).s, text_s(v));
}

/* Rejected events, by reason (else by type) when the reply has them. */
static void text_reject_problems(struct text_ctx *c, const cJSON *st)
{
	const cJSON *e = text_get(st, "events");
	struct text_line by = { .len = 0 };
	double rej = text_num(e, "rejected");

	if (rej <= 0)
		return;
	text_by(&by, text_get(e, "rejected_by_reason"), 1);
	if (by.len > 0) {
		text_problem(c, "%s event%s rejected, by reason: %s",
			     text_count(rej).s, text_s(rej), by.s);
		return;
	}
	text_by(&by, text_get(e, "rejected_by_type"), 1);
	if (by.len > 0)
		text_problem(c, "%s event%s rejected, by type: %s",
			     text_count(rej).s, text_s(rej), by.s);
	else
		text_problem(c, "%s event%s rejected", text_count(rej).s,
			     text_s(rej));
}

/* problems  one line per thing that is wrong, nothing when all is well. */
static void text_problems(struct text_ctx *c, const cJSON *st)
{
	const cJSON *k = text_get(st, "kafka");
	double v, backlog = text_num(text_get(st, "journal"), "backlog_events");

	text_journal_problems(c, st);
	if (cJSON_IsObject(k) && text_kafka_on(st) && !text_true(k, "up"))
		text_problem(c, "kafka down: %s event%s waiting in the journal",
			     text_count(backlog).s, text_s(backlog));
	if ((v = text_num(k, "failed")) > 0)
		text_problem(c, "%s Kafka deliver%s failed (sent again from the "
			     "journal)", text_count(v).s, v == 1 ? "y" : "ies");
	text_reject_problems(c, st);
	if ((v = text_num(text_get(st, "connections"), "refused")) > 0)
		text_problem(c, "%s connection%s refused (over --max-connections)",
			     text_count(v).s, text_s(v));
	if ((v = text_num(text_get(st, "events"), "backpressure_waits")) > 0)
		text_problem(c, "%s backpressure wait%s (clients waited for the "
			     "journal)", text_count(v).s, text_s(v));
}

void status_text_print(FILE *out, const cJSON *st, const char *socket,
		       int color)
{
	struct text_ctx c = { out, color ? TEXT_RED : "", color ? TEXT_OFF : "", 0 };

	text_header(&c, st, socket);
	text_events(&c, st);
	text_journal(&c, st);
	text_kafka(&c, st);
	text_problems(&c, st);
}
