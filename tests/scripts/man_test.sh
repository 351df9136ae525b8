#!/usr/bin/env bash
# The man pages: each one formats without a single groff warning (-ww), has the sections a
# man page needs, and supctl(1) documents every command `supctl --help` lists.
# Usage: man_test.sh SOURCE_DIR SUPCTL_BIN
set -euo pipefail
src=$1 supctl=$2
fail=0
say() { echo "man_test: $*" >&2; }

command -v groff >/dev/null || { say "groff is missing; run scripts/deps.sh (groff-base)"; exit 1; }
for page in "$src"/man/supd.1 "$src"/man/supctl.1 "$src"/man/supd.toml.5; do
  [ -f "$page" ] || { say "missing $page"; fail=1; continue; }
  warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1) || { say "$page: groff failed"; fail=1; }
  if [ -n "$warnings" ]; then say "$page: $warnings"; fail=1; fi
  for section in NAME SYNOPSIS DESCRIPTION "SEE ALSO"; do
    grep -q "^\.SH \"\?$section" "$page" || { say "$page: no $section section"; fail=1; }
  done
done

# Every command of the table, as a term of its own in COMMANDS.
commands=$("$supctl" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^[^ ]/ { on = 0 }')
[ -n "$commands" ] || { say "supctl --help lists no commands"; fail=1; }
for c in $commands; do
  grep -Eq "^\.B[IR]? $c( |\$)" "$src/man/supctl.1" || { say "supctl.1 does not document '$c'"; fail=1; }
done
[ $fail -eq 0 ] && echo "man_test: ok ($(echo $commands | wc -w) commands documented)"
exit $fail
