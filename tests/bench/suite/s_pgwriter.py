"""Scenario 7: agentlog-pgwriter into PostgreSQL, with
tests/pgwriter/bench_pgwriter.py (its own PostgreSQL and test broker):
events/s at batch 100 and 1000 against the ceiling of a plain COPY of the
same rows, publish-to-visible latency at the writer's defaults, and the lag
of a writer consuming while events arrive at full speed: from a standalone
producer (pgw-bench-produce), and forwarded by agentlogd.
"""
import json
import os

from common import log, run

SCEN = "7. pgwriter: Kafka -> PostgreSQL"


def pgwriter(cfg, res):
    script = os.path.join(cfg.source, "tests", "pgwriter", "bench_pgwriter.py")
    env = dict(os.environ, AGENTLOG_BUILD=cfg.build,
               PYTHONPATH=os.path.join(cfg.source, "tests", "lib"))
    lat_s = 2 if cfg.smoke else 10
    text = run(["/usr/bin/python3", "-B", script, "--json",
                "--events", str(cfg.pg_events), "--repeats", str(cfg.runs),
                "--latency-seconds", str(lat_s),
                "--keep-up-events", str(cfg.pg_events)], timeout=1800,
               env=env)
    r = json.loads(text.strip().splitlines()[-1])
    res.add(SCEN, "pg_copy", "ceiling: plain COPY of the same rows", "events/s",
            r["ceiling_copy"]["runs"])
    for b in (100, 1000):
        x = r["batch_%d" % b]
        res.add(SCEN, "pg_batch_%d" % b, "writer, batch %d" % b, "events/s",
                x["runs"], baseline="pg_copy")
    lat = r["latency"]
    for label in ("p50", "p99", "max"):
        res.add(SCEN, "pg_lat_%s" % label, "publish -> row visible, %s "
                "(one run of %d rows)" % (label, lat["rows"]), "ms",
                [lat[label + "_ms"]], better="lower")
    k = r["keep_up"]
    res.add(SCEN, "pg_keepup_lag", "highest consumer lag, standalone "
            "producer at full speed (one run)", "events",
            [k["max_total_lag"]], better="lower")
    res.add(SCEN, "pg_keepup_rate", "standalone producer -> rows stored, "
            "end to end (one run)", "events/s",
            [k["end_to_end_events_per_s"]])
    kd = r.get("keep_up_agentlogd")
    if kd:
        res.add(SCEN, "pg_keepup_agentlogd_lag", "highest consumer lag, "
                "agentlogd forwarding at full speed (one run)", "events",
                [kd["max_total_lag"]], better="lower")
        res.add(SCEN, "pg_keepup_agentlogd_rate", "agentlogd socket -> rows "
                "stored, end to end (one run)", "events/s",
                [kd["end_to_end_events_per_s"]])
    else:
        res.skipped.append((SCEN, "keep-up through agentlogd: agentlogd "
                            "not built (daemon/agentlogd)"))
    res.notes[SCEN] = (
        "tests/pgwriter/bench_pgwriter.py --events %d --repeats %d: a fresh "
        "database per run after a CHECKPOINT (fsync on, synchronous_commit "
        "on); throughput from the first transaction to the last commit "
        "(the database's clocks); latency at %d events/s for %d s at the "
        "writer's defaults (batch 100 or 1 s), commit time of each row's "
        "transaction minus its created_at, published by the benchmark's "
        "own producer (pgw-bench-produce), not through agentlogd. Keeping "
        "up (one run each, writer at its defaults, on topics it has "
        "already caught up with): %d events published as fast as possible "
        "by pgw-bench-produce, and %d events written at once to agentlogd's "
        "socket by one client, which agentlogd journals and forwards at "
        "full speed; the lag is the highest total of the writer's /metrics "
        "consumer_lag (the end of each partition minus the group's "
        "committed offset, from librdkafka's statistics, refreshed every "
        "second) polled every 50 ms (producer) or 100 ms (agentlogd) until "
        "the last row is stored; end to end is the events over the time "
        "from the first publish (producer) or from starting the client "
        "(agentlogd) to the last row counted in /metrics "
        "messages_inserted."
        % (cfg.pg_events, cfg.runs, r["latency"]["rate"], lat_s,
           cfg.pg_events, cfg.pg_events))
    log("pgwriter: %s" % json.dumps(r)[:400])
