"""agentlogd when the disk is slow or failing: backpressure instead of
refusals, nothing acknowledged before it is durable, recovery when the disk
comes back.  Uses agentlogd-faults (the journal's fault injection)."""
import json
import threading
import unittest
import uuid

from daemon import Daemon, line, make_event, read_line, wait_for

ENOSPC, EIO = 28, 5


class FaultTest(unittest.TestCase):
    def fault(self, d, req):
        self.assertTrue(d.request(".fault " + req)["ok"])

    def test_slow_disk_is_backpressure_not_refusal(self):
        with Daemon(faults=True, args=["--fsync", "always"]) as d:
            self.fault(d, "delay-fsync 150")
            cid = str(uuid.uuid4())
            n = 40000
            evs = [make_event("agent_action", cid, action_name="s%d" % i) for i in range(n)]
            chunks = [evs[i::2] for i in range(2)]
            ts = [threading.Thread(target=d.send_events, args=(c,)) for c in chunks]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            st = d.wait_accepted(n, timeout=120)
            self.assertEqual(st["events"]["rejected"], 0)
            self.assertGreater(st["events"]["backpressure_waits"], 0, "the disk never pushed back")
            self.fault(d, "delay-fsync 0")
            names = {r["event"]["action_name"] for r in d.journal() if r["key"] == cid}
            self.assertEqual(len(names), n)

    def test_acks_wait_for_a_failing_disk_then_arrive(self):
        with Daemon(faults=True, args=["--fsync", "always"]) as d:
            self.fault(d, "write -1 %d" % ENOSPC)
            evs = [make_event("transformation") for _ in range(50)]
            replies = []
            t = threading.Thread(target=lambda: replies.extend(d.send_ack(evs, timeout=60)))
            t.start()
            wait_for(lambda: d.status()["journal"]["write_errors"] > 0, what="a failed write")
            self.assertEqual(replies, [])      # nothing acknowledged while not on disk
            self.fault(d, "write 0 0")
            t.join(60)
            self.assertEqual(len(replies), 50)
            self.assertTrue(all(r["ok"] for r in replies), replies)
            keys = {r["key"] for r in d.journal()}
            for e in evs:
                self.assertIn(e["correlation_id"], keys)

    def test_disk_full_rejects_with_reason_and_recovers(self):
        with Daemon(faults=True) as d:
            self.fault(d, "write -1 %d" % ENOSPC)
            big = make_event("agent_action", action_details={"blob": "x" * 60000})
            with d.connect() as s:
                s.sendall(b".hello 1 ack\n")
                read_line(s)
                rejected = None
                for _ in range(400):         # at most 24 MB: past the 8 MiB bound
                    s.sendall(line(big))
                    st = d.status()
                    if st["events"]["rejected_by_reason"].get("journal_full"):
                        rejected = st
                        break
                self.assertIsNotNone(rejected, "a full disk never refused anything")
                self.fault(d, "write 0 0")
                s.shutdown(1)
                replies = []
                while True:
                    try:
                        replies.append(json.loads(read_line(s)))
                    except ConnectionError:
                        break
            errs = [r["error"] for r in replies if not r["ok"]]
            self.assertTrue(errs)
            self.assertIn("no space left", errs[0])
            ok = [r for r in replies if r["ok"]]
            self.assertTrue(ok)
            after = make_event("agent_action")
            self.assertTrue(d.send_ack([after])[0]["ok"])
            ids = {r["event_id"] for r in d.journal()}
            for r in ok:
                self.assertIn(r["event_id"], ids)

    def test_failed_fsync_is_retried_before_acknowledging(self):
        with Daemon(faults=True, args=["--fsync", "always"]) as d:
            self.fault(d, "fsync 3 %d" % EIO)
            evs = [make_event("routing_decision") for _ in range(20)]
            replies = d.send_ack(evs, timeout=60)
            self.assertTrue(all(r["ok"] for r in replies))
            st = d.status()
            self.assertGreaterEqual(st["journal"].get("fsync_errors", 0), 1)
            ids = {r["event_id"] for r in d.journal()}
            self.assertTrue(all(r["event_id"] in ids for r in replies))


if __name__ == "__main__":
    unittest.main(verbosity=2)
