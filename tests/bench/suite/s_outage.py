"""Scenario 5: Kafka away, then back.

Per run, a fresh agentlogd forwarding to the test broker: one event
delivered (the producer is connected), then every broker down (the broker
helper's `down all`); a backlog of events sent by 4 senders and timed until
.status counts them accepted (the accept rate during the outage); then
`up all`, and from there the time to the first delivery (reconnection) and
from the first delivery to the last (the drain rate of the backlog).
Then recovery: brokers down again, the same backlog accepted again, and the
daemon restarted on that journal (SIGTERM, start), timed until it answers
on its socket (recovery must not block accepting); then `up all`, and the
restarted daemon's drain timed from `up` until its cursor reaches the end
(all from the segments on disk: the cold path).
"""
# This scenario once found a restarted daemon that delivered nothing once
# the brokers were back (librdkafka's edge-triggered queue wake-up, armed
# after the first event was queued); the queue is now served by a thread
# of its own, and the drain after a restart is measured.

import time

from common import last_kv, log, run, wait_for
from broker import Broker
from daemon import Daemon, make_event

SCEN = "5. Outage: Kafka down, then back"


def _recovery(cfg, b, d):
    """Seconds from starting agentlogd on a backlog (Kafka down) to its
    socket answering, and its drain rate (events/s from `up` until the
    cursor reaches the end)."""
    b.down()
    run([cfg.tool("tests", "bench", "bench_ingest"), "--socket", d.sock,
         "--senders", "4", "--events", str(cfg.backlog), "--until",
         "accepted"])
    d.stop()
    t0 = time.monotonic()
    d.start(wait=False)
    d.wait_ready(60)
    recovery = time.monotonic() - t0
    j = d.status()["journal"]
    backlog, end = j["next_seq"] - j["cursor"], j["next_seq"]
    t_up = time.monotonic()
    b.up()
    wait_for(lambda: d.status()["journal"]["cursor"] >= end, 600, 0.005,
             what="the restarted daemon's backlog delivered")
    drain = backlog / (time.monotonic() - t_up)
    d.stop()
    return recovery, drain


def _one(cfg, b):
    with Daemon(kafka=b.bootstrap, log_level="warn",
                args=["--shutdown-timeout-ms", "1000"]) as d:
        d.send_events([make_event("routing_decision")])
        wait_for(lambda: d.status()["kafka"]["delivered"] >= 1, 30,
                 what="first delivery")
        b.down()
        r = last_kv(run([cfg.tool("tests", "bench", "bench_ingest"),
                         "--socket", d.sock, "--senders", "4",
                         "--events", str(cfg.backlog), "--pid", str(d.pid),
                         "--until", "accepted"]), "accepted")
        want = 1 + int(r["events"])
        before = d.status()["kafka"]["delivered"]
        t_up = time.monotonic()
        b.up()
        delivered = lambda: d.status()["kafka"]["delivered"]
        wait_for(lambda: delivered() > before, 120, 0.005,
                 what="a delivery after up")
        t_first = time.monotonic()
        n0 = delivered()
        wait_for(lambda: delivered() >= want, 600, 0.005,
                 what="the backlog delivered")
        t_end = time.monotonic()
        hwm = d.rss_kib("VmHWM")
        recovery, cold = _recovery(cfg, b, d)
    # A backlog drained before the first poll saw a delivery (tiny smoke
    # sizes) is timed from `up` instead.
    if want - n0 < want // 10:
        drain = want / (t_end - t_up)
    else:
        drain = (want - n0) / (t_end - t_first)
    return {"accept": r["events_per_s"], "reconnect": t_first - t_up,
            "recovery": recovery, "drain": drain, "cold": cold,
            "hwm": hwm / 1024}


def outage(cfg, res):
    m = []
    with Broker() as b:
        for r in range(cfg.runs):
            log("outage: round %d" % (r + 1))
            m.append(_one(cfg, b))
    col = lambda k: [x[k] for x in m]
    res.add(SCEN, "outage_accept", "accept rate while Kafka is down, 4 "
            "senders", "events/s", col("accept"), baseline="ingest_4")
    res.add(SCEN, "outage_drain", "drain rate of the backlog once Kafka is "
            "back", "events/s", col("drain"), baseline="ceil_producer")
    res.add(SCEN, "outage_recovery", "restart with the backlog: start to "
            "socket answering", "s", col("recovery"), better="lower")
    res.add(SCEN, "outage_cold", "restarted on the backlog: drain from `up` "
            "(the segments on disk, reconnection included)", "events/s",
            col("cold"), baseline="ceil_producer")
    res.add(SCEN, "outage_reconnect", "time from `up` to the first "
            "delivery (reconnect backoff)", "s", col("reconnect"),
            better="lower")
    res.add(SCEN, "outage_hwm", "agentlogd peak RSS, outage and drain", "MiB", col("hwm"), better="lower")
    res.notes[SCEN] = (
        "A backlog of %d events per run (4 senders), fresh agentlogd and "
        "journal per run, the test broker's `down all` / `up all`, counted "
        "by .status; drain rate = backlog / (last delivery - first delivery "
        "after `up`). Recovery: the same backlog again with Kafka down, then"
        " the daemon restarted on it and timed until it answers .ping, then "
        "brokers up and its drain timed from `up` until its cursor reached "
        "the end (read back from the segments). Ratios: accept rate to the "
        "ingest "
        "rate of scenario 3 (4 senders, journal only), drain rate to the "
        "librdkafka producer ceiling." % cfg.backlog)
