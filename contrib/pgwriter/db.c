/*
 * db.c: connect to PostgreSQL and store batches (see db.h for the
 * transaction design and what counts as transient).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"

struct db {
	const struct config *cfg;
	PGconn *conn;
	char err[512];
	char sqlstate[6];
	char *copy_sql[ROW_TYPE_COUNT];
	char *insert_sql[ROW_TYPE_COUNT];
	char *batch_sql;              /* BEGIN, the COPYs, COMMIT: a batch */
	size_t batch_sql_cap;
	struct row_buf copy[ROW_TYPE_COUNT]; /* COPY text, when the batch's
					      * own is stale (batch.h) */
	pthread_mutex_t cancel_lock;  /* cancel: db_cancel() from another
				       * thread vs. (dis)connecting */
	PGcancel *cancel;             /* for conn, while it is open */
};

/* "COPY t (a, b) FROM STDIN" and "INSERT INTO t (a, b) VALUES ($1, $2)
 * ON CONFLICT (event_id) DO NOTHING", from the column table only. */
static void db_build_sql(struct db *db, int t)
{
	const struct row_table *tab = &row_tables[t];
	char cols[1024], params[256];
	size_t c = 0, p = 0;
	int n;

	for (int i = 0; i < tab->ncols; i++) {
		c += (size_t)snprintf(cols + c, sizeof(cols) - c, "%s%s",
				      i ? ", " : "", tab->cols[i].name);
		p += (size_t)snprintf(params + p, sizeof(params) - p, "%s$%d",
				      i ? ", " : "", i + 1);
	}
	n = snprintf(NULL, 0, "COPY %s (%s) FROM STDIN", tab->table, cols);
	db->copy_sql[t] = malloc((size_t)n + 1);
	snprintf(db->copy_sql[t], (size_t)n + 1, "COPY %s (%s) FROM STDIN",
		 tab->table, cols);
	n = snprintf(NULL, 0, "INSERT INTO %s (%s) VALUES (%s) ON CONFLICT "
		     "(event_id) DO NOTHING", tab->table, cols, params);
	db->insert_sql[t] = malloc((size_t)n + 1);
	snprintf(db->insert_sql[t], (size_t)n + 1, "INSERT INTO %s (%s) "
		 "VALUES (%s) ON CONFLICT (event_id) DO NOTHING", tab->table,
		 cols, params);
	if (!db->copy_sql[t] || !db->insert_sql[t])
		abort();
}

struct db *db_new(const struct config *cfg)
{
	struct db *db = calloc(1, sizeof(*db));

	if (!db)
		abort();
	db->cfg = cfg;
	pthread_mutex_init(&db->cancel_lock, NULL);
	for (int t = 0; t < ROW_TYPE_COUNT; t++) {
		db_build_sql(db, t);
		db->batch_sql_cap += strlen(db->copy_sql[t]) + 2;
	}
	db->batch_sql_cap += sizeof("BEGIN; COMMIT");
	db->batch_sql = malloc(db->batch_sql_cap);
	if (!db->batch_sql)
		abort();
	return db;
}

/* Close the connection (and forget how to cancel on it). */
static void db_close(struct db *db)
{
	pthread_mutex_lock(&db->cancel_lock);
	if (db->cancel)
		PQfreeCancel(db->cancel);
	db->cancel = NULL;
	pthread_mutex_unlock(&db->cancel_lock);
	PQfinish(db->conn);
	db->conn = NULL;
}

void db_free(struct db *db)
{
	if (!db)
		return;
	if (db->conn)
		db_close(db);
	pthread_mutex_destroy(&db->cancel_lock);
	for (int t = 0; t < ROW_TYPE_COUNT; t++) {
		free(db->copy_sql[t]);
		free(db->insert_sql[t]);
	}
	free(db->batch_sql);
	for (int t = 0; t < ROW_TYPE_COUNT; t++)
		row_buf_free(&db->copy[t]);
	free(db);
}

const char *db_error(const struct db *db)
{
	return db->err;
}

PGconn *db_conn(struct db *db)
{
	return db->conn;
}

