# agentlog-paths.sh: resolve agentlogd's sockets in sh, the same way as
# proto_socket_path() / proto_dgram_path() (proto/wire.h).  Source it.
agentlog_socket() {
	if [ -n "${AGENTLOG_SOCKET:-}" ]; then
		printf '%s\n' "$AGENTLOG_SOCKET"
	elif [ -n "${XDG_RUNTIME_DIR:-}" ] && [ "${XDG_RUNTIME_DIR#/}" != "$XDG_RUNTIME_DIR" ]; then
		printf '%s\n' "$XDG_RUNTIME_DIR/agentlog/agentlogd.sock"
	elif [ "$(id -u)" -eq 0 ]; then
		printf '%s\n' /run/agentlog/agentlogd.sock
	else
		printf '/tmp/agentlog-%s/agentlogd.sock\n' "$(id -u)"
	fi
}
agentlog_dgram() {
	if [ -n "${AGENTLOG_DGRAM_SOCKET:-}" ]; then
		printf '%s\n' "$AGENTLOG_DGRAM_SOCKET"
	else
		s=$(agentlog_socket)
		printf '%s/agentlogd.dgram\n' "${s%/*}"
	fi
}
