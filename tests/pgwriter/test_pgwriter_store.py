"""agentlog-pgwriter stores what it consumes: every type with every field,
each event exactly once, the seed's trace query and the views return the
workflow, and /metrics counts what happened.

A real PostgreSQL (tests/lib/pg.py), the Kafka test broker and records
shaped exactly like agentlogd's (topic of the type, key = correlation id,
headers type / event_id / schema_version, the enriched event as value)."""

import json
import time
import unittest
import uuid

from broker import Broker, Producer
from harness import (DROP, SEED_CORR, SEED_TRACE_QUERY, TABLE, TABLES,
                     TOPIC, Writer, count, event, publish, row_json,
                     same_instant, total_rows, wait_until)
from pg import Postgres

class Setup(unittest.TestCase):
    """One PostgreSQL, one broker, one writer for the class."""

    @classmethod
    def setUpClass(cls):
        cls.pg = Postgres()
        cls.addClassCleanup(cls.pg.close)
        cls.broker = Broker(brokers=1, partitions=2)
        cls.addClassCleanup(cls.broker.stop)
        cls.producer = Producer(cls.broker.bootstrap)
        cls.addClassCleanup(cls.producer.stop)
        cls.writer = Writer(cls.broker.bootstrap, cls.pg.dsn(),
                            args=cls.writer_args)
        cls.addClassCleanup(cls.writer.close)
        cls.writer.wait_healthy()

    writer_args = ("--batch-ms", "200")

    def send(self, events):
        for ev in events:
            publish(self.producer, ev)
        reports = self.producer.flush()
        self.assertFalse([r for r in reports if r["error"]])

    def wait_rows(self, n, where="true", timeout=30):
        wait_until(lambda: sum(count(self.pg, t, where) for t in TABLES) >= n,
                   timeout, what="%d rows where %s" % (n, where))
        # Nothing more arrives for that selection (no doubles).
        time.sleep(0.3)
        return sum(count(self.pg, t, where) for t in TABLES)


