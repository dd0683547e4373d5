"""relutil.py: what the reliability tests share (standard library only).

AckSender    threads sending events in acknowledged mode to a daemon that
             may die at any moment, keeping every event_id acknowledged
Proxy        a TCP forwarder with a fixed address, for a Kafka cluster that
             is killed and started again on new ports
kafka_ids()  every event in the four topics, by event_id, with the order
             checked per correlation id
vm()         a process's VmRSS / VmHWM in KiB
"""
import json
import os
import socket
import threading
import time
import uuid

from broker import TOPICS
from daemon import make_event, read_line

# agentlogd sends no record headers by default; these tests check them
# (event_id, type) against the value whatever the faults.
HEADERS = ["--kafka-headers", "all"]

TYPES = ["agent_action", "routing_decision", "transformation", "performance_metrics"]


def vm(pid, field):
    """VmRSS, VmHWM... of pid in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for l in f:
            if l.startswith(field + ":"):
                return int(l.split()[1])
    raise KeyError(field)


def open_fds(pid, exclude=None):
    """Open descriptors of pid that would be a leak if they stayed.

    Not counted: files under exclude (the journal's directory: a segment
    rolled during a test is not a leak), and libuv's reserve descriptor
    (/dev/null, or "/" once reopened).  libuv keeps one open to accept and
    shed connections when the process is out of descriptors (its "EMFILE
    trick"); after that trick it reopens it at whatever number is free, so
    it can move above a baseline taken before the flood."""
    n = 0
    root = os.path.realpath(exclude) + "/" if exclude is not None else None
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue                    # closed meanwhile
        if int(fd) > 2 and target in ("/dev/null", "/"):
            continue
        n += root is None or not target.startswith(root)
    return n


class AckSender:
    """Threads that send batches in acknowledged mode until stopped.

    Each thread owns its correlation ids and numbers its events (member
    "n"), one batch per connection, so the daemon journals each id's
    events in n order.  acked maps event_id -> (cid, n) for every ok reply
    read; a connection cut by a dying daemon loses only the replies not yet
    read (those events may or may not be journaled).  While the daemon is
    down, connecting is retried.
    """

    def __init__(self, daemon, threads=2, batch=200, cids_per_thread=8,
                 pad=0, rate=None):
        self.d = daemon
        self.batch = batch
        self.rate = rate               # events/s per thread, None: as fast as it goes
        self.pad = "x" * pad
        self.acked = {}
        self.rejected = []
        self.sent = 0
        self.lock = threading.Lock()
        self.stop_ev = threading.Event()
        self.cids = [[str(uuid.uuid4()) for _ in range(cids_per_thread)]
                     for _ in range(threads)]
        self.threads = [threading.Thread(target=self._run, args=(k,), daemon=True)
                        for k in range(threads)]
        self.n = [0] * threads

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.stop_ev.set()
        for t in self.threads:
            t.join(60)

    def count(self):
        with self.lock:
            return len(self.acked)

    def _events(self, k):
        out = []
        for _ in range(self.batch):
            n = self.n[k]
            self.n[k] += 1
            cid = self.cids[k][n % len(self.cids[k])]
            ev = make_event(TYPES[n % 4], correlation_id=cid, n=n, t=k)
            if self.pad:
                ev["pad"] = self.pad
            out.append(ev)
        return out

    def _pace(self, t0, sent):
        """Hold a thread to its rate (load shaping, not synchronisation)."""
        if self.rate:
            ahead = sent / self.rate - (time.monotonic() - t0)
            if ahead > 0:
                self.stop_ev.wait(ahead)

    def _run(self, k):
        t0, sent = time.monotonic(), 0
        while not self.stop_ev.is_set():
            self._pace(t0, sent)
            sent += self.batch
            evs = self._events(k)
            data = b"".join((json.dumps(e, separators=(",", ":")) + "\n").encode()
                            for e in evs)
            try:
                s = self.d.connect(timeout=30)
            except OSError:
                time.sleep(0.01)       # the daemon is restarting: retry
                continue
            try:
                s.sendall(b".hello 1 ack\n")
                json.loads(read_line(s))
                s.sendall(data)
                for e in evs:
                    r = json.loads(read_line(s))
                    with self.lock:
                        self.sent += 1
                        if r.get("ok"):
                            self.acked[r["event_id"]] = (e["correlation_id"], e["n"])
                        else:
                            self.rejected.append(r.get("error"))
            except (OSError, ValueError):
                pass                   # cut by a kill: replies not read are unknown
            finally:
                s.close()


def kafka_records(test, broker, topics=None, timeout=120):
    """Every record in the topics (the mock cluster's whole log)."""
    topics = topics or TOPICS
    total = broker.total(topics)
    recs = broker.consume(topics, count=total, timeout=timeout, idle_ms=5000)
    test.assertEqual(len(recs), total, "consumer read fewer than the watermarks")
    return recs


def kafka_ids(test, recs):
    """Check records read back.  Returns (count by event_id, duplicates).

    Checks each record: key = correlation_id, headers event_id and type
    match the value, and per (topic, key) the first copies of events come
    in the order their sender numbered them (a duplicate re-produced after
    a crash may repeat earlier ones).  recs may join several clusters'
    records, older cluster first.
    """
    count = {}
    last = {}
    dups = 0
    for r in recs:
        ev = json.loads(r["value"])
        h = r["headers"]
        test.assertEqual(r["key"], ev["correlation_id"])
        test.assertEqual(h["event_id"], ev["event_id"])
        test.assertEqual(h["type"], ev["type"])
        eid = ev["event_id"]
        if eid in count:
            count[eid] += 1
            dups += 1
            continue
        count[eid] = 1
        k = (r["topic"], r["key"], ev.get("t"))
        if "n" in ev:
            test.assertGreater(ev["n"], last.get(k, -1),
                               "order broken for %s: %d after %d" % (k, ev["n"], last.get(k, -1)))
            last[k] = ev["n"]
    return count, dups


class Proxy:
    """A TCP forwarder on a fixed loopback port to a changeable upstream.

    Kafka clients bootstrap through it; the metadata they get back names
    the brokers' own ports, so only bootstrap connections pass here.  When
    the cluster is killed and another starts on new ports, set_upstream()
    points the same address at it.
    """

    def __init__(self, upstream):
        self.upstream = upstream
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(64)
        self.address = "127.0.0.1:%d" % self.lsock.getsockname()[1]
        self.socks = []
        self.lock = threading.Lock()
        self.closed = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def set_upstream(self, upstream):
        with self.lock:
            self.upstream = upstream

    def _accept(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            with self.lock:
                host, port = self.upstream.split(",")[0].rsplit(":", 1)
            try:
                u = socket.create_connection((host, int(port)), timeout=5)
                u.settimeout(None)
            except OSError:
                c.close()
                continue
            with self.lock:
                if self.closed:
                    c.close()
                    u.close()
                    return
                self.socks += [c, u]
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        with self.lock:
            self.closed = True
            socks, self.socks = self.socks, []
        self.lsock.close()
        for s in socks:
            s.close()


def sanitized(binary):
    """True when binary is built with AddressSanitizer (its memory figures
    include ASan's shadow and quarantine: ceilings do not apply)."""
    with open(binary, "rb") as f:
        data = f.read()
    return b"libasan.so" in data or b"__asan_init" in data
