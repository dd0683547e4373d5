#!/usr/bin/env bash
# bench_publish.sh: one publish per process, the way hooks publish.
#
#   tests/bench/bench_publish.sh [BUILD_DIR] [RUNS]
#
# Starts agentlogd (journal only) in a temporary directory, then measures
# side by side with hyperfine, in the same run: /bin/true (the cost of
# starting any process), min_send (connect, write one line, exit: the
# floor for a publish), `agentlogctl send` and each typed subcommand with
# the seed's flags.  Prints each median and its ratio to min_send (the
# target is <= 1.15), and leaves hyperfine's JSON in $BENCH_OUT if set.
set -euo pipefail
build=${1:-build}
runs=${2:-1000}
ctl="$build/client/agentlogctl"
minsend="$build/tests/bench/min_send"
daemon="$build/daemon/agentlogd"
for f in "$ctl" "$minsend" "$daemon"; do
	[ -x "$f" ] || { echo "bench_publish: $f not built" >&2; exit 2; }
done
command -v hyperfine >/dev/null || { echo "bench_publish: hyperfine missing" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/agentlog-bench.XXXXXX")
sock="$tmp/agentlogd.sock"
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
"$daemon" --socket "$sock" --journal-dir "$tmp/journal" --no-kafka \
	--log-level warn >"$tmp/agentlogd.log" 2>&1 &
pid=$!
for _ in $(seq 1 500); do
	AGENTLOG_SOCKET=$sock "$ctl" ping >/dev/null 2>&1 && break
	kill -0 "$pid" 2>/dev/null || { cat "$tmp/agentlogd.log" >&2; exit 1; }
	sleep 0.01
done

cid=ad12146a-b7d0-4a47-86bf-7ec298ce2c81
ev='{"type":"agent_action","correlation_id":"'$cid'","agent_name":"polymorphic-agent","action_type":"tool_call","action_name":"read_file","action_details":{"file_path":"/path/to/file.py","lines_read":150},"duration_ms":12}'
export AGENTLOG_SOCKET=$sock AGENTLOG_JOURNAL_DIR=$tmp/journal
out=${BENCH_OUT:-$tmp/hyperfine.json}
hyperfine -N --warmup 50 --runs "$runs" --export-json "$out" \
	-n true "/bin/true" \
	-n min_send "$minsend $sock '$ev'" \
	-n send "$ctl send '$ev'" \
	-n agent-action "$ctl log-agent-action --agent polymorphic-agent --action-type decision --action-name route_to_specialized_agent --details '{\"selected_agent\":\"agent-performance\",\"confidence\":0.92}' --correlation-id $cid --duration-ms 45" \
	-n routing-decision "$ctl log-routing-decision --agent agent-performance --confidence 0.92 --strategy enhanced_fuzzy_matching --latency-ms 45 --user-request 'optimize my database queries' --reasoning 'High confidence match' --correlation-id $cid" \
	-n transformation "$ctl log-transformation --from-agent polymorphic-agent --to-agent agent-performance --success true --duration-ms 85 --correlation-id $cid --reason 'High confidence match' --confidence 0.92" \
	-n performance-metrics "$ctl log-performance-metrics --query 'optimize my database queries' --duration-ms 45 --cache-hit false --candidates 5 --correlation-id $cid --strategy enhanced_fuzzy_matching" \
	>"$tmp/hyperfine.txt"
python3 - "$out" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
floor = res["min_send"]["median"]
print("%-20s %10s %10s %12s" % ("command", "median ms", "mean ms", "vs min_send"))
for name, r in res.items():
    print("%-20s %10.3f %10.3f %11.2fx" % (name, r["median"] * 1e3, r["mean"] * 1e3,
                                          r["median"] / floor))
PY
accepted=$("$ctl" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"]["accepted"])')
echo "agentlogd accepted $accepted events during the run"
