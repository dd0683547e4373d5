#!/bin/sh
# agentlog-step.sh: run a command as one logged step of a workflow, from
# any shell-driven harness, Makefile or CI job:
#
#   agentlog-step.sh NAME COMMAND [ARGS...]
#
# Logs an agent_action "tool_call" named NAME with the command's duration
# and exit status, and an "error" action when it fails.  The command's own
# output, input and exit status pass through untouched; logging never
# changes the outcome (agentlogctl falls back to the inbox when agentlogd
# is down, and its own failures are ignored).
#
# The workflow is $AGENTLOG_CORRELATION_ID (export it once per workflow:
# AGENTLOG_CORRELATION_ID=$(uuidgen)); the agent is $AGENTLOG_AGENT, else
# "shell".
if [ $# -lt 2 ]; then
	echo "usage: agentlog-step.sh NAME COMMAND [ARGS...]" >&2
	exit 2
fi
name=$1
shift

# Milliseconds since the epoch: GNU date has %N; elsewhere, seconds.
now_ms() {
	t=$(date +%s%N 2>/dev/null)
	case $t in
	*N | "") echo $(($(date +%s) * 1000)) ;;
	*) echo $((t / 1000000)) ;;
	esac
}
esc() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr -d '\000-\037'; }

start=$(now_ms)
"$@"
status=$?
duration=$(($(now_ms) - start))

agent=${AGENTLOG_AGENT:-shell}
cmd=$(esc "$(printf '%s' "$1" | cut -c1-200)")
details=$(printf '{"command":"%s","argc":%d,"exit_status":%d}' "$cmd" $# "$status")
agentlogctl agent-action --agent "$agent" --action-type tool_call \
	--action-name "$name" --details "$details" --duration-ms "$duration" \
	--timeout 50 >/dev/null 2>&1
if [ "$status" -ne 0 ]; then
	agentlogctl agent-action --agent "$agent" --action-type error \
		--action-name "$name" --details "$details" \
		--duration-ms "$duration" --timeout 50 >/dev/null 2>&1
fi
exit "$status"
