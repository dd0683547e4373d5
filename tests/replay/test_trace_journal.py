"""trace and replay from the local journal of a real agentlogd, and the
same workflow from Kafka after an outage drained: interleaved workflows,
exactly one traced, all four types, in order; replay with filters, time
bounds and --follow."""
import json
import os
import queue
import subprocess
import sys
import threading
import time
import unittest
import uuid

from daemon import Daemon, make_event, wait_for  # noqa: E402

BUILD = os.environ.get("AGENTLOG_BUILD", "build")
CTL = os.path.join(BUILD, "client", "agentlogctl")
TYPES = ["routing_decision", "transformation", "performance_metrics",
         "agent_action", "agent_action"]


def iso(ms):
    t = time.gmtime(ms // 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + ".%03dZ" % (ms % 1000)


def ctl(args, env=None, timeout=60):
    e = dict(os.environ)
    e.pop("KAFKA_BROKERS", None)
    e.update(env or {})
    return subprocess.run([CTL] + args, capture_output=True, text=True,
                          timeout=timeout, env=e)


def workflows(n, base_ms):
    """n workflows of 5 events each, their timestamps interleaved and the
    lines sent in an order that is not the time order."""
    flows = {str(uuid.uuid4()): [] for _ in range(n)}
    lines = []
    for i, t in enumerate(TYPES):
        for j, cid in enumerate(flows):
            ev = make_event(t, correlation_id=cid,
                            timestamp=iso(base_ms + 1000 * i + j))
            if t == "agent_action":
                ev["action_name"] = "a%d" % i
            flows[cid].append(ev)
            lines.append(ev)
    lines.reverse()                       # sent newest first
    return flows, lines


class JournalTraceTest(unittest.TestCase):
    def setUp(self):
        self.d = Daemon()
        self.addCleanup(self.d.cleanup)
        self.jd = ["--journal-dir", self.d.journal_dir]

    def send(self, events):
        p = subprocess.run([CTL, "send", "--socket", self.d.sock],
                           input="".join(json.dumps(e) + "\n" for e in events),
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_interleaved_workflows_traced_exactly(self):
        flows, lines = workflows(20, 1761215400000)
        self.send(lines)
        self.d.wait_accepted(len(lines))
        for cid, want in list(flows.items())[:8]:
            p = ctl(["trace", cid, "--from", "journal", "--format", "ndjson"]
                    + self.jd)
            self.assertEqual(p.returncode, 0, p.stderr)
            got = [json.loads(l) for l in p.stdout.splitlines()]
            self.assertEqual([g["correlation_id"] for g in got], [cid] * 5)
            self.assertEqual([g["type"] for g in got], TYPES)      # time order
            self.assertEqual([g["timestamp"] for g in got],
                             [w["timestamp"] for w in want])
            self.assertEqual(len({g["event_id"] for g in got}), 5)
            self.assertIn("trace from journal", p.stderr)
        cid = next(iter(flows))
        table = ctl(["trace", cid, "--from", "journal", "--format", "table"]
                    + self.jd).stdout
        self.assertIn("5 events over 4.000 s, from journal", table)
        # no brokers configured: auto reads the journal and says so
        p = ctl(["trace", cid, "--format", "json"] + self.jd)
        doc = json.loads(p.stdout)
        self.assertEqual((doc["from"], doc["count"]), ("journal", 5))

    def test_replay_from_journal(self):
        flows, lines = workflows(5, 1761215400000)
        self.send(lines)
        self.d.wait_accepted(len(lines))
        p = ctl(["replay", "--from", "journal"] + self.jd)
        recs = [json.loads(l) for l in p.stdout.splitlines()]
        self.assertEqual(len(recs), 25)
        self.assertEqual([r["seq"] for r in recs], sorted(r["seq"] for r in recs))
        for r, sent in zip(recs, lines):          # in journal (= sent) order
            self.assertEqual(r["event"]["timestamp"], sent["timestamp"])
            self.assertEqual(r["key"], r["event"]["correlation_id"])
        p = ctl(["replay", "--from", "journal", "--type", "agent_action"] + self.jd)
        self.assertEqual(len(p.stdout.splitlines()), 10)
        seq = recs[10]["seq"]
        p = ctl(["replay", "--from", "journal", "--offset", str(seq)] + self.jd)
        self.assertEqual(len(p.stdout.splitlines()), 15)
        t = recs[-1]["timestamp"]
        p = ctl(["replay", "--from", "journal", "--since", str(t + 1)] + self.jd)
        self.assertEqual(p.stdout, "")

    def test_follow_sees_a_later_event(self):
        self.send([make_event()])
        self.d.wait_accepted(1)
        proc = subprocess.Popen([CTL, "replay", "--from", "journal", "--follow"]
                                + self.jd, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        self.addCleanup(lambda: (proc.kill(), proc.wait(), proc.stdout.close()))
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in proc.stdout],
                         daemon=True).start()
        first = json.loads(lines.get(timeout=20))
        late = make_event(action_name="late")
        self.send([late])
        rec = json.loads(lines.get(timeout=20))
        self.assertNotEqual(rec["seq"], first["seq"])
        self.assertEqual(rec["event"]["action_name"], "late")


class OutageTraceTest(unittest.TestCase):
    """From the journal during a Kafka outage, from Kafka after the drain:
    the same events."""

    def test_outage_then_drain(self):
        from broker import Broker
        b = Broker(brokers=1, partitions=4)
        self.addCleanup(b.stop)
        d = Daemon(kafka=b.bootstrap)
        self.addCleanup(d.cleanup)
        b.down()
        flows, lines = workflows(10, 1761215400000)
        p = subprocess.run([CTL, "send", "--socket", d.sock],
                           input="".join(json.dumps(e) + "\n" for e in lines),
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        d.wait_accepted(len(lines))
        cid = next(iter(flows))
        jd = ["--journal-dir", d.journal_dir]
        p = ctl(["trace", cid, "--from", "journal", "--format", "ndjson"] + jd)
        before = [json.loads(l) for l in p.stdout.splitlines()]
        self.assertEqual(len(before), 5)
        b.up()
        self.assertEqual(b.wait_total(len(lines), timeout=120), len(lines))
        p = ctl(["trace", cid, "--format", "ndjson"] + jd,
                env={"KAFKA_BROKERS": b.bootstrap})      # auto: Kafka
        self.assertIn("trace from kafka", p.stderr)
        after = [json.loads(l) for l in p.stdout.splitlines()]
        self.assertEqual(after, before)


if __name__ == "__main__":
    unittest.main()
