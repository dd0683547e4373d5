"""Hostile input at agentlogd's socket: 100 MiB of random bytes, a 10 MiB
line, 50,000 connections opened and dropped, 1,000 connections writing one
byte a second, invalid UTF-8, deeply nested JSON.

Through each, a well-behaved client keeps sending in acknowledged mode:
every one of its events is accepted and journaled; the daemon stays up,
keeps no file descriptor it should have closed, and its peak resident
memory stays under a ceiling the test asserts (not under ASan, whose
shadow memory and quarantine are counted too).

The slow connections trickle for 5 s (60 s with
AGENTLOG_RELIABILITY_LONG=1).
"""
import json
import os
import resource
import socket
import threading
import time
import unittest
import uuid

from daemon import AGENTLOGD, Daemon, line, make_event, read_line, wait_for
from relutil import open_fds, sanitized, vm

LONG = os.environ.get("AGENTLOG_RELIABILITY_LONG") == "1"
SLOW_S = 60 if LONG else 5
MIB = 1 << 20
RSS_CEILING_KIB = 64 * 1024
SLOW_CONNS = 1000


class GoodClient:
    """One acknowledged event at a time, on one connection, until stopped."""

    def __init__(self, d):
        self.d = d
        self.cid = str(uuid.uuid4())
        self.replies = []
        self.worst = 0.0
        self.stop_ev = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        with self.d.connect(timeout=30) as s:
            s.sendall(b".hello 1 ack\n")
            json.loads(read_line(s))
            n = 0
            while not self.stop_ev.is_set():
                t0 = time.monotonic()
                s.sendall(line(make_event("agent_action", self.cid, action_name="good%d" % n)))
                self.replies.append(json.loads(read_line(s)))
                self.worst = max(self.worst, time.monotonic() - t0)
                n += 1
                self.stop_ev.wait(0.005)

    def finish(self, test):
        self.stop_ev.set()
        self.thread.join(60)
        test.assertFalse(self.thread.is_alive())
        test.assertGreater(len(self.replies), 0)
        bad = [r for r in self.replies if not r.get("ok")]
        test.assertEqual(bad, [])
        journaled = {r["event_id"] for r in test.d.journal() if r["key"] == self.cid}
        test.assertEqual({r["event_id"] for r in self.replies} - journaled, set())
        return len(self.replies)


class HostileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = min(hard, 4 * SLOW_CONNS + 1024) if hard != resource.RLIM_INFINITY \
            else 4 * SLOW_CONNS + 1024
        if soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        cls.nofile = want
        cls.d = Daemon(args=["--no-kafka"])     # inherits the file limit
        cls.asan = sanitized(AGENTLOGD)
        cls.ctl = cls.d.connect()
        # A round trip, so the daemon has accepted ctl before the first
        # test counts its descriptors (connect() returns from the backlog).
        cls.ctl.sendall(b".ping\n")
        read_line(cls.ctl)

    @classmethod
    def tearDownClass(cls):
        cls.ctl.close()
        cls.d.cleanup()

    def status(self):
        """.status on a connection opened before the flood: a new one may
        be refused while hostile connections fill --max-connections."""
        if self.ctl is None:
            type(self).ctl = self.d.connect()
        self.ctl.sendall(b".status\n")
        return json.loads(read_line(self.ctl))

    def setUp(self):
        self.fds = open_fds(self.d.pid, self.d.journal_dir)
        self.good = GoodClient(self.d)

    def tearDown(self):
        n = self.good.finish(self)
        wait_for(lambda: self.status()["connections"]["open"] <= 2, 30,
                 what="hostile connections closed")
        try:
            wait_for(lambda: open_fds(self.d.pid, self.d.journal_dir) <= self.fds,
                     30, what="file descriptors back to %d" % self.fds)
        except AssertionError as e:
            # Which ones (this timed out once under the parallel ASan
            # suite, with the connections already closed, and passed on
            # its rerun).
            fds = {}
            for fd in os.listdir("/proc/%d/fd" % self.d.pid):
                try:
                    fds[fd] = os.readlink("/proc/%d/fd/%s" % (self.d.pid, fd))
                except OSError:
                    pass
            raise AssertionError("%s; open: %s" % (e, fds)) from None
        self.assertTrue(self.d.request(".ping")["pong"])
        hwm = vm(self.d.pid, "VmHWM")
        print("  %s: good client %d events (slowest reply %.3f s), VmHWM %d KiB" %
              (self._testMethodName, n, self.good.worst, hwm))
        if not self.asan:
            self.assertLess(hwm, RSS_CEILING_KIB)

    def send_and_wait_eof(self, chunks):
        """Fire-and-forget: write everything, then wait until the daemon
        read it all and closed its side.  Lines that happen to start with
        '.' are control requests and get a reply: those are read away."""
        with self.d.connect(timeout=120) as s:
            replies = []

            def drain():
                while True:
                    b = s.recv(65536)
                    if not b:
                        return
                    replies.append(b)
            t = threading.Thread(target=drain)
            t.start()
            for c in chunks:
                s.sendall(c)
            s.shutdown(socket.SHUT_WR)
            t.join(120)
            self.assertFalse(t.is_alive(), "the daemon never closed the connection")
        return b"".join(replies)

    def test_random_bytes_100mib(self):
        before = self.status()["events"]
        self.send_and_wait_eof(os.urandom(MIB) for _ in range(100))
        after = self.status()["events"]
        print("  100 MiB of random bytes: %d lines rejected" %
              (after["rejected"] - before["rejected"]))
        self.assertGreater(after["rejected"] - before["rejected"], 100000)

    def test_ten_mib_line(self):
        cid = str(uuid.uuid4())
        huge = b'{"type":"agent_action","correlation_id":"' + cid.encode() + \
            b'","agent_name":"' + b"a" * (10 * MIB) + b'"}\n'
        replies = self.d.send_ack(huge + line(make_event("agent_action", cid)), nreplies=2,
                                  timeout=120)
        self.assertFalse(replies[0]["ok"])
        self.assertIn("longer than", replies[0]["error"])
        self.assertTrue(replies[1]["ok"])

    def test_50000_connections_opened_and_dropped(self):
        def seen():
            c = self.status()["connections"]
            return c["total"] + c["refused"]
        seen0 = seen()

        def churn(k):
            for i in range(12500):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    s.connect(self.d.sock)
                    if i % 3 == 1:
                        s.send(b'{"type":"agent_ac')       # dropped mid-line
                    elif i % 3 == 2:
                        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                     b"\x01\x00\x00\x00\x00\x00\x00\x00")   # reset
                except OSError:
                    pass    # over --max-connections: accepted and closed at once
                finally:
                    s.close()
        ts = [threading.Thread(target=churn, args=(k,)) for k in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        wait_for(lambda: seen() >= seen0 + 50000, 60, what="50,000 connections seen")
        c = self.status()["connections"]
        print("  50,000 connections: %d refused over --max-connections" % c["refused"])

    def test_1000_connections_one_byte_a_second(self):
        if self.nofile < 2 * SLOW_CONNS + 256:
            self.skipTest("needs %d file descriptors, the limit is %d" %
                          (2 * SLOW_CONNS + 256, self.nofile))
        ev = line(make_event("agent_action"))
        socks = []
        try:
            for _ in range(SLOW_CONNS):
                socks.append(self.d.connect(timeout=30))
            wait_for(lambda: self.status()["connections"]["open"] >= SLOW_CONNS, 30,
                     what="%d connections open" % SLOW_CONNS)
            t0 = time.monotonic()
            for i in range(SLOW_S):
                for s in socks:
                    s.send(ev[i:i + 1])
                # One byte a second: the rounds are paced by the clock.
                time.sleep(max(0.0, t0 + i + 1 - time.monotonic()))
            self.assertGreaterEqual(self.status()["connections"]["open"], SLOW_CONNS)
        finally:
            for s in socks:
                s.close()

    def test_invalid_utf8(self):
        cid = str(uuid.uuid4())
        good = make_event("agent_action", cid, action_name="caf\u00e9 \u2603 \U0001f600")
        base = line(make_event("agent_action", cid, action_name="@"))
        bad = [b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xe2\x82",
               b"\xff", b"\xfe", b"\x80", b"\xf8\x88\x80\x80\x80", b"\xf4\x90\x80\x80",
               b"\xf0\x9f\x98"]
        lines = [base.replace(b'"@"', b'"x' + b + b'x"') for b in bad]
        lines += [base.replace(b'"action_name"', b'"k' + b + b'"') for b in bad[:3]]
        replies = self.d.send_ack(b"".join(lines) + line(good))
        for r in replies[:-1]:
            self.assertFalse(r["ok"])
            self.assertIn("UTF-8", r["error"])
        self.assertTrue(replies[-1]["ok"])
        recs = [r for r in self.d.journal() if r["key"] == cid]
        self.assertEqual(len(recs), 1)
        self.assertEqual(recs[0]["event"]["action_name"], good["action_name"])

    def test_deeply_nested_json(self):
        cid = str(uuid.uuid4())
        deep = [b"[" * 1000000 + b"\n",
                b'{"a":' * 200000 + b"\n",
                line(make_event("agent_action", cid))[:-2] + b',"x":' + b"[" * 500000 + b"\n"]
        ok64 = make_event("agent_action", cid, action_name="deep")
        ok64["action_details"] = {"d": json.loads("[" * 62 + "]" * 62)}
        replies = self.d.send_ack(b"".join(deep) + line(ok64), timeout=60)
        for r in replies[:-1]:
            self.assertFalse(r["ok"])
        self.assertTrue(any("deep" in r["error"] or "nest" in r["error"] for r in replies[:-1]),
                        replies[:-1])
        self.assertTrue(replies[-1]["ok"], replies[-1])


if __name__ == "__main__":
    unittest.main(verbosity=2)
