#!/usr/bin/env python3
"""bench_replay.py: trace and replay from Kafka at scale (issue 6 figures).

    AGENTLOG_BUILD=build PYTHONPATH=tests/lib python3 tests/bench/bench_replay.py [N] [RUNS]

Fills the test broker with N records (default 1,000,000) over the four
topics, keyed by 1,000 correlation ids (agentlog-test-produce --bench),
then times RUNS times (default 5) `agentlogctl replay --from kafka >
/dev/null` (events/s) and `agentlogctl trace <id> --from kafka` for a few
ids (seconds each).  Targets: replay >= 200,000 events/s, trace < 1 s.
The benchmark suite (tests/bench/run.py) calls measure().
"""
import json
import os
import subprocess
import sys
import time

from broker import Broker, TOPICS, _tool

BUILD = os.environ.get("AGENTLOG_BUILD", "build")
CTL = os.path.join(BUILD, "client", "agentlogctl")


def _fill(b, n):
    t0 = time.monotonic()
    out = subprocess.run([_tool("agentlog-test-produce"), "--bootstrap",
                          b.bootstrap, "--bench", str(n), "--size", "300",
                          "--topics", ",".join(TOPICS)],
                         capture_output=True, text=True, check=True)
    print("produced:", out.stdout.strip(), "in %.1f s"
          % (time.monotonic() - t0), file=sys.stderr)
    total = b.total(TOPICS)
    low = sum(lo for parts in b.watermarks(TOPICS).values()
              for (lo, _) in parts.values())
    return total, total - low


def _replay(b):
    t0 = time.monotonic()
    with open(os.devnull, "w") as null:
        subprocess.run([CTL, "replay", "--from", "kafka", "--brokers",
                        b.bootstrap], stdout=null, stderr=subprocess.DEVNULL,
                       check=True)
    return time.monotonic() - t0


def _keys(b, count):
    head = subprocess.run([CTL, "replay", "--from", "kafka", "--brokers",
                           b.bootstrap, "--topic", "agent-actions"],
                          capture_output=True, text=True).stdout
    keys = []
    for line in head.splitlines():
        k = json.loads(line)["key"]
        if k not in keys:
            keys.append(k)
        if len(keys) == count:
            break
    return keys


def _trace(b, key):
    t0 = time.monotonic()
    p = subprocess.run([CTL, "trace", key, "--from", "kafka", "--brokers",
                        b.bootstrap, "--format", "ndjson"],
                       capture_output=True, text=True, check=True)
    # (the generated values repeat their event ids: trace shows each id
    # once, so it prints fewer events than it scanned)
    return time.monotonic() - t0, len(p.stdout.splitlines())


def measure(n, runs):
    """{"total", "kept", "replay_rates" (one per run), "trace_seconds" (one
    per run, each a different workflow)}."""
    with Broker(brokers=1, partitions=16) as b:
        total, kept = _fill(b, n)
        rates = [kept / _replay(b) for _ in range(runs)]
        traces = [_trace(b, k)[0] for k in _keys(b, runs)]
    return {"total": total, "kept": kept, "replay_rates": rates,
            "trace_seconds": traces}


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    r = measure(n, runs)
    print("in the broker: %d records (%d kept after the mock's bound)"
          % (r["total"], r["kept"]))
    for x in r["replay_rates"]:
        print("replay: %d events at %.0f events/s" % (r["kept"], x))
    for x in r["trace_seconds"]:
        print("trace: %.3f s" % x)


if __name__ == "__main__":
    main()
