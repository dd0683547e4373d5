"""Outage test of the Kafka test broker: every broker goes down while a
real producer has records queued; when they come back every record is
delivered exactly once (idempotent producer, no message timeout)."""

import unittest
import uuid

from broker import TOPICS, Broker, Producer


class BrokerOutage(unittest.TestCase):
    def setUp(self):
        self.broker = Broker(brokers=3, partitions=4)
        self.addCleanup(self.broker.stop)
        self.producer = Producer(self.broker.bootstrap)
        self.addCleanup(self.producer.stop)
        self.sent = []

    def send(self, n):
        for i in range(n):
            eid = str(uuid.uuid4())
            self.producer.send(TOPICS[i % 4], '{"i":%d}' % i,
                               key="k%d" % (i % 7), headers={"event_id": eid})
            self.sent.append(eid)

    def check_all_once(self):
        # Duplicates would show in the watermarks below.
        recs = self.broker.consume(TOPICS, count=len(self.sent), timeout=60)
        got = [r["headers"]["event_id"] for r in recs]
        self.assertEqual(len(got), len(set(got)), "duplicates")
        self.assertEqual(set(got), set(self.sent))
        self.assertEqual(self.broker.total(TOPICS), len(self.sent))

    def outage(self, down, up):
        self.send(100)
        self.assertEqual(len(self.producer.flush()), 100)
        down()
        self.send(100)
        self.producer.flush_start()
        self.assertTrue(self.producer.wait_error("_ALL_BROKERS_DOWN"),
                        "no all-brokers-down event")
        # Nothing of the second batch can have been delivered yet.
        self.assertEqual(len(self.producer.reports), 100)
        up()
        reports = self.producer.flush_wait(timeout=60)
        self.assertEqual(len(reports), 200)
        self.assertTrue(all(r["error"] is None for r in reports))
        self.check_all_once()

    def test_outage_by_command(self):
        self.outage(self.broker.down, self.broker.up)

    def test_outage_by_signal(self):
        self.outage(self.broker.signal_down, self.broker.signal_up)


if __name__ == "__main__":
    unittest.main()
