#!/usr/bin/env bash
# The benchmark's own packages (strace for the idle syscall count), plus the peers named in
# PEERS (comma-separated: supervisord, runit, s6), installed only when missing.
set -euo pipefail
declare -A package=([supervisord]=supervisor [runit]=runit [s6]=s6)
packages=(strace)
IFS=, read -r -a peers <<< "${1:-}"
for p in "${peers[@]}"; do
  [ -n "$p" ] && [ -n "${package[$p]:-}" ] && packages+=("${package[$p]}")
done
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "bench: installing missing packages: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2 || true
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
