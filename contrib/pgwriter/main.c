/*
 * agentlog-pgwriter: consume agentlog's four Kafka topics and store each
 * event in its PostgreSQL table, exactly once, in batches.
 *
 * main.c: start-up order and shut-down.  HTTP comes up first, so /health
 * can say what the writer is waiting for; then the database (waited for,
 * migrated), the dead-letter producer, the consumer, and the loop.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "config.h"
#include "db.h"
#include "dlq.h"
#include "http.h"
#include "kafka.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "migrate.h"

static void main_on_signal(int sig)
{
	loop_stop = 1;
}

static void main_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = main_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* Sleep ms unless a signal asks us to stop. */
static void main_sleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (!loop_stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * Connect and apply migrations.  The database may come up after us:
 * retry with backoff (unless once, for --migrate).  0, or -1 when stopped
 * or when a migration fails for a reason other than the connection.
 */
static int main_database(const struct config *cfg, struct db *db,
			 struct metrics *m, int once)
{
	int backoff = 100, n, logged = 0;
	char err[512];

	for (;;) {
		if (db_connect(db) == DB_OK) {
			metrics_set_db(m, 1, NULL);
			if (cfg->no_migrate)
				return 0;
			n = migrate_apply(db_conn(db), err, sizeof(err));
			if (n >= 0) {
				log_info("database: schema up to date (%d "
					 "migrations applied now)", n);
				return 0;
			}
			if (PQstatus(db_conn(db)) == CONNECTION_OK) {
				log_error("database: %s", err);
				return -1;
			}
			db_ping(db);       /* drops the broken connection */
		} else {
			metrics_set_db(m, 0, db_error(db));
		}
		if (once) {
			log_error("database: %s", db_error(db));
			return -1;
		}
		if (!logged++)
			log_warn("database: %s; waiting for it", db_error(db));
		main_sleep(backoff);
		if (loop_stop)
			return -1;
		backoff = backoff * 2 > cfg->retry_max_ms ? cfg->retry_max_ms :
			  backoff * 2;
	}
}

/* Everything after the database: DLQ producer, consumer, the loop. */
static int main_consume(const struct config *cfg, struct db *db,
			struct metrics *m)
{
	struct dlq *dlq;
	struct loop l;
	char err[512];
	int rc = 1;

	dlq = dlq_new(cfg, m, err, sizeof(err));
	if (!dlq) {
		log_error("kafka: dead-letter producer: %s", err);
		return 1;
	}
	loop_init(&l, cfg, m, db, dlq);
	l.k = kafka_new(cfg, m, loop_revoke, &l, err, sizeof(err));
	if (!l.k) {
		log_error("kafka: consumer: %s", err);
		goto out;
	}
	rc = loop_run(&l);
out:
	loop_free(&l);
	dlq_free(dlq);
	return rc;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct metrics *m = NULL;
	struct http *http = NULL;
	struct db *db = NULL;
	int rc = 1;

	arena_install();
	switch (config_parse(&cfg, argc, argv)) {
	case CONFIG_OK: break;
	case CONFIG_EXIT: return 0;
	case CONFIG_USAGE: return 2;
	}
	main_signals();
	m = metrics_new();
	if (!m)
		return 1;
	if (cfg.http_listen && !cfg.migrate_only) {
		http = http_start(cfg.http_listen, m);
		if (!http)
			goto out;
	}
	db = db_new(&cfg);
	if (main_database(&cfg, db, m, cfg.migrate_only) < 0) {
		rc = loop_stop ? 0 : 1;
		goto out;
	}
	if (cfg.migrate_only) {
		rc = 0;
	} else {
		char *final;
		rc = main_consume(&cfg, db, m);
		final = metrics_json(m);
		log_info("stopped: %s", final ? final : "");
		free(final);
	}
out:
	http_stop(http);
	db_free(db);
	metrics_free(m);
	return rc;
}
