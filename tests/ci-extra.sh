#!/usr/bin/env bash
# The sanitizer half of CI, run by .ci/run after the main suite, lint and
# valgrind (a fresh Debian 12 machine, as root; RELIABILITY.md, "Always on"):
#
#   1. the whole suite again, built with -DAGENTLOG_SANITIZE=ON (ASan +
#      UBSan, gcc) in build-asan.  Any sanitizer report written by any
#      process (daemon, helpers, tools, even one whose exit status no test
#      checks) fails it: every report also goes to build-asan/sanitizer-logs.
#   2. each libFuzzer target (clang, -fsanitize=fuzzer,address,undefined) in
#      build-fuzz for AGENTLOG_FUZZ_SECONDS (60) on its checked-in seed corpus
#      and regression inputs; any crash, leak, timeout or broken property
#      fails it (the input is kept in build-fuzz/tests/fuzz/artifacts/).
#
#   tests/ci-extra.sh            AGENTLOG_FUZZ_SECONDS=N to fuzz longer
#
# Installs what it needs when missing (apt-get update first): clang and
# libclang-rt-14-dev (the libFuzzer runtime, which clang only recommends),
# llvm (llvm-symbolizer: symbolized sanitizer stacks).  Idempotent.
# Measured on two cores: see RELIABILITY.md, "Always on".
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
fuzz_seconds=${AGENTLOG_FUZZ_SECONDS:-60}
t0=$SECONDS
step() { echo; echo "== ci-extra: $* (at $(( SECONDS - t0 )) s)"; }

pkgs=(clang libclang-rt-14-dev llvm)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
fi

step "1/2 the suite under ASan + UBSan (build-asan)"
cmake -S . -B build-asan -DAGENTLOG_SANITIZE=ON -DAGENTLOG_WERROR=ON \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-asan -j"$jobs" >/dev/null
logs=$PWD/build-asan/sanitizer-logs
rm -rf "$logs"
mkdir -p "$logs"
# halt_on_error: the first report ends the process (a test notices);
# log_path: the report is also a file, checked below, so a report from a
# process nobody waits for still fails CI.
export ASAN_OPTIONS="log_path=$logs/asan:halt_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="log_path=$logs/ubsan:print_stacktrace=1:halt_on_error=1"
suite=0
ctest --test-dir build-asan --output-on-failure -j2 --timeout 600 \
      --repeat until-pass:2 || suite=$?
unset ASAN_OPTIONS UBSAN_OPTIONS
if [ -n "$(ls -A "$logs")" ]; then
  echo "ci-extra: sanitizer reports:" >&2
  for f in "$logs"/*; do echo "--- $f" >&2; head -80 "$f" >&2; done
  exit 1
fi
[ "$suite" -eq 0 ] || { echo "ci-extra: the ASan + UBSan suite failed" >&2; exit 1; }

step "2/2 each fuzzer for $fuzz_seconds s (build-fuzz)"
probe=$(mktemp -d)
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);
int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; return (int)(n & 0); }' \
  >"$probe/probe.c"
if ! clang -fsanitize=fuzzer -o "$probe/probe" "$probe/probe.c"; then
  rm -rf "$probe"
  echo "ci-extra: clang cannot link libFuzzer (Debian: libclang-rt-14-dev)" >&2
  exit 1
fi
rm -rf "$probe"
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DAGENTLOG_FUZZ=ON \
      -DAGENTLOG_WERROR=ON -DAGENTLOG_FUZZ_SECONDS="$fuzz_seconds" >/dev/null
cmake --build build-fuzz -j"$jobs" --target fuzz-line fuzz-record fuzz-flags >/dev/null
# One core per fuzzer: two at a time on two cores.
ctest --test-dir build-fuzz -L fuzz --output-on-failure -j2
# What each covered, from libFuzzer's last line (ctest keeps a passing
# test's output only in its log).
grep -E '^[0-9]+/[0-9]+ Test: |^#[0-9]+[[:space:]]+DONE' \
  build-fuzz/Testing/Temporary/LastTest.log || true

step "done: all clean"
