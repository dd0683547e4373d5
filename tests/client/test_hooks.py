"""contrib/hooks against a real agentlogd: the agentlogctl hook logs a tool
call from a hook's JSON payload (and never fails the hook); the datagram
snippet delivers with socat or nc when the system has one."""
import json
import os
import shutil
import subprocess
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctlutil import SOURCE, env_for, events  # noqa: E402
from daemon import Daemon, make_event, wait_for  # noqa: E402

HOOKS = os.path.join(SOURCE, "contrib", "hooks")


class HookTest(unittest.TestCase):
    def setUp(self):
        self.d = Daemon()
        self.addCleanup(self.d.cleanup)
        self.env = env_for(self.d, AGENTLOG_AGENT="claude-code")

    def test_agentlogctl_hook(self):
        sid = str(uuid.uuid4())
        payload = {"session_id": sid, "hook_event_name": "PostToolUse",
                   "tool_name": "Read",
                   "tool_input": {"file_path": "/x.py"},
                   "tool_response": {"content": "line\n\"quoted\""}}
        p = subprocess.run([os.path.join(HOOKS, "agentlog-hook.sh")],
                           input=json.dumps(payload, indent=2), text=True,
                           env=self.env, capture_output=True, timeout=30)
        self.assertEqual((p.returncode, p.stdout), (0, ""), p.stderr)
        evs = wait_for(lambda: events(self.d.journal_dir), 10, what="the event")
        ev = evs[0]
        self.assertEqual((ev["type"], ev["agent_name"], ev["action_type"],
                          ev["action_name"], ev["correlation_id"]),
                         ("agent_action", "claude-code", "tool_call", "Read", sid))
        self.assertEqual(ev["action_details"], payload)
        # daemon down and no inbox possible: the hook still exits 0
        self.d.stop()
        env = dict(self.env, AGENTLOG_JOURNAL_DIR="/dev/null/x")
        p = subprocess.run([os.path.join(HOOKS, "agentlog-hook.sh")],
                           input="not json", text=True, env=env,
                           capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 0)

    def test_datagram_snippet(self):
        if not (shutil.which("socat") or shutil.which("nc")):
            self.skipTest("neither socat nor nc is installed")
        ev = make_event(action_name="via-dgram")
        p = subprocess.run([os.path.join(HOOKS, "agentlog-dgram.sh"),
                            json.dumps(ev)], env=self.env, timeout=30)
        self.assertEqual(p.returncode, 0)
        evs = wait_for(lambda: events(self.d.journal_dir), 10, what="the event")
        self.assertEqual(evs[0]["action_name"], "via-dgram")


if __name__ == "__main__":
    unittest.main()
