"""The whole way: the seed's four skill invocations, run as agentlogctl
commands, through a real agentlogd, the Kafka test broker and
agentlog-pgwriter into PostgreSQL, every field in its column; the seed's
trace query, pasted verbatim, returns the workflow in order."""

import json
import os
import subprocess
import unittest

from broker import Broker
from harness import (SEED_CORR, SEED_TRACE_QUERY, TABLE, Writer, count,
                     row_json, wait_until)
from pg import Postgres

BUILD = os.environ.get("AGENTLOG_BUILD", "")
AGENTLOGD = os.path.join(BUILD, "daemon", "agentlogd")
AGENTLOGCTL = os.path.join(BUILD, "client", "agentlogctl")
try:
    from daemon import Daemon
except ImportError:
    Daemon = None

# The seed's four examples, with the skill scripts replaced by agentlogctl.
SEED_EXAMPLES = [
    ("routing_decision", ["log-routing-decision",
                          "--agent", "agent-performance",
                          "--confidence", "0.92",
                          "--strategy", "enhanced_fuzzy_matching",
                          "--latency-ms", "45",
                          "--user-request", "optimize my database queries",
                          "--reasoning", "High confidence match on 'optimize'"
                          " and 'performance' triggers",
                          "--alternatives", '["agent-api","agent-debug"]',
                          "--context", '{"session":"s-42"}',
                          "--correlation-id", SEED_CORR]),
    ("transformation", ["log-transformation",
                        "--from-agent", "polymorphic-agent",
                        "--to-agent", "agent-performance",
                        "--success", "true",
                        "--duration-ms", "85",
                        "--correlation-id", SEED_CORR,
                        "--reason", "High confidence match on 'optimize' and"
                        " 'performance' triggers",
                        "--confidence", "0.92"]),
    ("performance_metrics", ["log-performance-metrics",
                             "--query", "optimize my database queries",
                             "--duration-ms", "45",
                             "--cache-hit", "false",
                             "--candidates", "5",
                             "--correlation-id", SEED_CORR,
                             "--strategy", "enhanced_fuzzy_matching",
                             "--confidence-components",
                             '{"trigger":0.5,"context":0.42}']),
    ("agent_action", ["log-agent-action",
                      "--agent", "polymorphic-agent",
                      "--action-type", "decision",
                      "--action-name", "route_to_specialized_agent",
                      "--details", '{"selected_agent":"agent-performance",'
                      '"confidence":0.92}',
                      "--correlation-id", SEED_CORR,
                      "--duration-ms", "45"]),
]

EXPECTED = {
    "routing_decision": {
        "selected_agent": "agent-performance", "confidence_score": 0.92,
        "routing_strategy": "enhanced_fuzzy_matching", "routing_time_ms": 45,
        "user_request": "optimize my database queries",
        "reasoning": "High confidence match on 'optimize' and 'performance' "
                     "triggers",
        "alternatives": ["agent-api", "agent-debug"],
        "context": {"session": "s-42", "correlation_id": SEED_CORR}},
    "transformation": {
        "source_agent": "polymorphic-agent",
        "target_agent": "agent-performance", "success": True,
        "transformation_duration_ms": 85, "confidence_score": 0.92,
        "transformation_reason": "High confidence match on 'optimize' and "
                                 "'performance' triggers",
        "context": {"correlation_id": SEED_CORR}},
    "performance_metrics": {
        "query_text": "optimize my database queries",
        "routing_duration_ms": 45, "cache_hit": False,
        "candidates_evaluated": 5,
        "trigger_match_strategy": "enhanced_fuzzy_matching",
        "confidence_components": {"trigger": 0.5, "context": 0.42},
        "context": {"correlation_id": SEED_CORR}},
    "agent_action": {
        "agent_name": "polymorphic-agent", "action_type": "decision",
        "action_name": "route_to_specialized_agent",
        "action_details": {"selected_agent": "agent-performance",
                           "confidence": 0.92},
        "debug_mode": True, "duration_ms": 45},
}


@unittest.skipUnless(Daemon and os.access(AGENTLOGD, os.X_OK) and
                     os.access(AGENTLOGCTL, os.X_OK),
                     "agentlogd, agentlogctl or tests/lib/daemon.py missing")
class RoundTrip(unittest.TestCase):
    def setUp(self):
        self.pg = Postgres()
        self.addCleanup(self.pg.close)
        self.broker = Broker(brokers=1, partitions=2)
        self.addCleanup(self.broker.stop)
        self.daemon = Daemon(kafka=self.broker.bootstrap)
        self.addCleanup(self.daemon.cleanup)
        self.writer = Writer(self.broker.bootstrap, self.pg.dsn(),
                             args=("--batch-ms", "100"))
        self.addCleanup(self.writer.close)
        self.writer.wait_healthy()

    def ctl(self, args):
        r = subprocess.run([AGENTLOGCTL] + args +
                           ["--socket", self.daemon.sock, "--wait"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip().split()[-1]

    def test_seed_examples_reach_their_tables(self):
        ids = {}
        for etype, args in SEED_EXAMPLES:
            ids[etype] = self.ctl(args)
        wait_until(lambda: sum(count(self.pg, t, "correlation_id = '%s'"
                                     % SEED_CORR)
                               for t in TABLE.values()) == 4, 60,
                   what="4 rows")
        for etype, want in EXPECTED.items():
            row = row_json(self.pg, TABLE[etype], ids[etype])
            self.assertIsNotNone(row, "%s %s" % (etype, ids[etype]))
            self.assertEqual(row["correlation_id"], SEED_CORR)
            for k, v in want.items():
                self.assertEqual(row[k], v, "%s.%s" % (etype, k))
            self.assertEqual(row["source"]["uid"], os.getuid(), etype)
        rows = self.pg.rows(SEED_TRACE_QUERY)
        self.assertEqual([r[0] for r in rows],
                         ["routing", "transformation", "performance",
                          "action"])
        self.assertEqual([r[2:] for r in rows],
                         [["agent-performance", "0.9200", "45"],
                          ["agent-performance", "0.9200", "85"],
                          ["", "", "45"],
                          ["polymorphic-agent", "", "45"]])
        m = self.writer.metrics()
        self.assertEqual((m["messages_consumed"], m["messages_inserted"],
                          m["messages_failed"]), (4, 4, 0))
        trace = self.pg.rows("SELECT event_type, event_id FROM agent_trace "
                             "WHERE correlation_id = '%s'" % SEED_CORR)
        self.assertEqual([t[1] for t in trace],
                         [ids[e] for e, _ in SEED_EXAMPLES])


if __name__ == "__main__":
    unittest.main()
