"""Transient database failures and stopping while a transaction is open.

A deadlock (SQLSTATE 40P01) or a serialization failure (40001) raised by
PostgreSQL in the middle of a batch, on the COPY path or on the row-by-row
path, is retried with backoff and never dead-lettered: every event ends up
stored exactly once, and only a row the database refuses for its data goes
to the dead-letter topic.  A SIGTERM that arrives while the batch's
transaction waits on a lock held by another session ends with exit status 0:
the batch is committed if the lock goes away within the writer's grace
period, else its statement is cancelled and the batch rolled back; either
way a restarted writer of the same group stores the rest, nothing lost,
nothing doubled."""

import collections
import json
import os
import signal
import subprocess
import time
import unittest
import uuid

from broker import DLQ_TOPIC
from harness import (WriterCase, TABLE, TABLES, TOPIC, binary, count,
                     distinct_rows, event, publish, total_rows, wait_until)

# How long a stopping writer lets the statement in flight run before it
# cancels it (LOOP_STOP_GRACE_MS in contrib/pgwriter/loop.c).
STOP_GRACE_S = 5

# A BEFORE INSERT trigger that raises SQLSTATE TG_ARGV[0] for the first
# TG_ARGV[1] rows it sees (of query strings holding the statement
# TG_ARGV[2], e.g. 'COPY': the batch's "BEGIN; COPY ...; COMMIT", or
# 'INSERT': the row-by-row path).  The count is a sequence: nextval() is not rolled
# back with the writer's transaction.
FAIL_TRIGGER = """
CREATE SEQUENCE pgw_fail_seq;
CREATE FUNCTION pgw_fail() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF upper(current_query()) LIKE '%' || TG_ARGV[2] || ' %' THEN
        IF nextval('pgw_fail_seq') <= TG_ARGV[1]::int THEN
            RAISE EXCEPTION 'injected failure %', TG_ARGV[0]
                USING ERRCODE = TG_ARGV[0];
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER pgw_fail BEFORE INSERT ON agent_actions FOR EACH ROW
    EXECUTE FUNCTION pgw_fail('@SQLSTATE@', '@TIMES@', '@STMT@');
"""

# A BEFORE INSERT trigger on agent_actions: the first two rows it sees
# are refused as CHECK violations (the batch's COPY fails; on the
# row-by-row path the first agent_actions row is refused), the third
# raises a deadlock (the row-by-row attempt fails after that refusal), the
# rest pass (the retry's COPY would take the refused row too).
REFUSE_THEN_DEADLOCK = """
CREATE SEQUENCE pgw_fail_seq;
CREATE FUNCTION pgw_fail() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n bigint := nextval('pgw_fail_seq');
BEGIN
    IF n <= 2 THEN
        RAISE EXCEPTION 'injected refusal' USING ERRCODE = '23514';
    ELSIF n = 3 THEN
        RAISE EXCEPTION 'injected failure 40P01' USING ERRCODE = '40P01';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER pgw_fail BEFORE INSERT ON agent_actions FOR EACH ROW
    EXECUTE FUNCTION pgw_fail();
"""

WRITER_BACKEND = ("FROM pg_stat_activity WHERE application_name = "
                  "'agentlog-pgwriter' AND backend_type = 'client backend'")


