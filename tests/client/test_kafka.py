"""agentlogctl to Kafka: every subcommand's event goes through a real
agentlogd into the test broker's topics, keyed by its correlation id, with
every field intact; the seed's examples verbatim included."""
import json
import os
import subprocess
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctlutil import (SEED_EXAMPLES, SEED_FIELDS, ctl, env_for,  # noqa: E402
                     swap_to_ctl)
from broker import Broker  # noqa: E402
from daemon import Daemon, make_event  # noqa: E402

TOPIC = {"agent_action": "agent-actions",
         "routing_decision": "agent-routing-decisions",
         "transformation": "agent-transformation-events",
         "performance_metrics": "router-performance-metrics"}


class KafkaTest(unittest.TestCase):
    def test_every_subcommand_reaches_kafka_intact(self):
        b = Broker(brokers=1, partitions=4)
        self.addCleanup(b.stop)
        d = Daemon(kafka=b.bootstrap)
        self.addCleanup(d.cleanup)
        env = env_for(d)
        expect = []                             # (type, fields)
        for skill, script in SEED_EXAMPLES.items():
            p = subprocess.run(["sh", "-c", swap_to_ctl(script)], env=env,
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 0, p.stderr)
            expect.append(SEED_FIELDS[skill])
        cid = str(uuid.uuid4())
        ev = make_event("routing_decision", correlation_id=cid,
                        alternatives=["a", "b"], context={"n": [1, 2.5, None]},
                        reasoning="quote \" backslash \\ newline \n tab \t é ✓")
        p = ctl(["send", "--wait", json.dumps(ev)], env)
        self.assertEqual(p.returncode, 0, p.stderr)
        fields = dict(ev)
        del fields["type"]
        expect.append(("routing_decision", fields))
        recs = b.consume(count=len(expect), timeout=60)
        self.assertEqual(len(recs), len(expect))
        got = {}
        for r in recs:
            v = json.loads(r["value"])
            self.assertEqual(r["key"], v["correlation_id"])
            self.assertEqual(r["topic"], TOPIC[v["type"]])
            got.setdefault(v["type"], []).append(v)
        for etype, fields in expect:
            cands = [v for v in got[etype]
                     if all(v.get(k) == x for k, x in fields.items())]
            self.assertEqual(len(cands), 1, (etype, fields, got[etype]))
            self.assertIn("event_id", cands[0])
            self.assertIn("timestamp", cands[0])
        # the --wait event id is the one in Kafka
        sent = [v for v in got["routing_decision"] if v["correlation_id"] == cid]
        self.assertEqual(sent[0]["event_id"], p.stdout.strip())


if __name__ == "__main__":
    unittest.main()
