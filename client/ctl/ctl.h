/*
 * ctl.h: agentlogctl's internals.
 *
 * The command line is table driven, like tmux's cmd_entry: each
 * subcommand is a struct ctl_cmd (name, alias, usage, help, handler) in
 * main.c's table; each family lives in its own file.
 *
 * Exit codes (the same for every subcommand):
 *   0  done: sent, or stored in the inbox with a warning on stderr
 *   1  failed: stored nowhere, rejected by the daemon (--wait), daemon
 *      unreachable for status/ping, an unreadable journal
 *   2  usage error or invalid event (nothing sent)
 */
#ifndef AGENTLOG_CTL_H
#define AGENTLOG_CTL_H

#include <getopt.h>
#include <stdio.h>

#include "agentlog.h"
#include "proto.h"

#define CTL_OK 0
#define CTL_FAIL 1
#define CTL_USAGE 2

struct ctl_cmd;
struct ctl_skill;
typedef int (*ctl_handler)(const struct ctl_cmd *cmd, int argc, char **argv);

struct ctl_cmd {
	const char *name;
	const char *alias;      /* the seed skill's name, or NULL */
	const char *usage;      /* "send [options] [EVENT|-]" */
	const char *help;       /* the rest of --help: options, an example */
	ctl_handler handler;
	const void *data;       /* the family's own table */
};

/* Print the command's usage (and help when full) to out. */
void ctl_usage(const struct ctl_cmd *cmd, FILE *out, int full);
/* A usage error: a message and the usage line on stderr; returns 2. */
int ctl_usage_error(const struct ctl_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "agentlogctl: " + message on stderr. */
void ctl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Options shared by every command that publishes (publish.c). */
struct ctl_publish {
	const char *socket;          /* --socket */
	const char *journal_dir;     /* --journal-dir */
	const char *corr_id;         /* --correlation-id / environment */
	char corr_buf[PROTO_UUID_LEN + 1];
	int corr_generated;          /* 1: corr_buf is new, print it */
	int corr_printed;
	int json;                    /* --json */
	int wait;                    /* --wait */
	int timeout_ms;              /* --timeout */
	const char *type;            /* --type (send) */
	int default_type;            /* its enum proto_type, or -1 */
	const struct ctl_skill *skill; /* to name flags in messages, or NULL */
	agentlog_t *h;
	int worst;                   /* worst exit code so far */
};

/* The long options of struct ctl_publish, to append to a command's own. */
#define CTL_PUBLISH_OPTS \
	{ "socket", required_argument, NULL, 'S' }, \
	{ "journal-dir", required_argument, NULL, 'J' }, \
	{ "correlation-id", required_argument, NULL, 'c' }, \
	{ "json", no_argument, NULL, 'j' }, \
	{ "wait", no_argument, NULL, 'w' }, \
	{ "timeout", required_argument, NULL, 'T' }, \
	{ "help", no_argument, NULL, 'h' }
#define CTL_PUBLISH_HELP \
	"  --correlation-id ID  workflow id (else $AGENTLOG_CORRELATION_ID, else\n" \
	"                       $CORRELATION_ID, else a new UUID printed on stdout)\n" \
	"  --json               print {\"success\": ..., \"correlation_id\": ..., ...}\n" \
	"  --wait               wait for the daemon's acknowledgement; print the\n" \
	"                       event id (exit 1 when the daemon rejects the event)\n" \
	"  --timeout MS         never block longer than this (default 1000)\n" \
	"  --socket PATH        daemon socket (else $AGENTLOG_SOCKET, else default)\n" \
	"  --journal-dir DIR    for the inbox fallback (else $AGENTLOG_JOURNAL_DIR)\n" \
	"Exit status: 0 sent, or stored in the inbox when the daemon is down (with a\n" \
	"warning on stderr); 1 stored nowhere, or rejected with --wait; 2 usage error\n" \
	"or invalid event (nothing sent).\n"

/*
 * Take one of the CTL_PUBLISH_OPTS (getopt's c and optarg).  Returns 1
 * when c was one of them, 0 when not, -1 on a bad value (a message was
 * printed).
 */
int ctl_publish_opt(struct ctl_publish *p, int c, const char *arg);
/* Resolve the correlation id (flag, environment, else a new one). */
void ctl_publish_corr(struct ctl_publish *p);
/* Open the library handle.  Returns 0 or an exit code. */
int ctl_publish_open(struct ctl_publish *p);
/*
 * Publish one event line and report the outcome (stdout: generated
 * correlation id, event id with --wait, or the JSON result; stderr:
 * warnings and errors).  Returns the exit code for this event (also folded into
 * p->worst).
 */
int ctl_publish_line(struct ctl_publish *p, const char *line, size_t len);
/* Report a failure that happened before sending (invalid flags, ...). */
int ctl_publish_fail(struct ctl_publish *p, int code, const char *corr,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void ctl_publish_close(struct ctl_publish *p);

/* Options of the control-request commands (status, ping: ping.c). */
struct ctl_request_opts {
	const char *socket;
	int json;
	int timeout_ms;
	char socket_used[256];  /* set by ctl_request: the path it resolved */
};
/* Parse --socket, --json, --timeout, --help: -1 to go on, else an exit code. */
int ctl_request_parse(const struct ctl_cmd *cmd, struct ctl_request_opts *o,
		      int argc, char **argv);
/* Send a control request; the reply goes into a malloc'd *reply (freed by
 * the caller).  Returns its length, or <0 (reported on stderr, naming the
 * socket).  o->socket_used gets the socket path resolved. */
int ctl_request(struct ctl_request_opts *o, const char *request,
		char **reply);

/*
 * Where a companion file is: $AGENTLOG_MODULE_DIR/name, else next to the
 * executable (the build tree), else <exe>/../<libdir>/agentlog/name (an
 * installed tree).  Returns 0 with the path in out (outlen >= PATH_MAX +
 * 64), or -1 (module.c).
 */
int ctl_module_path(const char *name, char *out, size_t outlen);
/* dlopen a companion module found that way; NULL with a message
 * (source_kafka.c: agentlogctl-view only). */
void *ctl_module_open(const char *name, char *err, size_t errlen);
/* Replace this process with a companion executable found the same way,
 * with argv (argv[0] the command).  Returns only on failure (exit code). */
int ctl_module_exec(const char *name, int argc, char **argv);

/* Handlers, one family per file. */
int ctl_cmd_send(const struct ctl_cmd *cmd, int argc, char **argv);
int ctl_cmd_skill(const struct ctl_cmd *cmd, int argc, char **argv);
int ctl_cmd_status(const struct ctl_cmd *cmd, int argc, char **argv);
int ctl_cmd_ping(const struct ctl_cmd *cmd, int argc, char **argv);
int ctl_cmd_journal(const struct ctl_cmd *cmd, int argc, char **argv);
int ctl_cmd_trace(const struct ctl_cmd *cmd, int argc, char **argv);
int ctl_cmd_replay(const struct ctl_cmd *cmd, int argc, char **argv);
/* A command run by agentlogctl-view (view.c). */
int ctl_cmd_view(const struct ctl_cmd *cmd, int argc, char **argv);

/* A skill's flags, the common ones and its example (skill.c). */
void ctl_skill_usage(const struct ctl_skill *s, FILE *out);
/* The four skills' tables (skill.c). */
extern const struct ctl_skill ctl_skill_agent_action;
extern const struct ctl_skill ctl_skill_routing_decision;
extern const struct ctl_skill ctl_skill_transformation;
extern const struct ctl_skill ctl_skill_performance_metrics;

#endif
