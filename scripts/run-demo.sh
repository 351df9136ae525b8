#!/usr/bin/env bash
# run-demo.sh BUILD_DIR: what `make run` does after the build. Prints how to reach the daemon
# from a second terminal, then runs supd in the foreground on examples/supd.toml (the
# lecture's ticking `amsa` job). Ctrl-C stops supd and its jobs.
#
# supd's first log line names the socket and the log dir it resolved (DESIGN.md, Paths);
# supctl resolves the same socket by itself, so the commands below need no paths.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR   (normally run by 'make run')" >&2
  exit 2
fi
build=${1%/}                  # as the user wrote it, for the commands we print
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"                    # make runs us here; be sure, so examples/ and BUILD resolve

for bin in supd supctl amsa; do
  if [ ! -x "$build/$bin" ]; then
    echo "run-demo: $build/$bin is missing; build it first with 'make BUILD=$build' (or 'make run')" >&2
    exit 1
  fi
done

# examples/supd.toml runs "../build/amsa" from examples/. With another build dir, run a copy
# that points at that tree's amsa instead.
config=examples/supd.toml
if [ "$(realpath -m -- "$build")" != "$(realpath -m -- build)" ]; then
  config=$build/demo/supd.toml
  mkdir -p "$build/demo"
  amsa=$(realpath -- "$build/amsa")
  text=$(<examples/supd.toml)
  {
    echo "# Written by scripts/run-demo.sh from examples/supd.toml for $build; edit that one."
    printf '%s\n' "${text//'"../build/amsa"'/\"$amsa\"}"
  } >"$config"
fi

# supd refuses a config (or a config directory) that group or others may write; a checkout
# made under umask 002 has examples/ and examples/supd.toml group-writable.
chmod go-w -- "$config" "$(dirname -- "$config")"

q() { printf '%q' "$1"; }
cat <<EOF
supd: starting in the foreground with $(q "$config") (Ctrl-C stops it and its jobs).
Its first log line below names the socket and the log dir ("logs in DIR").

From a second terminal, in $(q "$repo"):
  $(q "$build/supctl") status                 # ps aux | grep amsa
  $(q "$build/supctl") signal amsa USR1       # kill -USR1 PID: "Hello world" in the log
  tail -f DIR/amsa.out   # nohup.out; DIR is the log dir supd prints below
  $(q "$build/supctl") shutdown               # stop amsa and supd
EOF
echo

exec "$build/supd" --config "$config"