/* Keep one line: libpq's messages end with newlines and may hold two. */
static void db_oneline(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
}

/* Record a failure of what, from r (may be NULL) or the connection. */
static void db_fail(struct db *db, const PGresult *r, const char *what)
{
	const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
			    : NULL;

	if (!msg)
		msg = db->conn ? PQerrorMessage(db->conn) : "no connection";
	if (!*msg && r)
		msg = PQresStatus(PQresultStatus(r));
	snprintf(db->sqlstate, sizeof(db->sqlstate), "%s", st ? st : "");
	snprintf(db->err, sizeof(db->err), "%s: %s%s%s%s", what, msg,
		 st ? " (SQLSTATE " : "", st ? st : "", st ? ")" : "");
	db_oneline(db->err);
}

/* The failure was about the data (classes 22 and 23) on a live link. */
static int db_data_error(const struct db *db)
{
	return db->conn && PQstatus(db->conn) == CONNECTION_OK &&
	       db->sqlstate[0] == '2' &&
	       (db->sqlstate[1] == '2' || db->sqlstate[1] == '3');
}

/* Drop a connection that broke, so the next call reconnects. */
static void db_check_link(struct db *db)
{
	if (db->conn && PQstatus(db->conn) != CONNECTION_OK)
		db_close(db);
}

/* Run sql (no parameters) expecting want; 0 or -1 with db->err. */
static int db_exec(struct db *db, const char *sql, ExecStatusType want)
{
	PGresult *r = PQexec(db->conn, sql);
	int rc = 0;

	if (!r || PQresultStatus(r) != want) {
		db_fail(db, r, sql);
		rc = -1;
	}
	PQclear(r);
	return rc;
}

/* Server notices (NOTICE: relation ... already exists) are debug lines. */
static void db_notice(void *arg, const char *msg)
{
	char line[512];

	snprintf(line, sizeof(line), "%s", msg);
	db_oneline(line);
	log_debug("database: %s", line);
}

enum db_result db_connect(struct db *db)
{
	const struct config *c = db->cfg;
	const char *kw[20], *val[20];
	int n = 0;

	if (db->conn)
		return DB_OK;
#define DB_KV(k, v) do { if (v) { kw[n] = (k); val[n] = (v); n++; } } while (0)
	/* Defaults first: a conninfo in dbname may override them. */
	DB_KV("application_name", "agentlog-pgwriter");
	DB_KV("connect_timeout", "5");
	DB_KV("client_encoding", "UTF8");
	DB_KV("keepalives_idle", "10");
	DB_KV("keepalives_interval", "5");
	DB_KV("keepalives_count", "3");
	/* Keepalives are not sent while written data waits for its ACK: a
	 * server host gone without a reset in the middle of a COPY would
	 * block the send for the kernel's retransmission time (~15 min), past
	 * Kafka's max.poll.interval.ms.  30 s unacknowledged ends it. */
	DB_KV("tcp_user_timeout", "30000");
	if (c->dsn) {
		DB_KV("dbname", c->dsn);
	} else {
		DB_KV("host", c->pg_host);
		DB_KV("port", c->pg_port);
		DB_KV("dbname", c->pg_database);
		DB_KV("user", c->pg_user);
	}
	DB_KV("password", c->pg_password);
#undef DB_KV
	kw[n] = val[n] = NULL;
	db->conn = PQconnectdbParams(kw, val, 1);
	if (!db->conn || PQstatus(db->conn) != CONNECTION_OK) {
		snprintf(db->err, sizeof(db->err), "connect: %s",
			 db->conn ? PQerrorMessage(db->conn) : "out of memory");
		db_oneline(db->err);
		db->sqlstate[0] = '\0';
		if (db->conn)
			PQfinish(db->conn);
		db->conn = NULL;
		return DB_TRANSIENT;
	}
	PQsetNoticeProcessor(db->conn, db_notice, NULL);
	pthread_mutex_lock(&db->cancel_lock);
	db->cancel = PQgetCancel(db->conn);
	pthread_mutex_unlock(&db->cancel_lock);
	log_info("database: connected to %s on %s:%s", PQdb(db->conn),
		 PQhost(db->conn), PQport(db->conn));
	return DB_OK;
}

