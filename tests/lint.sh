#!/usr/bin/env bash
# Static analysis of daemon/ proto/ client/ contrib/pgwriter: clang-tidy
# with the top-level .clang-tidy and cppcheck with
# tests/cppcheck-suppressions.txt.  Exits 0 only when both are clean.
#
#   tests/lint.sh [BUILD_DIR]
#
# BUILD_DIR (default build-lint) is configured here (Debug: asserts stay
# visible to the analyzer) for its compile_commands.json; nothing is built.
# Tools: clang-tidy (or $CLANG_TIDY), cppcheck; Debian: clang-tidy cppcheck.
set -euo pipefail
cd "$(dirname "$0")/.."
bdir=${1:-build-lint}
tidy=${CLANG_TIDY:-clang-tidy}
jobs=$(nproc 2>/dev/null || echo 2)

for t in "$tidy" cppcheck python3; do
  command -v "$t" >/dev/null || { echo "lint: $t not found" >&2; exit 2; }
done
cmake -S . -B "$bdir" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DAGENTLOG_TESTS=OFF \
      -DCMAKE_BUILD_TYPE=Debug >/dev/null

# Our sources (not generated ones) in the four trees, once each; cppcheck
# gets a compilation database of just those.
mapfile -t files < <(python3 - "$bdir" "$PWD" <<'PY'
import json, os, sys
bdir, root = sys.argv[1], sys.argv[2] + os.sep
keep, seen = [], set()
for e in json.load(open(os.path.join(bdir, "compile_commands.json"))):
    f = os.path.realpath(os.path.join(e["directory"], e["file"]))
    rel = f[len(root):] if f.startswith(root) else ""
    if f not in seen and (rel.split(os.sep)[0] in ("daemon", "proto", "client") or
                          rel.startswith("contrib/pgwriter/")):
        seen.add(f)
        keep.append(e)
json.dump(keep, open(os.path.join(bdir, "lint_commands.json"), "w"), indent=1)
print("\n".join(sorted(seen)))
PY
)
echo "lint: ${#files[@]} files"

status=0
echo "lint: clang-tidy ($("$tidy" --version | grep -o 'version [0-9.]*'))"
printf '%s\n' "${files[@]}" |
  xargs -P "$jobs" -n 4 "$tidy" -p "$bdir" --quiet 2>/dev/null || status=1

echo "lint: cppcheck ($(cppcheck --version))"
cppcheck --project="$bdir/lint_commands.json" \
         --enable=warning,performance,portability --inline-suppr --quiet \
         --include=/usr/include/cjson/cJSON.h \
         --suppressions-list=tests/cppcheck-suppressions.txt \
         --error-exitcode=1 -j "$jobs" \
         --template='{file}:{line}: {severity}: {message} [{id}]' || status=1

if [ "$status" -eq 0 ]; then
  echo "lint: clean"
else
  echo "lint: FAILED" >&2
fi
exit "$status"
