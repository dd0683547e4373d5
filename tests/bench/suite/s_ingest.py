"""Scenarios 3 and 4, with the first ceiling of scenario 8.

For 1, 4 and 16 concurrent senders, in rounds (every measurement of a round
one after the other, so load drifts hit them alike), each on a freshly
started daemon with a fresh journal, the same ~430-byte events
(tests/bench/bench_ingest):
  - ceilings: read-and-discard (bench_ingest --discard), and librdkafka's
    own producer to the same broker (s_ceilings.producer_rate);
  - agentlogd ingest: socket -> journal (journal only, --fsync interval,
    the default), clock stopped when .status counts every event accepted;
  - agentlogd end to end: socket -> Kafka acknowledged (.status delivered);
  - rsyslog and syslog-ng (competitors.py) end to end, the clock stopped
    when the test broker's high watermarks grew by every event.
CPU seconds per million events and peak RSS (VmHWM) of the daemon come
from /proc/<pid> (bench_ingest --pid).
"""
import time

from common import last_kv, log, run
from broker import Broker
from daemon import Daemon
from competitors import Rsyslog, RsyslogKeyed, SyslogNg
from s_ceilings import producer_rate

SCEN3 = "3. Ingest and end to end (agentlogd)"
SCEN4 = "4. End to end against rsyslog and syslog-ng"
TOPIC = "agent-routing-decisions"       # every benchmark event's topic


def _ingest(cfg, argv):
    # exit 3: the count stopped short (events lost); the rate is of the
    # events that arrived, and lost= says how many did not
    return last_kv(run([cfg.tool("tests", "bench", "bench_ingest"),
                        "--events", str(cfg.events)] + argv, ok=(0, 3)), "")


def _agentlogd(cfg, senders, bootstrap, extra=()):
    """One agentlogd run; kafka: socket -> Kafka, else -> journal."""
    args = ["--fsync", "interval"] + list(extra)
    with Daemon(args=args, kafka=bootstrap, log_level="warn") as d:
        idle = d.rss_kib("VmRSS")
        r = _ingest(cfg, ["--socket", d.sock, "--senders", str(senders),
                          "--pid", str(d.pid), "--until",
                          "delivered" if bootstrap else "accepted"])
        r["idle_kib"] = idle
        return r


def _competitor(cfg, cls, root, senders, b):
    with cls(root, b.bootstrap, TOPIC, cfg.tmpdir(cls.name)) as d:
        return _ingest(cfg, ["--socket", d.sock, "--senders", str(senders),
                             "--pid", str(d.pid), "--until", "watermarks",
                             "--bootstrap", b.bootstrap, "--topics", TOPIC])


