#!/usr/bin/env bash
# run-demo.sh BUILD_DIR: what `make run` does after the build. Prints how to reach the daemon
# from a second terminal, then runs supd in the foreground on examples/supd.toml (the
# lecture's ticking `amsa` job). Ctrl-C stops supd and its jobs.
#
# The socket and log paths printed here follow the resolution supd and supctl share
# (common/paths.cpp; DESIGN.md, Paths): SUPD_SOCKET / SUPD_LOG_DIR when set, else XDG.
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

uid=$(id -u)
home=${HOME:-}
[ -n "$home" ] || home=$(getent passwd "$uid" | cut -d: -f6 || true)
[ -n "$home" ] || home=/

# A user-given path as supd sees it: "~" expanded, made absolute against the current directory.
user_path() {
  local p=$1
  # shellcheck disable=SC2088  # a literal "~/" is what we match, not one to expand
  case $p in
    "~") p=$home ;;
    "~/"*) p=$home/${p#"~/"} ;;
  esac
  realpath -m -s -- "$p"
}

# An XDG variable counts only when it is an absolute path (the XDG spec).
xdg() {
  local v=${!1:-}
  case $v in /*) printf '%s' "$v" ;; *) ;; esac
}

if [ -n "${SUPD_SOCKET:-}" ]; then
  socket=$(user_path "$SUPD_SOCKET")
elif runtime=$(xdg XDG_RUNTIME_DIR) && [ -n "$runtime" ]; then
  socket=$runtime/supd/supd.sock
elif [ -d "/run/user/$uid" ]; then
  socket=/run/user/$uid/supd/supd.sock
else
  socket=/tmp/supd-$uid/supd.sock
fi

if [ -n "${SUPD_LOG_DIR:-}" ]; then
  log_dir=$(user_path "$SUPD_LOG_DIR")
elif state=$(xdg XDG_STATE_HOME) && [ -n "$state" ]; then
  log_dir=$state/supd/logs
else
  log_dir=$home/.local/state/supd/logs
fi

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

q() { printf '%q' "$1"; }
cat <<EOF
supd: starting in the foreground with $(q "$config") (Ctrl-C stops it and its jobs).
  socket: $(q "$socket")
  logs:   $(q "$log_dir")

From a second terminal, in $(q "$repo"):
  $(q "$build/supctl") status                 # ps aux | grep amsa
  $(q "$build/supctl") signal amsa USR1       # kill -USR1 PID: "Hello world" in the log
  tail -f $(q "$log_dir/amsa.out")
  $(q "$build/supctl") shutdown               # stop amsa and supd
EOF
if [ -n "${SUPD_SOCKET:-}" ]; then
  echo "  (SUPD_SOCKET is set here: export SUPD_SOCKET=$(q "$socket") there too)"
fi
echo

exec "$build/supd" --config "$config"
