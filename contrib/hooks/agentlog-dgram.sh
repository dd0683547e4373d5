#!/bin/sh
# agentlog-dgram.sh: send one event to agentlogd's datagram socket with a
# stock tool (socat, else OpenBSD nc -U -u).  No reply, no wait: the
# cheapest way for a hook that has a ready JSON line.  The daemon validates
# it; an invalid event is counted and dropped (use agentlogctl to be told).
#
#   agentlog-dgram.sh '{"type":"agent_action","correlation_id":"...",...}'
#   printf '%s' "$event" | agentlog-dgram.sh
#
# Exits 0 even when the daemon is down (logging never breaks a hook).
. "$(dirname "$0")/agentlog-paths.sh"
dgram=$(agentlog_dgram)
if [ $# -gt 0 ]; then event=$1; else event=$(cat); fi
if command -v socat >/dev/null 2>&1; then
	printf '%s' "$event" | socat -u - "UNIX-SENDTO:$dgram" 2>/dev/null
elif command -v nc >/dev/null 2>&1; then
	printf '%s' "$event" | nc -U -u -w0 "$dgram" 2>/dev/null
fi
exit 0
