#!/usr/bin/env python3
"""log-routing-decision/execute_kafka.py: the seed skill, sent to agentlogd instead of Kafka.

Same flags and JSON output as the original; see ../agentlog_skill.py.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
try:
    import agentlog_skill
except BaseException as e:  # a broken install must not break the workflow
    print(json.dumps({"success": False, "error": "agentlog_skill: %s" % e}))
    sys.exit(1)

FIELDS = [
    ("agent", "selected_agent", "str", "agent selected", None),
    ("confidence", "confidence_score", "num", "confidence 0.0-1.0", None),
    ("strategy", "routing_strategy", "str", "routing strategy", None),
    ("latency-ms", "routing_time_ms", "int", "routing time", None),
    ("user-request", "user_request", "str", "original user request", None),
    ("reasoning", "reasoning", "str", "why this agent", None),
    ("alternatives", "alternatives", "arr", "JSON array of alternatives", None),
    ("context", "context", "obj", "JSON object with more context", None),
]

if __name__ == "__main__":
    sys.exit(agentlog_skill.main(
        "routing_decision", FIELDS,
        "Log a routing decision (agent-routing-decisions)."))
