"""ctlutil.py: running agentlogctl and reading its journal, for the
client's Python tests (standard library only)."""
import json
import os
import subprocess

BUILD = os.environ.get("AGENTLOG_BUILD", os.path.join(os.getcwd(), "build"))
SOURCE = os.environ.get("AGENTLOG_SOURCE",
                        os.path.dirname(os.path.dirname(os.path.dirname(
                            os.path.abspath(__file__)))))
AGENTLOGCTL = os.path.join(BUILD, "client", "agentlogctl")
SKILLS = os.path.join(SOURCE, "contrib", "skills")
SEED_CORR = "ad12146a-b7d0-4a47-86bf-7ec298ce2c81"


def env_for(daemon, **extra):
    """An environment that points agentlogctl at daemon and nothing else."""
    env = dict(os.environ)
    for k in ("AGENTLOG_CORRELATION_ID", "CORRELATION_ID", "AGENTLOG_SOCKET",
              "AGENTLOG_JOURNAL_DIR", "AGENTLOG_DGRAM_SOCKET"):
        env.pop(k, None)
    env["AGENTLOG_SOCKET"] = daemon.sock
    env["AGENTLOG_JOURNAL_DIR"] = daemon.journal_dir
    env["PATH"] = os.path.dirname(AGENTLOGCTL) + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env


def ctl(args, env, stdin=None, timeout=30):
    """Run agentlogctl; returns CompletedProcess (text)."""
    return subprocess.run([AGENTLOGCTL] + list(args), env=env, input=stdin,
                          capture_output=True, text=True, timeout=timeout)


def journal(journal_dir, env=None):
    """Every record of the journal, via `agentlogctl journal dump`."""
    p = subprocess.run([AGENTLOGCTL, "journal", "--journal-dir", journal_dir,
                        "dump"], capture_output=True, text=True, check=True,
                       env=env)
    return [json.loads(l) for l in p.stdout.splitlines()]


def inbox(journal_dir):
    p = subprocess.run([AGENTLOGCTL, "journal", "--journal-dir", journal_dir,
                        "inbox"], capture_output=True, text=True, check=True)
    return [json.loads(l) for l in p.stdout.splitlines()]


def events(journal_dir):
    return [r["value"] for r in journal(journal_dir)]


# The seed design's examples, verbatim (the skill's path is the only thing
# the tests swap).  The routing workflow and the DEBUG-mode block are the
# seed's own shell; uuidgen is supplied when the system lacks it.
SEED_EXAMPLES = {
    "log-agent-action": r'''
python3 ~/.claude/skills/agent-tracking/log-agent-action/execute_kafka.py \
  --agent "polymorphic-agent" \
  --action-type "decision" \
  --action-name "route_to_specialized_agent" \
  --details '{"selected_agent":"agent-performance","confidence":0.92}' \
  --correlation-id "ad12146a-b7d0-4a47-86bf-7ec298ce2c81" \
  --duration-ms 45
''',
    "log-routing-decision": r'''
python3 ~/.claude/skills/agent-tracking/log-routing-decision/execute_kafka.py \
  --agent "agent-performance" \
  --confidence 0.92 \
  --strategy "enhanced_fuzzy_matching" \
  --latency-ms 45 \
  --user-request "optimize my database queries" \
  --reasoning "High confidence match on 'optimize' and 'performance' triggers" \
  --correlation-id "ad12146a-b7d0-4a47-86bf-7ec298ce2c81"
''',
    "log-transformation": r'''
python3 ~/.claude/skills/agent-tracking/log-transformation/execute_kafka.py \
  --from-agent "polymorphic-agent" \
  --to-agent "agent-performance" \
  --success true \
  --duration-ms 85 \
  --correlation-id "ad12146a-b7d0-4a47-86bf-7ec298ce2c81" \
  --reason "High confidence match on 'optimize' and 'performance' triggers" \
  --confidence 0.92
''',
    "log-performance-metrics": r'''
python3 ~/.claude/skills/agent-tracking/log-performance-metrics/execute_kafka.py \
  --query "optimize my database queries" \
  --duration-ms 45 \
  --cache-hit false \
  --candidates 5 \
  --correlation-id "ad12146a-b7d0-4a47-86bf-7ec298ce2c81" \
  --strategy "enhanced_fuzzy_matching"
''',
}

