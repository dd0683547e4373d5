"""agentlogd under load while every Kafka broker goes away and comes back:
the daemon keeps accepting, the journal holds the backlog, and when the
brokers return every event arrives once, in order per correlation id,
with two log lines for the whole outage."""

import unittest
import uuid

from broker import Broker
from daemon import Daemon, make_event, wait_for
from fwdcheck import HEADERS, check_kafka, make_events

CHUNK = 1000


class DaemonOutage(unittest.TestCase):
    def setUp(self):
        self.broker = Broker()
        self.addCleanup(self.broker.stop)
        # A small librdkafka queue: the outage's backlog must spill to the
        # journal and drain from the segments (the cold path).
        self.d = Daemon(kafka=self.broker.bootstrap,
                        args=HEADERS + ["--kafka-queue-kbytes", "2048"])
        self.addCleanup(self.d.cleanup)
        self.cids = [str(uuid.uuid4()) for _ in range(50)]
        self.sent = 0

    def send(self, n):
        for first in range(self.sent, self.sent + n, CHUNK):
            k = min(CHUNK, self.sent + n - first)
            self.d.send_events(make_events(first, k, self.cids, make_event))
        self.sent += n

    def kafka(self):
        return self.d.status()["kafka"]

    def drained(self):
        st = self.d.status()
        j = st["journal"]
        return (st["events"]["accepted"] >= self.sent and
                j["cursor"] == j["next_seq"] and st["kafka"]["in_flight"] == 0)

    def test_outage_under_load(self):
        self.send(10000)
        wait_for(self.drained, 60, what="the first 10,000 delivered")

        self.broker.down()
        self.send(20000)
        self.d.wait_accepted(30000, timeout=60)
        wait_for(lambda: not self.kafka()["up"], 30, what="Kafka seen down")
        st = self.d.status()
        self.assertGreaterEqual(st["journal"]["next_seq"] - st["journal"]["cursor"],
                                15000, "the journal holds the backlog")
        self.assertTrue(st["kafka"]["reading_journal"], "librdkafka's queue cap held")
        self.assertLess(st["kafka"]["in_flight"], 10000)

        self.broker.up()
        self.send(5000)           # new events while the backlog drains
        wait_for(self.drained, 120, what="the backlog drained")
        self.assertTrue(self.kafka()["up"])
        self.assertFalse(self.kafka()["reading_journal"], "caught up: hot again")

        check_kafka(self, self.broker, 35000)
        log = self.d.log()
        self.assertEqual(log.count("Kafka unreachable"), 1, log[-2000:])
        self.assertEqual(log.count("Kafka back, draining"), 1, log[-2000:])


if __name__ == "__main__":
    unittest.main()
