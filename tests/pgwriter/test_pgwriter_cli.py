"""agentlog-pgwriter's command line and configuration: --help and misuse,
--migrate (idempotent, versioned), the seed's POSTGRES_* variables,
libpq's PG* variables and a conninfo URI as alternatives, and KAFKA_BROKERS."""

import os
import subprocess
import unittest
import uuid

from broker import Broker, Producer
from harness import Writer, binary, event, publish, total_rows, wait_until
from pg import Postgres

PGW = binary("agentlog-pgwriter")
CLEAN_ENV = {k: v for k, v in os.environ.items()
             if not k.startswith(("PG", "POSTGRES_", "KAFKA_"))}


def run(args, env=None, timeout=30):
    e = dict(CLEAN_ENV)
    e.update(env or {})
    return subprocess.run([PGW] + args, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=e,
                          timeout=timeout)


class Cli(unittest.TestCase):
    def test_help_version_misuse(self):
        r = run(["--help"])
        self.assertEqual(r.returncode, 0)
        for word in ("--brokers", "KAFKA_BROKERS", "POSTGRES_HOST", "5436",
                     "omninode_bridge", "--dsn", "--migrate", "--batch-size",
                     "--batch-ms", "--http-listen", "127.0.0.1:8080",
                     "--dlq-topic", "agent-observability-dlq"):
            self.assertIn(word, r.stdout)
        r = run(["--version"])
        self.assertEqual(r.returncode, 0)
        self.assertIn("librdkafka", r.stdout)
        for bad in (["--nope"], ["--batch-size", "0"], ["--batch-ms", "x"],
                    ["--topic", "bogus=t"], ["extra"],
                    ["--migrate", "--no-migrate"], ["-X", "novalue"]):
            r = run(bad)
            self.assertEqual(r.returncode, 2, bad)
            self.assertTrue(r.stderr, bad)

    def test_bad_kafka_property_is_refused(self):
        with Postgres() as pg:
            r = run(["--dsn", pg.dsn(), "--http-listen", "off",
                     "-X", "no.such.property=1"], timeout=30)
            self.assertEqual(r.returncode, 1)
            self.assertIn("no.such.property", r.stderr)

    def test_migrate_is_versioned_and_idempotent(self):
        with Postgres() as pg:
            for _ in range(2):
                r = run(["--migrate", "--dsn", pg.dsn()])
                self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(pg.rows("SELECT version, name FROM "
                                     "schema_migrations ORDER BY 1"),
                             [["1", "tables"], ["2", "views"]])
            self.assertIn("0 migrations applied now", r.stderr)
            # Every table: correlation_id uuid NOT NULL, event_id uuid
            # UNIQUE, indexes on correlation_id and created_at.
            for t in ("agent_actions", "agent_routing_decisions",
                      "agent_transformation_events",
                      "router_performance_metrics"):
                cols = dict((c[0], c[1:]) for c in pg.rows(
                    "SELECT column_name, data_type, is_nullable FROM "
                    "information_schema.columns WHERE table_name = '%s'" % t))
                self.assertEqual(cols["correlation_id"], ["uuid", "NO"], t)
                self.assertEqual(cols["event_id"], ["uuid", "NO"], t)
                self.assertEqual(cols["created_at"][0],
                                 "timestamp with time zone", t)
                idx = pg.psql("SELECT string_agg(indexdef, ';') FROM "
                              "pg_indexes WHERE tablename = '%s'" % t)
                self.assertIn("UNIQUE INDEX", idx)
                self.assertIn("(event_id)", idx)
                self.assertIn("(correlation_id, created_at)", idx)
                self.assertIn("(created_at)", idx)
            # routing_duration_ms is not capped at 1000; the rest is kept.
            pg.psql("INSERT INTO router_performance_metrics (event_id, "
                    "correlation_id, query_text, routing_duration_ms, "
                    "candidates_evaluated) VALUES (gen_random_uuid(), "
                    "gen_random_uuid(), 'q', 5000, 1)")
            rc, out = pg.psql("INSERT INTO router_performance_metrics "
                              "(event_id, correlation_id, query_text, "
                              "routing_duration_ms, candidates_evaluated) "
                              "VALUES (gen_random_uuid(), gen_random_uuid(), "
                              "'q', -1, 1)", check=False)
            self.assertNotEqual(rc, 0)
            self.assertIn("check constraint", out)

    def test_migrate_without_database_fails(self):
        r = run(["--migrate", "--pg-host", "127.0.0.1", "--pg-port", "1"])
        self.assertEqual(r.returncode, 1)
        self.assertIn("127.0.0.1", r.stderr)


