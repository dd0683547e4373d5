"""BENCHMARKS.md: the machine, the command, one table per scenario
(median, min, max over the runs; the ratio to the baseline measured in the
same run) and the targets of the other issues, met or not.
"""
import os
import platform
import subprocess
import time

from common import fmt

# (issue, target, row key or keys, how: ">=" / "<=" a bound, on the median
# or on the ratio)
TARGETS = [
    (3, "ingest >= 600,000 events/s, 4 senders", "ingest_4", ">=", 600000, "median"),
    (3, "ingest as a fraction of read-and-discard (reported)", "ingest_4", None, None, "ratio"),
    (3, "daemon RSS <= 8 MiB idle", "rss_idle_journal", "<=", 8, "median"),
    (3, "daemon RSS <= 8 MiB idle, Kafka connected", "rss_idle_kafka", "<=", 8, "median"),
    (3, "daemon RSS <= 32 MiB at that load", "ingest_hwm_4", "<=", 32, "median"),
    (4, "end to end >= 1.1x the faster of rsyslog and syslog-ng, 4 senders", "e2e_vs_best_4", ">=", 1.1, "median"),
    (4, "no more CPU per million events than they use, 4 senders", "cpu_vs_best_4", "<=", 1.0, "median"),
    (4, "a 1,000,000-event backlog drains at >= 400,000 events/s", "outage_drain", ">=", 400000, "median"),
    (4, "p99 socket write -> Kafka ack <= 20 ms at 10,000 events/s", "lat_agentlogd_10000_p99", "<=", 20, "median"),
    (4, "with 1,000,000 events of backlog the socket accepts within 200 ms of start", "outage_recovery", "<=", 0.2, "median"),
    (4, "librdkafka producer ceiling (reported)", "ceil_producer", None, None, "median"),
    (5, "agentlogctl send <= 1.15x min_send", "pub_send", "<=", 1.15, "ratio"),
    (5, "log-agent-action <= 1.15x min_send", "pub_agent-action", "<=", 1.15, "ratio"),
    (5, "log-routing-decision <= 1.15x min_send", "pub_routing-decision", "<=", 1.15, "ratio"),
    (5, "log-transformation <= 1.15x min_send", "pub_transformation", "<=", 1.15, "ratio"),
    (5, "log-performance-metrics <= 1.15x min_send", "pub_performance-metrics", "<=", 1.15, "ratio"),
    (5, "the floor, /bin/true (reported)", "pub_true", None, None, "median"),
    (5, "agentlog_send() <= 2 us per event over 1,000,000 events (caller CPU)", "lib_cpu_daemon", "<=", 2000, "median"),
    (5, "agentlog_send() <= 2 us per event over 1,000,000 events (wall)", "lib_wall_daemon", "<=", 2000, "median"),
    (6, "trace of one workflow from Kafka < 1 s", "trace_kafka", "<=", 1.0, "median"),
    (6, "replay >= 200,000 events/s to /dev/null", "replay_kafka", ">=", 200000, "median"),
    (6, "trace --from journal over a 1 GiB journal < 2 s", "trace_journal", "<=", 2.0, "median"),
    (13, ">= 10,000 events/s at batch 100", "pg_batch_100", ">=", 10000, "median"),
    (13, ">= 50,000 events/s at batch 1000", "pg_batch_1000", ">=", 50000, "median"),
    (13, "publish -> row visible p99 <= 1.5 s at the defaults", "pg_lat_p99", "<=", 1500, "median"),
    (13, "consumer lag while a producer publishes at full speed (reported)", "pg_keepup_lag", None, None, "median"),
    (13, "consumer lag while agentlogd forwards at full speed (reported)", "pg_keepup_agentlogd_lag", None, None, "median"),
]


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) / 1024 / 1024
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
            "memory": "%.0f GiB" % mem, "os": _os_name()}


def _os_name():
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.system()


def _cell(res, row):
    r = res.ratio(row)
    if r is None:
        return "", ""
    b = res.get(row.baseline)
    return "%.2fx" % r, (b.name if b else "")