class Store(Setup):
    def test_all_types_every_field(self):
        corr = str(uuid.uuid4())
        base = int(time.time() * 1000) - 5000
        events = [event(t, corr, ms=base + 10 * i, extra={"unknown": [1]})
                  for i, t in enumerate(TOPIC)]
        self.send(events)
        self.assertEqual(self.wait_rows(4, "correlation_id = '%s'" % corr), 4)
        for ev in events:
            row = row_json(self.pg, TABLE[ev["type"]], ev["event_id"])
            self.assertIsNotNone(row, ev["type"])
            self.assertEqual(row["correlation_id"], corr)
            self.assertTrue(same_instant(self.pg, row["created_at"],
                                         ev["timestamp"]), row["created_at"])
            self.assertEqual(row["source"], ev["source"])
            for k, v in ev.items():
                if k in ("event_id", "timestamp", "schema_version", "type",
                         "source", "extra", "correlation_id", "context"):
                    continue
                self.assertEqual(row[k], v, "%s.%s" % (ev["type"], k))
            if ev["type"] != "agent_action":
                want = dict(ev.get("context", {}), correlation_id=corr)
                self.assertEqual(row["context"], want)

    def test_batches_leave_no_warning_in_the_server_log(self):
        """The batch's COPYs and COMMIT go as one query string: it must
        open its own transaction (a COMMIT that ends the query string's
        implicit one costs a server WARNING per batch)."""
        corr = str(uuid.uuid4())
        self.send([event(t, corr) for t in TOPIC])
        self.assertEqual(self.wait_rows(4, "correlation_id = '%s'" % corr), 4)
        with open(self.pg.logfile, encoding="utf-8", errors="replace") as f:
            log = f.read()
        self.assertNotIn("there is no transaction in progress", log)
        self.assertNotIn("WARNING", log)

    def test_optional_fields_absent_take_the_seed_defaults(self):
        corr = str(uuid.uuid4())
        a = event("agent_action", corr, action_details=DROP, debug_mode=DROP,
                  duration_ms=None)
        r = event("routing_decision", corr, reasoning=DROP, alternatives=DROP,
                  context=DROP)
        t = event("transformation", corr, success=DROP, confidence_score=None,
                  transformation_reason=DROP)
        p = event("performance_metrics", corr, cache_hit=DROP,
                  trigger_match_strategy=DROP, confidence_components=DROP)
        self.send([a, r, t, p])
        self.wait_rows(4, "correlation_id = '%s'" % corr)
        row = row_json(self.pg, "agent_actions", a["event_id"])
        self.assertEqual((row["action_details"], row["debug_mode"],
                          row["duration_ms"]), ({}, True, None))
        row = row_json(self.pg, "agent_routing_decisions", r["event_id"])
        self.assertEqual((row["reasoning"], row["alternatives"],
                          row["context"]), (None, [], {"correlation_id": corr}))
        row = row_json(self.pg, "agent_transformation_events", t["event_id"])
        self.assertEqual((row["success"], row["confidence_score"],
                          row["transformation_reason"]), (True, None, None))
        row = row_json(self.pg, "router_performance_metrics", p["event_id"])
        self.assertEqual((row["cache_hit"], row["trigger_match_strategy"],
                          row["confidence_components"]), (False, None, {}))

    def test_delivered_twice_stored_once(self):
        corr = str(uuid.uuid4())
        events = [event(t, corr) for t in TOPIC]
        self.send(events + events)           # twice, likely one batch
        self.wait_rows(4, "correlation_id = '%s'" % corr)
        self.send(events)                    # again, in a later batch
        self.assertEqual(self.wait_rows(4, "correlation_id = '%s'" % corr), 4)
        for ev in events:
            self.assertEqual(count(self.pg, TABLE[ev["type"]],
                                   "event_id = '%s'" % ev["event_id"]), 1)

    def test_seed_trace_query_verbatim_returns_the_workflow(self):
        base = int(time.time() * 1000) - 60000
        order = ["routing_decision", "transformation", "performance_metrics",
                 "agent_action", "agent_action"]
        events = [event(t, SEED_CORR.upper() if i == 0 else SEED_CORR,
                        ms=base + 100 * i, n=i)
                  for i, t in enumerate(order)]
        self.send(events)
        self.wait_rows(5, "correlation_id = '%s'" % SEED_CORR)
        rows = self.pg.rows(SEED_TRACE_QUERY)
        self.assertEqual([r[0] for r in rows],
                         ["routing", "transformation", "performance",
                          "action", "action"])
        self.assertEqual(rows[0][2:], ["agent-performance", "0.9200", "45"])
        self.assertEqual(rows[1][2:], ["agent-performance", "0.9200", "86"])
        self.assertEqual(rows[2][2:], ["", "", "1452"])
        self.assertEqual(rows[3][2:], ["agent-performance", "", "48"])
        for r, ev in zip(rows, events):
            self.assertTrue(same_instant(self.pg, r[1], ev["timestamp"]))

        trace = self.pg.rows(
            "SELECT event_type, agent, duration_ms, details->>'action_name',"
            " event_id FROM agent_trace WHERE correlation_id = '%s'"
            % SEED_CORR)
        self.assertEqual([(t[0], t[1], t[2]) for t in trace],
                         [("routing", "agent-performance", "45"),
                          ("transformation", "agent-performance", "86"),
                          ("performance", "", "1452"),
                          ("action", "agent-performance", "48"),
                          ("action", "agent-performance", "49")])
        self.assertEqual([t[4] for t in trace], [e["event_id"] for e in events])
        self.assertEqual(trace[4][3], "Read 4")

    def test_text_round_trips_exactly(self):
        """Quotes, backslashes, tabs, newlines, SQL and non-ASCII text
        arrive unchanged (COPY escaping; nothing is spliced into SQL)."""
        corr = str(uuid.uuid4())
        nasty = ("it's \"quoted\" \\N \\ back\\slash\ttab\nnew\rline "
                 "'); DROP TABLE agent_actions; -- caf\u00e9 \u2603 \U0001f600")
        ev = event("agent_action", corr, action_name=nasty,
                   action_details={"sql": nasty, "k\t": [nasty]})
        r = event("routing_decision", corr, user_request=nasty,
                  context={"note": nasty})
        self.send([ev, r])
        self.wait_rows(2, "correlation_id = '%s'" % corr)
        row = row_json(self.pg, "agent_actions", ev["event_id"])
        self.assertEqual(row["action_name"], nasty)
        self.assertEqual(row["action_details"], ev["action_details"])
        row = row_json(self.pg, "agent_routing_decisions", r["event_id"])
        self.assertEqual(row["user_request"], nasty)
        self.assertEqual(row["context"]["note"], nasty)

    def test_producer_without_envelope(self):
        """Records from another producer (the seed's Python skills): no
        event_id, no timestamp, no type member.  The writer takes the type
        from the topic, the time from the record and derives a stable
        event id from the record's position, so a redelivery is still
        recognised."""
        corr = str(uuid.uuid4())
        body = {"correlation_id": corr, "agent_name": "seed-skill",
                "action_type": "decision", "action_name": "route"}
        self.producer.send("agent-actions", json.dumps(body), key=corr)
        self.producer.flush()
        self.assertEqual(self.wait_rows(1, "correlation_id = '%s'" % corr), 1)
        age = self.pg.psql("SELECT extract(epoch FROM now() - created_at) < 60"
                           " FROM agent_actions WHERE correlation_id = '%s'"
                           % corr)
        self.assertEqual(age, "t")


