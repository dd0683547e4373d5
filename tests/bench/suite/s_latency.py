"""Scenario 6: socket write -> Kafka acknowledgement, p50 / p99 / p99.9.

tests/bench/bench_latency writes events at a steady rate (a write every
millisecond) with their write time inside, and a consumer of the topic
takes read time minus write time per event.  Why this measure: the
acknowledgement happens inside the daemon's producer and no outside
observer sees it; the ack of agentlogd's acknowledged mode comes at the
journal's durability point, before Kafka; the record's broker timestamp
(CreateTime) is set by the producer when it queues the record, not when the
broker acknowledges it.  A record becomes readable when the broker appends
it, which is when it acknowledges the producer: the consumer (fetch wait 1
ms) sees it at that moment plus its fetch delay.  The same probe producing
directly with librdkafka (agentlogd's settings) is the floor of the method.
"""
from common import last_kv, log, run
from broker import Broker
from daemon import Daemon
from competitors import Rsyslog, SyslogNg

SCEN = "6. Latency, socket write -> Kafka ack"
TOPIC = "agent-routing-decisions"
PCTS = (("p50", "p50_ms"), ("p99", "p99_ms"), ("p99.9", "p999_ms"))


def _probe(cfg, b, rate, sock=None):
    argv = [cfg.tool("tests", "bench", "bench_latency"), "--bootstrap",
            b.bootstrap, "--topic", TOPIC, "--rate", str(rate), "--seconds",
            str(cfg.latency_seconds)]
    argv += ["--socket", sock] if sock else ["--direct"]
    # exit 3: the consumer fell behind and missed records the mock broker
    # had already evicted; the figures of what it read still stand, and
    # the count of the lost ones is in the table
    return last_kv(run(argv, timeout=300, ok=(0, 3)), "latency")


def latency(cfg, res, roots):
    comps = [c for c in (Rsyslog, SyslogNg) if c.name in roots]
    m = {}
    with Broker() as b:
        with Daemon(kafka=b.bootstrap, log_level="warn") as d:
            others = [c(roots[c.name], b.bootstrap, TOPIC,
                        cfg.tmpdir(c.name)).start() for c in comps]
            try:
                for r in range(cfg.runs):
                    log("latency: round %d" % (r + 1))
                    for rate in cfg.latency_rates:
                        m.setdefault(("agentlogd", rate), []).append(
                            _probe(cfg, b, rate, d.sock))
                        m.setdefault(("direct", rate), []).append(
                            _probe(cfg, b, rate))
                    rate = cfg.competitor_latency_rate
                    for o in others:
                        m.setdefault((o.name, rate), []).append(
                            _probe(cfg, b, rate, o.sock))
            finally:
                for o in others:
                    o.stop()
    _rows(res, m)
    res.notes[SCEN] = (
        "tests/bench/bench_latency, %g s per run at each rate, %d rounds; "
        "one ~400-byte event per write at 1,000/s, 10 per write at 10,000/s,"
        " 100 at 100,000/s; events of the first 200 ms not counted. Measured"
        " from the socket write to the record being read by a consumer "
        "(fetch.wait.max.ms=1) of the test broker: the Kafka acknowledgement"
        " plus about a millisecond of fetch delay (see tests/bench/suite/"
        "s_latency.py for why not broker timestamps or acknowledged mode). "
        "Baseline: the same probe producing straight to Kafka with "
        "librdkafka and agentlogd's settings (linger.ms=5), the floor of "
        "the method. agentlogd: --fsync interval, --linger-ms 5 (defaults)."
        % (cfg.latency_seconds, cfg.runs))


def _rows(res, m):
    for (who, rate), xs in sorted(m.items(), key=lambda kv: (kv[0][1],
                                                             kv[0][0])):
        for label, k in PCTS:
            key = "lat_%s_%d_%s" % (who, rate, label)
            base = None if who == "direct" else "lat_direct_%d_%s" % (rate,
                                                                     label)
            name = "%s %s at %s events/s" % (
                "librdkafka direct (floor)" if who == "direct" else who,
                label, "{:,}".format(rate))
            res.add(SCEN, key, name, "ms", [x[k] for x in xs],
                    baseline=base, better="lower")
        lost = sum(x["lost"] for x in xs)
        if lost:
            res.add(SCEN, "lat_%s_%d_lost" % (who, rate), "%s at %s events/s: "
                    "events the consumer missed (evicted first)" % (
                        who, "{:,}".format(rate)), "events",
                    [x["lost"] for x in xs], better="lower")
