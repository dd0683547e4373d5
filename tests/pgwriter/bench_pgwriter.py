#!/usr/bin/env python3
"""Benchmark agentlog-pgwriter into a real PostgreSQL (not a ctest test;
test_pgwriter_bench_smoke.py runs it tiny).

    AGENTLOG_BUILD=build PYTHONPATH=tests/lib \\
        python3 tests/pgwriter/bench_pgwriter.py [--events N] [--json]

Measures, on one PostgreSQL (fsync on, synchronous_commit on) and the
Kafka test broker (4 partitions per topic):
  1. throughput: N events shaped like agentlogd's, already in Kafka, into
     PostgreSQL by the writer at --batch-size 100 and 1000 (events/s from
     the first row stored to the last);
  2. the ceiling: the same rows, exported from those tables to files, loaded
     back with a plain COPY per table into fresh tables (no Kafka);
  3. latency: events published at a steady rate, writer at its defaults
     (batch 100 or 1 s); publish-to-visible per row = the commit time of
     the row's transaction (track_commit_timestamp) minus its created_at
     (the publish time); p50 / p99 / max;
  4. keeping up: the writer consuming while the producer publishes N events
     as fast as it can; the highest total consumer lag seen and the time
     from the last publish to the last row stored.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from broker import Broker                                   # noqa: E402
from harness import (TABLES, TOPIC, Writer, client_fields,  # noqa: E402
                     wait_until)
from pg import Postgres                                     # noqa: E402
try:
    from daemon import Daemon                               # noqa: E402
except ImportError:
    Daemon = None


def tool(name):
    return os.path.join(os.environ["AGENTLOG_BUILD"], "tests", "pgwriter",
                        name)


def produce(bootstrap, count, rate=None):
    argv = [tool("pgw-bench-produce"), "--brokers", bootstrap,
            "--count", str(count)]
    if rate:
        argv += ["--rate", str(rate)]
    out = subprocess.run(argv, stdout=subprocess.PIPE, check=True,
                         text=True).stdout
    return json.loads(out)


def produce_async(bootstrap, count):
    return subprocess.Popen([tool("pgw-bench-produce"), "--brokers",
                             bootstrap, "--count", str(count)],
                            stdout=subprocess.PIPE, text=True)


class Bench:
    def __init__(self, events, partitions=4):
        self.events = events
        self.pg = Postgres(settings={
            "fsync": "on", "full_page_writes": "on",
            "synchronous_commit": "on", "track_commit_timestamp": "on",
            "shared_buffers": "256MB", "max_wal_size": "4GB",
            "checkpoint_timeout": "30min"})
        self.broker = Broker(brokers=1, partitions=partitions)
        self.n = 0
        self.in_kafka = 0
        self.results = {"events": events}

    def close(self):
        self.broker.stop()
        self.pg.close()

    def checkpoint(self):
        self.pg.psql("CHECKPOINT")

    def drop(self, db):
        self.pg.psql('DROP DATABASE "%s"' % db)

    def database(self):
        self.n += 1
        name = "bench%d" % self.n
        self.pg.createdb(name)
        return name

    def writer(self, db, *args):
        w = Writer(self.broker.bootstrap, self.pg.dsn(dbname=db), args=args)
        w.wait_healthy(60)
        wait_until(lambda: w.metrics()["consumer_lag"], 60,
                   what="partitions assigned")
        return w

    def rows(self, db):
        return sum(int(self.pg.psql("SELECT count(*) FROM %s" % t,
                                    dbname=db)) for t in TABLES)

    def throughput(self, batch):
        """Events/s of the writer at this batch size, all already in Kafka:
        from the start of its first transaction to the commit of its last
        (the database's own clocks: inserted_at is the transaction's start,
        pg_xact_commit_timestamp its commit)."""
        db = self.database()
        w = self.writer(db, "--batch-size", str(batch))
        try:
            wait_until(lambda: w.metrics()["messages_inserted"] >=
                       self.events, 600, interval=0.05, what="all rows")
            m = w.metrics()
        finally:
            w.close()
        assert self.rows(db) == self.events, "rows != events"
        span = float(self.pg.psql(
            "SELECT extract(epoch FROM max(c) - min(s)) FROM (%s) x" %
            " UNION ALL ".join(
                "SELECT inserted_at AS s, pg_xact_commit_timestamp(xmin) AS c"
                " FROM %s" % t for t in TABLES), dbname=db))
        return db, {"batch": batch,
                    "events_per_s": round(self.events / span),
                    "avg_batch_ms": m["avg_batch_processing_ms"]}

    def columns(self, db, table):
        return self.pg.psql(
            "SELECT string_agg(column_name, ', ' ORDER BY ordinal_position) "
            "FROM information_schema.columns WHERE table_name = '%s' AND "
            "column_name NOT IN ('id', 'inserted_at')" % table, dbname=db)

    def ceiling(self, src):
        """A plain COPY of the same rows from files into fresh tables."""
        tmp = tempfile.mkdtemp(prefix="agentlog-pgw-bench-")
        os.chmod(tmp, 0o755)
        script = []
        for t in TABLES:
            cols = self.columns(src, t)
            path = os.path.join(tmp, t + ".copy")
            self.pg.psql("\\copy (SELECT %s FROM %s) TO '%s'"
                         % (cols, t, path), dbname=src)
            script.append("\\copy %s (%s) FROM '%s'" % (t, cols, path))
        db = self.database()
        subprocess.run([os.path.join(os.environ["AGENTLOG_BUILD"], "contrib",
                                     "pgwriter", "agentlog-pgwriter"),
                        "--migrate", "--dsn", self.pg.dsn(dbname=db)],
                       check=True, stderr=subprocess.DEVNULL)
        t0 = time.monotonic()
        self.pg.psql("\n".join(script), dbname=db)
        elapsed = time.monotonic() - t0
        size = sum(os.path.getsize(os.path.join(tmp, t + ".copy"))
                   for t in TABLES)
        subprocess.run(["rm", "-rf", tmp])
        assert self.rows(db) == self.events
        return {"events_per_s": round(self.events / elapsed),
                "bytes": size}

    def latency(self, rate, seconds):
        """Publish-to-visible at the writer's defaults (batch 100 or 1 s),
        on topics holding nothing else, after a warm-up (the consumer's
        first fetches of a new group are not the steady state)."""
        db = self.database()
        w = self.writer(db)
        warm = max(1, rate // 5)
        before = self.in_kafka          # a new group reads them all
        try:
            produce(self.broker.bootstrap, warm, rate=rate)
            wait_until(lambda: self.rows(db) >= before + warm, 60,
                       interval=0.1, what="warm-up events")
            start = time.time()
            n = int(rate * seconds)
            produce(self.broker.bootstrap, n, rate=rate)
            self.in_kafka += warm + n
            wait_until(lambda: self.rows(db) >= before + warm + n, 60,
                       interval=0.1, what="latency events")
            m = w.metrics()
        finally:
            w.close()
        union = " UNION ALL ".join(
            "SELECT extract(epoch FROM pg_xact_commit_timestamp(xmin) - "
            "created_at) * 1000 AS ms FROM %s WHERE created_at >= "
            "to_timestamp(%.3f)" % (t, start) for t in TABLES)
        p50, p99, mx, cnt = self.pg.rows(
            "SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)), "
            "round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)), "
            "round(max(ms)), count(*) FROM (%s) l" % union, dbname=db)[0]
        return {"rate": rate, "seconds": seconds, "rows": int(cnt),
                "p50_ms": float(p50), "p99_ms": float(p99),
                "max_ms": float(mx),
                "avg_batch_ms": m["avg_batch_processing_ms"]}

    def keep_up(self, events):
        """The producer publishes events as fast as it can while the
        writer (defaults) consumes: when is the last one stored, and the
        highest lag /metrics showed meanwhile (librdkafka's statistics,
        once a second)."""
        db = self.database()
        w = self.writer(db)
        try:
            before = self.in_kafka
            wait_until(lambda: w.metrics()["messages_inserted"] >= before,
                       120, interval=0.05, what="earlier events consumed")
            p = produce_async(self.broker.bootstrap, events)
            prod, t_end, max_lag = None, None, 0
            deadline = time.monotonic() + 600
            while True:
                if time.monotonic() > deadline:
                    raise AssertionError("keep-up: not all stored")
                m = w.metrics()
                max_lag = max(max_lag, sum(max(0, x["lag"]) for x in
                                           m["consumer_lag"]))
                if prod is None and p.poll() is not None:
                    prod = json.loads(p.stdout.read())
                    p.stdout.close()
                    t_end = time.monotonic()
                if prod is not None and \
                        m["messages_inserted"] >= before + events:
                    break
                time.sleep(0.05)
            catch_up = time.monotonic() - t_end
        finally:
            w.close()
        self.in_kafka += events
        return {"events": events, "producer_seconds": prod["seconds"],
                "producer_events_per_s": prod["rate"],
                "max_total_lag": max_lag,
                "caught_up_s_after_last_publish": round(catch_up, 2),
                "end_to_end_events_per_s":
                    round(events / (prod["seconds"] + catch_up))}

    def keep_up_daemon(self, events):
        """agentlogd forwards events as fast as it can (they arrive on its
        socket at once) while the writer consumes: the highest lag seen,
        and when the last row is stored."""
        import uuid
        db = self.database()
        w = self.writer(db)
        d = Daemon(kafka=self.broker.bootstrap)
        try:
            before = self.in_kafka
            wait_until(lambda: w.metrics()["messages_inserted"] >= before,
                       120, interval=0.05, what="earlier events consumed")
            types = list(TOPIC)
            corrs = [str(uuid.uuid4()) for _ in range(1000)]
            lines = []
            for i in range(events):
                ev = {"type": types[i % 4]}
                ev.update(client_fields(types[i % 4], corrs[i % 1000], i))
                lines.append(json.dumps(ev, separators=(",", ":")))
            data = ("\n".join(lines) + "\n").encode()
            t0 = time.monotonic()
            sender = subprocess.Popen(
                [sys.executable, "-c", "import socket,sys;"
                 "s=socket.socket(socket.AF_UNIX);s.connect(sys.argv[1]);"
                 "s.sendall(sys.stdin.buffer.read());s.close()", d.sock],
                stdin=subprocess.PIPE)
            sender.stdin.write(data)
            sender.stdin.close()
            max_lag = 0
            while w.metrics()["messages_inserted"] < before + events:
                if time.monotonic() - t0 > 600:
                    raise AssertionError("not all stored")
                lag = sum(max(0, x["lag"]) for x in
                          w.metrics()["consumer_lag"])
                max_lag = max(max_lag, lag)
                time.sleep(0.1)
            total = time.monotonic() - t0
            sender.wait()
        finally:
            d.cleanup()
            w.close()
        self.in_kafka += events
        return {"events": events, "seconds": round(total, 2),
                "end_to_end_events_per_s": round(events / total),
                "max_total_lag": max_lag}


last_results = None   # what a run measured so far (for a failing test)


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def run_throughput(b, repeats):
    """Writer at batch 100 and 1000 and the COPY ceiling, repeats times
    each, interleaved, each into a fresh database after a CHECKPOINT (so
    every run starts with clean buffers and recycled WAL files)."""
    runs = {"batch_100": [], "batch_1000": [], "ceiling_copy": []}
    # Warm-up, untimed: WAL files exist afterwards, as on a live server.
    db, _ = b.throughput(1000)
    b.drop(db)
    for _ in range(repeats):
        for batch in (100, 1000):
            b.checkpoint()
            db, x = b.throughput(batch)
            runs["batch_%d" % batch].append(x)
            if batch == 1000:
                b.checkpoint()
                runs["ceiling_copy"].append(b.ceiling(db))
            b.drop(db)
    r = {}
    for k, xs in runs.items():
        rates = [x["events_per_s"] for x in xs]
        r[k] = dict(xs[rates.index(median(rates))], runs=rates,
                    best=max(rates))
    for k in ("batch_100", "batch_1000"):
        r[k]["fraction_of_ceiling"] = round(
            r[k]["events_per_s"] / r["ceiling_copy"]["events_per_s"], 3)
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=100000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--latency-rate", type=int, default=2000)
    ap.add_argument("--latency-seconds", type=int, default=10)
    ap.add_argument("--keep-up-events", type=int, default=100000)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()

    global last_results
    b = Bench(a.events)
    last_results = b.results
    try:
        r = b.results
        r["preload"] = produce(b.broker.bootstrap, a.events)
        b.in_kafka = a.events
        r.update(run_throughput(b, a.repeats))
        # Fresh topics for the latency and keep-up runs: a new broker.
        b.broker.stop()
        b.broker = Broker(brokers=1, partitions=4)
        b.in_kafka = 0
        b.checkpoint()
        r["latency"] = b.latency(a.latency_rate, a.latency_seconds)
        # A trickle: batches never fill, the 1 s timer stores them.
        b.checkpoint()
        r["latency_trickle"] = b.latency(max(1, a.latency_rate // 40),
                                         a.latency_seconds)
        b.checkpoint()
        r["keep_up"] = b.keep_up(a.keep_up_events)
        if Daemon and os.access(os.path.join(os.environ["AGENTLOG_BUILD"],
                                             "daemon", "agentlogd"), os.X_OK):
            b.checkpoint()
            r["keep_up_agentlogd"] = b.keep_up_daemon(a.keep_up_events)
    finally:
        b.close()
    if a.json:
        print(json.dumps(r))
        return r
    print("events: %d (agentlogd-shaped, 4 types, every field); median of "
          "%d runs (all runs)" % (r["events"], a.repeats))
    for k in ("batch_100", "batch_1000"):
        x = r[k]
        print("writer, batch %5d: %7d events/s  (%.0f%% of ceiling, avg "
              "batch %.1f ms)  %s" % (x["batch"], x["events_per_s"],
                                      100 * x["fraction_of_ceiling"],
                                      x["avg_batch_ms"], x["runs"]))
    print("ceiling, plain COPY: %7d events/s  (%d bytes of COPY text)  %s"
          % (r["ceiling_copy"]["events_per_s"], r["ceiling_copy"]["bytes"],
             r["ceiling_copy"]["runs"]))
    for k in ("latency", "latency_trickle"):
        x = r[k]
        print("publish-to-visible at %d events/s for %d s (defaults): p50 "
              "%.0f ms, p99 %.0f ms, max %.0f ms (%d rows)" % (
                  x["rate"], x["seconds"], x["p50_ms"], x["p99_ms"],
                  x["max_ms"], x["rows"]))
    x = r["keep_up"]
    print("a full-speed producer (%d events in %.2f s, %d events/s): stored "
          "%.2f s after the last publish (%d events/s end to end); highest "
          "lag seen %d" % (x["events"], x["producer_seconds"],
                           x["producer_events_per_s"],
                           x["caught_up_s_after_last_publish"],
                           x["end_to_end_events_per_s"], x["max_total_lag"]))
    x = r.get("keep_up_agentlogd")
    if x:
        print("agentlogd forwarding %d events at full speed: all stored in "
              "%.2f s (%d events/s end to end, socket to row); highest lag "
              "seen %d" % (x["events"], x["seconds"],
                           x["end_to_end_events_per_s"], x["max_total_lag"]))
    return r


if __name__ == "__main__":
    main()
