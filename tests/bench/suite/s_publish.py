"""Scenarios 1 and 2: what publishing costs the agent.

1. One process per event (how hooks call us), with tests/bench/
   bench_publish.sh (hyperfine, rounds interleaving every command): /bin/true
   (the floor of any process), min_send (connect, write one line, exit),
   `agentlogctl send` and each typed subcommand, `logger -u` to the daemon's
   datagram socket, and in a slower group (fewer runs) `kcat -P` and a
   python3 + confluent-kafka script producing one message to the test broker.
   Ratios are per round against min_send timed in the same group.
2. In process: agentlog_send() per event (tests/bench/bench_lib), against a
   running agentlogd and against an in-process read-and-discard reader.
"""
import json
import os
import re
import shutil
import subprocess
import sys

from common import log, run
from broker import Broker
from daemon import Daemon

SCEN1 = "1. Publish, one process per event"
SCEN2 = "2. In process: agentlog_send()"
EVENT = ('{"type":"agent_action","correlation_id":"ad12146a-b7d0-4a47-86bf-'
         '7ec298ce2c81","agent_name":"polymorphic-agent","action_type":'
         '"tool_call","action_name":"read_file","action_details":{"file_path"'
         ':"/path/to/file.py","lines_read":150},"duration_ms":12}')
KEY = "ad12146a-b7d0-4a47-86bf-7ec298ce2c81"


def _have_confluent():
    return subprocess.run(["/usr/bin/python3", "-c", "import confluent_kafka"],
                          capture_output=True).returncode == 0


def _extras(cfg, bootstrap, d):
    """The slow publishers' hyperfine lines (NAME<TAB>COMMAND)."""
    lines = []
    kcat = subprocess.run(["sh", "-c", "command -v kcat"],
                          capture_output=True, text=True).stdout.strip()
    if kcat:
        ev = os.path.join(d, "event.json")
        with open(ev, "w") as f:
            f.write(EVENT)
        lines.append("kcat -P\t%s -P -b %s -t agent-actions -k %s %s"
                     % (kcat, bootstrap, KEY, ev))
    if _have_confluent():
        script = os.path.join(cfg.source, "tests", "bench", "kafka_publish.py")
        lines.append("python3 confluent-kafka\t/usr/bin/python3 %s %s "
                     "agent-actions %s '%s'" % (script, bootstrap, KEY, EVENT))
    return lines


def publish(cfg, res):
    if not shutil.which("hyperfine"):
        res.skipped.append((SCEN1, "hyperfine not installed"))
        return
    d = cfg.tmpdir("publish")
    with Broker() as b:
        extras = _extras(cfg, b.bootstrap, d)
        xfile = os.path.join(d, "extra.tsv")
        with open(xfile, "w") as f:
            f.write("\n".join(extras) + "\n")
        out = os.path.join(d, "publish.json")
        env = dict(os.environ, BENCH_ROUNDS=str(cfg.runs), BENCH_JSON=out,
                   BENCH_EXTRA=xfile,
                   BENCH_EXTRA_RUNS=str(cfg.publish_slow_runs * cfg.runs))
        script = os.path.join(cfg.source, "tests", "bench", "bench_publish.sh")
        text = run(["bash", script, cfg.build,
                    str(cfg.publish_runs * cfg.runs)], env=env)
        log(text)
        per = json.load(open(out))
    if "kcat -P" not in per:
        res.skipped.append((SCEN1, "kcat not installed"))
    if "python3 confluent-kafka" not in per:
        res.skipped.append((SCEN1, "python3-confluent-kafka not installed"))
    for name, v in per.items():
        res.add(SCEN1, "pub_" + name, name, "ms/event",
                [m * 1e3 for m in v["medians"]],
                baseline=None if name == "min_send" else "pub_min_send",
                ratios=None if name == "min_send" else v["ratios"],
                better="lower")
    res.notes[SCEN1] = (
        "hyperfine -N, %d rounds; each round runs every command %d times "
        "(kcat and python3: %d times, in a second group with its own "
        "/bin/true and min_send); the median of each round, and the ratio "
        "to min_send in the same round; min and max are over rounds. "
        "`logger -u` writes a syslog-framed line to agentlogd's datagram "
        "socket (rejected there: the figure is the process cost)."
        % (cfg.runs, cfg.publish_runs, max(2, cfg.publish_slow_runs)))


def _bench_lib(cfg, sock=None):
    argv = [cfg.tool("tests", "bench", "bench_lib"), "-n", str(cfg.lib_events)]
    if sock:
        argv += ["-s", sock]
    text = run(argv)
    m = re.search(r"([\d.]+) ns/event CPU of the caller, ([\d.]+) ns/event "
                  r"wall \(([\d.]+) events/s\)", text)
    if not m:
        raise RuntimeError("bench_lib said: " + text)
    return float(m.group(1)), float(m.group(2))


def inproc(cfg, res):
    cpu = {"discard": [], "daemon": []}
    wall = {"discard": [], "daemon": []}
    for _ in range(cfg.runs):
        c, w = _bench_lib(cfg)
        cpu["discard"].append(c)
        wall["discard"].append(w)
        with Daemon(log_level="warn") as dmn:
            c, w = _bench_lib(cfg, dmn.sock)
        cpu["daemon"].append(c)
        wall["daemon"].append(w)
    res.add(SCEN2, "lib_cpu_discard", "agentlog_send(), caller CPU, "
            "in-process discard reader", "ns/event", cpu["discard"],
            better="lower")
    res.add(SCEN2, "lib_cpu_daemon", "agentlog_send(), caller CPU, to "
            "agentlogd", "ns/event", cpu["daemon"],
            baseline="lib_cpu_discard", better="lower")
    res.add(SCEN2, "lib_wall_daemon", "agentlog_send(), wall, to agentlogd "
            "(journal only)", "ns/event", wall["daemon"],
            baseline="lib_wall_discard", better="lower")
    res.add(SCEN2, "lib_wall_discard", "agentlog_send(), wall, in-process "
            "discard reader", "ns/event", wall["discard"], better="lower")
    res.notes[SCEN2] = (
        "tests/bench/bench_lib -n %d: one handle, one ~230-byte event per "
        "call; caller CPU is the calling thread's CPU time (what a send "
        "costs the agent), wall includes waiting while the reader drains a "
        "full socket buffer on 2 shared cores; agentlogd restarted per run "
        "with a fresh journal (--no-kafka)." % cfg.lib_events)
