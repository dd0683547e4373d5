"""agentlogd under valgrind memcheck through a short load: acknowledged
events, invalid lines, connections dropped mid-line, datagrams, status
requests, Kafka delivering, then away (the backlog spills to the segments
and drains from them when it is back), then SIGTERM.  Memcheck must report no error
and no definite, indirect or possible leak (--error-exitcode).

Slow (valgrind runs the daemon 20-50 times slower): run when
AGENTLOG_VALGRIND=1 (tests/ci-extra.sh sets it), skipped otherwise.
"""
import os
import re
import shutil
import signal
import unittest

from broker import Broker
from daemon import Daemon, line, make_event, wait_for
from relutil import AckSender

VALGRIND = shutil.which("valgrind")
EXIT_ON_ERROR = 99


class ValgrindDaemon(Daemon):
    def command(self):
        self.vg_log = os.path.join(self.tmp, "valgrind.log")
        return [VALGRIND, "--quiet", "--error-exitcode=%d" % EXIT_ON_ERROR,
                "--leak-check=full", "--show-leak-kinds=definite,indirect,possible",
                "--errors-for-leak-kinds=definite,indirect,possible", "--num-callers=30",
                "--log-file=" + self.vg_log] + super().command()


@unittest.skipUnless(os.environ.get("AGENTLOG_VALGRIND") == "1",
                     "slow: set AGENTLOG_VALGRIND=1 to run agentlogd under valgrind")
@unittest.skipIf(VALGRIND is None, "valgrind is not installed")
class ValgrindTest(unittest.TestCase):
    def test_load_then_sigterm_is_clean(self):
        broker = Broker()
        self.addCleanup(broker.stop)
        d = ValgrindDaemon(kafka=broker.bootstrap, start=False,
                           args=["--kafka-queue-kbytes", "1024"])
        self.addCleanup(d.cleanup)
        d.start(wait=False)
        d.wait_ready(timeout=120)
        load = AckSender(d, threads=2, batch=50, pad=400).start()
        self.addCleanup(load.stop)
        for i in range(20):
            d.send(b"not json\n" + line(make_event("routing_decision", confidence_score=7)))
            with d.connect() as s:
                s.sendall(b'{"type":"agent_action","agent_na')     # dropped mid-line
            d.send_dgram(line(make_event("performance_metrics")))
            d.status()
        wait_for(lambda: load.count() >= 2000, 120, what="2,000 acknowledged")
        broker.down()
        wait_for(lambda: load.count() >= 5000, 120, what="5,000 acknowledged")
        wait_for(lambda: d.status()["kafka"]["reading_journal"], 60,
                 what="the backlog spilling to the segments")
        broker.up()
        wait_for(lambda: load.count() >= 6000, 120, what="6,000 acknowledged")
        load.stop()
        wait_for(lambda: (lambda j: j["cursor"] == j["next_seq"])(d.status()["journal"]),
                 180, what="the backlog delivered")
        self.assertTrue(d.status()["kafka"]["up"])
        rc = d.stop(signal.SIGTERM, timeout=180)
        with open(d.vg_log) as f:
            report = f.read()
        print("valgrind: exit %d, %d acknowledged\n%s" % (rc, len(load.acked), report[-4000:]))
        self.assertEqual(rc, 0, "memcheck found errors or leaks:\n" + report[-8000:])
        self.assertNotRegex(report, re.compile(r"definitely lost: [1-9]|Invalid (read|write)"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
