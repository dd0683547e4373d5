"""broker.py: a real Kafka endpoint for tests (standard library only).

Broker starts tests/broker/agentlog-test-broker (librdkafka's mock cluster
in a helper process) from the build tree ($AGENTLOG_BUILD), reads its
bootstrap address and drives it over stdin:

    with Broker(brokers=3, partitions=4) as b:
        b.bootstrap                      # "127.0.0.1:port,..."
        b.down(); b.up(); b.down(2)      # all brokers, or one by id (1..N)
        b.rtt(50); b.err("Produce", 3, "NOT_LEADER_FOR_PARTITION")
        b.create("other-topic", 2)
        recs = b.consume(["agent-actions"], count=10)
        wm = b.watermarks(["agent-actions"])   # {topic: {p: (low, high)}}

Producer wraps tests/broker/agentlog-test-produce (a plain librdkafka
producer: idempotent, acks=all, murmur2_random) for tests that need records
in Kafka without the daemon.

The mock cluster keeps a bounded log per partition (about 5 MiB or 100,000
message sets): tests of large volumes count by high watermarks or consume
while producing.
"""

import json
import os
import queue
import signal
import subprocess
import threading
import time

TOPICS = ["agent-actions", "agent-routing-decisions",
          "agent-transformation-events", "router-performance-metrics"]
DLQ_TOPIC = "agent-observability-dlq"


class BrokerError(Exception):
    pass


def _tool(name):
    build = os.environ.get("AGENTLOG_BUILD")
    if not build:
        raise BrokerError("AGENTLOG_BUILD is not set (run through ctest)")
    path = os.path.join(build, "tests", "broker", name)
    if not os.access(path, os.X_OK):
        raise BrokerError("%s not built" % path)
    return path


def _pump(stream, q):
    """Move lines from a child's stdout into a queue (None at EOF)."""
    for line in iter(stream.readline, ""):
        q.put(line.rstrip("\n"))
    q.put(None)


