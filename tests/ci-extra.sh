#!/usr/bin/env bash
# The second half of CI, run by .ci/run after the main suite (a fresh
# Debian 12 machine, as root; RELIABILITY.md, "Always on"):
#
#   1. the whole suite again, built with -DAGENTLOG_SANITIZE=ON (ASan +
#      UBSan) in build-asan; any sanitizer report written by any process
#      (daemon, helpers, tools) fails it, even one no test noticed;
#   2. agentlogd under valgrind memcheck through a short load with a Kafka
#      outage (tests/reliability/test_valgrind.py), with the main build;
#   3. tests/lint.sh: clang-tidy and cppcheck, clean;
#   4. each fuzzer for AGENTLOG_FUZZ_SECONDS (20) when clang and its
#      libFuzzer runtime are there (build-fuzz), otherwise said and skipped.
#
#   tests/ci-extra.sh [MAIN_BUILD_DIR]     (default build-ci, built if absent)
#
# Installs what it needs when missing: clang libclang-rt-14-dev clang-tidy
# cppcheck valgrind.  About 6.5 minutes on two cores (380 s measured, the
# packages already installed: ASan build and suite 246 s, valgrind 14 s,
# lint 48 s, fuzzers 72 s).
set -euo pipefail
cd "$(dirname "$0")/.."
main=${1:-build-ci}
jobs=$(nproc 2>/dev/null || echo 2)
t0=$SECONDS
step() { echo; echo "== ci-extra: $* (at $(( SECONDS - t0 )) s)"; }

pkgs=(clang libclang-rt-14-dev clang-tidy cppcheck valgrind)
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

step "1/4 the suite under ASan + UBSan (build-asan)"
cmake -S . -B build-asan -DAGENTLOG_SANITIZE=ON -DAGENTLOG_WERROR=ON \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-asan -j"$jobs" >/dev/null
logs=$PWD/build-asan/sanitizer-logs
rm -rf "$logs"
mkdir -p "$logs"
# Reports go to files as well as failing the process: a report from a
# process whose exit status nobody checks still fails CI below.
export ASAN_OPTIONS="log_path=$logs/asan:detect_leaks=1"
export UBSAN_OPTIONS="log_path=$logs/ubsan:print_stacktrace=1"
ctest --test-dir build-asan --output-on-failure -j2 --timeout 900 --repeat until-pass:2
unset ASAN_OPTIONS UBSAN_OPTIONS
if [ -n "$(ls -A "$logs")" ]; then
  echo "ci-extra: sanitizer reports:" >&2
  for f in "$logs"/*; do echo "--- $f" >&2; head -60 "$f" >&2; done
  exit 1
fi

step "2/4 agentlogd under valgrind memcheck ($main)"
if [ ! -x "$main/daemon/agentlogd" ]; then
  cmake -S . -B "$main" -DAGENTLOG_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$main" -j"$jobs" >/dev/null
fi
AGENTLOG_VALGRIND=1 ctest --test-dir "$main" -R '^reliability_valgrind$' --output-on-failure

step "3/4 static analysis (tests/lint.sh)"
tests/lint.sh build-lint

step "4/4 fuzzers"
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' >/tmp/ci-extra-fuzz.c
if command -v clang >/dev/null &&
   clang -fsanitize=fuzzer -o /tmp/ci-extra-fuzz /tmp/ci-extra-fuzz.c 2>/dev/null; then
  CC=clang cmake -S . -B build-fuzz -DAGENTLOG_FUZZ=ON -DAGENTLOG_WERROR=ON \
        -DAGENTLOG_FUZZ_SECONDS="${AGENTLOG_FUZZ_SECONDS:-20}" >/dev/null
  cmake --build build-fuzz -j"$jobs" --target fuzz-line fuzz-record fuzz-build >/dev/null
  ctest --test-dir build-fuzz -L fuzz --output-on-failure
else
  echo "ci-extra: skipped: clang with libFuzzer not found (Debian: clang libclang-rt-14-dev)"
fi
rm -f /tmp/ci-extra-fuzz.c /tmp/ci-extra-fuzz

step "done: all clean"
