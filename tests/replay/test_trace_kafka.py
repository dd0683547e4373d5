"""trace and replay from Kafka (the test broker, records produced by a
plain librdkafka producer with murmur2_random, as agentlogd produces):
interleaved workflows, one traced exactly, in order, duplicates once;
time-bounded replay; --follow sees a later event; hostile contents do not
break the table or reach the terminal raw."""
import json
import os
import queue
import subprocess
import sys
import threading
import time
import unittest
import uuid

from broker import Broker, Producer  # noqa: E402

BUILD = os.environ.get("AGENTLOG_BUILD", "build")
CTL = os.path.join(BUILD, "client", "agentlogctl")
TOPIC = {"agent_action": "agent-actions",
         "routing_decision": "agent-routing-decisions",
         "transformation": "agent-transformation-events",
         "performance_metrics": "router-performance-metrics"}
BASE_MS = 1761215400000


def iso(ms):
    t = time.gmtime(ms // 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + ".%03dZ" % (ms % 1000)


def workflow(cid, start_ms, n_actions=3):
    """One workflow's events, as agentlogd delivers them (enveloped)."""
    evs = []
    seq = [("routing_decision", {"selected_agent": "agent-performance",
                                 "confidence_score": 0.92,
                                 "routing_strategy": "fuzzy",
                                 "routing_time_ms": 45,
                                 "alternatives": ["agent-api"],
                                 "reasoning": "because"}),
           ("transformation", {"source_agent": "polymorphic-agent",
                               "target_agent": "agent-performance",
                               "transformation_duration_ms": 5,
                               "success": True}),
           ("performance_metrics", {"query_text": "q", "routing_duration_ms": 45,
                                    "cache_hit": False,
                                    "candidates_evaluated": 5})]
    for i in range(n_actions):
        seq.append(("agent_action", {"agent_name": "agent-performance",
                                     "action_type": "error" if i == 1 else "tool_call",
                                     "action_name": "step%d" % i,
                                     "duration_ms": i}))
    for i, (t, f) in enumerate(seq):
        ev = {"event_id": str(uuid.uuid4()), "timestamp": iso(start_ms + 10 * i),
              "schema_version": 1, "type": t, "correlation_id": cid}
        ev.update(f)
        evs.append(ev)
    return evs


def ctl(args, timeout=60):
    env = dict(os.environ)
    env.pop("KAFKA_BROKERS", None)
    return subprocess.run([CTL] + args, capture_output=True, text=True,
                          timeout=timeout, env=env)


class KafkaTraceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.b = Broker(brokers=1, partitions=5)
        cls.p = Producer(cls.b.bootstrap)
        cls.flows = {}
        cids = [str(uuid.uuid4()) for _ in range(40)]
        per = [workflow(c, BASE_MS + 1000 * i) for i, c in enumerate(cids)]
        # interleave the workflows' events, out of order within each topic
        for k in range(max(len(w) for w in per) - 1, -1, -1):
            for w in per:
                if k < len(w):
                    ev = w[k]
                    cls.p.send(TOPIC[ev["type"]], json.dumps(ev),
                               key=ev["correlation_id"])
        cls.dup = per[0][3]                 # delivered twice
        cls.p.send(TOPIC["agent_action"], json.dumps(cls.dup),
                   key=cls.dup["correlation_id"])
        reps = cls.p.flush()
        assert all(not r.get("error") for r in reps), reps
        cls.flows = dict(zip(cids, per))
        cls.total = sum(len(w) for w in per) + 1

    @classmethod
    def tearDownClass(cls):
        cls.p.stop()
        cls.b.stop()

    def trace(self, cid, *extra):
        p = ctl(["trace", cid, "--from", "kafka", "--brokers", self.b.bootstrap]
                + list(extra))
        self.assertEqual(p.returncode, 0, p.stderr)
        return p

    def test_trace_one_workflow_exactly(self):
        for cid in list(self.flows)[:10]:
            p = self.trace(cid, "--format", "ndjson")
            got = [json.loads(l) for l in p.stdout.splitlines()]
            want = self.flows[cid]
            self.assertEqual([e["event_id"] for e in got],
                             [e["event_id"] for e in want])   # once, in order
            self.assertEqual(got, want)                      # intact
            self.assertIn("from kafka", p.stderr)

    def test_trace_json_and_table(self):
        cid = list(self.flows)[0]
        doc = json.loads(self.trace(cid, "--format", "json").stdout)
        self.assertEqual((doc["correlation_id"], doc["from"], doc["count"]),
                         (cid, "kafka", 6))
        table = self.trace(cid, "--format", "table").stdout
        lines = table.splitlines()
        self.assertIn("6 events", lines[0])
        self.assertIn("from kafka", lines[0])
        body = "\n".join(lines[2:])
        for word in ("routing", "transformation", "metrics", "action ERROR",
                     "step0", "alternatives", "agent-performance"):
            self.assertIn(word, body)
        self.assertRegex(lines[2], r"^\s+0\s+routing")
        self.assertRegex(table, r"\n\s+10\s+transformation")

    def test_trace_unknown_id_is_empty(self):
        p = self.trace(str(uuid.uuid4()), "--format", "ndjson")
        self.assertEqual(p.stdout, "")

    def test_replay_everything_in_partition_order(self):
        p = ctl(["replay", "--from", "kafka", "--brokers", self.b.bootstrap])
        self.assertEqual(p.returncode, 0, p.stderr)
        recs = [json.loads(l) for l in p.stdout.splitlines()]
        self.assertEqual(len(recs), self.total)
        last = {}
        for r in recs:
            self.assertEqual(r["key"], r["event"]["correlation_id"])
            self.assertEqual(r["topic"], TOPIC[r["event"]["type"]])
            k = (r["topic"], r["partition"])
            self.assertGreater(r["offset"], last.get(k, -1))
            last[k] = r["offset"]
            self.assertIsInstance(r["timestamp"], int)
        p = ctl(["replay", "--from", "kafka", "--brokers", self.b.bootstrap,
                 "--type", "transformation"])
        recs = [json.loads(l) for l in p.stdout.splitlines()]
        self.assertEqual(len(recs), 40)
        self.assertTrue(all(r["topic"] == "agent-transformation-events"
                            for r in recs))
        cid = list(self.flows)[3]
        p = ctl(["replay", "--from", "kafka", "--brokers", self.b.bootstrap,
                 "--correlation-id", cid, "--agent", "polymorphic-agent"])
        recs = [json.loads(l) for l in p.stdout.splitlines()]
        self.assertEqual([r["event"]["type"] for r in recs], ["transformation"])


class KafkaTimeFollowHostileTest(unittest.TestCase):
    def setUp(self):
        self.b = Broker(brokers=1, partitions=3)
        self.addCleanup(self.b.stop)
        self.p = Producer(self.b.bootstrap)
        self.addCleanup(self.p.stop)

    def replay(self, *extra):
        p = ctl(["replay", "--from", "kafka", "--brokers", self.b.bootstrap]
                + list(extra))
        self.assertEqual(p.returncode, 0, p.stderr)
        return [json.loads(l) for l in p.stdout.splitlines()]

    def test_time_bounded_replay(self):
        cid = str(uuid.uuid4())
        for i in range(20):
            self.p.send("agent-actions", json.dumps({"n": i}), key=cid)
        self.p.flush()
        first = self.replay()
        t_a = max(r["timestamp"] for r in first)
        # wait for the clock to pass batch A's last timestamp
        while int(time.time() * 1000) <= t_a + 1:
            time.sleep(0.002)
        for i in range(20, 30):
            self.p.send("agent-routing-decisions", json.dumps({"n": i}), key=cid)
        self.p.flush()
        later = self.replay("--since", str(t_a + 1))
        self.assertEqual(sorted(r["event"]["n"] for r in later), list(range(20, 30)))
        earlier = self.replay("--until", str(t_a))
        self.assertEqual(sorted(r["event"]["n"] for r in earlier), list(range(20)))

    def test_follow_sees_a_later_event(self):
        proc = subprocess.Popen([CTL, "replay", "--from", "kafka", "--brokers",
                                 self.b.bootstrap, "--follow"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        self.addCleanup(lambda: (proc.kill(), proc.wait(), proc.stdout.close(),
                                 proc.stderr.close()))
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in proc.stdout],
                         daemon=True).start()
        # the replay is running (it said where it reads) before we produce
        self.assertIn("replay from kafka", proc.stderr.readline())
        cid = str(uuid.uuid4())
        deadline = time.monotonic() + 30
        sent = 0
        while True:                 # produce until it shows up (assignment
            self.p.send("agent-actions", json.dumps({"late": sent}), key=cid)
            self.p.flush()          # may land just after the first one)
            sent += 1
            try:
                rec = json.loads(lines.get(timeout=2))
                break
            except queue.Empty:
                self.assertLess(time.monotonic(), deadline, "never seen")
        self.assertEqual(rec["key"], cid)
        self.assertIn("late", rec["event"])

    def test_hostile_contents(self):
        cid = str(uuid.uuid4())
        nasty = "a\nb\r\x1b[2J\x1b]0;pwned\x07\u202e\x01\t" + "z" * 200000
        ev = {"event_id": str(uuid.uuid4()), "timestamp": iso(BASE_MS),
              "type": "agent_action", "correlation_id": cid,
              "agent_name": nasty, "action_type": "error",
              "action_name": nasty, "action_details": {"k": nasty}}
        self.p.send("agent-actions", json.dumps(ev), key=cid)
        self.p.send("agent-actions", "not json \x1b[31m\n", key=cid)
        self.p.flush()
        p = ctl(["trace", cid, "--from", "kafka", "--brokers", self.b.bootstrap,
                 "--format", "table"])
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout
        self.assertNotIn("\x1b", out)
        self.assertNotIn("\x07", out)
        self.assertNotIn("\u202e", out)
        self.assertNotIn("\r", out)
        self.assertNotIn("\x01", out)
        self.assertLess(len(out), 4000)             # long strings cut
        self.assertEqual(len(out.splitlines()), 2 + 2)   # header + row + details
        self.assertIn("\\e[2J", out)
        # ndjson keeps the events exactly, and stays one line each
        p = ctl(["trace", cid, "--from", "kafka", "--brokers", self.b.bootstrap,
                 "--format", "ndjson"])
        got = [json.loads(l) for l in p.stdout.splitlines()]
        self.assertEqual(len(got), 2)
        self.assertTrue(any(g == ev for g in got), "the event, intact")
        self.assertIn("not json \x1b[31m\n", got)


if __name__ == "__main__":
    unittest.main()