class _Child:
    """A child process whose stdout lines arrive on a queue."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True,
                                     bufsize=1)
        self.pid = self.proc.pid
        self.lines = queue.Queue()
        self._reader = threading.Thread(target=_pump,
                                        args=(self.proc.stdout, self.lines),
                                        daemon=True)
        self._reader.start()

    def readline(self, timeout):
        """The next stdout line; raises BrokerError on timeout or EOF."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise BrokerError("no answer within %.1f s" % timeout)
        if line is None:
            self.lines.put(None)
            raise BrokerError("process %d exited (status %s)"
                              % (self.pid, self.proc.poll()))
        return line

    def write(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def stop(self, timeout=10):
        """SIGTERM by pid, wait; SIGKILL if it does not go."""
        if self.proc.poll() is None:
            try:
                os.kill(self.pid, signal.SIGTERM)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass
        self._reader.join(timeout=5)
        return self.proc.returncode


class Broker:
    """The mock Kafka cluster helper, as a child process."""

    def __init__(self, brokers=3, partitions=4, topics=None, timeout=30):
        argv = [_tool("agentlog-test-broker"), "--brokers", str(brokers),
                "--partitions", str(partitions)]
        if topics is not None:
            argv += ["--topics", ",".join(topics)]
        self.brokers = brokers
        self.partitions = partitions
        self.topics = list(topics) if topics is not None else TOPICS + [DLQ_TOPIC]
        self._child = _Child(argv)
        self.pid = self._child.pid
        try:
            line = self._child.readline(timeout)
            if not line.startswith("bootstrap="):
                raise BrokerError("unexpected first line: %r" % line)
        except BaseException:
            self._child.stop()
            raise
        self.bootstrap = line[len("bootstrap="):]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def command(self, line, timeout=10):
        """Send one command line; return on "ok", raise on "error ..."."""
        self._child.write(line)
        answer = self._child.readline(timeout)
        if answer != "ok":
            raise BrokerError("%s: %s" % (line, answer))

    @staticmethod
    def _which(broker_id):
        return "all" if broker_id is None else str(int(broker_id))

    def down(self, broker_id=None):
        self.command("down " + self._which(broker_id))

    def up(self, broker_id=None):
        self.command("up " + self._which(broker_id))

    def rtt(self, ms, broker_id=None):
        self.command("rtt %s %d" % (self._which(broker_id), ms))

    def err(self, api, count, code):
        """Fail the next count requests of api (e.g. "Produce") with code
        (a number or a librdkafka name such as "NOT_LEADER_FOR_PARTITION")."""
        self.command("err %s %d %s" % (api, count, code))

    def create(self, topic, partitions):
        self.command("create %s %d" % (topic, partitions))
        self.topics.append(topic)

    def signal_down(self):
        os.kill(self.pid, signal.SIGUSR1)

    def signal_up(self):
        os.kill(self.pid, signal.SIGUSR2)

    def stop(self):
        """Stop the helper (by pid) and wait for it.  Idempotent."""
        if self._child is not None:
            self._child.stop()
            self._child = None

    def consume(self, topics=None, count=None, idle_ms=None, timeout=30,
                group=None):
        """Read records back from the beginning of every partition.

        Stops after count records, idle_ms without one, or timeout seconds.
        Returns a list of dicts: topic, partition, offset, key, value (str),
        headers (dict of str), timestamp (ms).
        """
        argv = [_tool("agentlog-test-consume"), "--bootstrap", self.bootstrap,
                "--topics", ",".join(topics or TOPICS),
                "--timeout-ms", str(int(timeout * 1000))]
        if count is not None:
            argv += ["--count", str(count)]
        if idle_ms is not None:
            argv += ["--idle-ms", str(idle_ms)]
        if group is not None:
            argv += ["--group", group]
        out = subprocess.run(argv, stdout=subprocess.PIPE, text=True,
                             check=True, timeout=timeout + 30).stdout
        return [json.loads(line) for line in out.splitlines() if line]

    def watermarks(self, topics=None):
        """{topic: {partition: (low, high)}} for every partition."""
        argv = [_tool("agentlog-test-consume"), "--bootstrap", self.bootstrap,
                "--topics", ",".join(topics or TOPICS), "--watermarks"]
        out = subprocess.run(argv, stdout=subprocess.PIPE, text=True,
                             check=True, timeout=60).stdout
        wm = {}
        for line in out.splitlines():
            r = json.loads(line)
            wm.setdefault(r["topic"], {})[r["partition"]] = (r["low"], r["high"])
        return wm

    def total(self, topics=None):
        """Records ever appended to the topics (the sum of high watermarks)."""
        return sum(h for parts in self.watermarks(topics).values()
                   for (_, h) in parts.values())

    def wait_total(self, n, topics=None, timeout=60):
        """Poll the watermarks until they sum to at least n; return the sum."""
        deadline = time.monotonic() + timeout
        while True:
            t = self.total(topics)
            if t >= n or time.monotonic() > deadline:
                return t
            time.sleep(0.1)


class Producer:
    """A plain librdkafka producer (agentlog-test-produce) as a child.

    send() queues one record; flush() waits for every delivery report and
    returns them (dicts: delivered (index), topic, partition, offset,
    error).  error_events lists librdkafka error callbacks seen so far
    (dicts: error_event, reason).
    """

    def __init__(self, bootstrap, props=None):
        argv = [_tool("agentlog-test-produce"), "--bootstrap", bootstrap]
        for k, v in (props or {}).items():
            argv += ["--prop", "%s=%s" % (k, v)]
        self._child = _Child(argv)
        self.pid = self._child.pid
        self.reports = []
        self.error_events = []
        self._flush_asked = 0
        self._flush_done = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def send(self, topic, value, key=None, headers=None):
        rec = {"topic": topic, "value": value}
        if key is not None:
            rec["key"] = key
        if headers:
            rec["headers"] = headers
        self._child.write(json.dumps(rec))

    def _take(self, timeout):
        d = json.loads(self._child.readline(timeout))
        if "error_event" in d:
            self.error_events.append(d)
        elif "delivered" in d:
            self.reports.append(d)
        elif "flushed" in d:
            self._flush_done += 1
        return d

    def wait_error(self, name, timeout=30):
        """Wait until librdkafka reported error event name (while the
        producer is busy flushing); True when seen."""
        deadline = time.monotonic() + timeout
        while not any(e["error_event"] == name for e in self.error_events):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                self._take(left)
            except BrokerError:
                return False
        return True

    def flush_start(self):
        """Ask for a flush without waiting for it (see flush_wait)."""
        self._child.write("#flush")
        self._flush_asked += 1

    def flush_wait(self, timeout=60):
        deadline = time.monotonic() + timeout
        while self._flush_done < self._flush_asked:
            self._take(max(0.0, deadline - time.monotonic()))
        return self.reports

    def flush(self, timeout=60):
        self.flush_start()
        return self.flush_wait(timeout)

    def stop(self):
        if self._child is not None:
            self._child.stop()
            self._child = None
