"""What the pgwriter tests share: events shaped like agentlogd's, publishing
them to the test broker the way agentlogd does, and agentlog-pgwriter as a
child process with its HTTP endpoints."""

import json
import os
import re
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import uuid

TOPIC = {
    "agent_action": "agent-actions",
    "routing_decision": "agent-routing-decisions",
    "transformation": "agent-transformation-events",
    "performance_metrics": "router-performance-metrics",
}
TABLE = {
    "agent_action": "agent_actions",
    "routing_decision": "agent_routing_decisions",
    "transformation": "agent_transformation_events",
    "performance_metrics": "router_performance_metrics",
}
TABLES = list(TABLE.values())


def wait_until(cond, timeout=30, interval=0.05, what="condition"):
    """Poll cond() until it returns something true; return that value."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0f s waiting for %s"
                                 % (timeout, what))
        time.sleep(interval)


def uuid7(ms=None):
    """A UUIDv7 (time-ordered), like agentlogd's event ids."""
    ms = int(time.time() * 1000) if ms is None else ms
    b = bytearray(ms.to_bytes(6, "big") + os.urandom(10))
    b[6] = (b[6] & 0x0F) | 0x70
    b[8] = (b[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(b)))


def iso(ms):
    """ms since the epoch as agentlogd writes it: 2025-10-23T10:30:00.123Z"""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + \
        ".%03dZ" % (ms % 1000)


def client_fields(etype, corr, n=0):
    """Every field of the type, optional ones included."""
    if etype == "agent_action":
        return {"correlation_id": corr, "agent_name": "agent-performance",
                "action_type": "tool_call", "action_name": "Read %d" % n,
                "action_details": {"file": "/src/db.py", "lines": [1, 2]},
                "debug_mode": True, "duration_ms": 45 + n}
    if etype == "routing_decision":
        return {"correlation_id": corr, "selected_agent": "agent-performance",
                "confidence_score": 0.92, "routing_strategy":
                "enhanced_fuzzy_matching", "routing_time_ms": 45 + n,
                "user_request": "optimize my database queries",
                "reasoning": "High confidence match on 'optimize'",
                "alternatives": ["agent-api", "agent-debug"],
                "context": {"session": "s-1", "n": n}}
    if etype == "transformation":
        return {"correlation_id": corr, "source_agent": "polymorphic-agent",
                "target_agent": "agent-performance",
                "transformation_duration_ms": 85 + n,
                "transformation_reason": "High confidence match",
                "confidence_score": 0.92, "success": True}
    if etype == "performance_metrics":
        return {"correlation_id": corr, "query_text":
                "optimize my database queries", "routing_duration_ms": 1450 + n,
                "candidates_evaluated": 5, "cache_hit": False,
                "trigger_match_strategy": "enhanced_fuzzy_matching",
                "confidence_components": {"trigger": 0.5, "context": 0.42}}
    raise ValueError(etype)


def event(etype, corr=None, ms=None, n=0, **override):
    """An enriched event as agentlogd forwards it."""
    corr = corr or str(uuid.uuid4())
    ms = int(time.time() * 1000) if ms is None else ms
    ev = {"event_id": uuid7(ms), "timestamp": iso(ms), "schema_version": 1,
          "type": etype, "source": {"pid": 4242, "uid": 1000, "gid": 1000,
                                    "host": "testhost", "via": "stream"}}
    ev.update(client_fields(etype, corr, n))
    for k, v in override.items():
        if v is DROP:
            ev.pop(k, None)
        else:
            ev[k] = v
    return ev


DROP = object()


def publish(producer, ev, value=None, topic=None):
    """Send ev (or a raw value) shaped like agentlogd's records: topic of
    its type, key = lower-case correlation id, headers type, event_id,
    schema_version."""
    etype = ev.get("type", "agent_action")
    headers = {"type": etype, "schema_version": "1"}
    if "event_id" in ev:
        headers["event_id"] = ev["event_id"]
    producer.send(topic or TOPIC.get(etype, "agent-actions"),
                  json.dumps(ev) if value is None else value,
                  key=str(ev.get("correlation_id", "")).lower(),
                  headers=headers)


def binary(name):
    build = os.environ["AGENTLOG_BUILD"]
    return os.path.join(build, "contrib", "pgwriter", name)


