#!/usr/bin/env python3
"""bench_replay.py: trace and replay from Kafka at scale (issue 6 figures).

    AGENTLOG_BUILD=build PYTHONPATH=tests/lib python3 tests/bench/bench_replay.py [N]

Fills the test broker with N records (default 1,000,000) over the four
topics, keyed by 1,000 correlation ids (agentlog-test-produce --bench),
then times `agentlogctl replay --from kafka > /dev/null` (events/s) and
`agentlogctl trace <id> --from kafka` for a few ids (seconds each).
Targets: replay >= 200,000 events/s, trace < 1 s.
"""
import json
import os
import subprocess
import sys
import time

from broker import Broker, TOPICS, _tool

BUILD = os.environ.get("AGENTLOG_BUILD", "build")
CTL = os.path.join(BUILD, "client", "agentlogctl")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    with Broker(brokers=1, partitions=16) as b:
        t0 = time.monotonic()
        out = subprocess.run([_tool("agentlog-test-produce"), "--bootstrap",
                              b.bootstrap, "--bench", str(n), "--size", "300",
                              "--topics", ",".join(TOPICS)],
                             capture_output=True, text=True, check=True)
        print("produced:", out.stdout.strip(), "in %.1f s" % (time.monotonic() - t0))
        total = b.total(TOPICS)
        low = sum(lo for parts in b.watermarks(TOPICS).values()
                  for (lo, _) in parts.values())
        kept = total - low
        print("in the broker: %d records (%d kept after the mock's bound)"
              % (total, kept))
        t0 = time.monotonic()
        with open(os.devnull, "w") as null:
            subprocess.run([CTL, "replay", "--from", "kafka", "--brokers",
                            b.bootstrap], stdout=null, stderr=subprocess.DEVNULL,
                           check=True)
        dt = time.monotonic() - t0
        print("replay: %d events in %.3f s = %.0f events/s"
              % (kept, dt, kept / dt))
        head = subprocess.run([CTL, "replay", "--from", "kafka", "--brokers",
                               b.bootstrap, "--topic", "agent-actions"],
                              capture_output=True, text=True).stdout
        keys = []
        for line in head.splitlines():
            k = json.loads(line)["key"]
            if k not in keys:
                keys.append(k)
            if len(keys) == 5:
                break
        for k in keys:
            t0 = time.monotonic()
            p = subprocess.run([CTL, "trace", k, "--from", "kafka", "--brokers",
                                b.bootstrap, "--format", "ndjson"],
                               capture_output=True, text=True, check=True)
            dt = time.monotonic() - t0
            # (the generated values repeat their event ids: trace shows
            # each id once, so it prints fewer events than it scanned)
            print("trace %s: %d distinct events in %.3f s"
                  % (k, len(p.stdout.splitlines()), dt))


if __name__ == "__main__":
    main()
