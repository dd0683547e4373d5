/*
 * db.h: the PostgreSQL side: one connection, opened on demand, and the
 * storing of a batch in one transaction.
 *
 * A batch goes in with one COPY per table inside a transaction (the fast
 * path: BEGIN, the COPYs and the COMMIT sent as one query string, the COPY
 * text written beforehand by the parsing side, batch.h).  When that fails
 * on the data (a CHECK, a duplicate event_id, an unreadable value:
 * SQLSTATE classes 22 and 23) the transaction is rolled back and the
 * batch is stored row by row under savepoints with INSERT ...
 * ON CONFLICT (event_id) DO NOTHING: duplicates are skipped, and each row
 * the database refuses becomes a dead letter while its batch-mates are
 * stored.  Any other failure (connection lost, server shutting down,
 * deadlock, out of resources) is transient: nothing is dead-lettered and
 * the caller retries the whole batch later.  Only COPY and parameterised
 * statements are used; no event content is ever part of SQL text.
 */
#ifndef PGW_DB_H
#define PGW_DB_H

#include <libpq-fe.h>

#include "batch.h"
#include "config.h"

struct db;

enum db_result {
	DB_OK = 0,
	DB_TRANSIENT = -1,    /* retry later; db_error() says why */
};

struct db *db_new(const struct config *cfg);
void db_free(struct db *db);

/* Connect unless connected.  DB_OK or DB_TRANSIENT. */
enum db_result db_connect(struct db *db);
/* A round trip (SELECT 1), reconnecting when needed. */
enum db_result db_ping(struct db *db);
/*
 * Store the batch's rows and commit.  On DB_OK, b->inserted counts the
 * rows written and the rows the database refused are dead letters
 * (batch_kill()); on DB_TRANSIENT nothing was stored.
 */
enum db_result db_write(struct db *db, struct batch *b);
/*
 * Ask the server to cancel the statement running on the connection (from
 * any thread, e.g. while another one is in db_write(), which then fails
 * with SQLSTATE 57014: DB_TRANSIENT, rolled back).  0, or -1 (logged).
 */
int db_cancel(struct db *db);
/* The last failure, one line. */
const char *db_error(const struct db *db);
/* The open connection (for migrations), or NULL. */
PGconn *db_conn(struct db *db);

#endif
