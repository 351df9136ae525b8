#!/usr/bin/env bash
# The benchmark's own packages (strace for the idle syscall count), plus the peers named in
# PEERS (comma-separated: supervisord, runit, s6); scripts/deps.sh installs what is missing.
set -euo pipefail
declare -A package=([supervisord]=supervisor [runit]=runit [s6]=s6)
packages=(strace)
IFS=, read -r -a peers <<< "${1:-}"
for p in "${peers[@]}"; do
  [ -n "$p" ] && [ -n "${package[$p]:-}" ] && packages+=("${package[$p]}")
done
exec bash "$(dirname "${BASH_SOURCE[0]}")/../scripts/deps.sh" "${packages[@]}"
