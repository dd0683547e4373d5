"""libagentlog under a long-lived client while the real agentlogd stops
and starts: sends go to the inbox while it is down, the handle reconnects
by itself after the restart, and every event is journaled exactly once."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctlutil import BUILD, events  # noqa: E402
from daemon import Daemon, wait_for  # noqa: E402

DRIVER = os.path.join(BUILD, "tests", "client", "lib_driver")


class LibRestartTest(unittest.TestCase):
    def test_restart_under_a_live_handle(self):
        d = Daemon()
        self.addCleanup(d.cleanup)
        p = subprocess.Popen([DRIVER, d.sock, d.journal_dir],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, bufsize=1)
        self.addCleanup(lambda: (p.kill(), p.wait(), p.stdin.close(),
                                 p.stdout.close()))

        def cmd(line):
            p.stdin.write(line + "\n")
            p.stdin.flush()
            return [int(x) for x in p.stdout.readline().split()[1::2]]

        self.assertEqual(cmd("send 100 a"), [100, 0, 0])
        self.assertEqual(cmd("wait w1"), [1, 0, 0])     # a-* journaled before
        d.stop()
        self.assertEqual(cmd("send 50 b"), [0, 50, 0])   # down: the inbox
        d.start()
        self.assertEqual(cmd("send 100 c"), [100, 0, 0])  # reconnected
        self.assertEqual(cmd("wait w2"), [1, 0, 0])
        evs = wait_for(lambda: (lambda e: e if len(e) >= 252 else None)(
            events(d.journal_dir)), 30, what="252 events")
        names = [e["action_name"] for e in evs]
        self.assertEqual(len(names), 252)
        self.assertEqual(len(set(names)), 252)       # none twice
        self.assertEqual(names[:101], ["a-%d" % i for i in range(100)] + ["w1-0"])
        # the inbox is journaled, in order, before the reconnected sends
        self.assertEqual(names[101:151], ["b-%d" % i for i in range(50)])
        self.assertEqual(names[151:], ["c-%d" % i for i in range(100)] + ["w2-0"])


if __name__ == "__main__":
    unittest.main()
