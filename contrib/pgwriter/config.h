/*
 * config.h: agentlog-pgwriter's settings, from flags and the environment.
 *
 * Precedence: a flag, then the seed design's variable (KAFKA_BROKERS,
 * POSTGRES_HOST, ...), then for the database libpq's own PG* variables
 * (read by libpq itself), then the seed's defaults.  A conninfo string or
 * URI (--dsn, or POSTGRES_DSN) replaces the POSTGRES_* settings.
 */
#ifndef PGW_CONFIG_H
#define PGW_CONFIG_H

#include <stdio.h>

#include "row.h"

#define CONFIG_MAX_KPROPS 32

struct config {
	const char *brokers;            /* KAFKA_BROKERS */
	const char *group;              /* consumer group id */
	const char *topics[ROW_TYPE_COUNT];
	const char *dlq_topic;
	const char *kprops[CONFIG_MAX_KPROPS];  /* "name=value" for librdkafka */
	int nkprops;

	const char *dsn;                /* conninfo or URI, or NULL */
	const char *pg_host;            /* NULL: leave to PGHOST / libpq */
	const char *pg_port;
	const char *pg_database;
	const char *pg_user;
	const char *pg_password;

	int batch_size;                 /* events per transaction, at most */
	int batch_ms;                   /* flush a batch this old */
	int retry_max_ms;               /* backoff ceiling for transient errors */
	const char *http_listen;        /* "127.0.0.1:8080"; NULL: no HTTP */

	int migrate_only;               /* --migrate: apply and exit */
	int no_migrate;                 /* --no-migrate */
};

enum config_result {
	CONFIG_OK = 0,
	CONFIG_EXIT = 1,        /* --help or --version done: exit 0 */
	CONFIG_USAGE = -1,      /* misuse, reported on stderr: exit 2 */
};

/* Fill c from argv and the environment. */
enum config_result config_parse(struct config *c, int argc, char **argv);
void config_usage(FILE *f);

#endif
