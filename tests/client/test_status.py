"""agentlogctl status: the human summary of a real agentlogd (events
accepted and rejected, Kafka up, Kafka down with a backlog), --json
printing the daemon's reply unchanged, exit codes, and a reply from an
older or newer daemon (members missing, unknown or of another type)."""
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctlutil import BUILD, ctl, env_for  # noqa: E402
from daemon import Daemon, line, make_event, wait_for  # noqa: E402

BROKER_TOOL = os.path.join(BUILD, "tests", "broker", "agentlog-test-broker")


def lines_of(out):
    """{label: [line, ...]}: continuation lines go with the label above."""
    got, label = {}, None
    for ln in out.splitlines()[1:]:
        if not ln.startswith(" "):
            label = ln.split(" ", 1)[0]
        got.setdefault(label, []).append(ln)
    return got


def status(env, *args):
    p = ctl(["status"] + list(args), env)
    return p


class StatusTest(unittest.TestCase):
    """Against a journal-only agentlogd."""

    def setUp(self):
        self.d = Daemon()
        self.addCleanup(self.d.cleanup)
        self.env = env_for(self.d)

    def test_accepted_events(self):
        self.d.send_events([make_event("agent_action"),
                            make_event("agent_action"),
                            make_event("routing_decision")])
        self.d.wait_accepted(3)
        p = status(self.env)
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        head = p.stdout.splitlines()[0]
        self.assertRegex(head, r"^agentlogd \S+, pid %d, up \d+ s, protocol 1, "
                         r"socket %s$" % (self.d.pid, re.escape(self.d.sock)))
        got = lines_of(p.stdout)
        self.assertEqual(sorted(got), ["events", "journal", "kafka"])
        self.assertRegex(got["events"][0],
                         r"^events    3 accepted \([\d.,]+/s\), 0 rejected; "
                         r"by type: agent_action 2, routing_decision 1$")
        self.assertRegex(got["journal"][0],
                         r"^journal   %s: 1 segment, [\d.]+ (B|KiB) of 1 GiB$"
                         % re.escape(self.d.journal_dir))
        self.assertEqual(got["kafka"], ["kafka     off (journal only)"])
        self.assertNotIn("problems", p.stdout)
        self.assertNotIn("\033", p.stdout)      # no colour into a pipe

    def test_rejected_events(self):
        bad = make_event("agent_action")
        del bad["correlation_id"]
        self.d.send(line(make_event()) + line(bad) + line(bad) +
                    b'{"type": "no_such_type"}\n')
        wait_for(lambda: self.d.status()["events"]["rejected"] >= 3, 20,
                 what="3 events rejected")
        reasons = self.d.status()["events"]["rejected_by_reason"]
        self.assertEqual(sum(reasons.values()), 3, reasons)
        p = status(self.env)
        self.assertEqual(p.returncode, 0, p.stderr)
        got = lines_of(p.stdout)
        self.assertRegex(got["events"][0],
                         r"^events    1 accepted \(.*\), 3 rejected \(.*\); "
                         r"by type: agent_action 1$")
        self.assertEqual(len(got["problems"]), 1, p.stdout)
        want = ", ".join("%s %d" % kv for kv in reasons.items())
        self.assertEqual(got["problems"][0],
                         "problems  3 events rejected, by reason: " + want)

    def test_json_is_the_daemons_reply(self):
        self.d.send_events([make_event()])
        self.d.wait_accepted(1)
        p = status(self.env, "--json")
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        self.assertTrue(p.stdout.endswith("}\n"))
        self.assertEqual(p.stdout.count("\n"), 1)
        st, raw = json.loads(p.stdout), self.d.status()

        def shape(o):
            if isinstance(o, dict):
                return {k: shape(v) for k, v in o.items()}
            return type(o).__name__
        self.assertEqual(shape(st), shape(raw))
        self.assertEqual(st["events"]["accepted"], 1)
        self.assertEqual(st["pid"], self.d.pid)

    def test_unreachable(self):
        self.d.stop()
        for args in ([], ["--json"]):
            p = status(self.env, *args)
            self.assertEqual(p.returncode, 1, args)
            self.assertEqual(p.stdout, "")
            self.assertIn("agentlogd unreachable", p.stderr)
            self.assertIn(self.d.sock, p.stderr)


