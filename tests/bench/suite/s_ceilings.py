"""Scenario 8: the limits every other figure is read against, in the same
run.  (The socket read-and-discard ceiling is measured inside scenario 3's
rounds, next to the ingest it bounds.)
  - librdkafka's own producer to the same test broker: agentlog-test-produce
    --bench with agentlogd's producer settings and its three headers
    (producer_rate(), run inside scenario 3's rounds);
  - the journal disk's sequential write bandwidth: dd with conv=fdatasync
    into the directory the journals of this run live in.
"""
import json
import os
import re
import subprocess

from common import log, run
from broker import Broker

SCEN = "8. Ceilings"


def producer_rate(cfg, b):
    """One run of librdkafka's own producer to broker b: events/s."""
    out = run([cfg.tool("tests", "broker", "agentlog-test-produce"),
               "--bootstrap", b.bootstrap, "--bench", str(cfg.events),
               "--size", "434", "--topics", "agent-routing-decisions",
               "--headers", "1",
               "--prop", "compression.codec=lz4",
               "--prop", "linger.ms=5",
               "--prop", "queue.buffering.max.kbytes=65536",
               "--prop", "queue.buffering.max.messages=500000"])
    return json.loads(out.strip().splitlines()[-1])["rate"]


def disk(cfg, res):
    d = cfg.tmpdir("dd")
    path = os.path.join(d, "dd.tmp")
    rates = []
    for _ in range(cfg.runs):
        p = subprocess.run(["dd", "if=/dev/zero", "of=" + path, "bs=1M",
                            "count=%d" % cfg.dd_mib, "conv=fdatasync"],
                           capture_output=True, text=True, check=True)
        m = re.search(r"(\d+) bytes.*copied, ([\d.]+) s", p.stderr)
        rates.append(int(m.group(1)) / float(m.group(2)) / 1e6)
        os.unlink(path)
    dev = subprocess.run(["df", "--output=source,fstype", d],
                         capture_output=True, text=True).stdout.split()[-2:]
    res.add(SCEN, "ceil_disk", "sequential write, dd conv=fdatasync, "
            "journal's file system", "MB/s", rates)
    res.notes[SCEN] = (
        "Producer: agentlog-test-produce --bench %d --size 434 --headers 1 "
        "(idempotent, acks=all, lz4, linger.ms=5, 64 MiB queue), to a test "
        "broker, in scenario 3's rounds (next to the end-to-end runs it "
        "bounds). Disk: dd if=/dev/zero bs=1M count=%d "
        "conv=fdatasync into the run's temporary directory (%s, %s), where "
        "every agentlogd journal of this run lives. Read-and-discard: "
        "bench_ingest --discard, in scenario 3's rounds."
        % (cfg.events, cfg.dd_mib, dev[0] if dev else "?",
           dev[1] if len(dev) > 1 else "?"))
    log("disk: %s" % rates)
