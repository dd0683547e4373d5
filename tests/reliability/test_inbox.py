"""The client's fallback inbox when something dies.

A client died in the middle of storing an event: the torn record is
skipped, and the whole records other clients appended after it are still
read, by agentlogd when it ingests the inbox and by `agentlogctl journal
inbox`.  (A torn record whose declared length ran past the end of the file
used to end the read there.)

Every inbox event carries the event_id the client gave it and reported
(`--json`): agentlogd journals and forwards it under that id, and when it
ingests the same inbox file twice (it died after journaling the file and
before unlinking it) both copies carry the same event_id, so a consumer
drops the duplicate.  (Inbox records used to carry a zero id, and the
daemon gave each ingest a fresh one.)"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import uuid

from broker import Broker
from daemon import BUILD, Daemon, make_event, wait_for
from relutil import HEADERS

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


UUID7 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


class InboxEventIdTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="agentlog-inbox-id-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.jdir = os.path.join(self.tmp, "journal")
        self.inbox_dir = os.path.join(self.jdir, "inbox")
        self.sock = os.path.join(self.tmp, "run", "agentlogd.sock")

    def store(self, args):
        """agentlogctl --json with the daemon down: returns the event_id it
        reported for the event it stored in the inbox."""
        p = subprocess.run([AGENTLOGCTL] + args + ["--json", "--socket", self.sock,
                                                   "--journal-dir", self.jdir],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        res = json.loads(p.stdout)
        self.assertEqual((res["success"], res["via"]), (True, "inbox"), res)
        self.assertRegex(res["event_id"] or "", UUID7)
        return res["event_id"]

    def store_three(self):
        """Three events stored while the daemon is down, by the paths an
        event takes to the inbox; returns {correlation id: reported id}."""
        cids = [str(uuid.uuid4()) for _ in range(3)]
        ids = {
            cids[0]: self.store(["send", json.dumps(make_event("agent_action", cids[0]))]),
            cids[1]: self.store(["send", "--wait",
                                 json.dumps(make_event("routing_decision", cids[1]))]),
            cids[2]: self.store(["agent-action", "--agent", "a", "--action-type", "success",
                                 "--action-name", "n", "--correlation-id", cids[2]]),
        }
        self.assertEqual(len(set(ids.values())), 3)
        p = subprocess.run([AGENTLOGCTL, "journal", "--journal-dir", self.jdir, "inbox"],
                           capture_output=True, text=True, timeout=30, check=True)
        stored = {r["key"]: r["event_id"] for r in map(json.loads, p.stdout.splitlines())}
        self.assertEqual(stored, ids)       # the id reported is the one stored
        return ids

    def released(self):
        names = os.listdir(self.inbox_dir)
        return not any(n == "pending.rec" or n.startswith("ingesting-") for n in names)

    def test_daemon_journals_and_forwards_the_reported_id(self):
        ids = self.store_three()
        b = Broker(brokers=1, partitions=1)
        self.addCleanup(b.stop)
        d = Daemon(kafka=b.bootstrap, tmp=self.tmp, journal_dir=self.jdir, args=HEADERS,
                   socket_path=self.sock)
        self.addCleanup(d.cleanup)
        d.wait_accepted(3)
        recs = d.journal()
        self.assertEqual({r["key"]: r["event_id"] for r in recs}, ids)
        self.assertEqual({r["key"]: r["event"]["event_id"] for r in recs}, ids)
        got = b.consume(count=3, timeout=60)
        self.assertEqual({r["key"]: json.loads(r["value"])["event_id"] for r in got}, ids)
        self.assertEqual({r["key"]: r["headers"]["event_id"] for r in got}, ids)

    def test_inbox_ingested_twice_keeps_its_ids(self):
        # Plain sends (no --json): the ids are whatever the inbox holds.
        cids = [str(uuid.uuid4()) for _ in range(3)]
        for cid in cids:
            p = subprocess.run([AGENTLOGCTL, "send", "--socket", self.sock, "--journal-dir",
                                self.jdir, json.dumps(make_event("agent_action", cid))],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(self.inbox_dir, "pending.rec"), "rb") as f:
            content = f.read()
        d = Daemon(tmp=self.tmp, journal_dir=self.jdir, socket_path=self.sock)
        self.addCleanup(d.cleanup)
        d.wait_accepted(3)
        wait_for(self.released, 30, what="the inbox released")
        d.stop()
        # What a daemon killed after journaling the inbox and before
        # unlinking it leaves behind: the claimed file, whole.
        with open(os.path.join(self.inbox_dir, "ingesting-%020d.rec" % 1), "wb") as f:
            f.write(content)
        d.start()
        d.wait_accepted(3)
        wait_for(self.released, 30, what="the inbox released")
        recs = d.journal()
        self.assertEqual([r["key"] for r in recs], cids + cids)   # journaled twice...
        first = [r["event_id"] for r in recs[:3]]
        self.assertEqual([r["event_id"] for r in recs[3:]], first)  # ...as the same events
        self.assertEqual([r["event"]["event_id"] for r in recs], first + first)
        self.assertEqual(len(set(first)), 3)
        for eid in first:
            self.assertRegex(eid, UUID7)


if __name__ == "__main__":
    unittest.main(verbosity=2)
