#!/usr/bin/env bash
# The zsh completion (completions/_supctl) against a real supd in a temp dir, as a user gets
# it: an interactive `zsh -f -i` on a pseudo-terminal (zsh/zpty) with compinit, where the
# test types `supctl st`, asks for the list of choices and reads it back. Same checks as the
# bash test (completion_test.sh): commands, job names and `all`, signal names, options, and
# job names asked of the supd named by --socket on the command line.
# Usage: completion_zsh_test.sh SUPD_BIN SUPCTL_BIN SOURCE_DIR    (exit 77: no zsh, skipped)
set -uo pipefail
supd=$1 supctl=$2 src=$3
command -v zsh >/dev/null || { echo "SKIP: no zsh"; exit 77; }
zsh -f -c 'zmodload zsh/zpty && zmodload zsh/zselect && zmodload zsh/datetime' 2>/dev/null \
  || { echo "SKIP: zsh lacks the zsh/zpty, zsh/zselect or zsh/datetime module"; exit 77; }
dir=$(mktemp -d /tmp/supd-zcompl-XXXXXX)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM   # so that ctest's timeout still runs cleanup
say() { echo "completion_zsh_test: $*" >&2; }

# shellcheck source=completion_supd.sh
source "$(dirname "${BASH_SOURCE[0]}")/completion_supd.sh"
start_completion_supd

# The user types `supctl`, so the completion is looked up by that name: put it on PATH.
mkdir "$dir/bin"
ln -s "$(cd "$(dirname "$supctl")" && pwd)/$(basename "$supctl")" "$dir/bin/supctl"

# The driver: one interactive zsh on a pty. Every read has a deadline; the first one missed
# ends the run (a wedged shell would only miss the next ones too). zpty -d on every exit.
cat > "$dir/driver.zsh" <<'ZSH'
zmodload zsh/zpty zsh/zselect zsh/datetime || exit 1
dir=$1 src=$2
fail=0 out= got= seq=0
say() { print -ru2 -- "completion_zsh_test: $*" }
TRAPEXIT() { zpty -d z 2>/dev/null }
TRAPINT() { exit 1 }
TRAPTERM() { exit 1 }

# read_until PATTERN: read the pty into $out until it matches, for at most 20 s.
read_until() {
  local chunk end=$(( EPOCHREALTIME + 20 ))
  out=
  while (( EPOCHREALTIME < end )); do
    while chunk= && zpty -rt z chunk 2>/dev/null; do out+=$chunk; done
    [[ $out == $~1 ]] && return 0
    zselect -t 2
  done
  say "no '$1' from the interactive zsh in 20s; it printed (the end): ${(q+)out[-1500,-1]}"
  exit 1
}
# run_line LINE: run a command line in the shell and wait until it has finished. The marker
# is printed by the command, so its echo (with the quotes) does not count.
run_line() {
  (( ++seq ))
  zpty -w z "$1; print '<SY''NC$seq>'"
  read_until "*<SYNC$seq>*"
}

zpty z "env -i PATH='$dir/bin:$PATH' HOME='$dir' TERM=vt100 SUPD_SOCKET='$dir/run/supd.sock' XDG_RUNTIME_DIR='$dir/run' zsh -f -i" \
  || { say "zpty could not start zsh"; exit 1; }
# Machine-readable listings: every match is printed as <LC><NO><RC>match...<EC> on its own
# line (zsh/complist's list-colors); ^D lists the choices between <BEGIN> and <END>, ^T
# prints the command line (after a TAB: what the completion inserted); both then clear it.
run_line "PS1='<PROMPT>' PS2= RPS1=; unsetopt promptsp promptcr; unset zle_bracketed_paste"
run_line "fpath=('$src/completions' \$fpath); autoload -Uz compinit; compinit -u"
run_line "zmodload zsh/complist; bindkey -e; LISTMAX=0; stty columns 250 rows 1000"
run_line "zstyle ':completion:*:default' list-colors 'no=<NO>' 'lc=<LC>' 'rc=<RC>' 'ec=<EC>\n'"
run_line "zstyle ':completion:*' group-name ''; setopt noalwayslastprompt listrowsfirst"
run_line "report-list() { print -r -- '<BEGIN>'; zle list-choices; zle -R; print -r -- '<END>'; BUFFER= }"
run_line "report-buffer() { print -r -- \"<BUF>\$BUFFER</BUF>\"; BUFFER= }"
run_line "zle -N report-list; zle -N report-buffer; bindkey '^D' report-list; bindkey '^T' report-buffer"
run_line "[[ \$_comps[supctl] == _supctl ]] || print '<NO''COMP>'"
[[ $out == *'<NOCOMP>'* ]] && { say "compinit did not pick up _supctl for supctl"; fail=1 }

# choices LINE: sets $got to the matches listed for LINE (typed, then ^D), sorted, on one
# line. No command substitution here: a subshell would share the pty but not $out.
choices() {
  local line
  local -a m
  zpty -w -n z "$1"$'\C-d'
  read_until '*<BEGIN>*<END>*'
  for line in "${(@f)${${out#*<BEGIN>}%%<END>*}}"; do
    [[ $line == *'<LC><NO><RC>'* ]] || continue
    line=${${line#*<LC><NO><RC>}%%<EC>*}
    m+=(${line%% *})
  done
  got=${(oj: :)m}
}
# expect WANT LINE: LINE<^D> lists exactly the matches WANT.
expect() {
  choices "$2"
  [[ $got == "$1" ]] || { say "'$2<TAB>': got '$got', want '$1'"; fail=1 }
}
# expect_tab WANT LINE: LINE<TAB> leaves WANT on the command line.
expect_tab() {
  zpty -w -n z "$2"$'\t\C-t'
  read_until '*<BUF>*</BUF>*'
  got=${${out#*<BUF>}%%</BUF>*}
  [[ $got == "$1" ]] || { say "'$2<TAB>': the line became '$got', want '$1'"; fail=1 }
}

expect "start stats status stop" "supctl st"
expect "all alpha beta-2" "supctl stop "
expect "all alpha" "supctl stop al"
expect "alpha beta-2" "supctl signal "
expect "USR1 USR2" "supctl signal alpha US"
expect "USR1 USR2" "supctl signal alpha us"   # supctl takes any case; zsh offers the names
expect "--no-wait" "supctl stop --no"
expect "--leave-running" "supctl shutdown --"
expect "--dry-run" "supctl reload --"
expect "--expect" "supctl signal alpha USR1 --e"
expect "--group" "supctl signal alpha USR1 --g"
expect "--strict" "supctl doctor --"
expect "help" "supctl he"
expect "--socket" "supctl --so"
expect "alpha beta-2" "supctl --json inspect "
expect_tab "supctl stop alpha " "supctl stop alp"
expect_tab "supctl signal alpha USR" "supctl signal alpha us"
expect_tab "supctl shutdown --leave-running " "supctl shutdown --l"
# Job names come from the supd named on the command line, not only from SUPD_SOCKET.
run_line "unset SUPD_SOCKET; export XDG_RUNTIME_DIR='$dir/empty'"
expect "all alpha beta-2" "supctl --socket $dir/run/supd.sock restart "
expect "all alpha beta-2" "supctl --socket=$dir/run/supd.sock stop "
expect "all" "supctl stop "   # no supd at the default socket: just `all`
exit $fail
ZSH

timeout -k 5 110 zsh -f "$dir/driver.zsh" "$dir" "$src" || exit 1
echo "completion_zsh_test: ok"