def ingest(cfg, res, roots):
    comps = [(c, roots[c.name]) for c in (Rsyslog, SyslogNg) if c.name in roots]
    for c in (Rsyslog, SyslogNg):
        if c.name not in roots:
            res.skipped.append((SCEN4, "%s not unpacked (run without "
                                "--smoke to install it)" % c.name))
    idle = {"journal": [], "kafka": []}
    ceil = []
    with Broker() as b:
        for s in cfg.senders:
            m = {}
            for r in range(cfg.runs):
                log("ingest: %d senders, round %d" % (s, r + 1))
                m.setdefault("discard", []).append(_ingest(
                    cfg, ["--discard", "--senders", str(s)]))
                m.setdefault("producer", []).append(producer_rate(cfg, b))
                x = _agentlogd(cfg, s, None)
                idle["journal"].append(x["idle_kib"])
                m.setdefault("ingest", []).append(x)
                x = _agentlogd(cfg, s, b.bootstrap)
                idle["kafka"].append(x["idle_kib"])
                m.setdefault("agentlogd", []).append(x)
                m.setdefault("hdrs", []).append(_agentlogd(
                    cfg, s, b.bootstrap, ["--kafka-headers", "all"]))
                for cls, root in comps:
                    m.setdefault(cls.name, []).append(
                        _competitor(cfg, cls, root, s, b))
                if "rsyslog" in roots:
                    m.setdefault("keyed", []).append(_competitor(
                        cfg, RsyslogKeyed, roots["rsyslog"], s, b))
            _rows(res, s, m, comps)
            ceil += m["producer"]
    res.add("8. Ceilings", "ceil_producer", "librdkafka producer alone -> "
            "test broker", "events/s", ceil)
    res.add(SCEN3, "rss_idle_journal", "agentlogd RSS idle after start, "
            "journal only", "MiB", [k / 1024 for k in idle["journal"]],
            better="lower")
    res.add(SCEN3, "rss_idle_kafka", "agentlogd RSS idle after start, "
            "Kafka connected", "MiB", [k / 1024 for k in idle["kafka"]],
            better="lower")
    res.notes[SCEN3] = (
        "tests/bench/bench_ingest, %d events of %d bytes per run split over "
        "the senders (64 KiB writes), %d rounds; agentlogd started fresh "
        "per run (--fsync interval, journal in the temporary directory); "
        "ingest: journal only (--no-kafka), clock stopped when .status "
        "counts every event accepted; end to end: the test broker (mock "
        "cluster, 3 brokers, 4 partitions, loopback), clock stopped when "
        ".status counts every event delivered (Kafka acknowledged). "
        "Ratios: ingest to the read-and-discard ceiling of the same round; "
        "end to end to the librdkafka producer ceiling run in the same round "
        "against the same broker (scenario 8)."
        % (cfg.events, int(m["ingest"][0]["bytes_per_event"]), cfg.runs))
    res.notes[SCEN4] = (
        "rsyslog (imptcp on a Unix socket -> omkafka) and syslog-ng "
        "(unix-stream, no-parse -> kafka-c, flow-control) from Debian's "
        "packages, unpacked and run in the foreground with their own "
        "configuration, reading the same events from a Unix socket and "
        "producing each line unchanged to the same broker and topic with "
        "agentlogd's producer settings (idempotent, acks=all, lz4, "
        "linger.ms=5); neither validates, journals or routes by type, and "
        "neither adds record headers, nor does agentlogd by default (the "
        "rows with --kafka-headers all add the three: type, event_id, "
        "schema_version). The "
        "clock stops when the topic's high watermarks grew by every event "
        "(bench_ingest --until watermarks); a daemon that lost events is timed"
        " to its last event counted (10 s without progress ends the run), "
        "and the events lost are shown. rsyslog keyed: the same rsyslog, "
        "parsing each line (mmjsonparse) to key the record by its "
        "correlation_id as agentlogd does (order per workflow; librdkafka "
        "then spreads a linger period's records over the partitions instead "
        "of sending them to one), reported beside the targets, which compare "
        "with the plain configurations. Ratios are per round, "
        "competitor / agentlogd (above 1: faster, or more CPU / memory, "
        "than agentlogd).")


def _lost(res, scen, key, name, runs):
    """A row of events lost per run, only when some were."""
    lost = [x.get("lost", 0) for x in runs]
    if any(lost):
        res.add(scen, key, name + ": events lost (never reached Kafka)",
                "events", lost, better="lower")


def _paired(a, b):
    return [x / y for x, y in zip(a, b) if y]


