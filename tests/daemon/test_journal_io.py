"""agentlogd --journal-io: segments written with O_DIRECT in whole 4096-byte
blocks survive kill -9 (the zero padding of the tail block is no data:
every acknowledged event is read back exactly once, in order, and recovery
cuts the padding without quarantining anything), a closed segment is cut
to its records, buffered I/O is reported as such, and a bad value is
refused."""
import json
import os
import subprocess
import unittest
import uuid

from daemon import JOURNAL_DUMP, Daemon, make_event, wait_for

BLOCK = 4096
NO_DIRECT = "takes no direct I/O"      # journal_choose_io's refusal


def start_or_exit(d, timeout=15.0):
    """Start d; True once it answers .ping, False when it exited first."""
    d.start(wait=False)

    def up():
        if d.proc.poll() is not None:
            return "exited"
        try:
            return d.request(".ping", timeout=1.0) and "up"
        except OSError:
            return None
    return wait_for(up, timeout, what="agentlogd to answer .ping or exit") == "up"


def dump(d):
    """(records, corrupt bytes) as the journal reader sees the segments."""
    p = subprocess.run([JOURNAL_DUMP, os.path.join(d.journal_dir, "segments"), "0"],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError("journal-dump failed (%d): %s" % (p.returncode, p.stderr))
    corrupt = None
    for l in p.stderr.splitlines():
        if l.startswith("corrupt bytes skipped: "):
            corrupt = int(l.split(": ", 1)[1])
    if corrupt is None:
        raise AssertionError("journal-dump said nothing of corrupt bytes: %r" % p.stderr)
    recs = []
    for l in p.stdout.splitlines():
        r = json.loads(l)
        r["event"] = json.loads(r["value"])
        recs.append(r)
    return recs, corrupt


def segments(d):
    """[(path, size)] of the segment files, oldest first."""
    sd = os.path.join(d.journal_dir, "segments")
    names = sorted(n for n in os.listdir(sd) if n.endswith(".seg"))
    return [(os.path.join(sd, n), os.path.getsize(os.path.join(sd, n))) for n in names]


def tail(path, n):
    with open(path, "rb") as f:
        f.seek(max(0, os.path.getsize(path) - n))
        return f.read()


def quarantined_files(d):
    q = os.path.join(d.journal_dir, "quarantine")
    return sorted(os.listdir(q)) if os.path.isdir(q) else []


class JournalIoTest(unittest.TestCase):
    def start_direct(self, d):
        """Start d (--journal-io direct); skip where the file system lacks
        O_DIRECT in 4096-byte blocks."""
        if not start_or_exit(d):
            log = d.log()
            d.stop()
            if NO_DIRECT in log:
                self.skipTest("the file system of %s takes no O_DIRECT in %d-byte blocks "
                              "(agentlogd refused --journal-io direct)" % (d.tmp, BLOCK))
            self.fail("agentlogd --journal-io direct exited at start:\n" + log)
        io = d.status()["journal"]["io"]
        # direct refuses to start where it cannot: a fallback is a bug
        self.assertEqual(io, "direct", "--journal-io direct started, but status "
                         "reports journal.io %r" % io)

    def check_events(self, recs, cid, n, first_seq=None):
        mine = [r for r in recs if r["key"] == cid]
        self.assertEqual([r["event"]["action_name"] for r in mine], ["e%d" % i for i in range(n)])
        seqs = [r["seq"] for r in mine]
        start = seqs[0] if first_seq is None else first_seq
        self.assertEqual(seqs, list(range(start, start + n)), "seqs not contiguous from %d" % start)

    def test_direct_kill9_restart_keeps_every_event_once(self):
        with Daemon(args=["--journal-io", "direct"], start=False) as d:
            self.start_direct(d)
            cid = str(uuid.uuid4())
            n = 1000
            evs = [make_event("agent_action", cid, action_name="e%d" % i) for i in range(n)]
            replies = d.send_ack(evs, timeout=60)
            self.assertEqual(len(replies), n)
            self.assertTrue(all(r["ok"] for r in replies), [r for r in replies if not r["ok"]][:3])
            st = d.status()
            self.assertEqual(st["events"]["accepted"], n)
            self.assertEqual(st["journal"]["io"], "direct")
            self.assertEqual(st["journal"]["next_seq"], n + 1)

            self.assertEqual(d.kill9(), -9)
            # as the crash left it: the segment being written ends on a block
            # boundary (its tail block padded with zeros), and the reader
            # takes the padding for the end, not for corruption
            segs = segments(d)
            last_path, last_size = segs[-1]
            self.assertEqual(last_size % BLOCK, 0, "direct segment %s is %d bytes, not whole "
                             "%d-byte blocks" % (last_path, last_size, BLOCK))
            recs, corrupt = dump(d)
            self.assertEqual(corrupt, 0, "the reader counted the padding of %s as corrupt"
                             % last_path)
            self.check_events(recs, cid, n, first_seq=1)
            self.assertEqual(len(recs), n)

            self.assertTrue(start_or_exit(d), "agentlogd did not restart:\n" + d.log())
            st = d.status()
            self.assertEqual(st["journal"]["io"], "direct")
            self.assertEqual(st["journal"]["next_seq"], n + 1)
            self.assertEqual(st["journal"]["quarantined"], 0)
            # recovery cut the padding silently: no torn tail (the daemon's
            # status has no torn_bytes field; recovery logs each torn tail
            # and copies it to quarantine/), and the old segment now ends on
            # its last record (JSON: '}'), not on zeros
            self.assertEqual(quarantined_files(d), [])
            self.assertNotIn("torn tail", d.log())
            self.assertEqual(tail(last_path, 1), b"}", "padding of %s not cut at recovery "
                             "(%d bytes)" % (last_path, os.path.getsize(last_path)))
            recs, corrupt = dump(d)
            self.assertEqual(corrupt, 0)
            self.assertEqual(len(recs), n)
            self.check_events(recs, cid, n, first_seq=1)

            # the journal goes on after the recovered one, still direct
            more = [make_event("agent_action", cid, action_name="e%d" % i)
                    for i in range(n, n + 10)]
            self.assertTrue(all(r["ok"] for r in d.send_ack(more)))
            recs, corrupt = dump(d)
            self.assertEqual(corrupt, 0)
            self.assertEqual(len(recs), n + 10)
            self.check_events(recs, cid, n + 10, first_seq=1)

            # a clean stop cuts the segment being written to its records
            self.assertEqual(d.stop(), 0)
            for path, size in segments(d):
                if size > 0:
                    self.assertEqual(tail(path, 1), b"}", "%s (%d bytes) ends in zeros after "
                                     "a clean stop" % (path, size))
            recs, corrupt = dump(d)
            self.assertEqual(corrupt, 0)
            self.assertEqual(len(recs), n + 10)
            self.assertEqual(quarantined_files(d), [])

    def test_auto_is_direct_where_direct_works(self):
        with Daemon(args=["--journal-io", "direct"], start=False) as d:
            self.start_direct(d)
        with Daemon() as d:
            self.assertEqual(d.status()["journal"]["io"], "direct")

    def test_buffered_is_reported_and_unpadded(self):
        with Daemon(args=["--journal-io", "buffered"]) as d:
            self.assertEqual(d.status()["journal"]["io"], "buffered")
            self.assertIn("through the page cache", d.log())
            cid = str(uuid.uuid4())
            evs = [make_event("agent_action", cid, action_name="e%d" % i) for i in range(25)]
            self.assertTrue(all(r["ok"] for r in d.send_ack(evs)))
            path, size = segments(d)[-1]
            self.assertEqual(tail(path, 1), b"}", "buffered segment %s (%d bytes) does not "
                             "end on a record" % (path, size))
            self.assertEqual(d.kill9(), -9)
            self.assertTrue(start_or_exit(d), "agentlogd did not restart:\n" + d.log())
            self.assertEqual(d.status()["journal"]["io"], "buffered")
            recs, corrupt = dump(d)
            self.assertEqual(corrupt, 0)
            self.check_events(recs, cid, 25, first_seq=1)
            self.assertEqual(quarantined_files(d), [])

    def test_bad_value_is_refused(self):
        with Daemon(args=["--journal-io", "bogus"], start=False) as d:
            p = subprocess.Popen(d.command(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 env=d.env, text=True)
            try:
                out, err = p.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.communicate()
                self.fail("agentlogd --journal-io bogus did not exit")
            self.assertEqual(p.returncode, 2, out + err)
            self.assertIn("--journal-io", err)
            self.assertIn("bogus", err)
            self.assertFalse(os.path.exists(d.sock), "it started listening")


if __name__ == "__main__":
    unittest.main(verbosity=2)
