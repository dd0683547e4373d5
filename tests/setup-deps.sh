#!/usr/bin/env bash
# Install what a fresh Debian 12 lacks to build and test agentlog.
# Used by the README's commands and by .ci/run.  Idempotent.
set -euo pipefail
# Build: the compiler, CMake and the chosen libraries.  Tests: PostgreSQL
# (the pgwriter's), Python with jsonschema/yaml (integration tests, schema
# and alert-rule checks), socat (datagram hook snippet), systemd
# (systemd-analyze verify), man-db (man page rendering), zsh (completion),
# git (the git hook example).
pkgs=(build-essential cmake pkg-config libuv1-dev librdkafka-dev libcjson-dev
      uuid-dev libmicrohttpd-dev libpq-dev postgresql python3 python3-jsonschema
      python3-yaml socat systemd man-db zsh git)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
