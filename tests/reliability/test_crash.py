"""agentlogd killed with SIGKILL at random moments, over and over, under
load in acknowledged mode, restarted on the same journal each time.

After every kill the journal reads back whole (no corrupt byte: a kill is
not a power loss, the page cache keeps every write); after the last round
every event the daemon ever acknowledged is in Kafka, found by its
event_id, in order per correlation id; duplicates are counted and stay
within what lay past the persisted cursor at each kill (at-least-once).

AGENTLOG_RELIABILITY_LONG=1 runs 100 rounds instead of 20;
AGENTLOG_RELIABILITY_SEED repeats a run's random moments.
"""
import os
import random
import subprocess
import time
import unittest

from broker import Broker
from daemon import JOURNAL_DUMP, Daemon, wait_for
from relutil import HEADERS, AckSender, kafka_ids, kafka_records

LONG = os.environ.get("AGENTLOG_RELIABILITY_LONG") == "1"
ROUNDS = 100 if LONG else 20


class CrashTest(unittest.TestCase):
    def setUp(self):
        seed = int(os.environ.get("AGENTLOG_RELIABILITY_SEED", time.time_ns() % 100000))
        print("seed %d (AGENTLOG_RELIABILITY_SEED to repeat)" % seed)
        self.rng = random.Random(seed)
        self.broker = Broker()
        self.addCleanup(self.broker.stop)
        # Slow brokers: deliveries lag behind acknowledgements, so every
        # kill finds events in flight and past the persisted cursor.
        self.broker.rtt(20)
        self.d = Daemon(kafka=self.broker.bootstrap, args=HEADERS)
        self.addCleanup(self.d.cleanup)

    def persisted_cursor(self):
        try:
            with open(os.path.join(self.d.journal_dir, "cursor")) as f:
                return int(f.read().split()[0])
        except FileNotFoundError:
            return 1

    def check_journal_readable(self):
        """The whole journal reads back: every record whole, nothing corrupt."""
        p = subprocess.run([JOURNAL_DUMP, os.path.join(self.d.journal_dir, "segments")],
                           capture_output=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"corrupt bytes skipped: 0\n", p.stderr)
        return p.stdout.count(b"\n")

    def drained(self):
        st = self.d.status()
        j = st["journal"]
        return j["cursor"] == j["next_seq"] and st["kafka"]["in_flight"] == 0

    def test_kill9_rounds(self):
        load = AckSender(self.d, threads=2, batch=100, rate=1500).start()
        self.addCleanup(load.stop)
        past_cursor = 0
        records_seen = 0
        for rnd in range(ROUNDS):
            # A random moment: after some more acknowledgements.
            goal = load.count() + self.rng.randint(100, 2500)
            wait_for(lambda: load.count() >= goal, 60, interval=0.001,
                     what="round %d: %d acknowledged" % (rnd, goal))
            time.sleep(self.rng.random() * 0.05)    # anywhere in a batch
            self.d.kill9()
            cursor = self.persisted_cursor()
            records_seen = self.check_journal_readable()
            self.d.start()
            st = self.d.status()
            self.assertEqual(st["journal"]["quarantined"], 0)
            past_cursor += st["journal"]["next_seq"] - cursor
        load.stop()
        wait_for(self.drained, 180, what="the journal drained")
        st = self.d.status()
        self.broker.rtt(0)

        count, dups = kafka_ids(self, kafka_records(self, self.broker))
        lost = [e for e in load.acked if e not in count]
        print("%d rounds: %d events acknowledged, %d rejected, %d distinct in Kafka, "
              "%d duplicates, at most %d allowed (past the persisted cursor at the kills), "
              "%d records in the journal at the last kill" %
              (ROUNDS, len(load.acked), len(load.rejected), len(count), dups,
               past_cursor, records_seen))
        self.assertEqual(lost[:5], [], "%d acknowledged events lost" % len(lost))
        self.assertEqual(load.rejected, [])
        self.assertLessEqual(dups, past_cursor)
        self.assertEqual(st["events"]["rejected"], 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
