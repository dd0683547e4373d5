"""fwdcheck.py: what the daemon-level forwarding tests check in Kafka.

Events carry their index in action_details.n (or a field the test names);
check_kafka() reads the four topics back and verifies each record against
the event it must be: key = correlation_id, headers type / event_id /
schema_version matching the value, the record's timestamp = when the daemon
accepted the event (the envelope's timestamp: these events give none), per
correlation id in send order.
"""

import datetime
import json
import uuid

from broker import TOPICS

# agentlogd sends no record headers by default; these tests check all three
# (they must match the value whatever the faults).
HEADERS = ["--kafka-headers", "all"]

TYPE_OF_TOPIC = {
    "agent-actions": "agent_action",
    "agent-routing-decisions": "routing_decision",
    "agent-transformation-events": "transformation",
    "router-performance-metrics": "performance_metrics",
}


def make_events(first, n, cids, make_event):
    """Events first..first+n-1 of the four types, spread over cids; each
    carries its index in action_details.n / a "seq_n" member."""
    types = list(TYPE_OF_TOPIC.values())
    out = []
    for i in range(first, first + n):
        t = types[i % 4]
        ev = make_event(t, correlation_id=cids[i % len(cids)], seq_n=i)
        out.append(ev)
    return out


def _ms(rfc3339):
    """Unix milliseconds of the envelope's YYYY-MM-DDTHH:MM:SS.mmmZ."""
    t = datetime.datetime.strptime(rfc3339, "%Y-%m-%dT%H:%M:%S.%fZ")
    return round(t.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)


def check_kafka(test, broker, expect_n, allow_dups=False, ids=None):
    """Read everything back and check it.  Returns (records, duplicates).

    expect_n: events 0..expect_n-1 (by seq_n) must all be there.
    ids: when given, a set of event_ids that must all be there.
    """
    total = broker.total(TOPICS)
    recs = broker.consume(TOPICS, count=total, timeout=120)
    test.assertEqual(len(recs), total, "consumer read fewer than the watermarks")
    seen = {}
    last = {}
    dups = 0
    for r in recs:
        ev = json.loads(r["value"])
        n = ev["seq_n"]
        h = r["headers"]
        test.assertEqual(r["key"], ev["correlation_id"])
        test.assertEqual(h["event_id"], ev["event_id"])
        test.assertEqual(h["type"], ev["type"])
        test.assertEqual(TYPE_OF_TOPIC[r["topic"]], ev["type"])
        test.assertEqual(h["schema_version"], "1")
        uuid.UUID(h["event_id"])
        test.assertEqual(r["timestamp"], _ms(ev["timestamp"]),
                         "record time is not the time of acceptance")
        if n in seen:
            dups += 1
            test.assertEqual(seen[n], h["event_id"], "same event, two ids")
            continue
        seen[n] = h["event_id"]
        k = (r["topic"], r["key"])
        test.assertGreater(n, last.get(k, -1),
                           "event %d after %d on %s" % (n, last.get(k, -1), k))
        last[k] = n
    missing = [i for i in range(expect_n) if i not in seen]
    test.assertEqual(missing[:10], [], "%d events missing" % len(missing))
    if ids is not None:
        lost = set(ids) - set(seen.values())
        test.assertEqual(len(lost), 0, "%d acknowledged events lost" % len(lost))
    if not allow_dups:
        test.assertEqual(dups, 0)
    return recs, dups
