/*
 * config.h: agentlogd's configuration, from flags and the environment
 * (flags win).  The seed's variables work: KAFKA_BROKERS, and
 * KAFKA_ENABLE_LOGGING=false for journal-only mode.
 */
#ifndef AGENTLOGD_CONFIG_H
#define AGENTLOGD_CONFIG_H

#include <stdint.h>
#include <sys/types.h>

#include "journal.h"
#include "proto.h"

#define CONFIG_MAX_PROPS 64

struct config {
	char socket_path[108];
	char dgram_path[108];        /* "" when disabled */
	unsigned socket_mode;        /* 0660 */
	const char *socket_group;    /* NULL: the daemon's own group */
	gid_t socket_gid;
	char journal_dir[4096];
	struct journal_opts journal; /* .dir points at journal_dir */
	uint32_t max_line;           /* bytes, default 1 MiB */
	uint32_t max_connections;    /* 4096 */
	uint32_t idle_timeout_ms;    /* a half-written line older than this closes */
	int kafka_enabled;
	const char *brokers;
	const char *topic[PROTO_TYPE_COUNT];
	char *topic_buf[PROTO_TYPE_COUNT];
	const char *props[CONFIG_MAX_PROPS + 1];   /* key=value, NULL-ended */
	int nprops;
	uint64_t kafka_queue_kbytes;
	int linger_ms;
	unsigned kafka_headers;      /* FWD_HDR_* bits; 0: none (the default) */
	uint32_t shutdown_timeout_ms;
	int log_level;
	const char *log_file;
	const char *metrics_listen;  /* host:port or NULL */
	int check_config;
};

/*
 * Fill cfg from the environment and argv.  Returns 0 to run, 1 when the
 * command was fully handled (--help, --version: exit 0), or -1 after
 * printing a usage error to stderr (exit 2).
 */
int config_load(struct config *cfg, int argc, char **argv);

/* Log the effective configuration, one line per concern. */
void config_log(const struct config *cfg);

/* Free what config_load allocated. */
void config_free(struct config *cfg);

#endif
