"""agentlogd with its journal on a small filesystem the test mounts (a
tmpfs; skipped with a message where mounting is not allowed).

  - The filesystem fills up (the cap is larger than the disk): the daemon
    stays up, holds what it accepted in memory up to its bound, then
    refuses new events with a reason naming the full disk, says so in its
    status and its log, and once space is freed writes what it held and
    accepts again.  Every acknowledged event is in the journal, also after
    a restart.
  - The journal cap (--journal-max-bytes) is reached while Kafka is away:
    with --when-full reject new events are refused with a reason and
    counted; with drop-oldest the oldest segments go, counted.  When Kafka
    is back the journal drains and accepts again; every acknowledged event
    the policy did not drop reaches Kafka.
"""
import json
import os
import subprocess
import tempfile
import threading
import unittest

from broker import Broker
from daemon import Daemon, line, make_event, read_line, wait_for
from relutil import HEADERS, AckSender, kafka_ids, kafka_records

MIB = 1 << 20


class DiskFullTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="agentlog-diskfull-")
        self.addCleanup(subprocess.run, ["rm", "-rf", self.tmp])
        self.mnt = os.path.join(self.tmp, "fs")
        os.mkdir(self.mnt, 0o700)
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs",
                            self.mnt], capture_output=True, text=True)
        if p.returncode != 0:
            self.skipTest("cannot mount a 24 MiB tmpfs (needs root or CAP_SYS_ADMIN): " +
                          (p.stderr.strip() or "mount exited %d" % p.returncode))
        self.addCleanup(subprocess.run, ["umount", "-l", self.mnt])

    def daemon(self, *args, kafka=None):
        d = Daemon(tmp=self.tmp, journal_dir=os.path.join(self.mnt, "journal"),
                   kafka=kafka, args=HEADERS + list(args))
        self.addCleanup(d.cleanup)
        return d

    def fill(self, leave):
        """A file taking all the filesystem's space but leave bytes."""
        st = os.statvfs(self.mnt)
        path = os.path.join(self.mnt, "filler")
        with open(path, "wb") as f:
            f.write(b"\0" * (st.f_bavail * st.f_frsize - leave))
        return path

    def journal_ids(self, d):
        return {r["event_id"] for r in d.journal()}

    def flood(self, d, stop):
        """A fire-and-forget sender: nobody waits for an acknowledgement."""
        data = b"".join(line(make_event("agent_action", pad="f" * 2000)) for _ in range(50))
        while not stop.is_set():
            try:
                with d.connect(timeout=1) as s:
                    while not stop.is_set():
                        s.sendall(data)
            except OSError:
                pass    # held back (the daemon stopped reading): try again

    def status(self, d):
        """.status on one connection kept open (the flood may fill the
        listen backlog for new ones)."""
        if getattr(self, "ctl", None) is None:
            self.ctl = d.connect()
            self.addCleanup(self.ctl.close)
        self.ctl.sendall(b".status\n")
        return json.loads(read_line(self.ctl))

    def test_filesystem_full_refuses_with_reason_and_recovers(self):
        d = self.daemon("--no-kafka")
        self.status(d)
        filler = self.fill(4 * MIB)
        load = AckSender(d, threads=1, batch=20, pad=2000).start()
        self.addCleanup(load.stop)
        stop = threading.Event()
        flood = threading.Thread(target=self.flood, args=(d, stop))
        flood.start()
        self.addCleanup(flood.join)
        self.addCleanup(stop.set)
        # Full: writes fail, up to 8 MiB wait in memory (acknowledgements
        # held), then refusals.
        wait_for(lambda: self.status(d)["events"]["rejected_by_reason"].get("journal_full"),
                 60, what="refusals")
        stop.set()
        flood.join()
        st = self.status(d)
        self.assertTrue(st["journal"]["write_failing"])
        self.assertGreater(st["journal"]["write_errors"], 0)
        self.assertIn("No space left on device", d.log())
        # An event as big as the refused ones is refused with the reason
        # (a smaller one might still fit in the memory bound, and wait).
        reply = d.send_ack([make_event("agent_action", pad="f" * 2000)], timeout=10)[0]
        self.assertFalse(reply["ok"])
        self.assertIn("journal_full: no space left on the journal's disk", reply["error"])
        # Space again: what was held is written, acknowledgements resume.
        os.unlink(filler)
        wait_for(lambda: not d.status()["journal"]["write_failing"], 30,
                 what="writes to succeed again")
        goal = load.count() + 200
        wait_for(lambda: load.count() >= goal, 60, what="acknowledgements to resume")
        load.stop()
        st = d.status()
        acked = set(load.acked)
        print("disk full: %d accepted (%d acknowledged), %d refused" %
              (st["events"]["accepted"], len(acked), st["events"]["rejected"]))
        for why in load.rejected:
            self.assertIn("journal_full: no space left on the journal's disk", why)
        recs = d.journal()
        self.assertEqual(len(recs), st["events"]["accepted"], "accepted but not journaled")
        self.assertEqual(acked - {r["event_id"] for r in recs}, set())
        self.assertEqual(d.stop(), 0)
        d.start()
        self.assertEqual(len(d.journal()), st["events"]["accepted"], "lost across a restart")
        self.assertEqual(d.status()["journal"]["quarantined"], 0)

    def cap_reached(self, policy):
        broker = Broker()
        self.addCleanup(broker.stop)
        d = self.daemon("--journal-max-bytes", "6M", "--segment-bytes", "1M",
                        "--when-full", policy, "--kafka-queue-kbytes", "1024",
                        kafka=broker.bootstrap)
        load = AckSender(d, threads=2, batch=20, pad=2000).start()
        self.addCleanup(load.stop)
        wait_for(lambda: d.status()["kafka"]["delivered"] > 100, 30, what="deliveries")
        broker.down()
        return broker, d, load

    def drain(self, broker, d, load):
        broker.up()
        goal = load.count() + 500
        wait_for(lambda: load.count() >= goal, 60, what="acknowledgements to go on")
        load.stop()
        wait_for(lambda: (lambda j: j["cursor"] == j["next_seq"])(d.status()["journal"]),
                 120, what="the journal drained")
        count, dups = kafka_ids(self, kafka_records(self, broker))
        return [e for e in load.acked if e not in count]

    def test_cap_reached_reject(self):
        broker, d, load = self.cap_reached("reject")
        wait_for(lambda: load.rejected, 60, what="a refusal")
        st = d.status()
        self.assertGreater(st["journal"]["rejected_full"], 0)
        self.assertLessEqual(st["journal"]["bytes"], 6 * MIB)
        self.assertIn("journal_full: the journal is full", load.rejected[0])
        lost = self.drain(broker, d, load)
        self.assertEqual(lost, [])

    def test_cap_reached_drop_oldest(self):
        broker, d, load = self.cap_reached("drop-oldest")
        wait_for(lambda: d.status()["journal"]["dropped_oldest"] > 0, 60,
                 what="drop-oldest to drop")
        st = d.status()
        self.assertLessEqual(st["journal"]["bytes"], 6 * MIB)
        self.assertGreater(st["dropped"], 0)
        self.assertIn("drop-oldest", d.log())
        lost = self.drain(broker, d, load)
        dropped = d.status()["journal"]["dropped_oldest"]
        print("drop-oldest: %d acknowledged, %d dropped by the policy, %d of them "
              "acknowledged" % (len(load.acked), dropped, len(lost)))
        self.assertEqual(load.rejected, [])
        self.assertLessEqual(len(lost), dropped)
        # What the policy dropped is one run of the oldest undelivered
        # events: per correlation id and topic (one partition, delivered in
        # order), no event kept between two dropped ones.
        lost = set(lost)
        runs = {}
        for e, (cid, n) in load.acked.items():
            runs.setdefault((cid, n % 4), []).append((n, e in lost))
        for evs in runs.values():
            flags = [dropped for _, dropped in sorted(evs)]
            if True in flags:
                first, last = flags.index(True), len(flags) - 1 - flags[::-1].index(True)
                self.assertNotIn(False, flags[first:last + 1])

if __name__ == "__main__":
    unittest.main(verbosity=2)