int db_cancel(struct db *db)
{
	char err[256] = "not connected";
	int ok = 0;

	pthread_mutex_lock(&db->cancel_lock);
	if (db->cancel)
		ok = PQcancel(db->cancel, err, sizeof(err));
	pthread_mutex_unlock(&db->cancel_lock);
	if (!ok) {
		db_oneline(err);
		log_warn("database: cancel: %s", err);
	}
	return ok ? 0 : -1;
}

enum db_result db_ping(struct db *db)
{
	if (db_connect(db) != DB_OK)
		return DB_TRANSIENT;
	if (db_exec(db, "SELECT 1", PGRES_TUPLES_OK) < 0) {
		db_check_link(db);
		return DB_TRANSIENT;
	}
	return DB_OK;
}

/*
 * The COPY text of the batch's rows of type t: its own, or, when that is
 * stale (a row in it has since been refused: batch.h), written again from
 * the values of its live rows.  NULL when it has no rows of that type.
 */
static const struct row_buf *db_copy_text(struct db *db,
					  const struct batch *b, int t)
{
	struct row_buf *out = &db->copy[t];
	int rows = 0;

	if (!b->copy_stale)
		return b->copy_rows[t] ? &b->copy[t] : NULL;
	out->len = 0;
	for (int i = 0; i < b->n; i++) {
		const struct batch_msg *m = &b->msgs[i];
		if (m->error || m->row.type != t)
			continue;
		row_copy_line(&m->row, &b->buf, out);
		rows++;
	}
	return rows ? out : NULL;
}

/*
 * Read what is left of the query in flight, down to its end.  A COPY that
 * still waits for data is ended as failed.  When even that is not possible
 * (the connection is broken) the connection is closed: the next call
 * reconnects.
 */
static void db_drain(struct db *db)
{
	PGresult *r;

	while ((r = PQgetResult(db->conn)) != NULL) {
		ExecStatusType st = PQresultStatus(r);

		PQclear(r);
		if (st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH ||
		    (st == PGRES_COPY_IN &&
		     PQputCopyEnd(db->conn, "batch abandoned") != 1)) {
			db_close(db);
			return;
		}
	}
}

/* Check r, a COMMIT's result: the server did not turn it into a
 * ROLLBACK.  Clears r. */
static int db_committed(struct db *db, PGresult *r)
{
	int rc = 0;

	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK ||
	    strcmp(PQcmdStatus(r), "COMMIT") != 0) {
		db_fail(db, r, "COMMIT");
		rc = -1;
	}
	PQclear(r);
	return rc;
}

static int db_commit(struct db *db)
{
	return db_committed(db, PQexec(db->conn, "COMMIT"));
}

/*
 * The fast path: the batch in one simple query, "BEGIN; COPY a (...) FROM
 * STDIN; COPY b (...) FROM STDIN; COMMIT" (the tables it has rows for).
 * The first statement that fails ends the query string, leaving the
 * transaction aborted (db_write() rolls it back).  The client waits once
 * per COPY (for the server to ask for its data) and once for the end;
 * BEGIN costs no round trip of its own.  (Without it the COMMIT would end
 * the query string's implicit transaction, which the server does with a
 * WARNING in its log per batch.)
 */
