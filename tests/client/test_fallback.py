"""The inbox fallback end to end: with agentlogd down (socket missing, or
a stale socket of a killed daemon) agentlogctl stores events in the inbox,
exits 0 with one warning line, and the next agentlogd start journals them
all, in order, once each, and empties the inbox; many concurrent writers
lose nothing and double nothing."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctlutil import AGENTLOGCTL, ctl, env_for, events, inbox  # noqa: E402
from daemon import Daemon, make_event, wait_for  # noqa: E402

WRITERS = 8
PER_WRITER = 40


class FallbackTest(unittest.TestCase):
    def setUp(self):
        self.d = Daemon(start=False)
        self.addCleanup(self.d.cleanup)
        self.env = env_for(self.d)
        self.pending = os.path.join(self.d.journal_dir, "inbox", "pending.rec")

    def action(self, name, cid=None):
        return ["agent-action", "--agent", "a", "--action-type", "success",
                "--action-name", name, "--correlation-id",
                cid or str(uuid.uuid4())]

    def journaled_names(self, n):
        evs = wait_for(lambda: (lambda e: e if len(e) >= n else None)(
            events(self.d.journal_dir)), 30, what="%d events journaled" % n)
        return [e.get("action_name") for e in evs]

    def test_daemon_down_then_ingested_in_order(self):
        for i in range(5):
            p = ctl(self.action("e%d" % i), self.env)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stdout, "")
            lines = p.stderr.splitlines()
            self.assertEqual(len(lines), 1, p.stderr)
            self.assertIn("warning", lines[0])
            self.assertIn("inbox", lines[0])
        p = ctl(self.action("json") + ["--json"], self.env)
        res = json.loads(p.stdout)
        self.assertEqual((res["success"], res["via"]), (True, "inbox"))
        p = ctl(self.action("wait") + ["--wait"], self.env)   # no daemon: kept
        self.assertEqual((p.returncode, p.stdout), (0, ""), p.stderr)
        self.assertEqual([r["value"]["action_name"] for r in inbox(self.d.journal_dir)],
                         ["e0", "e1", "e2", "e3", "e4", "json", "wait"])
        st = os.stat(os.path.dirname(self.pending))
        self.assertEqual(st.st_mode & 0o777, 0o700)
        self.assertEqual(os.stat(self.pending).st_mode & 0o777, 0o600)
        self.d.start()
        self.assertEqual(self.journaled_names(7),
                         ["e0", "e1", "e2", "e3", "e4", "json", "wait"])
        wait_for(lambda: not os.path.exists(self.pending), 10,
                 what="the inbox emptied")
        self.d.restart()                    # ingested once, never again
        self.assertEqual(len(events(self.d.journal_dir)), 7)

    def test_stale_socket_of_a_killed_daemon(self):
        self.d.start()
        self.assertEqual(ctl(self.action("before"), self.env).returncode, 0)
        self.journaled_names(1)
        self.d.kill9()                      # the socket file stays behind
        p = ctl(self.action("during"), self.env)
        self.assertEqual(p.returncode, 0)
        self.assertIn("inbox", p.stderr)
        self.d.start()
        self.assertEqual(self.journaled_names(2), ["before", "during"])

    def test_many_concurrent_writers(self):
        script = ('for i in $(seq 0 %d); do agentlogctl agent-action --agent "w$W" '
                  '--action-type success --action-name "e$i" --correlation-id '
                  '"$CID" || exit 1; done' % (PER_WRITER - 1))
        procs = []
        for w in range(WRITERS):
            env = dict(self.env, W=str(w), CID=str(uuid.uuid4()))
            procs.append(subprocess.Popen(["sh", "-c", script], env=env,
                                          stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
        # and one stream of many events on stdin at the same time
        stream = "".join(json.dumps(make_event("agent_action", agent_name="s",
                                               action_name="e%d" % i)) + "\n"
                         for i in range(1000))
        ps = subprocess.run([AGENTLOGCTL, "send"], input=stream, text=True,
                            env=self.env, capture_output=True, timeout=120)
        self.assertEqual(ps.returncode, 0)
        for p in procs:
            self.assertEqual(p.wait(120), 0)
        total = WRITERS * PER_WRITER + 1000
        self.assertEqual(len(inbox(self.d.journal_dir)), total)
        self.d.start()
        evs = wait_for(lambda: (lambda e: e if len(e) >= total else None)(
            events(self.d.journal_dir)), 60, what="all events journaled")
        self.assertEqual(len(evs), total)           # nothing doubled
        by_writer = {}
        for e in evs:
            by_writer.setdefault(e["agent_name"], []).append(e["action_name"])
        self.assertEqual(by_writer.pop("s"), ["e%d" % i for i in range(1000)])
        self.assertEqual(sorted(by_writer), sorted("w%d" % w for w in range(WRITERS)))
        for names in by_writer.values():            # each in its order
            self.assertEqual(names, ["e%d" % i for i in range(PER_WRITER)])
        self.assertFalse(os.path.exists(self.pending))

    def test_stored_nowhere_exits_1(self):
        with tempfile.NamedTemporaryFile() as f:    # a file, not a directory
            env = dict(self.env, AGENTLOG_JOURNAL_DIR=os.path.join(f.name, "j"))
            p = ctl(self.action("lost"), env)
            self.assertEqual(p.returncode, 1)
            self.assertIn("inbox", p.stderr)
            p = ctl(self.action("lost") + ["--json"], env)
            self.assertEqual(p.returncode, 1)
            res = json.loads(p.stdout)
            self.assertEqual(res["success"], False)
            self.assertIn("error", res)


if __name__ == "__main__":
    unittest.main()
