"""Poison messages: what can never be stored (not JSON, failing validation,
refused by a CHECK constraint) goes to the dead-letter topic, byte for
byte, with headers naming its origin (topic, partition, offset) and the
error, while the valid events of the same batch are stored."""

import json
import time
import unittest
import uuid

from broker import DLQ_TOPIC, TOPICS
from harness import (WriterCase, TOPIC, count, event, publish, total_rows,
                     wait_until)


class DeadLetters(WriterCase):
    PARTITIONS = 2

    def poison(self):
        """(label, record value, event-like dict for key/headers, error
        prefix the dead letter must carry)."""
        corr = str(uuid.uuid4())
        def ev(t, **kw):
            return event(t, corr, **kw)
        cases = [
            ("not json", "this is {not json", ev("agent_action"), "json: "),
            ("empty", "", ev("agent_action"), "json: empty"),
            ("array", "[1,2]", ev("agent_action"), "json: not an object"),
            ("string confidence", None,
             ev("routing_decision", confidence_score="high"),
             "validation: confidence_score: not a number"),
            ("missing agent_name", None,
             ev("agent_action", agent_name=None),
             "validation: agent_name: required"),
            ("bad correlation id", None,
             ev("transformation", correlation_id="not-a-uuid"),
             "validation: correlation_id: not a UUID"),
            ("float duration", None,
             ev("performance_metrics", routing_duration_ms=1.5),
             "validation: routing_duration_ms: not an integer"),
            ("timestamp 'now'", None, ev("agent_action", timestamp="now"),
             "validation: timestamp: not an RFC 3339 date-time"),
            ("unknown type", None, ev("agent_action", type="bogus"),
             "validation: type: "),
            ("schema 2", None, ev("agent_action", schema_version=2),
             "validation: schema_version: "),
            ("NUL", None, ev("agent_action", action_name="a\u0000b"),
             "json: \\u0000"),
            ("CHECK confidence", None,
             ev("routing_decision", confidence_score=1.5),
             "database: new row for relation \"agent_routing_decisions\" "
             "violates check constraint"),
            ("CHECK action_type", None,
             ev("agent_action", action_type="bogus"),
             "database: new row for relation \"agent_actions\" violates "
             "check constraint"),
            ("CHECK negative", None,
             ev("transformation", transformation_duration_ms=-5),
             "database: new row for relation \"agent_transformation_events\""
             " violates check constraint"),
            ("NUMERIC overflow", None,
             ev("transformation", confidence_score=12.5),
             "database: numeric field overflow (SQLSTATE 22003)"),
        ]
        return cases

    def test_poison_goes_to_dlq_and_batch_mates_are_stored(self):
        w = self.writer("--batch-size", "1000", "--batch-ms", "3000")
        corr = str(uuid.uuid4())
        good = [event(t, corr, n=i) for i in range(5) for t in TOPIC]
        cases = self.poison()
        sent = []
        for i, g in enumerate(good):
            publish(self.producer, g)
            if i < len(cases):
                label, value, ev, err = cases[i]
                publish(self.producer, ev, value=value)
                sent.append((label, value if value is not None
                             else json.dumps(ev), ev, err))
        self.assertEqual(len(sent), len(cases))
        reports = self.producer.flush()
        self.assertFalse([r for r in reports if r["error"]])

        wait_until(lambda: count(self.pg, "agent_actions",
                                 "correlation_id = '%s'" % corr) == 5, 30)
        self.assertEqual(total_rows(self.pg), len(good))
        for g in good:
            table = {"agent_action": "agent_actions",
                     "routing_decision": "agent_routing_decisions",
                     "transformation": "agent_transformation_events",
                     "performance_metrics": "router_performance_metrics"}
            self.assertEqual(count(self.pg, table[g["type"]],
                                   "event_id = '%s'" % g["event_id"]), 1)

        dead = self.broker.consume([DLQ_TOPIC], count=len(cases), timeout=30)
        self.assertEqual(len(dead), len(cases))
        origin = {(r["topic"], r["partition"], r["offset"]): r
                  for r in self.broker.consume(TOPICS, count=len(good) +
                                               len(cases), timeout=30)}
        by_value = {d["value"]: d for d in dead}
        for label, value, ev, err in sent:
            d = by_value.get(value)
            self.assertIsNotNone(d, label)
            h = d["headers"]
            self.assertTrue(h["error"].startswith(err),
                            "%s: %r" % (label, h["error"]))
            src = origin[(h["origin_topic"], int(h["origin_partition"]),
                          int(h["origin_offset"]))]
            self.assertEqual(src["value"], value, label)
            self.assertEqual(d["key"], src["key"], label)
            self.assertEqual(h["type"], src["headers"]["type"], label)

        m = wait_until(lambda: (lambda m: m["dlq_messages"] == len(cases)
                                and m)(w.metrics()), 10, what="metrics")
        self.assertEqual(m["messages_consumed"], len(good) + len(cases))
        self.assertEqual(m["messages_inserted"], len(good))
        self.assertEqual(m["messages_failed"], len(cases))
        self.assertEqual(m["batches_processed"], 1, "one batch expected")
        self.assertEqual(w.health()[0], 200)

    def test_dead_letters_are_not_sent_again_after_restart(self):
        """Offsets are committed after the dead letters are acknowledged:
        a restarted writer neither re-sends them nor re-stores anything."""
        w = self.writer("--batch-ms", "100")
        corr = str(uuid.uuid4())
        good = event("agent_action", corr)
        bad = event("agent_action", corr, action_type="bogus")
        publish(self.producer, good)
        publish(self.producer, bad)
        self.producer.flush()
        wait_until(lambda: w.metrics()["dlq_messages"] == 1, 30)
        w.restart()
        w.wait_healthy()
        publish(self.producer, event("agent_action", corr))
        self.producer.flush()
        wait_until(lambda: count(self.pg, "agent_actions") == 2, 30)
        time.sleep(0.5)
        self.assertEqual(self.broker.total([DLQ_TOPIC]), 1)
        self.assertEqual(w.metrics()["messages_consumed"], 1)


if __name__ == "__main__":
    unittest.main()
