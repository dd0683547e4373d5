/*
 * skill.h: the four seed skills as tables of flags, and the builder that
 * turns parsed flags into one event line, validated by proto.
 *
 * Which fields are required, and their ranges, is proto's business: the
 * builder only checks that a flag's value has the right JSON kind, and the
 * caller validates the finished event with proto_event_parse().
 */
#ifndef AGENTLOG_CTL_SKILL_H
#define AGENTLOG_CTL_SKILL_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

enum ctl_kind {
	CTL_STR,        /* a JSON string */
	CTL_INT,        /* an integer (base 10) */
	CTL_NUM,        /* any finite number */
	CTL_BOOL,       /* true|false (also 1|0, yes|no) */
	CTL_OBJ,        /* a JSON object given as text */
	CTL_ARR,        /* a JSON array given as text */
};

struct ctl_field {
	const char *flag;       /* the seed's long option, without "--" */
	const char *field;      /* the event member; its dashed name is an alias */
	enum ctl_kind kind;
	const char *help;
};

struct ctl_skill {
	const char *type;                /* "agent_action", ... */
	const struct ctl_field *fields;
	size_t nfields;
	const char *example;             /* for --help */
	/* A member set when its flag is not given: field, JSON text. */
	const char *default_field;
	const char *default_json;
};

struct ctl_build {
	const struct ctl_skill *skill;
	char *val[16];                   /* each field's JSON text, or NULL */
	char err[PROTO_ERR_MAX + 64];
};

/* Start an event of skill s.  Returns 0 or -1 (too many fields). */
int ctl_build_start(struct ctl_build *b, const struct ctl_skill *s);
/*
 * Set field i from its flag's text.  Returns 0, or -1 with a message
 * naming the flag in b->err (a usage error).
 */
int ctl_build_set(struct ctl_build *b, size_t i, const char *arg);
/*
 * Finish: type, correlation_id, the fields given (in the table's order),
 * the default and the timestamp (now_ms, ISO 8601); return the event as
 * one line (malloc'd, NUL-terminated), or NULL (out of memory).  Frees
 * the build.
 */
char *ctl_build_finish(struct ctl_build *b, const char *corr, int64_t now_ms);
/* Free a build abandoned before finish. */
void ctl_build_abort(struct ctl_build *b);
/*
 * The flag of the field a validator message ("field: reason") is about,
 * or NULL.
 */
const char *ctl_build_flag_of(const struct ctl_skill *s, const char *msg);

#endif