class Transient(WriterCase):
    def events(self, n):
        corrs = [str(uuid.uuid4()) for _ in range(10)]
        types = list(TOPIC)
        return [event(types[i % 4], corrs[i % 10], n=i) for i in range(n)]

    def publish_all(self, evs):
        for ev in evs:
            publish(self.producer, ev)
        self.assertFalse([r for r in self.producer.flush() if r["error"]])

    def stored_ids(self):
        """Counter of every event_id in every table."""
        ids = collections.Counter()
        for t in TABLES:
            out = self.pg.psql("SELECT event_id FROM %s" % t)
            ids.update(out.split("\n") if out else [])
        return ids

    def assert_each_stored_once(self, evs):
        ids = self.stored_ids()
        self.assertEqual(ids, collections.Counter(e["event_id"] for e in evs))
        for ev in evs:
            self.assertEqual(self.pg.psql(
                "SELECT count(*) FROM %s WHERE event_id = '%s'"
                % (TABLE[ev["type"]], ev["event_id"])), "1")

    # -- deadlock / serialization failure: retried, never dead-lettered --

    def retried(self, sqlstate, stmt, times, poison=0):
        """Inject times failures sqlstate into statements stmt; publish 200
        events (plus poison rows refused by a CHECK); check the outcome."""
        w = self.writer("--batch-ms", "100")
        self.pg.psql(FAIL_TRIGGER.replace("@SQLSTATE@", sqlstate)
                     .replace("@TIMES@", str(times)).replace("@STMT@", stmt))
        good = self.events(200)
        bad = [event("agent_action", action_type="bogus")
               for _ in range(poison)]
        self.publish_all(good[:100] + bad + good[100:])
        wait_until(lambda: total_rows(self.pg) >= len(good), 30,
                   what="%d rows" % len(good))
        m = wait_until(lambda: (lambda m: m["messages_consumed"] ==
                                len(good) + poison and m)(w.metrics()), 10,
                       what="every message accounted for")

        # The trigger did fail the writer's transactions, times times.
        self.assertGreater(int(self.pg.psql(
            "SELECT last_value FROM pgw_fail_seq")), times)
        log = w.log()
        self.assertIn("not stored yet, retrying", log)
        self.assertIn("injected failure %s (SQLSTATE %s)"
                      % (sqlstate, sqlstate), log)
        self.assertIn("stored after", log)

        # Each event once; only the poison rows are dead letters.
        self.assert_each_stored_once(good)
        self.assertEqual(m["messages_inserted"], len(good))
        self.assertEqual(m["messages_failed"], poison)
        dead = self.broker.consume([DLQ_TOPIC], count=poison, idle_ms=1000,
                                   timeout=10) if poison else []
        self.assertEqual(len(dead), poison)
        self.assertEqual(self.broker.total([DLQ_TOPIC]), poison)
        for d in dead:
            self.assertIn("check constraint", d["headers"]["error"])
            self.assertNotIn("injected", d["headers"]["error"])
        wait_until(lambda: w.metrics()["dlq_messages"] == poison, 10)
        self.assertEqual(w.health()[0], 200)

    def test_deadlock_is_retried_not_dead_lettered(self):
        self.retried("40P01", "COPY", times=3)

    def test_serialization_failure_is_retried_not_dead_lettered(self):
        self.retried("40001", "COPY", times=3)

    def test_deadlock_on_the_row_by_row_path(self):
        """A CHECK violation sends the batch down the savepoint path; a
        deadlock there retries the whole batch, and only the row the
        database refused is dead-lettered (once)."""
        self.retried("40P01", "INSERT", times=2, poison=1)

    def test_refused_row_then_deadlock_on_the_row_by_row_path(self):
        """A row refused on the row-by-row path, then a deadlock later in
        the same attempt: the retry (a COPY again) leaves the refused row
        out although the database would now take it; it is a dead letter
        only, and every other event is stored once."""
        subprocess.run([binary("agentlog-pgwriter"), "--migrate", "--dsn",
                        self.pg.dsn()], check=True,
                       stderr=subprocess.DEVNULL)
        self.pg.psql(REFUSE_THEN_DEADLOCK)
        evs = self.events(20)
        self.publish_all(evs)              # all there before the writer
        w = self.writer("--batch-ms", "2000")
        wait_until(lambda: total_rows(self.pg) >= len(evs) - 1, 30,
                   what="%d rows" % (len(evs) - 1))
        m = wait_until(lambda: (lambda m: m["messages_consumed"] ==
                                len(evs) and m)(w.metrics()), 10,
                       what="every message accounted for")
        log = w.log()
        # One batch of all 20, retried after the deadlock.
        self.assertIn("batch of %d not stored yet, retrying" % len(evs), log)
        self.assertIn("injected failure 40P01 (SQLSTATE 40P01)", log)
        self.assertEqual(m["messages_inserted"], len(evs) - 1)
        self.assertEqual(m["messages_failed"], 1)
        dead = self.broker.consume([DLQ_TOPIC], count=1, idle_ms=1000,
                                   timeout=10)
        self.assertEqual(len(dead), 1)
        self.assertEqual(self.broker.total([DLQ_TOPIC]), 1)
        self.assertIn("injected refusal", dead[0]["headers"]["error"])
        refused = json.loads(dead[0]["value"])["event_id"]
        self.assertEqual(self.pg.psql(
            "SELECT count(*) FROM agent_actions WHERE event_id = '%s'"
            % refused), "0")
        self.assert_each_stored_once([e for e in evs
                                      if e["event_id"] != refused])

    # -- SIGTERM while the batch's transaction waits on a lock --

    def lock_table(self, table):
        """A second session holding ACCESS EXCLUSIVE on table in an open
        transaction; returns its psql process (stdin open)."""
        env = dict(os.environ)
        env.update(self.pg.env())
        argv = [os.path.join(self.pg.bindir, "psql"), "-X", "-q", "-A", "-t",
                "-v", "ON_ERROR_STOP=1"]
        p = subprocess.Popen(argv, stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=env, text=True)

        def cleanup():
            if p.poll() is None:
                os.kill(p.pid, signal.SIGKILL)
            p.wait()
        self.addCleanup(cleanup)
        p.stdin.write("SET application_name = 'pgw-locker';\nBEGIN;\n"
                      "LOCK TABLE %s IN ACCESS EXCLUSIVE MODE;\n" % table)
        p.stdin.flush()
        wait_until(lambda: self.pg.psql(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a "
            "USING (pid) WHERE a.application_name = 'pgw-locker' AND "
            "l.relation = '%s'::regclass AND l.mode = 'AccessExclusiveLock' "
            "AND l.granted" % table) == "1", 10, what="the lock")
        return p

    def unlock(self, locker):
        locker.stdin.write("COMMIT;\n")
        locker.stdin.close()
        self.assertEqual(locker.wait(timeout=10), 0)

    def blocked_writer(self, group):
        """A writer whose batch transaction waits on a lock on
        agent_actions, and the locking session; returns (writer, locker,
        events)."""
        w = self.writer("--batch-ms", "100", group=group)
        locker = self.lock_table("agent_actions")
        evs = self.events(300)
        self.publish_all(evs)
        wait_until(lambda: self.pg.psql(
            "SELECT count(*) " + WRITER_BACKEND + " AND state = 'active' "
            "AND wait_event_type = 'Lock' AND query LIKE '%COPY %'") == "1",
            20, what="the writer's COPY waiting on the lock")
        return w, locker, evs

    def restart_and_check(self, w, evs, stored_before):
        w.restart()
        wait_until(lambda: total_rows(self.pg) >= len(evs), 30,
                   what="%d rows" % len(evs))
        time.sleep(0.3)       # anything more (a duplicate) would show now
        self.assert_each_stored_once(evs)
        self.assertEqual(distinct_rows(self.pg), len(evs))
        self.assertEqual(self.broker.total([DLQ_TOPIC]), 0)
        m = wait_until(lambda: (lambda m: m["messages_consumed"] ==
                                len(evs) - stored_before and m)(w.metrics()),
                       10, what="the rest consumed")
        self.assertEqual(m["messages_inserted"], len(evs) - stored_before)
        self.assertEqual(m["messages_failed"], 0)

    def test_sigterm_while_blocked_on_a_lock_that_is_released(self):
        """SIGTERM, then the lock goes away within the grace period: the
        batch is committed, the writer exits 0."""
        group = "pgw-lock-%s" % uuid.uuid4().hex[:8]
        w, locker, evs = self.blocked_writer(group)
        os.kill(w.pid, signal.SIGTERM)
        wait_until(lambda: "stopping: " in w.log(), 5,
                   what="the writer to notice SIGTERM")
        self.assertIsNone(w.proc.poll())        # still waiting on the lock
        self.unlock(locker)
        t0 = time.monotonic()
        self.assertEqual(w.proc.wait(timeout=10), 0)
        self.assertLess(time.monotonic() - t0, STOP_GRACE_S)
        self.assertEqual(w.stop(), 0)
        stored = total_rows(self.pg)
        self.assertGreater(stored, 0)           # the blocked batch went in
        self.assertEqual(distinct_rows(self.pg), stored)
        self.assertNotIn("cancelling", w.log())
        self.restart_and_check(w, evs, stored)

    def test_sigterm_while_blocked_on_a_lock_that_is_kept(self):
        """SIGTERM while another session keeps the lock: after the grace
        period the writer cancels its statement, rolls the batch back,
        commits nothing for it and exits 0 (before the lock goes away)."""
        group = "pgw-lock-%s" % uuid.uuid4().hex[:8]
        w, locker, evs = self.blocked_writer(group)
        t0 = time.monotonic()
        os.kill(w.pid, signal.SIGTERM)
        self.assertEqual(w.proc.wait(timeout=STOP_GRACE_S + 10), 0)
        took = time.monotonic() - t0
        self.assertGreaterEqual(took, STOP_GRACE_S - 0.5)
        self.assertIsNone(locker.poll())        # the lock was never let go
        self.assertEqual(w.stop(), 0)
        log = w.log()
        self.assertIn("cancelling", log)
        self.assertIn("SQLSTATE 57014", log)
        self.assertIn("rolled back, not committed", log)
        wait_until(lambda: self.pg.psql("SELECT count(*) " + WRITER_BACKEND)
                   == "0", 5, what="the writer's session to end")
        # Batches without agent_actions rows may have gone in before the
        # blocked one (agent_actions itself cannot be read while locked).
        stored = sum(count(self.pg, t) for t in TABLES
                     if t != "agent_actions")
        self.unlock(locker)
        self.assertEqual(count(self.pg, "agent_actions"), 0)
        self.assertEqual(total_rows(self.pg), stored)
        self.assertEqual(distinct_rows(self.pg), stored)
        self.restart_and_check(w, evs, stored)


if __name__ == "__main__":
    unittest.main()
