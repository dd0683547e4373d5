"""agentlogd when Kafka is away at start: the embedded default's promise
("journals locally and forwards once a broker is reachable").  Regression:
librdkafka wakes the loop only when its queue goes from empty to non-empty;
an event queued before the wake-up was armed (brokers refusing at start)
once left the forwarder asleep forever, and nothing was ever delivered."""
import unittest

from broker import Broker
from daemon import Daemon, make_event, wait_for


class KafkaAtStartTest(unittest.TestCase):
    def test_started_while_kafka_is_down_then_forwards(self):
        for round_ in range(3):          # the race lost 2 runs in 3 before the fix
            with Broker() as b:
                b.down()
                with Daemon(kafka=b.bootstrap) as d:
                    d.send_events([make_event("agent_action") for _ in range(500)])
                    d.wait_accepted(500)
                    wait_for(lambda: d.status()["kafka"]["up"] is False or
                             d.status()["journal"]["backlog_events"] == 500,
                             what="the daemon to notice Kafka is down")
                    b.up()
                    wait_for(lambda: d.status()["kafka"]["delivered"] >= 500, 60,
                             what="round %d: the backlog delivered after brokers came up" % round_)
                    self.assertEqual(b.total(["agent-actions"]), 500)

    def test_restarted_with_backlog_while_kafka_is_down(self):
        with Broker() as b:
            with Daemon(kafka=b.bootstrap) as d:
                b.down()
                d.send_events([make_event("routing_decision") for _ in range(2000)])
                d.wait_accepted(2000)
                d.restart()
                b.up()
                wait_for(lambda: d.status()["kafka"]["delivered"] >= 2000, 60,
                         what="the backlog of the previous run delivered")
                self.assertEqual(b.total(["agent-routing-decisions"]), 2000)


if __name__ == "__main__":
    unittest.main(verbosity=2)