class FakeDaemon:
    """A socket that answers every request with one fixed reply line, or
    never answers: what an older or newer agentlogd could say."""

    def __init__(self, reply):
        self.tmp = tempfile.mkdtemp(prefix="agentlog-status-")
        self.sock = os.path.join(self.tmp, "fake.sock")
        self.reply = reply
        self.conns = []
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(self.sock)
        self.srv.listen(4)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            self.conns.append(c)
            try:
                c.recv(4096)
                if self.reply is not None:
                    c.sendall(self.reply + b"\n")
            except OSError:
                pass

    def stop(self):
        self.srv.shutdown(socket.SHUT_RDWR)
        self.srv.close()
        self.thread.join(5)
        for c in self.conns:
            c.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


# A reply with every figure abnormal, in the shape status.c builds.
TROUBLED = {
    "daemon": "agentlogd", "version": "9.9.9", "protocol": 1, "pid": 4242,
    "uptime_seconds": 7384.2,
    "connections": {"open": 3, "total": 90, "refused": 2, "idle_closed": 1},
    "events": {"accepted": 1234567, "rejected": 5, "bytes": 1, "backpressure_waits": 1,
               "accepted_per_second": 812, "rejected_per_second": 0.5,
               "accepted_by_type": {"agent_action": 1200000, "routing_decision": 20400,
                                    "transformation": 14167, "performance_metrics": 0},
               "rejected_by_type": {"agent_action": 5},
               "rejected_by_reason": {"correlation_id": 4, "line_too_long": 1}},
    "journal": {"dir": "/var/lib/agentlog", "backlog_events": 52113,
                "bytes": 1020054733, "max_bytes": 1073741824,
                "oldest_age_seconds": 41, "segments": 3, "rejected_full": 1,
                "dropped_oldest": 0, "quarantined": 2, "write_errors": 3,
                "fsync_errors": 1, "write_failing": True},
    "kafka": {"enabled": True, "brokers": "kafka1:9092", "up": False,
              "last_error": "kafka1:9092/1: Connect failed\n\x1b[2J",
              "delivered": 1182454, "in_flight": 7, "failed": 1,
              "drain_rate": 810, "eta_seconds": 64.3, "reading_journal": True},
    "dropped": 1,
}


