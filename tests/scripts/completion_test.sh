#!/usr/bin/env bash
# The bash completion against a real supd in a temp dir: `supctl st<TAB>` offers the st*
# commands, `supctl stop <TAB>` the job names and `all`, `signal JOB U<TAB>` USR1 and USR2.
# Usage: completion_test.sh SUPD_BIN SUPCTL_BIN SOURCE_DIR
set -uo pipefail
supd=$1 supctl=$2 src=$3
dir=$(mktemp -d /tmp/supd-compl-XXXXXX)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  rm -rf "$dir"
}
trap cleanup EXIT
fail=0
say() { echo "completion_test: $*" >&2; }

# shellcheck source=completion_supd.sh
source "$(dirname "${BASH_SOURCE[0]}")/completion_supd.sh"
start_completion_supd
export SUPD_SOCKET=$dir/run/supd.sock

# shellcheck source=/dev/null
source "$src/completions/supctl.bash"
complete -p supctl >/dev/null || { say "the script did not register a completion for supctl"; fail=1; }

# complete WORD... : COMPREPLY for the last word, sorted, on one line.
complete_words() {
  COMP_WORDS=("$supctl" "$@")
  COMP_CWORD=$#
  COMP_LINE="${COMP_WORDS[*]}"
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  _supctl
  printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
expect() {
  local want=$1; shift
  local got; got=$(complete_words "$@")
  if [ "$got" != "$want" ]; then say "supctl $* <TAB>: got '$got', want '$want'"; fail=1; fi
}

expect "start stats status stop" st
expect "all alpha beta-2" stop ""
expect "all alpha" stop al
expect "alpha beta-2" signal ""
expect "USR1 USR2" signal alpha us
expect "--no-wait" stop --no
expect "--expect" signal alpha USR1 --e
expect "--group" signal alpha USR1 --g
expect "--strict" doctor --st
expect "shutdown signal start stats status stop" help s
expect "help" he
expect "--socket" --so
expect "alpha beta-2" --json inspect ""
# Job names come from the supd named on the command line, not only from SUPD_SOCKET.
unset SUPD_SOCKET
export XDG_RUNTIME_DIR=$dir/empty   # and no other supd is found at a default path
expect "all alpha beta-2" --socket "$dir/run/supd.sock" restart ""
expect "all" stop ""   # no supd at the default socket: just `all`

[ $fail -eq 0 ] && echo "completion_test: ok"
exit $fail
