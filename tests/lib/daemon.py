"""Start and drive a real agentlogd in tests.

Each Daemon runs the built binary as a child with its own socket and
journal in a temporary directory, waits for it to answer ".ping", and is
killed by pid at the end (context manager or cleanup()).  Nothing here
sleeps to synchronise: wait_for() polls a condition with a deadline.
"""
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import uuid

BUILD = os.environ.get("AGENTLOG_BUILD", os.path.join(os.getcwd(), "build"))
AGENTLOGD = os.path.join(BUILD, "daemon", "agentlogd")
# The same daemon built with the journal's fault injection (".fault" requests).
AGENTLOGD_FAULTS = os.path.join(BUILD, "daemon", "agentlogd-faults")
JOURNAL_DUMP = os.path.join(BUILD, "tests", "daemon", "journal-dump")


def wait_for(cond, timeout=10.0, interval=0.005, what="condition"):
    """Poll cond() until it returns a true value; return that value."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


def make_event(etype="agent_action", correlation_id=None, **fields):
    """A valid event of etype; fields override or add members."""
    cid = correlation_id or str(uuid.uuid4())
    base = {
        "agent_action": {"agent_name": "polymorphic-agent", "action_type": "tool_call",
                         "action_name": "read_file", "action_details": {"file_path": "/x.py"},
                         "duration_ms": 12},
        "routing_decision": {"selected_agent": "agent-performance", "confidence_score": 0.92,
                             "routing_strategy": "enhanced_fuzzy_matching", "routing_time_ms": 45,
                             "user_request": "optimize my database queries"},
        "transformation": {"source_agent": "polymorphic-agent", "target_agent": "agent-performance",
                           "transformation_duration_ms": 85, "success": True},
        "performance_metrics": {"query_text": "optimize my database queries",
                                "routing_duration_ms": 45, "candidates_evaluated": 5,
                                "cache_hit": False},
    }[etype]
    ev = {"type": etype, "correlation_id": cid}
    ev.update(base)
    ev.update(fields)
    return ev


def line(ev):
    return (json.dumps(ev, separators=(",", ":")) + "\n").encode()


class Daemon:
    def __init__(self, args=(), kafka=None, tmp=None, env=None, socket_path=None,
                 journal_dir=None, start=True, log_level="info", faults=False):
        self._own_tmp = tmp is None
        self.tmp = tmp or tempfile.mkdtemp(prefix="agentlogd-test-")
        self.sock = socket_path or os.path.join(self.tmp, "run", "agentlogd.sock")
        base = self.sock[:-5] if self.sock.endswith(".sock") else self.sock
        self.dgram = base + ".dgram"
        self.journal_dir = journal_dir or os.path.join(self.tmp, "journal")
        self.log_path = os.path.join(self.tmp, "agentlogd.log")
        self.args = list(args)
        self.kafka = kafka
        self.log_level = log_level
        self.binary = AGENTLOGD_FAULTS if faults else AGENTLOGD
        self.env = dict(os.environ)
        for k in ("AGENTLOG_SOCKET", "AGENTLOG_DGRAM_SOCKET", "AGENTLOG_JOURNAL_DIR",
                  "KAFKA_BROKERS", "KAFKA_ENABLE_LOGGING", "NOTIFY_SOCKET"):
            self.env.pop(k, None)
        self.env.update(env or {})
        self.proc = None
        if start:
            self.start()

    # -- life ---------------------------------------------------------
    def command(self):
        cmd = [self.binary, "--socket", self.sock, "--journal-dir", self.journal_dir,
               "--log-level", self.log_level]
        if self.kafka:
            cmd += ["--kafka-brokers", self.kafka]
        else:
            cmd += ["--no-kafka"]
        return cmd + self.args

    def start(self, wait=True):
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=self.log_file,
                                     stderr=subprocess.STDOUT, env=self.env)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=15.0):
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError("agentlogd exited with %s:\n%s" % (self.proc.returncode, self.log()))
            try:
                return self.request(".ping", timeout=1.0)
            except OSError:
                return None
        return wait_for(ready, timeout, what="agentlogd to answer .ping")

    def stop(self, sig=signal.SIGTERM, timeout=30.0):
        """Signal the daemon and wait for it; returns its exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
            raise AssertionError("agentlogd did not stop within %.0fs:\n%s" % (timeout, self.log()))
        self.log_file.close()
        self.proc = None
        return rc

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def restart(self, **kw):
        self.stop()
        return self.start(**kw)

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc is not None:
            self.log_file.close()
            self.proc = None
        if self._own_tmp:
            subprocess.run(["rm", "-rf", self.tmp])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def rss_kib(self, field="VmRSS"):
        with open("/proc/%d/status" % self.pid) as f:
            for l in f:
                if l.startswith(field + ":"):
                    return int(l.split()[1])
        return 0

    # -- talking to it -----------------------------------------------
    def connect(self, timeout=10.0):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(self.sock)
        except OSError:
            s.close()
            raise
        return s

    def request(self, req, timeout=10.0):
        """Send a control request (".ping", ".status") and return the reply."""
        with self.connect(timeout) as s:
            s.sendall(req.encode() + b"\n")
            return json.loads(read_line(s))

    def status(self):
        return self.request(".status")

    def send(self, data):
        """Fire-and-forget: write bytes on one connection and close it."""
        with self.connect() as s:
            s.sendall(data)

    def send_events(self, events):
        self.send(b"".join(line(e) for e in events))

    def send_ack(self, data, nreplies=None, timeout=30.0):
        """Acknowledged mode: returns the replies (one per event line)."""
        if isinstance(data, list):
            data = b"".join(line(e) for e in data)
        if nreplies is None:
            nreplies = sum(1 for l in data.split(b"\n") if l.strip(b"\r"))
        with self.connect(timeout) as s:
            s.sendall(b".hello 1 ack\n")
            hello = json.loads(read_line(s))
            assert hello.get("ok") and hello.get("ack"), hello
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            return [json.loads(read_line(s)) for _ in range(nreplies)]

    def send_dgram(self, data):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            s.sendto(data, self.dgram)
        finally:
            s.close()

    def wait_accepted(self, n, timeout=30.0):
        return wait_for(lambda: (lambda st: st if st["events"]["accepted"] >= n else None)(self.status()),
                        timeout, what="%d events accepted" % n)

    # -- the journal -------------------------------------------------
    def journal(self, from_seq=0):
        """Every record in the journal, as dicts (seq, type, key, event_id, value)."""
        out = subprocess.run([JOURNAL_DUMP, os.path.join(self.journal_dir, "segments"),
                              str(from_seq)], capture_output=True, check=True)
        recs = []
        for l in out.stdout.splitlines():
            r = json.loads(l)
            r["event"] = json.loads(r["value"])
            recs.append(r)
        return recs


def read_line(s, limit=1 << 20):
    """Read one newline-terminated line from a socket (unbuffered)."""
    buf = bytearray()
    while not buf.endswith(b"\n"):
        b = s.recv(1)
        if not b:
            raise ConnectionError("connection closed after %r" % bytes(buf[:200]))
        buf += b
        if len(buf) > limit:
            raise ValueError("line too long")
    return bytes(buf[:-1])