def _rows(res, s, m, comps):
    rate = lambda k: [x["events_per_s"] for x in m[k]]
    cpu = lambda k: [x["cpu_s_per_million"] for x in m[k]]
    hwm = lambda k: [x["hwm_kib"] / 1024 for x in m[k]]
    res.add("8. Ceilings", "ceil_discard_%d" % s, "socket read-and-discard, "
            "%d senders" % s, "events/s", rate("discard"))
    res.add(SCEN3, "ingest_%d" % s, "ingest socket -> journal, %d senders"
            % s, "events/s", rate("ingest"), baseline="ceil_discard_%d" % s,
            ratios=_paired(rate("ingest"), rate("discard")))
    res.add(SCEN3, "ingest_cpu_%d" % s, "ingest CPU, %d senders" % s,
            "s per M events", cpu("ingest"), better="lower")
    res.add(SCEN3, "ingest_hwm_%d" % s, "ingest peak RSS, %d senders" % s,
            "MiB", hwm("ingest"), better="lower")
    res.add(SCEN3, "e2e_agentlogd_%d" % s, "end to end socket -> Kafka "
            "acked, %d senders" % s, "events/s", rate("agentlogd"),
            baseline="ceil_producer",
            ratios=_paired(rate("agentlogd"), m["producer"]))
    res.add(SCEN3, "e2e_cpu_agentlogd_%d" % s, "end to end CPU, %d senders"
            % s, "s per M events", cpu("agentlogd"), better="lower")
    res.add(SCEN3, "e2e_hwm_agentlogd_%d" % s, "end to end peak RSS, %d "
            "senders" % s, "MiB", hwm("agentlogd"), better="lower")
    _lost(res, SCEN3, "ingest_lost_%d" % s, "ingest, %d senders" % s,
          m["ingest"])
    _lost(res, SCEN3, "e2e_lost_agentlogd_%d" % s, "agentlogd, %d senders"
          % s, m["agentlogd"])
    res.add(SCEN4, "e2e_agentlogd_%d_x" % s, "agentlogd, %d senders" % s,
            "events/s", rate("agentlogd"))
    res.add(SCEN4, "e2e_hdrs_%d" % s, "agentlogd --kafka-headers all, %d "
            "senders" % s, "events/s", rate("hdrs"))
    res.add(SCEN4, "e2e_cpu_hdrs_%d" % s, "agentlogd --kafka-headers all "
            "CPU, %d senders" % s, "s per M events", cpu("hdrs"),
            better="lower")
    _lost(res, SCEN4, "e2e_lost_hdrs_%d" % s, "agentlogd --kafka-headers "
          "all, %d senders" % s, m["hdrs"])
    if comps:
        best = [max(m[c.name][i]["events_per_s"] for c, _ in comps)
                for i in range(len(m["agentlogd"]))]
        least = [min(m[c.name][i]["cpu_s_per_million"] for c, _ in comps)
                 for i in range(len(m["agentlogd"]))]
        res.add(SCEN4, "e2e_vs_best_%d" % s, "agentlogd / the faster "
                "competitor, %d senders (per round)" % s, "x",
                _paired(rate("agentlogd"), best))
        res.add(SCEN4, "cpu_vs_best_%d" % s, "agentlogd CPU / the leaner "
                "competitor's, %d senders (per round)" % s, "x",
                _paired(cpu("agentlogd"), least), better="lower")
        res.add(SCEN4, "hdrs_vs_best_%d" % s, "with the three headers / "
                "the faster competitor, %d senders (per round)" % s, "x",
                _paired(rate("hdrs"), best))
        res.add(SCEN4, "hdrs_cpu_vs_best_%d" % s, "with the three headers "
                "CPU / the leaner competitor's, %d senders (per round)" % s,
                "x", _paired(cpu("hdrs"), least), better="lower")
    if m.get("keyed"):
        res.add(SCEN4, "e2e_keyed_%d" % s, "rsyslog keyed by correlation_id, "
                "%d senders" % s, "events/s", rate("keyed"),
                baseline="e2e_agentlogd_%d" % s,
                ratios=_paired(rate("keyed"), rate("agentlogd")))
        res.add(SCEN4, "e2e_cpu_keyed_%d" % s, "rsyslog keyed CPU, %d senders"
                % s, "s per M events", cpu("keyed"),
                baseline="e2e_cpu_agentlogd_%d" % s, better="lower",
                ratios=_paired(cpu("keyed"), cpu("agentlogd")))
        _lost(res, SCEN4, "e2e_lost_keyed_%d" % s, "rsyslog keyed, %d senders"
              % s, m["keyed"])
    for cls, _ in comps:
        n = cls.name
        res.add(SCEN4, "e2e_%s_%d" % (n, s), "%s, %d senders" % (n, s),
                "events/s", rate(n), baseline="e2e_agentlogd_%d" % s,
                ratios=_paired(rate(n), rate("agentlogd")))
        res.add(SCEN4, "e2e_cpu_%s_%d" % (n, s), "%s CPU, %d senders"
                % (n, s), "s per M events", cpu(n),
                baseline="e2e_cpu_agentlogd_%d" % s, better="lower",
                ratios=_paired(cpu(n), cpu("agentlogd")))
        res.add(SCEN4, "e2e_hwm_%s_%d" % (n, s), "%s peak RSS, %d senders"
                % (n, s), "MiB", hwm(n), baseline="e2e_hwm_agentlogd_%d" % s,
                better="lower", ratios=_paired(hwm(n), hwm("agentlogd")))
        _lost(res, SCEN4, "e2e_lost_%s_%d" % (n, s), "%s, %d senders"
              % (n, s), m[n])
