#!/usr/bin/env python3
"""log-transformation/execute_kafka.py: the seed skill, sent to agentlogd instead of Kafka.

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
    ("from-agent", "source_agent", "str", "source agent", None),
    ("to-agent", "target_agent", "str", "target agent", None),
    ("success", "success", "bool", "true|false", None),
    ("duration-ms", "transformation_duration_ms", "int",
     "time taken to transform", None),
    ("reason", "transformation_reason", "str", "why", None),
    ("confidence", "confidence_score", "num", "confidence 0.0-1.0", None),
]

if __name__ == "__main__":
    sys.exit(agentlog_skill.main(
        "transformation", FIELDS,
        "Log a transformation (agent-transformation-events)."))
