/*
 * render.h: events made readable for people: trace's timeline table.
 *
 * Field contents are hostile until shown otherwise: control characters
 * (C0, DEL, C1), bidirectional overrides and invalid UTF-8 never reach the
 * terminal (they print as a visible escape), and long strings are cut, so
 * one event can neither break the table nor drive the terminal.
 */
#ifndef AGENTLOG_CTL_RENDER_H
#define AGENTLOG_CTL_RENDER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cJSON;

/*
 * Write s[0..len) neutralised, at most max display characters (then
 * "..."): "\n", "\t", "\e" and \xNN stand for what they are.
 */
void render_text(FILE *out, const char *s, size_t len, size_t max);

/* The header: correlation id, the source and where, count and span. */
void render_header(FILE *out, const char *corr, const char *source,
		   const char *where, size_t n, int64_t span_ms);

/*
 * One event of a trace: time relative to the first event, its type, the
 * agent, what happened, durations; errors (a failed transformation, an
 * error action) marked, in red when color.
 */
void render_event(FILE *out, const struct cJSON *ev, int64_t rel_ms,
		  int color);

#endif