class Metrics(Setup):
    def test_metrics_count_what_was_consumed(self):
        status, body = self.writer.get("/metrics")
        self.assertEqual(status, 200)
        m0 = json.loads(body)
        seed = ["uptime_seconds", "messages_consumed", "messages_inserted",
                "messages_failed", "batches_processed",
                "avg_batch_processing_ms", "messages_per_second",
                "last_commit_time"]
        self.assertEqual(sorted(m0), sorted(seed + ["consumer_lag",
                                                    "dlq_messages"]))
        corr = str(uuid.uuid4())
        events = [event(t, corr, n=i) for i in range(30) for t in TOPIC]
        self.send(events + events[:10])      # 130 records, 120 events
        self.wait_rows(120, "correlation_id = '%s'" % corr)
        m = wait_until(lambda: (lambda m: m["messages_consumed"] >= 130 and m)(
            self.writer.metrics()), 10, what="metrics")
        self.assertEqual(m["messages_consumed"] - m0["messages_consumed"], 130)
        self.assertEqual(m["messages_inserted"] - m0["messages_inserted"], 120)
        self.assertEqual(m["messages_failed"], 0)
        self.assertEqual(m["dlq_messages"], 0)
        self.assertGreater(m["batches_processed"], m0["batches_processed"])
        self.assertGreater(m["avg_batch_processing_ms"], 0)
        self.assertRegex(m["last_commit_time"],
                         r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        # Lag: every partition reported; all consumed, so 0 once the
        # statistics catch up with the last commit.
        def lag_zero():
            lag = self.writer.metrics()["consumer_lag"]
            return len(lag) == 8 and all(p["lag"] == 0 for p in lag) and lag
        lag = wait_until(lag_zero, 10, what="lag 0 on 8 partitions")
        self.assertEqual(sorted((p["topic"], p["partition"]) for p in lag),
                         sorted((t, p) for t in TOPIC.values()
                                for p in range(2)))

        status, prom = self.writer.get("/metrics/prometheus")
        self.assertEqual(status, 200)
        self.assertIn("agentlog_pgwriter_messages_inserted_total %d"
                      % self.writer.metrics()["messages_inserted"], prom)
        self.assertIn('agentlog_pgwriter_consumer_lag{topic="agent-actions",'
                      'partition="0"} 0', prom)
        status, health = self.writer.health()
        self.assertEqual((status, health),
                         (200, {"status": "healthy", "consumer": "running"}))
        self.assertEqual(self.writer.get("/nope")[0], 404)


class Views(Setup):
    def test_monitoring_views_cover_the_last_hour(self):
        now = int(time.time() * 1000)
        old = now - 2 * 3600 * 1000
        corr = str(uuid.uuid4())
        evs = [
            event("routing_decision", corr, ms=now - 1000,
                  confidence_score=0.9, routing_time_ms=40),
            event("routing_decision", corr, ms=now - 2000,
                  confidence_score=0.5, routing_time_ms=60),
            event("routing_decision", corr, ms=old, confidence_score=0.1,
                  routing_time_ms=999),
            event("transformation", corr, ms=now - 1000, success=True,
                  transformation_duration_ms=10),
            event("transformation", corr, ms=now - 1000, success=True,
                  transformation_duration_ms=30),
            event("transformation", corr, ms=now - 1000, success=False,
                  transformation_duration_ms=100),
            event("transformation", corr, ms=old, success=False,
                  transformation_duration_ms=5000),
            event("performance_metrics", corr, ms=now - 1000, cache_hit=True,
                  routing_duration_ms=2),
            event("performance_metrics", corr, ms=now - 1000, cache_hit=False,
                  routing_duration_ms=1200),
            event("performance_metrics", corr, ms=now - 1000, cache_hit=False,
                  routing_duration_ms=800),
            event("performance_metrics", corr, ms=old, cache_hit=True,
                  routing_duration_ms=7),
        ]
        self.send(evs)
        self.wait_rows(len(evs))
        self.assertEqual(self.pg.rows(
            "SELECT total_routes, round(avg_confidence, 2), "
            "round(avg_routing_time_ms, 1) FROM routing_success_rate_last_hour"),
            [["2", "0.70", "50.0"]])
        self.assertEqual(self.pg.rows(
            "SELECT success, count, round(avg_duration_ms, 1) FROM "
            "transformation_success_last_hour ORDER BY success"),
            [["f", "1", "100.0"], ["t", "2", "20.0"]])
        self.assertEqual(self.pg.rows(
            "SELECT cache_hit, count, round(avg_duration_ms, 1) FROM "
            "cache_effectiveness_last_hour ORDER BY cache_hit"),
            [["f", "2", "1000.0"], ["t", "1", "2.0"]])
        self.assertEqual(total_rows(self.pg), len(evs))


if __name__ == "__main__":
    unittest.main()
