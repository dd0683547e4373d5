#!/usr/bin/env bash
# bench_publish.sh: one publish per process, the way hooks publish.
#
#   tests/bench/bench_publish.sh [BUILD_DIR] [RUNS]
#
# Starts agentlogd (journal only) in a temporary directory, then measures
# side by side with hyperfine, in the same run: /bin/true (the cost of
# starting any process), min_send (connect, write one line, exit: the
# floor for a publish, linked the default way), min_send_static (the same
# linked static-pie like agentlogctl, for an even comparison),
# `agentlogctl send` and each typed subcommand with the seed's flags.  Prints each median and its ratio to min_send (the
# target is <= 1.15), and leaves hyperfine's JSON in $BENCH_OUT if set.
# `logger -u` (util-linux) to the daemon's datagram socket is timed beside
# them when installed (agentlogd rejects its syslog-framed line: the figure
# is the cost of the process).
#
# For the benchmark suite (tests/bench/run.py):
#   BENCH_EXTRA=FILE   lines "NAME<TAB>COMMAND" (slow publishers such as kcat
#                      or python3 + confluent-kafka), timed in each round as
#                      a second hyperfine group with /bin/true and min_send
#                      and $BENCH_EXTRA_RUNS runs in all (default 50)
#   BENCH_JSON=FILE    the summary as JSON: {name: {"medians": [s per
#                      round], "ratios": [vs min_send, per round]}}
set -euo pipefail
build=${1:-build}
runs=${2:-1000}
ctl="$build/client/agentlogctl"
minsend="$build/tests/bench/min_send"
static="$build/tests/bench/min_send_static"     # optional
[ -x "$static" ] || static=
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
logger=$(command -v logger || true)
rounds=${BENCH_ROUNDS:-5}
# hyperfine runs one command's runs back to back: on a shared machine the
# load drifts between commands.  Several short rounds, each with every
# command, and the median of the per-round figures, keep that drift out of
# the ratios.
for r in $(seq 1 "$rounds"); do
	hyperfine -N --warmup 20 --runs $((runs / rounds)) --export-json "$tmp/round$r.json" \
		-n true "/bin/true" \
		-n min_send "$minsend $sock '$ev'" \
		${static:+-n min_send_static "$static $sock '$ev'"} \
		-n send "$ctl send '$ev'" \
		-n agent-action "$ctl log-agent-action --agent polymorphic-agent --action-type decision --action-name route_to_specialized_agent --details '{\"selected_agent\":\"agent-performance\",\"confidence\":0.92}' --correlation-id $cid --duration-ms 45" \
		-n routing-decision "$ctl log-routing-decision --agent agent-performance --confidence 0.92 --strategy enhanced_fuzzy_matching --latency-ms 45 --user-request 'optimize my database queries' --reasoning 'High confidence match' --correlation-id $cid" \
		-n transformation "$ctl log-transformation --from-agent polymorphic-agent --to-agent agent-performance --success true --duration-ms 85 --correlation-id $cid --reason 'High confidence match' --confidence 0.92" \
		-n performance-metrics "$ctl log-performance-metrics --query 'optimize my database queries' --duration-ms 45 --cache-hit false --candidates 5 --correlation-id $cid --strategy enhanced_fuzzy_matching" \
		${logger:+-n "logger -u" "$logger -u $tmp/agentlogd.dgram -d '$ev'"} \
		>"$tmp/hyperfine$r.txt" 2>&1
	if [ -n "${BENCH_EXTRA:-}" ]; then
		extra=()
		while IFS=$'\t' read -r name cmd; do
			[ -n "$name" ] && extra+=(-n "$name" "$cmd")
		done <"$BENCH_EXTRA"
		xruns=$(( ${BENCH_EXTRA_RUNS:-50} / rounds ))
		hyperfine -N --warmup 2 --runs $(( xruns > 2 ? xruns : 2 )) \
			--export-json "$tmp/extra$r.json" \
			-n true "/bin/true" -n min_send "$minsend $sock '$ev'" \
			"${extra[@]}" >"$tmp/hyperfine-extra$r.txt" 2>&1
	fi
done
[ -n "${BENCH_OUT:-}" ] && cp "$tmp"/round*.json "$BENCH_OUT" 2>/dev/null || true
python3 - "$tmp" "$rounds" "${BENCH_JSON:-}" <<'PY'
import json, os, statistics, sys
tmp, rounds, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
per = {}          # command -> {"medians": [...], "ratios": [...]} per round
for r in range(1, rounds + 1):
    for group in ("round", "extra"):
        path = "%s/%s%d.json" % (tmp, group, r)
        if not os.path.exists(path):
            continue
        res = {x["command"]: x for x in json.load(open(path))["results"]}
        floor = res["min_send"]["median"]    # each group has its own floor
        for name, x in res.items():
            if group == "extra" and name in ("true", "min_send"):
                continue
            d = per.setdefault(name, {"medians": [], "ratios": []})
            d["medians"].append(x["median"])
            d["ratios"].append(x["median"] / floor)
print("%-20s %10s %12s   (median over %d rounds)" % ("command", "median ms", "vs min_send", rounds))
for name, d in per.items():
    print("%-20s %10.3f %11.2fx" % (name, statistics.median(d["medians"]) * 1e3,
                                     statistics.median(d["ratios"])))
if out:
    json.dump(per, open(out, "w"))
PY
accepted=$("$ctl" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"]["accepted"])')
echo "agentlogd accepted $accepted events during the run"
