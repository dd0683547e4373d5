"""agentlogctl against a real agentlogd: every subcommand round-trips into
the journal with every field intact, the seed's examples run verbatim with
the command swapped, exit codes and output are as documented."""
import json
import os
import re
import subprocess
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctlutil import (AGENTLOGCTL, SEED_CORR, SEED_DEBUG, SEED_EXAMPLES,  # noqa
                     SEED_FIELDS, SEED_WORKFLOW, UUIDGEN, ctl, env_for, events,
                     swap_to_ctl)
from daemon import Daemon, make_event, wait_for  # noqa: E402

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                     r"[0-9a-f]{12}$")


class CtlTest(unittest.TestCase):
    def setUp(self):
        self.d = Daemon()
        self.addCleanup(self.d.cleanup)
        self.env = env_for(self.d)

    def wait_events(self, n):
        return wait_for(lambda: (lambda e: e if len(e) >= n else None)(
            events(self.d.journal_dir)), 20, what="%d events journaled" % n)

    def assert_fields(self, ev, etype, fields):
        self.assertEqual(ev["type"], etype)
        for k, v in fields.items():
            self.assertEqual(ev[k], v, k)
        self.assertTrue(UUID_RE.match(ev["event_id"]))

    def test_seed_examples_verbatim(self):
        for skill, script in SEED_EXAMPLES.items():
            p = subprocess.run(["sh", "-c", swap_to_ctl(script)], env=self.env,
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 0, skill + ": " + p.stderr)
            self.assertEqual(p.stdout, "", skill)   # the id was given
            self.assertEqual(p.stderr, "", skill)
        evs = self.wait_events(4)
        self.assertEqual(len(evs), 4)
        for ev, skill in zip(evs, SEED_EXAMPLES):
            self.assert_fields(ev, *SEED_FIELDS[skill])

    def test_seed_workflow_and_debug_blocks_verbatim(self):
        script = UUIDGEN + swap_to_ctl(SEED_WORKFLOW + SEED_DEBUG)
        p = subprocess.run(["bash", "-c", "set -e\n" + script], env=self.env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        evs = self.wait_events(7)
        self.assertEqual([e["type"] for e in evs],
                         ["routing_decision", "transformation",
                          "performance_metrics"] + ["agent_action"] * 4)
        self.assertEqual(len({e["correlation_id"] for e in evs}), 1)
        self.assertEqual([e.get("action_name") for e in evs[3:]],
                         ["read_file", "select_optimal_strategy",
                          "file_read_failed", "task_completed"])
        self.assertEqual(evs[3]["action_details"],
                         {"file_path": "/path/to/file.py", "lines_read": 150})
        self.assertNotIn("duration_ms", evs[5])

    def test_every_optional_flag(self):
        cid = str(uuid.uuid4())
        runs = [
            ["agent-action", "--agent", "a", "--action-type", "tool_call",
             "--action-name", "n", "--details", '{"x": [1, {"y": null}]}',
             "--duration-ms", "7", "--debug-mode", "false"],
            ["routing-decision", "--agent", "b", "--confidence", "0.5",
             "--strategy", "s", "--latency-ms", "3", "--user-request", "u",
             "--reasoning", "r", "--alternatives", '["c", "d"]',
             "--context", '{"k": "v"}'],
            ["transformation", "--from-agent", "a", "--to-agent", "b",
             "--success", "false", "--duration-ms", "9", "--reason", "why",
             "--confidence", "1"],
            ["performance-metrics", "--query", "q", "--duration-ms", "999",
             "--cache-hit", "true", "--candidates", "0", "--strategy", "t",
             "--confidence-components", '{"trigger": 0.25, "context": 0.75}'],
            # each flag also answers to its field's name
            ["routing-decision", "--selected-agent", "z",
             "--confidence-score", "0", "--routing-strategy", "s",
             "--routing-time-ms", "0"],
        ]
        for args in runs:
            p = ctl(args + ["--correlation-id", cid], self.env)
            self.assertEqual(p.returncode, 0, p.stderr)
        evs = self.wait_events(len(runs))
        self.assert_fields(evs[0], "agent_action", {
            "agent_name": "a", "action_type": "tool_call", "action_name": "n",
            "action_details": {"x": [1, {"y": None}]}, "duration_ms": 7,
            "debug_mode": False, "correlation_id": cid})
        self.assert_fields(evs[1], "routing_decision", {
            "selected_agent": "b", "confidence_score": 0.5,
            "routing_strategy": "s", "routing_time_ms": 3, "user_request": "u",
            "reasoning": "r", "alternatives": ["c", "d"],
            "context": {"k": "v"}})
        self.assert_fields(evs[2], "transformation", {
            "source_agent": "a", "target_agent": "b", "success": False,
            "transformation_duration_ms": 9, "transformation_reason": "why",
            "confidence_score": 1})
        self.assert_fields(evs[3], "performance_metrics", {
            "query_text": "q", "routing_duration_ms": 999, "cache_hit": True,
            "candidates_evaluated": 0, "trigger_match_strategy": "t",
            "confidence_components": {"trigger": 0.25, "context": 0.75}})
        self.assert_fields(evs[4], "routing_decision", {"selected_agent": "z"})

    def test_correlation_id_sources(self):
        a, b = str(uuid.uuid4()), str(uuid.uuid4())
        base = ["transformation", "--from-agent", "x", "--to-agent", "y",
                "--duration-ms", "1"]
        p1 = ctl(base, dict(self.env, AGENTLOG_CORRELATION_ID=a,
                            CORRELATION_ID=b))
        p2 = ctl(base, dict(self.env, CORRELATION_ID=b))
        p3 = ctl(base + ["--correlation-id", b],
                 dict(self.env, AGENTLOG_CORRELATION_ID=a))
        p4 = ctl(base, self.env)                    # none: a new one, printed
        p5 = ctl(base + ["--json"], self.env)       # ... or in the JSON
        for p in (p1, p2, p3):
            self.assertEqual((p.returncode, p.stdout), (0, ""), p.stderr)
        self.assertEqual(p4.returncode, 0)
        new = p4.stdout.strip()
        self.assertTrue(UUID_RE.match(new), p4.stdout)
        res = json.loads(p5.stdout)
        self.assertTrue(UUID_RE.match(res["correlation_id"]))
        self.assertNotEqual(res["correlation_id"], new)
        evs = self.wait_events(5)
        self.assertEqual([e["correlation_id"] for e in evs],
                         [a, b, b, new, res["correlation_id"]])

    def test_send_argument_and_stdin_stream(self):
        cid = str(uuid.uuid4())
        one = make_event("agent_action", correlation_id=cid, action_name="one")
        p = ctl(["send", json.dumps(one)], self.env)
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, "", ""))
        # many lines on stdin, one connection; --type for typeless events;
        # an event without correlation_id takes --correlation-id
        lines = []
        for i in range(2000):
            ev = make_event("performance_metrics", correlation_id=cid,
                            query_text="q%d" % i)
            del ev["type"]
            if i % 2:
                del ev["correlation_id"]
            lines.append(json.dumps(ev))
        conns = self.d.status().get("connections", {})
        p = ctl(["send", "--type", "performance_metrics", "--correlation-id",
                 cid], self.env, stdin="\n".join(lines) + "\n\n")
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, "", ""))
        evs = self.wait_events(2001)
        self.assertEqual(evs[0]["action_name"], "one")
        self.assertEqual([e["query_text"] for e in evs[1:]],
                         ["q%d" % i for i in range(2000)])
        self.assertTrue(all(e["correlation_id"] == cid for e in evs))
        self.assertTrue(all(e["type"] == "performance_metrics" for e in evs[1:]))
        del conns

    def test_wait_prints_event_id_and_json(self):
        cid = str(uuid.uuid4())
        ev = json.dumps(make_event("routing_decision", correlation_id=cid))
        p = ctl(["send", "--wait", ev], self.env)
        self.assertEqual(p.returncode, 0, p.stderr)
        eid = p.stdout.strip()
        self.assertTrue(UUID_RE.match(eid), p.stdout)
        p = ctl(["send", "--wait", "--json", ev], self.env)
        res = json.loads(p.stdout)
        self.assertEqual(res["success"], True)
        self.assertEqual(res["correlation_id"], cid)
        self.assertEqual(res["via"], "daemon")
        evs = self.wait_events(2)
        self.assertEqual([e["event_id"] for e in evs], [eid, res["event_id"]])
        # fire and forget with --json: no event id to give
        p = ctl(["send", "--json", ev], self.env)
        self.assertEqual(json.loads(p.stdout),
                         {"success": True, "correlation_id": cid,
                          "event_id": None, "via": "daemon"})

    def test_invalid_events_exit_2_and_send_nothing(self):
        cid = str(uuid.uuid4())
        bad = [
            ["send", '{"type":"agent_action","correlation_id":"%s"}' % cid],
            ["send", '{"type":"nope","correlation_id":"%s"}' % cid],
            ["send", '{"type":"agent_action", bad json'],
            ["send", "--type", "agent_action", "[]"],
            ["agent-action", "--agent", "a", "--action-type", "dance",
             "--action-name", "n", "--correlation-id", cid],
            ["routing-decision", "--confidence", "1.5", "--agent", "a",
             "--strategy", "s", "--latency-ms", "1", "--correlation-id", cid],
            ["transformation", "--from-agent", "a", "--to-agent", "b",
             "--correlation-id", "not-a-uuid", "--duration-ms", "1"],
        ]
        for args in bad:
            p = ctl(args, self.env)
            self.assertEqual(p.returncode, 2, (args, p.stderr))
            self.assertIn("invalid event", p.stderr)
        # the validator's reason names the flag for typed subcommands
        p = ctl(bad[4], self.env)
        self.assertIn("action_type", p.stderr)
        self.assertIn("--action-type", p.stderr)
        p = ctl(bad[5] + ["--json"], self.env)
        res = json.loads(p.stdout)
        self.assertEqual(res["success"], False)
        self.assertIn("confidence_score", res["error"])
        ok = make_event("agent_action", correlation_id=cid, action_name="sentinel")
        self.assertEqual(ctl(["send", json.dumps(ok)], self.env).returncode, 0)
        evs = self.wait_events(1)
        self.assertEqual([e["action_name"] for e in evs], ["sentinel"])

    def test_usage_errors_and_help(self):
        for args in (["bogus"], [], ["send", "--bogus"], ["agent-action", "x"],
                     ["agent-action", "--duration-ms", "4.5"],
                     ["transformation", "--success", "maybe"],
                     ["routing-decision", "--alternatives", "{}"],
                     ["send", "--timeout", "-1", "{}"], ["send", "a", "b"]):
            p = ctl(args, self.env)
            self.assertEqual(p.returncode, 2, (args, p.stdout, p.stderr))
            self.assertEqual(p.stdout, "", args)
            self.assertTrue(p.stderr, args)
        for cmd in ("send", "agent-action", "log-agent-action",
                    "routing-decision", "log-routing-decision",
                    "transformation", "log-transformation",
                    "performance-metrics", "log-performance-metrics",
                    "status", "ping", "journal"):
            p = ctl([cmd, "--help"], self.env)
            self.assertEqual((p.returncode, p.stderr), (0, ""), cmd)
            self.assertIn("usage: agentlogctl", p.stdout)
            self.assertIn("Example", p.stdout)
            self.assertIn("agentlogctl ", p.stdout.split("Example", 1)[1])
        p = ctl(["--help"], self.env)
        self.assertEqual(p.returncode, 0)
        self.assertIn("Exit status", p.stdout)
        p = ctl(["--version"], self.env)
        self.assertRegex(p.stdout, r"agentlogctl \S+ .*wire protocol 1, "
                         r"schema 1")
        self.assertEqual(events(self.d.journal_dir), [])

    def test_status_and_ping(self):
        ctl(["send", json.dumps(make_event())], self.env)
        self.wait_events(1)
        p = ctl(["status", "--json"], self.env)
        self.assertEqual(p.returncode, 0, p.stderr)
        st = json.loads(p.stdout)
        self.assertGreaterEqual(st["events"]["accepted"], 1)
        p = ctl(["status"], self.env)
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"(?m)^events    1 accepted ")
        p = ctl(["ping"], self.env)
        self.assertEqual(p.returncode, 0)
        self.assertIn("pong", p.stdout)
        self.d.stop()
        for cmd in (["status"], ["ping"], ["status", "--json"]):
            p = ctl(cmd, self.env)
            self.assertEqual(p.returncode, 1, cmd)
            self.assertIn("unreachable", p.stderr)


class CtlRejectTest(unittest.TestCase):
    """--wait: the daemon's own refusal (here its line limit) exits 1."""

    def test_wait_rejected_exits_1(self):
        d = Daemon(args=["--max-line-bytes", "1024"])
        self.addCleanup(d.cleanup)
        env = env_for(d)
        ev = make_event("agent_action", reasoning="x" * 1500)
        p = ctl(["send", "--wait", json.dumps(ev)], env)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertTrue(p.stderr.strip())
        p = ctl(["send", "--wait", "--json", json.dumps(ev)], env)
        self.assertEqual(p.returncode, 1)
        res = json.loads(p.stdout)
        self.assertEqual(res["success"], False)
        self.assertTrue(res["error"])
        self.assertEqual(events(d.journal_dir), [])


if __name__ == "__main__":
    unittest.main()