static int db_write_copy(struct db *db, struct batch *b)
{
	const struct row_buf *text[ROW_TYPE_COUNT];
	int types[ROW_TYPE_COUNT], n = 0, rc = 0;
	PGresult *r;
	size_t len = (size_t)snprintf(db->batch_sql, db->batch_sql_cap,
				      "BEGIN; ");

	for (int t = 0; t < ROW_TYPE_COUNT; t++) {
		if ((text[n] = db_copy_text(db, b, t)) == NULL)
			continue;
		types[n++] = t;
		len += (size_t)snprintf(db->batch_sql + len,
					db->batch_sql_cap - len, "%s; ",
					db->copy_sql[t]);
	}
	if (n == 0)
		return 0;
	snprintf(db->batch_sql + len, db->batch_sql_cap - len, "COMMIT");
	if (!PQsendQuery(db->conn, db->batch_sql)) {
		db_fail(db, NULL, "COPY");
		db_drain(db);
		return -1;
	}
	r = PQgetResult(db->conn);             /* BEGIN's */
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
		db_fail(db, r, "BEGIN");
		rc = -1;
	}
	PQclear(r);
	for (int k = 0; k < n && rc == 0; k++) {
		const char *table = row_tables[types[k]].table;

		r = PQgetResult(db->conn);
		if (!r || PQresultStatus(r) != PGRES_COPY_IN) {
			db_fail(db, r, table);
			PQclear(r);
			rc = -1;
			break;
		}
		PQclear(r);
		if (PQputCopyData(db->conn, text[k]->data,
				  (int)text[k]->len) != 1 ||
		    PQputCopyEnd(db->conn, NULL) != 1) {
			db_fail(db, NULL, "COPY data");
			rc = -1;
			break;
		}
		r = PQgetResult(db->conn);
		if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
			db_fail(db, r, table);
			rc = -1;
		} else {
			b->inserted += strtoull(PQcmdTuples(r), NULL, 10);
		}
		PQclear(r);
	}
	if (rc == 0)
		rc = db_committed(db, PQgetResult(db->conn));
	db_drain(db);
	return rc;
}

/* Insert message i under a savepoint; a refused row becomes dead. */
static int db_insert_row(struct db *db, struct batch *b, int i)
{
	const struct row *row = &b->msgs[i].row;
	const char *vals[ROW_MAX_COLS];
	int ncols = row_tables[row->type].ncols;
	PGresult *r;
	int ok;

	for (int c = 0; c < ncols; c++)
		vals[c] = row_value(row, &b->buf, c);
	if (db_exec(db, "SAVEPOINT pgw_row", PGRES_COMMAND_OK) < 0)
		return -1;
	r = PQexecParams(db->conn, db->insert_sql[row->type], ncols, NULL,
			 vals, NULL, NULL, 0);
	ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
	if (ok)
		b->inserted += strtoull(PQcmdTuples(r), NULL, 10);
	else
		db_fail(db, r, "database");
	PQclear(r);
	if (ok)
		return db_exec(db, "RELEASE SAVEPOINT pgw_row",
			       PGRES_COMMAND_OK);
	if (!db_data_error(db))
		return -1;
	batch_kill(b, i, "%s", db->err);
	return db_exec(db, "ROLLBACK TO SAVEPOINT pgw_row", PGRES_COMMAND_OK);
}

/* The slow path: row by row, skipping duplicates, refusing bad rows. */
static int db_write_rows(struct db *db, struct batch *b)
{
	if (db_exec(db, "BEGIN", PGRES_COMMAND_OK) < 0)
		return -1;
	for (int i = 0; i < b->n; i++)
		if (!b->msgs[i].error && db_insert_row(db, b, i) < 0)
			return -1;
	return db_commit(db);
}

static void db_rollback(struct db *db)
{
	if (db->conn && PQstatus(db->conn) == CONNECTION_OK &&
	    PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
		PGresult *r = PQexec(db->conn, "ROLLBACK");
		PQclear(r);
	}
	db_check_link(db);
}

enum db_result db_write(struct db *db, struct batch *b)
{
	if (b->ndead == b->n)
		return DB_OK;
	if (db_connect(db) != DB_OK)
		return DB_TRANSIENT;
	b->inserted = 0;
	if (db_write_copy(db, b) == 0)
		return DB_OK;
	if (!db_data_error(db)) {
		db_rollback(db);
		return DB_TRANSIENT;
	}
	log_debug("batch of %d refused (%s): storing it row by row", b->n,
		  db->err);
	db_rollback(db);
	b->inserted = 0;
	if (db_write_rows(db, b) == 0)
		return DB_OK;
	db_rollback(db);
	return DB_TRANSIENT;
}
