"""Smoke test of the Kafka test broker: a real librdkafka producer writes
keyed records with headers to the four agentlog topics; a real consumer
reads them back intact, and each key lands on the partition the Java
client's murmur2 hash gives (so every client agrees where a workflow's
events live)."""

import unittest
import uuid

from broker import TOPICS, Broker, BrokerError, Producer


def murmur2(data):
    """Kafka's murmur2 (the Java client's Utils.murmur2)."""
    m, r, length = 0x5BD1E995, 24, len(data)
    h = (0x9747B28C ^ length) & 0xFFFFFFFF
    for i in range(0, length - length % 4, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    rest = length % 4
    tail = data[length - rest:]
    if rest == 3:
        h ^= tail[2] << 16
    if rest >= 2:
        h ^= tail[1] << 8
    if rest >= 1:
        h ^= tail[0]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


def java_partition(key, partitions):
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions


class BrokerSmoke(unittest.TestCase):
    def setUp(self):
        self.broker = Broker(brokers=3, partitions=4)
        self.addCleanup(self.broker.stop)
        self.producer = Producer(self.broker.bootstrap)
        self.addCleanup(self.producer.stop)

    def test_produce_consume_roundtrip(self):
        keys = [str(uuid.uuid4()) for _ in range(10)]
        sent = {}
        for t, topic in enumerate(TOPICS):
            for i in range(50):
                eid = str(uuid.uuid4())
                value = '{"n":%d,"topic":"%s","text":"caf\\u00e9 \u00e9"}' % (i, topic)
                headers = {"type": topic, "event_id": eid, "schema_version": "1"}
                self.producer.send(topic, value, key=keys[(i + t) % 10],
                                   headers=headers)
                sent[eid] = (topic, keys[(i + t) % 10], value, headers)
        reports = self.producer.flush()
        self.assertEqual(len(reports), 200)
        self.assertTrue(all(r["error"] is None for r in reports), reports[:3])

        recs = self.broker.consume(TOPICS, count=200, timeout=30)
        self.assertEqual(len(recs), 200)
        seen = set()
        for r in recs:
            eid = r["headers"]["event_id"]
            self.assertNotIn(eid, seen)
            seen.add(eid)
            topic, key, value, headers = sent[eid]
            self.assertEqual(r["topic"], topic)
            self.assertEqual(r["key"], key)
            self.assertEqual(r["value"], value)
            self.assertEqual(r["headers"], headers)
            self.assertEqual(r["partition"], java_partition(key, 4),
                             "murmur2 partition of " + key)
            self.assertGreater(r["timestamp"], 0)
        self.assertEqual(seen, set(sent))

        wm = self.broker.watermarks(TOPICS)
        self.assertEqual(sorted(wm), sorted(TOPICS))
        self.assertEqual(sum(h for p in wm.values() for (_, h) in p.values()), 200)
        self.assertTrue(all(len(p) == 4 for p in wm.values()))

    def test_commands(self):
        self.broker.create("extra-topic", 2)
        self.producer.send("extra-topic", "x", key="k")
        self.assertIsNone(self.producer.flush()[0]["error"])
        self.assertEqual(len(self.broker.watermarks(["extra-topic"])["extra-topic"]), 2)
        self.broker.rtt(5)
        self.broker.rtt(0, broker_id=1)
        self.broker.down(2)
        self.broker.up(2)
        self.broker.err("Produce", 1, "NOT_LEADER_FOR_PARTITION")
        self.broker.err("0", 1, "6")
        for bad in ("down 9", "err Produce 1 NO_SUCH_ERROR", "create x 0",
                    "frobnicate"):
            with self.assertRaises(BrokerError, msg=bad):
                self.broker.command(bad)
        # The pushed errors are retried away by the idempotent producer.
        self.producer.send("agent-actions", "after errors", key="k")
        self.assertIsNone(self.producer.flush()[-1]["error"])


if __name__ == "__main__":
    unittest.main()
