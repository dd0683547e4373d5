/*
 * migrate.c: apply the compiled-in migrations not yet recorded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "migrate.h"

/* pg_advisory_xact_lock key: "agentlog" read as a big-endian int64. */
#define MIGRATE_LOCK "7018690069354278759"

/* Run sql expecting want; 0, or -1 with the server's message in err. */
static int migrate_exec(PGconn *conn, const char *what, const char *sql,
			ExecStatusType want, char *err, size_t errlen)
{
	PGresult *r = PQexec(conn, sql);
	int rc = 0;

	if (!r || PQresultStatus(r) != want) {
		const char *msg = r ? PQresultErrorMessage(r) : "";
		snprintf(err, errlen, "%s: %s", what,
			 *msg ? msg : PQerrorMessage(conn));
		err[strcspn(err, "\n")] = '\0';
		rc = -1;
	}
	PQclear(r);
	return rc;
}

/* Is version recorded?  -1 on error. */
static int migrate_done(PGconn *conn, int version, char *err, size_t errlen)
{
	char v[16];
	const char *vals[1] = { v };
	PGresult *r;
	int n;

	snprintf(v, sizeof(v), "%d", version);
	r = PQexecParams(conn, "SELECT 1 FROM schema_migrations WHERE "
			 "version = $1", 1, NULL, vals, NULL, NULL, 0);
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "schema_migrations: %s",
			 PQerrorMessage(conn));
		err[strcspn(err, "\n")] = '\0';
		PQclear(r);
		return -1;
	}
	n = PQntuples(r);
	PQclear(r);
	return n > 0;
}

/* Apply migration m and record it. */
static int migrate_one(PGconn *conn, const struct migration *m, char *err,
		       size_t errlen)
{
	char v[16], what[128];
	const char *vals[2] = { v, m->name };
	PGresult *r;
	int rc = 0;

	snprintf(what, sizeof(what), "migration %04d_%s", m->version, m->name);
	if (migrate_exec(conn, what, m->sql, PGRES_COMMAND_OK, err, errlen) < 0)
		return -1;
	snprintf(v, sizeof(v), "%d", m->version);
	r = PQexecParams(conn, "INSERT INTO schema_migrations (version, name) "
			 "VALUES ($1, $2)", 2, NULL, vals, NULL, NULL, 0);
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
		snprintf(err, errlen, "%s: recording: %s", what,
			 PQerrorMessage(conn));
		err[strcspn(err, "\n")] = '\0';
		rc = -1;
	}
	PQclear(r);
	if (rc == 0)
		log_info("database: applied %s", what);
	return rc;
}

int migrate_apply(PGconn *conn, char *err, size_t errlen)
{
	int applied = 0, done;

	if (migrate_exec(conn, "BEGIN", "BEGIN", PGRES_COMMAND_OK, err,
			 errlen) < 0)
		return -1;
	if (migrate_exec(conn, "lock", "SELECT pg_advisory_xact_lock("
			 MIGRATE_LOCK ")", PGRES_TUPLES_OK, err, errlen) < 0 ||
	    migrate_exec(conn, "schema_migrations",
			 "CREATE TABLE IF NOT EXISTS schema_migrations ("
			 "version integer PRIMARY KEY, "
			 "name text NOT NULL, "
			 "applied_at timestamptz NOT NULL DEFAULT now())",
			 PGRES_COMMAND_OK, err, errlen) < 0)
		goto fail;
	for (int i = 0; i < migrate_count; i++) {
		done = migrate_done(conn, migrate_list[i].version, err, errlen);
		if (done < 0)
			goto fail;
		if (done)
			continue;
		if (migrate_one(conn, &migrate_list[i], err, errlen) < 0)
			goto fail;
		applied++;
	}
	if (migrate_exec(conn, "COMMIT", "COMMIT", PGRES_COMMAND_OK, err,
			 errlen) < 0)
		return -1;
	return applied;
fail:
	PQclear(PQexec(conn, "ROLLBACK"));
	return -1;
}