def _table(res, scenario):
    out = ["| measure | median | min | max | unit | ratio | to |",
           "|---|---:|---:|---:|---|---:|---|"]
    for row in res.rows:
        if row.scenario != scenario:
            continue
        ratio, to = _cell(res, row)
        out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            row.name, fmt(row.median), fmt(min(row.values)),
            fmt(max(row.values)), row.unit, ratio, to))
    return out


def _target_value(res, key, on):
    row = res.get(key)
    if row is None:
        return None, None
    if on == "ratio":
        return res.ratio(row), row
    return row.median, row


def targets(res):
    out = ["| issue | target | measured | met |", "|---|---|---|---|"]
    for issue, text, key, op, bound, on in TARGETS:
        v, row = _target_value(res, key, on)
        if v is None:
            out.append("| %d | %s | not measured in this run | n/a |"
                       % (issue, text))
            continue
        fig = ("%.2fx" % v if on == "ratio" or row.unit == "x"
               else "%s %s" % (fmt(v), row.unit))
        if row and len(row.values) > 1 and on != "ratio":
            fig += " (min %s, max %s)" % (fmt(min(row.values)),
                                          fmt(max(row.values)))
        if on == "median" and row.baseline and res.ratio(row) is not None:
            fig += "; %.2fx %s" % (res.ratio(row), res.get(row.baseline).name
                                   if res.get(row.baseline) else "")
        met = "—" if op is None else (
            "yes" if (v >= bound if op == ">=" else v <= bound) else "**no**")
        out.append("| %d | %s | %s | %s |" % (issue, text, fig, met))
    return out


def render(cfg, res, info):
    m = info["machine"]
    lines = [
        "# Benchmarks",
        "",
        "Generated by `%s` (tests/bench/run.py); do not edit by hand."
        % info["command"],
        "",
        "| | |", "|---|---|",
        "| date | %s |" % info["date"],
        "| commit | %s |" % info["commit"],
        "| CPU | %s |" % m["cpu"],
        "| cores | %s |" % m["cores"],
        "| memory | %s |" % m["memory"],
        "| kernel | %s |" % m["kernel"],
        "| OS | %s |" % m["os"],
        "| load average at start / end | %s / %s |" % (info["load0"],
                                                      info["load1"]),
        "| wall time of the run | %.1f min |" % (info["seconds"] / 60),
        "| runs per figure | %d (median, min, max over them) |" % cfg.runs,
        "| alternatives | %s |" % (", ".join("%s %s" % kv for kv in
                                            sorted(info["versions"].items()))
                                   or "none"),
        "",
        "Every figure is the median of the runs of this one run of the suite "
        "on this machine, with the min and max; ratios are against a "
        "baseline measured in the same run (per round where the rounds were "
        "interleaved). The machine is a shared 2-core VM: read ratios, not "
        "lone absolutes.",
        "",
        "The full run installs what it compares against, as root: kcat, "
        "python3-confluent-kafka, hyperfine and the shared libraries of "
        "rsyslog and syslog-ng with apt-get; rsyslog + rsyslog-kafka and "
        "syslog-ng-core + syslog-ng-mod-rdkafka with `apt-get download` and "
        "`dpkg -x` into a cache directory (never installed: they conflict, "
        "and an installed one would start a system service). Each daemon "
        "runs in the foreground as a child of the suite with its own "
        "configuration in a temporary directory, pointed at the test broker "
        "on loopback, and is stopped by pid.",
        "",
        "## Targets of the other issues",
        "",
    ]
    lines += targets(res)
    seen = []
    for row in res.rows:
        if row.scenario not in seen:
            seen.append(row.scenario)
    for s in sorted(seen):
        lines += ["", "## " + s, ""]
        if s in res.notes:
            lines += [res.notes[s], ""]
        lines += _table(res, s)
    if res.skipped:
        lines += ["", "## Not measured in this run", ""]
        lines += ["- %s: %s" % kv for kv in res.skipped]
    return "\n".join(lines) + "\n"


def run_info(cfg, command, t0, load0, versions):
    commit = subprocess.run(["git", "-C", cfg.source, "rev-parse", "--short",
                             "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "?"
    return {"machine": machine(), "command": command,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "commit": commit, "load0": load0,
            "load1": "%.2f %.2f %.2f" % os.getloadavg(),
            "seconds": time.monotonic() - t0, "versions": versions}
