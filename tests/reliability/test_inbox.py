"""The client's fallback inbox after a client died in the middle of
storing an event: the torn record is skipped, and the whole records other
clients appended after it are still read, by agentlogd when it ingests the
inbox and by `agentlogctl journal inbox`.  (A torn record whose declared
length ran past the end of the file used to end the read there.)"""
import json
import os
import subprocess
import tempfile
import unittest
import uuid

from daemon import BUILD, Daemon, make_event

AGENTLOGCTL = os.path.join(BUILD, "client", "agentlogctl")


class TornInboxTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="agentlog-inbox-")
        self.addCleanup(subprocess.run, ["rm", "-rf", self.tmp])
        self.jdir = os.path.join(self.tmp, "journal")
        self.inbox = os.path.join(self.jdir, "inbox", "pending.rec")

    def store(self, ev):
        """agentlogctl with no daemon to talk to: the event goes to the inbox."""
        p = subprocess.run([AGENTLOGCTL, "send", "--socket", os.path.join(self.tmp, "none.sock"),
                            "--journal-dir", self.jdir, json.dumps(ev)],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("stored in the inbox", p.stderr)

    def test_records_after_a_torn_one_are_kept(self):
        cid = str(uuid.uuid4())
        first = make_event("agent_action", cid, action_name="first")
        self.store(first)
        size = os.path.getsize(self.inbox)
        self.store(make_event("agent_action", cid, action_name="torn",
                              action_details={"blob": "x" * 100000}))
        # That client died half way through its write.
        with open(self.inbox, "r+b") as f:
            f.truncate(size + (os.path.getsize(self.inbox) - size) // 2)
        after = make_event("routing_decision", cid)
        self.store(after)

        p = subprocess.run([AGENTLOGCTL, "journal", "--journal-dir", self.jdir, "inbox"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        listed = [json.loads(l)["value"] for l in p.stdout.splitlines()]
        self.assertEqual([e.get("action_name") for e in listed], ["first", None])
        self.assertEqual(listed[1]["user_request"], after["user_request"])
        self.assertIn("bytes skipped (torn or corrupt)", p.stderr)

        with Daemon(tmp=self.tmp, journal_dir=self.jdir) as d:
            d.wait_accepted(2)
            recs = [r["event"] for r in d.journal() if r["key"] == cid]
            self.assertEqual([r["type"] for r in recs], ["agent_action", "routing_decision"])
            self.assertEqual(recs[0]["action_name"], "first")
            self.assertEqual(recs[1]["user_request"], after["user_request"])
            self.assertEqual(d.status()["events"]["accepted"], 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
