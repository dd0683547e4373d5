#!/usr/bin/env python3
"""log-performance-metrics/execute_kafka.py: the seed skill, sent to agentlogd instead of Kafka.

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
    ("query", "query_text", "str", "user request text", None),
    ("duration-ms", "routing_duration_ms", "int", "routing time", None),
    ("cache-hit", "cache_hit", "bool", "true|false", None),
    ("candidates", "candidates_evaluated", "int", "agents considered", None),
    ("strategy", "trigger_match_strategy", "str", "strategy used", None),
    ("confidence-components", "confidence_components", "obj",
     "JSON breakdown of the confidence scoring", None),
]

if __name__ == "__main__":
    sys.exit(agentlog_skill.main(
        "performance_metrics", FIELDS,
        "Log routing performance metrics (router-performance-metrics)."))
