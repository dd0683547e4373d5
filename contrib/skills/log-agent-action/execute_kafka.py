#!/usr/bin/env python3
"""log-agent-action/execute_kafka.py: the seed skill, sent to agentlogd instead of Kafka.

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
    ("agent", "agent_name", "str", "agent performing the action", None),
    ("action-type", "action_type", "str",
     "tool_call | decision | error | success", None),
    ("action-name", "action_name", "str", "specific action name", None),
    ("details", "action_details", "obj", "JSON object with details", None),
    ("duration-ms", "duration_ms", "int", "action duration", None),
    ("debug-mode", "debug_mode", "bool", "true|false (default true)", True),
]

if __name__ == "__main__":
    sys.exit(agentlog_skill.main("agent_action", FIELDS,
                                 "Log an agent action (agent-actions)."))
