"""One event to Kafka the way the seed's skills publish it: python3 with
confluent-kafka (Debian's python3-confluent-kafka), a producer per process,
flushed before exit.  The benchmark suite times this per process.

    python3 kafka_publish.py BOOTSTRAP TOPIC KEY 'EVENT-JSON'
"""
import sys

from confluent_kafka import Producer


def main():
    bootstrap, topic, key, value = sys.argv[1:5]
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    p.produce(topic, value=value.encode(), key=key.encode())
    if p.flush(30) != 0:
        sys.exit(1)


if __name__ == "__main__":
    main()
