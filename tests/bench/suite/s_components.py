"""Figures of the parts, each with the program its owner wrote, for the
targets of the other issues that the scenarios above do not cover:
  - proto: validate + envelope splice per event, against cJSON_Parse of the
    same line (tests/proto/bench_proto);
  - journal: append + flush per fsync mode (tests/journal/bench_journal);
  - forwarder: drain of a pre-filled journal in process, against the
    librdkafka producer in the same fwd-bench run (tests/forward/fwd-bench);
  - replay and trace from Kafka over 1,000,000 records and 1,000 workflows
    (tests/bench/bench_replay.py) and trace from a 1 GiB journal
    (tests/bench/mkjournal + agentlogctl trace --from journal).
"""
import os
import re
import subprocess
import sys
import time

from common import log, run

SCEN = "9. Parts and replay"


def _num(pattern, text):
    m = re.search(pattern, text)
    if not m:
        raise RuntimeError("%r not in:\n%s" % (pattern, text[-1500:]))
    return float(m.group(1))


def proto(cfg, res):
    m = {"validate": [], "splice": [], "cjson": []}
    for _ in range(cfg.runs):
        t = run([cfg.tool("tests", "proto", "bench_proto"),
                 str(cfg.proto_events)])
        m["validate"].append(_num(r"proto_event_parse \(validate\)\s+([\d.]+)", t))
        m["splice"].append(_num(r"parse \+ event id \+ splice\s+([\d.]+)", t))
        m["cjson"].append(_num(r"cJSON_Parse \+ cJSON_Delete\s+([\d.]+)", t))
    res.add(SCEN, "proto_cjson", "cJSON_Parse + cJSON_Delete, one event",
            "ns/event", m["cjson"], better="lower")
    res.add(SCEN, "proto_splice", "proto: validate + event id + envelope "
            "splice", "ns/event", m["splice"], baseline="proto_cjson",
            better="lower")


def journal(cfg, res):
    m = {}
    for _ in range(cfg.runs):
        t = run([cfg.tool("tests", "journal", "bench_journal"),
                 str(cfg.proto_events)])
        for mode in ("never", "interval", "always"):
            m.setdefault(mode, []).append(_num(
                r"fsync=%s\s+\d+ x \d+ B, flush per 64: (\d+) events/s" % mode,
                t))
    for mode in ("never", "interval", "always"):
        res.add(SCEN, "journal_%s" % mode, "journal append+flush, --fsync %s"
                % mode, "records/s", m[mode])


def forwarder(cfg, res):
    n = 20000 if cfg.smoke else cfg.events
    t = run([cfg.tool("tests", "forward", "fwd-bench"), "--only", "drain",
             "--events", str(n), "--runs", str(cfg.runs)], timeout=1200)
    drain = [float(x) for x in re.search(r"^drain\s+([\d\s]+?)\s+median", t,
                                         re.M).group(1).split()]
    res.add(SCEN, "fwd_drain", "forwarder drain, in process (fwd-bench, "
            "its own broker)", "events/s", drain)
    res.add(SCEN, "fwd_drain_cpu", "forwarder drain CPU (fwd-bench, median "
            "of its runs)", "s per M events",
            [_num(r"drain CPU: median ([\d.]+)", t)], better="lower")


def replay(cfg, res):
    sys.path.insert(0, os.path.join(cfg.source, "tests", "bench"))
    import bench_replay
    r = bench_replay.measure(cfg.replay_events, cfg.runs)
    res.add(SCEN, "replay_kafka", "agentlogctl replay --from kafka > "
            "/dev/null", "events/s", r["replay_rates"])
    res.add(SCEN, "trace_kafka", "agentlogctl trace ID --from kafka",
            "s", r["trace_seconds"], better="lower")
    d = cfg.tmpdir("mkjournal")
    out = run([cfg.tool("tests", "bench", "mkjournal"), d,
               str(cfg.journal_mib)]).split()
    corr, records = out[0], int(out[1])
    secs = []
    ctl = cfg.tool("client", "agentlogctl")
    for _ in range(cfg.runs):
        t0 = time.monotonic()
        with open(os.devnull, "w") as null:
            subprocess.run([ctl, "trace", corr, "--from", "journal",
                            "--journal-dir", d, "--format", "ndjson"],
                           stdout=null, check=True)
        secs.append(time.monotonic() - t0)
    subprocess.run(["rm", "-rf", d])
    res.add(SCEN, "trace_journal", "agentlogctl trace ID --from journal, "
            "%d MiB journal" % cfg.journal_mib, "s", secs, better="lower")
    res.notes[SCEN] = (
        "bench_proto %d and bench_journal %d (%d runs each, each run the "
        "median of the program's own 5 rounds); fwd-bench --only drain "
        "--events %d --runs %d (its own test broker); replay/trace: %d "
        "records of 300 bytes over the 4 topics (16 partitions, one broker),"
        " 1,000 correlation ids, produced by agentlog-test-produce --bench "
        "(the mock broker keeps the last ~100,000 per partition: replay "
        "rate = records kept / seconds); trace --from journal over a "
        "journal of %d records made by mkjournal (page cache warm after "
        "the first run)." % (cfg.proto_events, cfg.proto_events, cfg.runs,
                             20000 if cfg.smoke else cfg.events, cfg.runs,
                             cfg.replay_events, records))