class Writer:
    """agentlog-pgwriter as a child, logging to a file, HTTP on a free
    port (read back from its log)."""

    def __init__(self, bootstrap, dsn, group=None, args=(), env=None,
                 base_env=None, http=True, wait_http=True):
        """bootstrap / dsn None: leave them to the environment; group
        None: a fresh one, False: no --group (the writer's default)."""
        self.dir = tempfile.mkdtemp(prefix="agentlog-pgw-")
        self.logpath = os.path.join(self.dir, "pgwriter.log")
        self.argv = [binary("agentlog-pgwriter"), "--retry-max-ms", "500",
                     "--http-listen", "127.0.0.1:0" if http else "off",
                     "-X", "session.timeout.ms=6000",
                     "-X", "heartbeat.interval.ms=500"] + list(args)
        if group is not False:
            self.argv += ["--group",
                          group or "pgw-test-%s" % uuid.uuid4().hex[:8]]
        if bootstrap is not None:
            self.argv += ["--brokers", bootstrap]
        if dsn is not None:
            self.argv += ["--dsn", dsn]
        self.env = dict(os.environ if base_env is None else base_env)
        self.env.update(env or {})
        self.port = None
        self.start(wait_http=wait_http and http)

    def start(self, wait_http=True):
        self.logfile = open(self.logpath, "ab")
        self.proc = subprocess.Popen(self.argv, stdout=self.logfile,
                                     stderr=subprocess.STDOUT, env=self.env)
        self.pid = self.proc.pid
        if wait_http:
            self.port = int(wait_until(self._port, 15,
                                       what="pgwriter's HTTP port"))

    def _port(self):
        if self.proc.poll() is not None:
            raise AssertionError("pgwriter exited (%s): %s"
                                 % (self.proc.returncode, self.log()))
        m = re.search(r"http: listening on 127\.0\.0\.1:(\d+)",
                      self.log_since_start())
        return m and m.group(1)

    def log(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode(errors="replace")

    def log_since_start(self):
        text = self.log()
        i = text.rfind("--- start ---")
        return text if i < 0 else text[i:]

    def get(self, path, timeout=10):
        """(status, body) of GET path."""
        url = "http://127.0.0.1:%d%s" % (self.port, path)
        try:
            with urllib.request.urlopen(url, timeout=timeout) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def health(self):
        status, body = self.get("/health")
        return status, json.loads(body)

    def metrics(self):
        status, body = self.get("/metrics")
        assert status == 200, (status, body)
        return json.loads(body)

    def wait_healthy(self, timeout=30):
        return wait_until(lambda: self.health()[0] == 200, timeout,
                          what="/health 200")

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Signal by pid and wait; returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            os.kill(self.pid, sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait()
        rc = self.proc.returncode
        self.proc = None
        self.logfile.close()
        return rc

    def restart(self):
        self.stop()
        with open(self.logpath, "ab") as f:
            f.write(b"--- start ---\n")
        self.start()

    def close(self):
        try:
            self.stop()
            if os.environ.get("PGW_SHOW_LOG"):
                import sys
                sys.stderr.write(self.log())
        finally:
            import shutil
            shutil.rmtree(self.dir, ignore_errors=True)


def count(pg, table, where="true"):
    return int(pg.psql("SELECT count(*) FROM %s WHERE %s" % (table, where)))


def total_rows(pg):
    return sum(count(pg, t) for t in TABLES)


def distinct_rows(pg):
    return sum(int(pg.psql("SELECT count(DISTINCT event_id) FROM %s" % t))
               for t in TABLES)


# The seed's "Reconstructing Complete Execution Traces" query, verbatim.
SEED_TRACE_QUERY = """
-- Get all events for a specific execution
SELECT
    'routing' as event_type,
    created_at,
    selected_agent,
    confidence_score,
    routing_time_ms
FROM agent_routing_decisions
WHERE context->>'correlation_id' = 'ad12146a-b7d0-4a47-86bf-7ec298ce2c81'

UNION ALL

SELECT
    'transformation' as event_type,
    created_at,
    target_agent,
    confidence_score,
    transformation_duration_ms
FROM agent_transformation_events
WHERE context->>'correlation_id' = 'ad12146a-b7d0-4a47-86bf-7ec298ce2c81'

UNION ALL

SELECT
    'performance' as event_type,
    created_at,
    NULL,
    NULL,
    routing_duration_ms
FROM router_performance_metrics
WHERE context->>'correlation_id' = 'ad12146a-b7d0-4a47-86bf-7ec298ce2c81'

UNION ALL

SELECT
    'action' as event_type,
    created_at,
    agent_name,
    NULL,
    duration_ms
FROM agent_actions
WHERE correlation_id = 'ad12146a-b7d0-4a47-86bf-7ec298ce2c81'

ORDER BY created_at;
"""
SEED_CORR = "ad12146a-b7d0-4a47-86bf-7ec298ce2c81"


def row_json(pg, table, event_id):
    """The stored row as a dict (PostgreSQL's own JSON of it)."""
    out = pg.psql("SELECT row_to_json(t) FROM %s t WHERE event_id = '%s'"
                  % (table, event_id))
    return json.loads(out) if out else None


def same_instant(pg, stored, sent):
    return pg.psql("SELECT '%s'::timestamptz = '%s'::timestamptz"
                   % (stored, sent)) == "t"


class WriterCase(unittest.TestCase):
    """A fresh PostgreSQL, test broker (PARTITIONS per topic) and producer
    for each test; writer() starts an agentlog-pgwriter on them, healthy,
    stopped at cleanup like the rest."""

    PARTITIONS = 3
    PG_SETTINGS = None      # extra postgres -c settings

    def setUp(self):
        from broker import Broker, Producer
        from pg import Postgres
        self.pg = Postgres(settings=self.PG_SETTINGS)
        self.addCleanup(self.pg.close)
        self.broker = Broker(brokers=1, partitions=self.PARTITIONS)
        self.addCleanup(self.broker.stop)
        self.producer = Producer(self.broker.bootstrap)
        self.addCleanup(self.producer.stop)

    def writer(self, *args, group=None):
        w = Writer(self.broker.bootstrap, self.pg.dsn(), group=group,
                   args=args)
        self.addCleanup(w.close)
        w.wait_healthy()
        return w