class StatusCompatTest(unittest.TestCase):
    """Replies agentlogd itself cannot be made to give on demand."""

    def fake(self, reply):
        f = FakeDaemon(reply)
        self.addCleanup(f.stop)
        return f, {"AGENTLOG_SOCKET": f.sock, "PATH": os.environ["PATH"]}

    def test_every_problem_shown(self):
        f, env = self.fake(json.dumps(TROUBLED).encode())
        p = status(env)
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        self.assertEqual(p.stdout, (
            "agentlogd 9.9.9, pid 4242, up 2h 03m, protocol 1, socket %s\n"
            "events    1,234,567 accepted (812/s), 5 rejected (0.5/s); by type: "
            "agent_action 1.2M, routing_decision 20k, transformation 14k\n"
            "journal   /var/lib/agentlog: 3 segments, 973 MiB of 1 GiB, "
            "WRITES FAILING; backlog 52,113 events, oldest 41 s\n"
            "kafka     DOWN (kafka1:9092): 1,182,454 delivered, 7 in flight, "
            "1 failed\n"
            "          last error: kafka1:9092/1: Connect failed??[2J\n"
            "          backlog 52,113 events, oldest 41 s, not draining while "
            "Kafka is down, reading back from the journal\n"
            "problems  journal writes failing (see agentlogd's log)\n"
            "          3 journal write errors\n"
            "          1 journal fsync error\n"
            "          journal 95%% full (973 MiB of 1 GiB)\n"
            "          1 event refused: journal full\n"
            "          2 corrupt journal records quarantined\n"
            "          kafka down: 52,113 events waiting in the journal\n"
            "          1 Kafka delivery failed (sent again from the journal)\n"
            "          5 events rejected, by reason: correlation_id 4, "
            "line_too_long 1\n"
            "          2 connections refused (over --max-connections)\n"
            "          1 backpressure wait (clients waited for the journal)\n"
        ) % f.sock)

    def test_kafka_up_draining(self):
        st = dict(TROUBLED, kafka=dict(TROUBLED["kafka"], up=True, failed=0,
                                       reading_journal=False))
        f, env = self.fake(json.dumps(st).encode())
        got = lines_of(status(env).stdout)
        self.assertEqual(got["kafka"], [
            "kafka     up (kafka1:9092): 1,182,454 delivered, 7 in flight, "
            "draining 810/s",
            "          backlog 52,113 events, oldest 41 s, time to drain ~1m 04s"])

    def test_json_unchanged(self):
        raw = b'{"daemon":"agentlogd", "x":[1,2.50,"\\u00e9"],  "future":{}}'
        f, env = self.fake(raw)
        p = status(env, "--json")
        self.assertEqual((p.returncode, p.stdout), (0, raw.decode() + "\n"))

    def test_missing_unknown_and_mistyped_members(self):
        for reply in (b"{}", b'{"version": 2, "pid": "x", "events": "many", '
                      b'"journal": [1], "kafka": {"enabled": true}, "new": {}}',
                      b'{"events": {"accepted_by_type": {"a": "b", "c": -1}},'
                      b' "journal": {"max_bytes": 0, "bytes": 5}}'):
            f, env = self.fake(reply)
            p = status(env)
            self.assertEqual((p.returncode, p.stderr), (0, ""), reply)
            self.assertTrue(p.stdout.startswith("agentlogd"), p.stdout)
        self.assertRegex(p.stdout, r"\njournal   5 B\n")
        f, env = self.fake(b"[1, 2]")                 # not a status at all
        p = status(env)
        self.assertEqual((p.returncode, p.stdout), (0, "[1, 2]\n"))

    def test_no_answer_names_the_socket(self):
        f, env = self.fake(None)
        p = status(env, "--timeout", "300")
        self.assertEqual((p.returncode, p.stdout), (1, ""))
        self.assertIn("unreachable", p.stderr)
        self.assertIn(f.sock, p.stderr)


@unittest.skipUnless(os.path.exists(BROKER_TOOL), "no test broker built")
class StatusKafkaTest(unittest.TestCase):
    """Against agentlogd forwarding to the test broker."""

    def setUp(self):
        from broker import Broker
        self.b = Broker(brokers=1, partitions=4)
        self.addCleanup(self.b.stop)
        self.d = Daemon(kafka=self.b.bootstrap)
        self.addCleanup(self.d.cleanup)
        self.env = env_for(self.d)

    def test_up_then_down_with_a_backlog(self):
        self.d.send_events([make_event() for _ in range(25)])
        wait_for(lambda: self.d.status()["kafka"]["delivered"] >= 25, 30,
                 what="25 delivered")
        got = lines_of(status(self.env).stdout)
        self.assertRegex(got["kafka"][0], r"^kafka     up \(%s\): 25 delivered, "
                         r"0 in flight" % re.escape(self.b.bootstrap))
        self.assertRegex(got["journal"][0], r"; backlog 0 events$")
        self.assertEqual(len(got["kafka"]), 1, got["kafka"])
        self.assertNotIn("problems", got)

        self.b.down()
        self.d.send_events([make_event("transformation") for _ in range(30)])
        wait_for(lambda: (lambda st: not st["kafka"]["up"] and
                          st["journal"]["backlog_events"] >= 30)(
                              self.d.status()), 30, what="kafka down, backlog")
        p = status(self.env)
        self.assertEqual(p.returncode, 0, p.stderr)
        got = lines_of(p.stdout)
        self.assertRegex(got["kafka"][0], r"^kafka     DOWN \(%s\): 25 delivered"
                         % re.escape(self.b.bootstrap))
        self.assertTrue(got["kafka"][1].startswith("          last error: "),
                        got["kafka"])
        self.assertRegex(got["kafka"][2], r"^          backlog 30 events, .*"
                         r"not draining while Kafka is down")
        self.assertRegex(got["journal"][0], r"; backlog 30 events")
        self.assertEqual(got["problems"][0],
                         "problems  kafka down: 30 events waiting in the journal")
        self.assertRegex(got["events"][0], r"^events    55 accepted .* by type: "
                         r"agent_action 25, transformation 30$")


if __name__ == "__main__":
    unittest.main()