# What each example must have put into its event, field by field.
SEED_FIELDS = {
    "log-agent-action": ("agent_action", {
        "correlation_id": SEED_CORR, "agent_name": "polymorphic-agent",
        "action_type": "decision", "action_name": "route_to_specialized_agent",
        "action_details": {"selected_agent": "agent-performance",
                           "confidence": 0.92},
        "duration_ms": 45, "debug_mode": True}),
    "log-routing-decision": ("routing_decision", {
        "correlation_id": SEED_CORR, "selected_agent": "agent-performance",
        "confidence_score": 0.92, "routing_strategy": "enhanced_fuzzy_matching",
        "routing_time_ms": 45, "user_request": "optimize my database queries",
        "reasoning": "High confidence match on 'optimize' and 'performance' "
                     "triggers"}),
    "log-transformation": ("transformation", {
        "correlation_id": SEED_CORR, "source_agent": "polymorphic-agent",
        "target_agent": "agent-performance", "success": True,
        "transformation_duration_ms": 85,
        "transformation_reason": "High confidence match on 'optimize' and "
                                 "'performance' triggers",
        "confidence_score": 0.92}),
    "log-performance-metrics": ("performance_metrics", {
        "correlation_id": SEED_CORR, "query_text": "optimize my database queries",
        "routing_duration_ms": 45, "cache_hit": False, "candidates_evaluated": 5,
        "trigger_match_strategy": "enhanced_fuzzy_matching"}),
}

SEED_WORKFLOW = r'''
# 1. Generate correlation ID (done once per request)
CORRELATION_ID=$(uuidgen)

# 2. Start timing routing decision
START_TIME=$(date +%s%N)

# 3. Analyze request and select agent
# ... (routing logic)

# 4. Calculate routing duration
END_TIME=$(date +%s%N)
ROUTING_TIME_MS=$(( ($END_TIME - $START_TIME) / 1000000 ))

# 5. Log routing decision (→ agent-routing-decisions topic)
python3 ~/.claude/skills/agent-tracking/log-routing-decision/execute_kafka.py \
  --agent "agent-performance" \
  --confidence 0.92 \
  --strategy "enhanced_fuzzy_matching" \
  --latency-ms $ROUTING_TIME_MS \
  --user-request "optimize my database queries" \
  --reasoning "High confidence match on 'optimize' and 'performance' triggers" \
  --correlation-id "$CORRELATION_ID"

# 6. Log transformation event (→ agent-transformation-events topic)
python3 ~/.claude/skills/agent-tracking/log-transformation/execute_kafka.py \
  --from-agent "polymorphic-agent" \
  --to-agent "agent-performance" \
  --success true \
  --duration-ms $ROUTING_TIME_MS \
  --correlation-id "$CORRELATION_ID" \
  --reason "High confidence match on 'optimize' and 'performance' triggers" \
  --confidence 0.92

# 7. Log performance metrics (→ router-performance-metrics topic)
python3 ~/.claude/skills/agent-tracking/log-performance-metrics/execute_kafka.py \
  --query "optimize my database queries" \
  --duration-ms $ROUTING_TIME_MS \
  --cache-hit false \
  --candidates 5 \
  --correlation-id "$CORRELATION_ID" \
  --strategy "enhanced_fuzzy_matching"

# 8. Display identity banner and execute as selected agent
# ... (agent execution)
'''

SEED_DEBUG = r'''
# Log tool calls
python3 ~/.claude/skills/agent-tracking/log-agent-action/execute_kafka.py \
  --agent "polymorphic-agent" \
  --action-type "tool_call" \
  --action-name "read_file" \
  --details '{"file_path":"/path/to/file.py","lines_read":150}' \
  --correlation-id "$CORRELATION_ID" \
  --duration-ms 12

# Log decisions
python3 ~/.claude/skills/agent-tracking/log-agent-action/execute_kafka.py \
  --agent "polymorphic-agent" \
  --action-type "decision" \
  --action-name "select_optimal_strategy" \
  --details '{"strategy":"parallel_execution","reason":"independent_tasks"}' \
  --correlation-id "$CORRELATION_ID" \
  --duration-ms 5

# Log errors
python3 ~/.claude/skills/agent-tracking/log-agent-action/execute_kafka.py \
  --agent "polymorphic-agent" \
  --action-type "error" \
  --action-name "file_read_failed" \
  --details '{"error":"FileNotFoundError","file_path":"/missing/file.py"}' \
  --correlation-id "$CORRELATION_ID"

# Log success milestones
python3 ~/.claude/skills/agent-tracking/log-agent-action/execute_kafka.py \
  --agent "polymorphic-agent" \
  --action-type "success" \
  --action-name "task_completed" \
  --details '{"tasks_completed":5,"quality_score":0.95}' \
  --correlation-id "$CORRELATION_ID" \
  --duration-ms 1234
'''

UUIDGEN = ('command -v uuidgen >/dev/null 2>&1 || '
           'uuidgen() { cat /proc/sys/kernel/random/uuid; }\n')


def swap_to_ctl(script):
    """The seed's command, with the skill path swapped for agentlogctl."""
    out = script
    for skill in SEED_EXAMPLES:
        out = out.replace("python3 ~/.claude/skills/agent-tracking/%s/"
                          "execute_kafka.py" % skill, "agentlogctl " + skill)
    assert "execute_kafka.py" not in out
    return out


def swap_to_shim(script):
    """The seed's command, with the skill folder swapped for contrib/skills."""
    out = script.replace("~/.claude/skills/agent-tracking", SKILLS)
    assert "~/.claude" not in out
    return out
