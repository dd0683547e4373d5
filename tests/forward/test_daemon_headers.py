"""agentlogd's record headers: none by default (the value carries everything
they would copy); --kafka-headers all adds type, event_id and schema_version
(proto/PROTOCOL.md section 6), a list picks a subset, and a name that is not
a header is refused at start with the name in the error."""
import json
import os
import subprocess
import unittest

from broker import TOPICS, Broker
from daemon import AGENTLOGD, Daemon, make_event, wait_for
from fwdcheck import TYPE_OF_TOPIC

TYPES = list(TYPE_OF_TOPIC.values())


class HeadersTest(unittest.TestCase):
    def records(self, args):
        """One event of each type through a daemon started with args."""
        with Broker() as b, Daemon(kafka=b.bootstrap, args=args) as d:
            d.send_events([make_event(t) for t in TYPES])
            wait_for(lambda: d.status()["kafka"]["delivered"] >= 4, 30,
                     what="4 events delivered")
            recs = b.consume(TOPICS, count=4)
        self.assertEqual(len(recs), 4)
        return recs

    def test_default_none(self):
        for r in self.records([]):
            self.assertEqual(r["headers"], {})
            ev = json.loads(r["value"])
            self.assertEqual(ev["schema_version"], 1)
            self.assertEqual(len(ev["event_id"]), 36)

    def test_all_three(self):
        for r in self.records(["--kafka-headers", "all"]):
            ev = json.loads(r["value"])
            self.assertEqual(r["headers"], {
                "type": ev["type"], "event_id": ev["event_id"],
                "schema_version": "1"})

    def test_subset(self):
        for r in self.records(["--kafka-headers", "event_id,type"]):
            ev = json.loads(r["value"])
            self.assertEqual(r["headers"], {"type": ev["type"],
                                            "event_id": ev["event_id"]})

    def test_none(self):
        for r in self.records(["--kafka-headers", "none"]):
            self.assertEqual(r["headers"], {})
            self.assertIn("event_id", json.loads(r["value"]))

    def test_unknown_name_refused(self):
        p = subprocess.run([AGENTLOGD, "--kafka-headers", "type,trace_id",
                            "--check-config"], stderr=subprocess.PIPE,
                           stdout=subprocess.DEVNULL, text=True, timeout=10,
                           env=dict(os.environ, AGENTLOG_JOURNAL_DIR="/nonexistent"))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("--kafka-headers: 'trace_id' is not a header", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
