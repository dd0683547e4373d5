#!/usr/bin/env python3
"""The benchmark suite: agentlog side by side with what users would deploy
instead, in one run, on one machine.  Writes BENCHMARKS.md.

    python3 tests/bench/run.py              # full run, as root (~20 min)
    python3 tests/bench/run.py --smoke      # tiny sizes, under a minute

The full run builds the tree (build-bench/ unless --build), installs what
it compares against (tests/bench/suite/setup.py: apt-get, as root), starts
the Kafka test broker, agentlogd and the other daemons itself, runs every
scenario (tests/bench/suite/s_*.py), prints the table and writes it to
BENCHMARKS.md at the top of the tree.  The smoke run (ctest: bench_suite_
smoke) takes the build tree from $AGENTLOG_BUILD, installs nothing, skips
what is not installed, and writes its table into the build tree.

    --only SCENARIOS   comma-separated: ceilings, publish, inproc, ingest,
                       outage, latency, parts, replay, pgwriter
    --runs N           runs per figure (default 5; smoke 1)
    --out PATH         where the markdown goes
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.join(HERE, "suite"), os.path.join(SOURCE, "tests", "lib")]

ORDER = ["ceilings", "publish", "inproc", "ingest", "outage", "latency",
         "parts", "replay", "pgwriter"]


def parse():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--build")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--only")
    ap.add_argument("--runs", type=int)
    ap.add_argument("--out")
    return ap.parse_args()


def prepare(a):
    """The build tree, competitor roots and package versions."""
    import setup
    build = a.build or os.environ.get("AGENTLOG_BUILD") if a.smoke else a.build
    build = os.path.abspath(build or os.path.join(SOURCE, "build-bench"))
    if not a.smoke and not a.no_build:
        setup.log("build: %s" % build)
        setup.build(SOURCE, build)
    os.environ["AGENTLOG_BUILD"] = build
    if a.smoke:
        roots = setup.unpack_competitors(download=False)
    else:
        missing = setup.install_packages()
        if missing:
            setup.log("setup: still missing (run as root?): %s"
                      % " ".join(missing))
        roots = setup.unpack_competitors(download=True)
    versions = setup.package_versions(
        ["rsyslog", "rsyslog-kafka", "syslog-ng-core", "syslog-ng-mod-rdkafka",
         "kcat", "python3-confluent-kafka", "librdkafka1", "hyperfine"])
    return build, roots, versions


def scenarios(cfg, res, roots):
    import s_ceilings
    import s_components
    import s_ingest
    import s_latency
    import s_outage
    import s_pgwriter
    import s_publish
    return {
        "ceilings": lambda: s_ceilings.disk(cfg, res),
        "publish": lambda: s_publish.publish(cfg, res),
        "inproc": lambda: s_publish.inproc(cfg, res),
        "ingest": lambda: s_ingest.ingest(cfg, res, roots),
        "outage": lambda: s_outage.outage(cfg, res),
        "latency": lambda: s_latency.latency(cfg, res, roots),
        "parts": lambda: (s_components.proto(cfg, res),
                          s_components.journal(cfg, res),
                          s_components.forwarder(cfg, res)),
        "replay": lambda: s_components.replay(cfg, res),
        "pgwriter": lambda: s_pgwriter.pgwriter(cfg, res),
    }


def main():
    a = parse()
    t0 = time.monotonic()
    load0 = "%.2f %.2f %.2f" % os.getloadavg()
    build, roots, versions = prepare(a)
    from common import Config, Results, log
    import report
    cfg = Config(build, SOURCE, smoke=a.smoke, runs=a.runs)
    res = Results()
    table = scenarios(cfg, res, roots)
    only = a.only.split(",") if a.only else ORDER
    failed = []
    try:
        for name in ORDER:
            if name not in only:
                continue
            log("== %s (%.0f s into the run)" % (name, time.monotonic() - t0))
            try:
                table[name]()
            except Exception as e:          # report it, go on with the rest
                log("%s failed: %s" % (name, e))
                failed.append(name)
                res.skipped.append((name, "failed: %s" % str(e)[:300]))
    finally:
        cfg.cleanup()
    command = "python3 tests/bench/run.py" + (" --smoke" if a.smoke else "") + (
        " --build " + a.build if a.build else "") + (
        " --no-build" if a.no_build else "") + (
        " --only " + a.only if a.only else "") + (
        " --runs %d" % a.runs if a.runs else "")
    info = report.run_info(cfg, command, t0, load0, versions)
    md = report.render(cfg, res, info)
    out = a.out or (os.path.join(build, "BENCHMARKS-smoke.md") if a.smoke
                    else os.path.join(SOURCE, "BENCHMARKS.md"))
    with open(out, "w") as f:
        f.write(md)
    print(md)
    log("wrote %s in %.1f min" % (out, (time.monotonic() - t0) / 60))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