class Environment(unittest.TestCase):
    """The seed's variables, PG* variables and a URI all reach the same
    database; KAFKA_BROKERS reaches the broker."""

    @classmethod
    def setUpClass(cls):
        cls.pg = Postgres()
        cls.addClassCleanup(cls.pg.close)
        cls.broker = Broker(brokers=1, partitions=1)
        cls.addClassCleanup(cls.broker.stop)

    def check_env(self, env, args=()):
        db = "db_%s" % uuid.uuid4().hex[:8]
        self.pg.createdb(db)
        env = {k: v.replace("@DB@", db) for k, v in env.items()}
        env["KAFKA_BROKERS"] = self.broker.bootstrap
        w = Writer(None, None, args=args, env=env, base_env=CLEAN_ENV)
        self.addCleanup(w.close)
        w.wait_healthy()
        self.assertEqual(self.pg.psql("SELECT count(*) FROM "
                                      "schema_migrations", dbname=db), "2")
        return w, db

    def test_seed_variables(self):
        self.check_env({"POSTGRES_HOST": self.pg.sockdir,
                        "POSTGRES_PORT": str(self.pg.port),
                        "POSTGRES_DATABASE": "@DB@",
                        "POSTGRES_USER": "postgres",
                        "POSTGRES_PASSWORD": "unused-with-trust"})

    def test_libpq_variables(self):
        self.check_env({"PGHOST": "127.0.0.1", "PGPORT": str(self.pg.port),
                        "PGDATABASE": "@DB@", "PGUSER": "postgres"})

    def test_uri(self):
        w, db = self.check_env({"POSTGRES_DSN": self.pg.dsn(dbname="@DB@")})
        with Producer(self.broker.bootstrap) as p:
            publish(p, event("agent_action"))
            p.flush()
        wait_until(lambda: self.pg.psql("SELECT count(*) FROM agent_actions",
                                         dbname=db) != "0", 30)

    def test_group_defaults_to_agentlog_pgwriter(self):
        """Without --group and KAFKA_GROUP_ID the writer consumes, and
        commits its offsets, as group agentlog-pgwriter: a consumer of that
        group started after it stopped gets only what came since."""
        db = "db_%s" % uuid.uuid4().hex[:8]
        self.pg.createdb(db)
        w = Writer(self.broker.bootstrap, self.pg.dsn(dbname=db),
                   group=False, base_env=CLEAN_ENV)
        self.addCleanup(w.close)
        self.assertNotIn("--group", w.argv)
        self.assertNotIn("KAFKA_GROUP_ID", w.env)
        w.wait_healthy()
        self.assertIn("consuming as group agentlog-pgwriter\n", w.log())

        def stored(evs):
            return self.pg.psql(
                "SELECT count(*) FROM agent_actions WHERE event_id IN (%s)"
                % ",".join("'%s'" % e["event_id"] for e in evs), dbname=db)
        before = [event("agent_action", n=i) for i in range(3)]
        after = [event("agent_action", n=i) for i in range(2)]
        with Producer(self.broker.bootstrap) as p:
            for ev in before:
                publish(p, ev)
            p.flush()
            wait_until(lambda: stored(before) == "3", 30, what="3 rows")
            self.assertEqual(w.stop(), 0)   # commits, leaves the group
            for ev in after:
                publish(p, ev)
            self.assertFalse([r for r in p.flush() if r["error"]])
        # One partition per topic: were the group's offsets not committed
        # (another group name), older records would come first.
        recs = self.broker.consume(count=len(after), timeout=30,
                                   group="agentlog-pgwriter")
        self.assertEqual([r["headers"]["event_id"] for r in recs],
                         [e["event_id"] for e in after])


if __name__ == "__main__":
    unittest.main()
