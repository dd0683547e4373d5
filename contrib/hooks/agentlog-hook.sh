#!/bin/sh
# agentlog-hook.sh: an agent hook (e.g. a PostToolUse hook, which gets the
# tool call as JSON on stdin) that logs the call as an agent_action with
# agentlogctl: validated, and kept in the inbox when agentlogd is down.
#
#   settings: "hooks": {"PostToolUse": [{"hooks": [{"type": "command",
#             "command": "/path/to/agentlog-hook.sh"}]}]}
#
# The correlation id comes from $AGENTLOG_CORRELATION_ID or $CORRELATION_ID
# when the agent exported one, else from the hook's session_id when it is
# a UUID.  Exits 0 whatever happens: logging never breaks the agent.
payload=$(cat)
field() {
	printf '%s' "$payload" | sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" | head -n 1
}
tool=$(field tool_name)
if [ -z "${AGENTLOG_CORRELATION_ID:-}${CORRELATION_ID:-}" ]; then
	sid=$(field session_id)
	case $sid in
	????????-????-????-????-????????????) AGENTLOG_CORRELATION_ID=$sid; export AGENTLOG_CORRELATION_ID ;;
	esac
fi
case $payload in
"{"*) details=$payload ;;
*) details='{}' ;;
esac
agentlogctl agent-action --agent "${AGENTLOG_AGENT:-${AGENT_NAME:-agent}}" \
	--action-type tool_call --action-name "${tool:-unknown}" \
	--details "$details" >/dev/null 2>&1 ||
agentlogctl agent-action --agent "${AGENTLOG_AGENT:-${AGENT_NAME:-agent}}" \
	--action-type tool_call --action-name "${tool:-unknown}" >/dev/null 2>&1
exit 0
