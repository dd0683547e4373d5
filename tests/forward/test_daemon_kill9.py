"""kill -9 of agentlogd under load in acknowledged mode, then a restart
on the same journal: every event the daemon acknowledged reaches Kafka;
duplicates are counted and bounded by what lay past the persisted
cursor when it died (at-least-once, event_id for deduplication)."""

import os
import threading
import unittest
import uuid

from broker import Broker
from daemon import Daemon, make_event, wait_for
from fwdcheck import HEADERS, check_kafka, make_events

BATCH = 1000


class DaemonKill9(unittest.TestCase):
    def setUp(self):
        self.broker = Broker()
        self.addCleanup(self.broker.stop)
        self.d = Daemon(kafka=self.broker.bootstrap, args=HEADERS)
        self.addCleanup(self.d.cleanup)
        self.cids = [str(uuid.uuid4()) for _ in range(50)]
        self.acked = set()
        self.sent = 0
        self.stop = threading.Event()

    def sender(self):
        """Send batches in acknowledged mode until the daemon dies."""
        while not self.stop.is_set():
            evs = make_events(self.sent, BATCH, self.cids, make_event)
            self.sent += BATCH
            try:
                replies = self.d.send_ack(evs, timeout=10)
            except (OSError, ValueError):
                return
            for r in replies:
                if r.get("ok"):
                    self.acked.add(r["event_id"])

    def drained(self):
        st = self.d.status()
        j = st["journal"]
        return j["cursor"] == j["next_seq"] and st["kafka"]["in_flight"] == 0

    def test_kill9_under_load(self):
        # Slow brokers: deliveries lag behind acceptance, so the kill finds
        # events in flight and past the persisted cursor.
        self.broker.rtt(30)
        t = threading.Thread(target=self.sender)
        t.start()
        self.addCleanup(self.stop.set)
        def busy():
            st = self.d.status()
            j = st["journal"]
            return (len(self.acked) >= 20000 and st["kafka"]["delivered"] >= 5000
                    and j["next_seq"] - j["cursor"] >= 500)
        wait_for(busy, 60, interval=0.001,
                 what="load with deliveries under way and a backlog")
        self.d.kill9()
        self.stop.set()
        t.join(30)
        cursor = self.persisted_cursor()
        self.broker.rtt(0)
        self.d.start()
        st = self.d.status()
        past_cursor = st["journal"]["next_seq"] - cursor
        wait_for(self.drained, 120, what="the journal drained after restart")

        # Every event whose id was acknowledged, at least once; the events
        # of a batch cut by the kill may or may not be there.
        seen = set(self.acked)
        recs, dups = check_kafka(self, self.broker, 0, allow_dups=True, ids=seen)
        print("kill -9: %d acknowledged, %d in Kafka, %d duplicates, "
              "%d events past the persisted cursor" %
              (len(self.acked), len(recs), dups, past_cursor))
        self.assertLessEqual(dups, past_cursor)

    def persisted_cursor(self):
        """The cursor file as the dead daemon left it: the first seq the
        restarted daemon will produce again."""
        with open(os.path.join(self.d.journal_dir, "cursor")) as f:
            return int(f.read().split()[0])


if __name__ == "__main__":
    unittest.main()
