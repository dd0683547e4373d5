"""contrib/skills: the Python drop-in shims against a real agentlogd, with
the seed's examples verbatim (the skill folder swapped), and their failure
JSON when the daemon is down."""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctlutil import (SEED_CORR, SEED_EXAMPLES, SEED_FIELDS, env_for, events,  # noqa
                     swap_to_shim)
from daemon import Daemon, wait_for  # noqa: E402


class ShimTest(unittest.TestCase):
    def run_examples(self, env):
        out = []
        for skill, script in SEED_EXAMPLES.items():
            p = subprocess.run(["sh", "-c", swap_to_shim(script)], env=env,
                               capture_output=True, text=True, timeout=60)
            out.append((skill, p))
        return out

    def test_seed_examples_through_the_shims(self):
        d = Daemon()
        self.addCleanup(d.cleanup)
        env = env_for(d)
        ids = []
        for skill, p in self.run_examples(env):
            self.assertEqual(p.returncode, 0, skill + p.stdout + p.stderr)
            res = json.loads(p.stdout)
            self.assertEqual(res["success"], True)
            self.assertEqual(res["correlation_id"], SEED_CORR)
            ids.append(res["event_id"])
        evs = wait_for(lambda: (lambda e: e if len(e) >= 4 else None)(
            events(d.journal_dir)), 20, what="4 events journaled")
        self.assertEqual([e["event_id"] for e in evs], ids)
        for ev, skill in zip(evs, SEED_EXAMPLES):
            etype, fields = SEED_FIELDS[skill]
            self.assertEqual(ev["type"], etype)
            for k, v in fields.items():
                self.assertEqual(ev[k], v, (skill, k))

    def test_rejected_event_is_failure_json(self):
        d = Daemon()
        self.addCleanup(d.cleanup)
        shim = os.path.join(os.path.dirname(swap_to_shim(
            "~/.claude/skills/agent-tracking/x")), "log-agent-action",
            "execute_kafka.py")
        p = subprocess.run([sys.executable, shim, "--agent", "a",
                            "--action-type", "dance", "--action-name", "n"],
                           env=env_for(d), capture_output=True, text=True)
        self.assertEqual(p.returncode, 1)
        res = json.loads(p.stdout)
        self.assertEqual(res["success"], False)
        self.assertIn("action_type", res["error"])

    def test_daemon_down_never_raises(self):
        d = Daemon(start=False)
        self.addCleanup(d.cleanup)
        for skill, p in self.run_examples(env_for(d)):
            self.assertEqual(p.returncode, 1, skill)
            res = json.loads(p.stdout)
            self.assertEqual(res["success"], False)
            self.assertTrue(res["error"])
            self.assertNotIn("Traceback", p.stderr)


if __name__ == "__main__":
    unittest.main()
