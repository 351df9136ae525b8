#!/bin/bash
# user_service_test.sh SUPD SUPCTL SOURCE_DIR: supd's user units under a real, private
# `systemd --user` (sandbox.sh). Installs nothing system-wide: the units, pointing at the
# build tree's supd, go into the sandbox's $XDG_CONFIG_HOME/systemd/user.
# Checks: `systemd-analyze --user verify` is silent; start -> active with our STATUS text;
# supctl through the socket; reload -> an added job runs, same MainPID, still active, and a
# reload back removes it; a broken config fails `systemctl reload` and changes nothing; kill -9 of supd -> systemd restarts supd, which adopts the jobs
# (KillMode=process: same pids) and takes their output pipes back from systemd's fd store,
# so the counter job's numbered lines go on, none lost or doubled; `supctl upgrade` keeps
# MainPID and the jobs; shutdown --leave-running then systemctl start adopts them again
# (the pipes wait in the fd holder, as systemd empties its store with the unit); the watchdog is fed;
# each job in its own cgroup (Delegate=yes), and `supctl stop` of one reaches its setsid grandchild through it;
# stop -> every job and grandchild gone; socket activation by a `supctl status`;
# afterwards no process, cgroup or mount is left. Exit 77 (SKIP) where it cannot run.
# TESTPLAN [R30] (grep tag).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ "${1:-}" = --in-sandbox ]; then
  shift
  SUPD=$1 SUPCTL=$2 SRC=$3 W=$4 TAG=$5
  U=$XDG_CONFIG_HOME/systemd/user
  SOCK=$XDG_RUNTIME_DIR/supd/supd.sock
  step() { echo "--- $*"; }
  fail() {
    echo "FAIL: $*"
    systemctl --user --no-pager status supd.service supd.socket 2>&1 | sed 's/^/  status: /'
    sed 's/^/  supd: /' "$W/supd.out" 2>/dev/null
    sed 's/^/  manager: /' "$W/manager.log" 2>/dev/null | tail -n 30
    exit 1
  }
  prop() { systemctl --user show -p "$1" --value "${2:-supd.service}"; }
  eventually() {  # eventually SECONDS CMD...: polls CMD every 50 ms
    local end=$((SECONDS + $1)); shift
    until "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.05; done
  }
  tagged() { pgrep -fx "sleep $TAG" | sort -n | tr '\n' ' '; }
  ntagged() { pgrep -cfx "sleep $TAG"; }
  is() { [ "$(prop "$1" "${3:-supd.service}")" = "$2" ]; }
  # counter_goes_on WHEN: the counter job's log grows past where it was, every number once,
  # in order, no gap (supd splices the pipe's bytes into the file: a kill loses none).
  counter_goes_on() {
    local log=$XDG_STATE_HOME/supd/logs/counter.out at verdict
    at=$(tail -n 1 "$log")
    eventually 10 sh -c "[ \$(tail -n 1 '$log') -gt $((at + 20)) ]" || fail "the counter's log stopped at $at $1"
    verdict=$(awk 'NR > 1 && $1 <= prev { print "doubled or out of order at line " NR; exit }
                   NR > 1 && $1 != prev + 1 { print "a gap after " prev; exit } { prev = $1 }' "$log")
    [ -z "$verdict" ] || fail "counter.out $1: $verdict"
  }

  step "systemd-analyze --user verify prints nothing"
  sed "s|@CMAKE_INSTALL_FULL_BINDIR@|$(dirname "$SUPD")|" "$SRC/systemd/supd.service.in" >"$U/supd.service"
  cp "$SRC/systemd/supd.socket" "$U/supd.socket"
  out=$(systemd-analyze --user verify "$U/supd.service" "$U/supd.socket" 2>&1) || fail "verify failed: $out"
  [ -z "$out" ] || fail "verify warned: $out"

  # No journald in the sandbox: supd's own log goes to a file. A watchdog that supd must feed.
  mkdir -p "$U/supd.service.d" "$XDG_CONFIG_HOME/supd"
  printf '[Service]\nStandardOutput=append:%s\nStandardError=inherit\nWatchdogSec=3s\nRestartSec=100ms\n' \
    "$W/supd.out" >"$U/supd.service.d/test.conf"
  # one: a plain job; forker: leaves an orphaned grandchild in its group; escaper: leaves one
  # in a session of its own, which supd's group stop does not reach and its cgroup sweep does;
  # counter: numbered lines, to show the output pipe outlives supd.
  cat >"$XDG_CONFIG_HOME/supd/supd.toml" <<TOML
[jobs.one]
command = ["sleep", "$TAG"]
[jobs.forker]
command = ["/bin/sh", "-c", "(sleep $TAG &); exec sleep $TAG"]
[jobs.escaper]
command = ["/bin/sh", "-c", "setsid sleep $TAG & exec sleep $TAG"]
[jobs.counter]
command = ["/bin/sh", "-c", "i=0; while :; do i=\$((i+1)); echo \$i; sleep 0.01; done"]
TOML
  chmod 600 "$XDG_CONFIG_HOME/supd/supd.toml"  # supd refuses a config others may write
  systemctl --user daemon-reload || fail "daemon-reload"

  step "start: active, READY with our STATUS"
  systemctl --user start supd.service || fail "systemctl --user start supd"
  is ActiveState active || fail "ActiveState=$(prop ActiveState) after start"
  pid1=$(prop MainPID)
  [ "$pid1" -gt 0 ] || fail "no MainPID"
  eventually 10 is StatusText "4 running" || fail "StatusText='$(prop StatusText)', wanted '4 running'"
  eventually 5 test "$(ntagged)" -eq 5 || fail "$(ntagged) tagged processes, wanted 5: $(tagged)"
  # Delegate=yes: supd in its leaf, each job in a cgroup of its own below the unit's.
  grep -q '/supd.service/supd$' "/proc/$pid1/cgroup" || fail "supd is not in supd.service/supd: $(cat /proc/$pid1/cgroup)"
  for p in $(pgrep -fx "sleep $TAG"); do
    grep -Eq '/supd.service/(one|forker|escaper)\.job$' "/proc/$p/cgroup" ||
      fail "job process $p is not in its job's cgroup: $(cat /proc/$p/cgroup)"
  done

  step "supctl status through the unit's socket"
  [ -S "$SOCK" ] || fail "no socket at $SOCK"
  st=$("$SUPCTL" status) || fail "supctl status failed: $st"
  echo "$st"
  for j in one forker escaper; do
    echo "$st" | grep -Eq "^$j +RUNNING" || fail "supctl status does not show $j RUNNING"
  done

  step "jobs inherit none of NOTIFY_SOCKET, WATCHDOG_*, LISTEN_*"
  for j in one forker escaper; do
    p=$("$SUPCTL" pid "$j") || fail "supctl pid $j"
    if tr '\0' '\n' <"/proc/$p/environ" | grep -E '^(NOTIFY_SOCKET|WATCHDOG_|LISTEN_)'; then
      fail "job $j (pid $p) inherited systemd's variables"
    fi
  done

  step "reload: a job added to the config runs; same MainPID, still active"
  cp "$XDG_CONFIG_HOME/supd/supd.toml" "$W/supd.toml.orig"
  printf '[jobs.added]\ncommand = ["sleep", "%s"]\n' "$TAG" >>"$XDG_CONFIG_HOME/supd/supd.toml"
  systemctl --user reload supd.service || fail "systemctl --user reload supd"
  # ExecReload is `supctl reload`: systemctl returns once supd has applied it (READY=1 sent)
  is ActiveState active || fail "ActiveState=$(prop ActiveState) after reload"
  [ "$(prop MainPID)" = "$pid1" ] || fail "MainPID changed on reload: $pid1 -> $(prop MainPID)"
  grep -q "reload: applying" "$W/supd.out" || fail "supd did not log the reload"
  eventually 5 sh -c "'$SUPCTL' status | grep -Eq '^added +RUNNING'" || fail "the added job is not RUNNING: $("$SUPCTL" status)"
  eventually 5 is StatusText "5 running" || fail "StatusText='$(prop StatusText)' after reload"

  step "a reload of a broken config fails systemctl reload and changes nothing"
  before=$(tagged)
  cp "$XDG_CONFIG_HOME/supd/supd.toml" "$W/supd.toml.good"
  printf '[jobs.broken\n' >>"$XDG_CONFIG_HOME/supd/supd.toml"
  if systemctl --user reload supd.service 2>/dev/null; then fail "systemctl reload succeeded on a broken config"; fi
  is ActiveState active || fail "ActiveState=$(prop ActiveState) after a refused reload"
  [ "$(prop MainPID)" = "$pid1" ] || fail "MainPID changed on a refused reload"
  grep -q "error(s); nothing changed" "$W/supd.out" || fail "supd did not log the refused reload"
  [ "$(tagged)" = "$before" ] || fail "a refused reload changed the jobs: $before -> $(tagged)"
  cp "$W/supd.toml.good" "$XDG_CONFIG_HOME/supd/supd.toml"

  step "reload back: the added job is stopped and gone"
  cp "$W/supd.toml.orig" "$XDG_CONFIG_HOME/supd/supd.toml"
  systemctl --user reload supd.service || fail "the second systemctl --user reload supd"
  [ "$(prop MainPID)" = "$pid1" ] || fail "MainPID changed on the second reload"
  eventually 10 sh -c "! '$SUPCTL' status | grep -q '^added '" || fail "the removed job is still listed"
  eventually 5 is StatusText "4 running" || fail "StatusText='$(prop StatusText)' after the second reload"
  eventually 5 test "$(ntagged)" -eq 5 || fail "$(ntagged) tagged processes after the second reload: $(tagged)"

  step "watchdog: supd feeds it (WatchdogSec=3s)"
  sleep 3.5  # longer than WatchdogSec: a supd that does not ping is killed by now
  is ActiveState active || fail "ActiveState=$(prop ActiveState) after WatchdogSec"
  [ "$(prop MainPID)" = "$pid1" ] || fail "supd was restarted (watchdog?): Result=$(prop Result)"
  [ "$(prop WatchdogTimestampMonotonic)" != 0 ] || fail "no WATCHDOG=1 seen by systemd"

  step "kill -9 of supd: systemd restarts it; it adopts the jobs and their pipes from the fd store"
  old=$(tagged)
  pids_before=$(for j in one forker escaper counter; do "$SUPCTL" pid $j; done | tr '\n' ' ')
  kill -9 "$pid1"
  eventually 10 is NRestarts 1 || fail "NRestarts=$(prop NRestarts)"
  eventually 10 is ActiveState active || fail "ActiveState=$(prop ActiveState) after the restart"
  pid2=$(prop MainPID)
  [ "$pid2" != "$pid1" ] && [ "$pid2" -gt 0 ] || fail "MainPID $pid1 -> $pid2"
  eventually 10 is StatusText "4 running" || fail "StatusText='$(prop StatusText)' after the restart"
  pids_after=$(for j in one forker escaper counter; do "$SUPCTL" pid $j; done | tr '\n' ' ')
  [ "$pids_after" = "$pids_before" ] || fail "jobs not adopted: pids $pids_before -> $pids_after"
  [ "$(tagged)" = "$old" ] || fail "tagged processes changed: $old -> $(tagged)"
  grep -q "systemd's fd store gave back" "$W/supd.out" || fail "supd did not take the pipes back from the fd store"
  counter_goes_on "after the restart"

  step "upgrade under systemd: same MainPID, the jobs kept, their pipes handed across the exec"
  "$SUPCTL" upgrade || fail "supctl upgrade"
  [ "$(prop MainPID)" = "$pid2" ] || fail "MainPID changed on upgrade: $pid2 -> $(prop MainPID)"
  is ActiveState active || fail "ActiveState=$(prop ActiveState) after upgrade"
  pids_upgraded=$(for j in one forker escaper counter; do "$SUPCTL" pid $j; done | tr '\n' ' ')
  [ "$pids_upgraded" = "$pids_before" ] || fail "jobs changed on upgrade: $pids_before -> $pids_upgraded"
  counter_goes_on "after the upgrade"

  step "shutdown --leave-running under systemd: the unit stops, the jobs run on, systemctl start adopts them"
  "$SUPCTL" shutdown --leave-running || fail "supctl shutdown --leave-running"
  eventually 10 is ActiveState inactive || fail "ActiveState=$(prop ActiveState) after shutdown --leave-running"
  [ "$(tagged)" = "$old" ] || fail "tagged processes changed when supd left: $old -> $(tagged)"
  grep -q "handed .* output pipe(s) to the fd holder" "$W/supd.out" || fail "supd did not hand its pipes to the holder"
  systemctl --user start supd.service || fail "systemctl --user start supd after leaving"
  eventually 10 is StatusText "4 running" || fail "StatusText='$(prop StatusText)' after the start"
  pids_back=$(for j in one forker escaper counter; do "$SUPCTL" pid $j; done | tr '\n' ' ')
  [ "$pids_back" = "$pids_before" ] || fail "jobs not adopted after leaving: $pids_before -> $pids_back"
  counter_goes_on "after leaving and starting again"
  pid2=$(prop MainPID)

  step "supctl stop escaper: its setsid grandchild is stopped through the job's cgroup"
  main=$("$SUPCTL" pid escaper) || fail "supctl pid escaper"
  escapee=
  for p in $(pgrep -fx "sleep $TAG"); do
    [ "$p" != "$main" ] && grep -q '/escaper\.job$' "/proc/$p/cgroup" && escapee=$p
  done
  [ -n "$escapee" ] || fail "no setsid grandchild of escaper in its cgroup"
  [ "$(ps -o pgid= -p "$escapee" | tr -d ' ')" != "$main" ] || fail "the grandchild is still in the job's process group"
  "$SUPCTL" stop escaper || fail "supctl stop escaper"
  eventually 5 sh -c "! kill -0 $escapee 2>/dev/null" || fail "escaper's setsid grandchild $escapee outlived its stop"
  "$SUPCTL" start escaper || fail "supctl start escaper"

  step "stop: every job and grandchild gone, supd stopped them itself"
  systemctl --user stop supd.service || fail "systemctl --user stop supd"
  is ActiveState inactive || fail "ActiveState=$(prop ActiveState) after stop"
  is Result success || fail "Result=$(prop Result) after stop"
  [ "$(ntagged)" -eq 0 ] || fail "left after stop: $(tagged)"
  [ "$(grep -c 'every job stopped' "$W/supd.out")" -ge 1 ] || fail "supd did not stop its jobs itself"
  [ ! -e "$SOCK" ] || fail "supd left its socket behind"

  step "socket activation: supctl starts supd through supd.socket"
  systemctl --user start supd.socket || fail "systemctl --user start supd.socket"
  is ActiveState inactive || fail "supd.service started with the socket"
  st=$("$SUPCTL" status) || fail "supctl status through supd.socket failed: $st"
  echo "$st" | grep -Eq "^one +" || fail "supctl status through supd.socket: $st"
  is ActiveState active || fail "supd.service not activated by the socket"
  grep -q "(socket from systemd)" "$W/supd.out" || fail "supd did not take systemd's socket"
  "$SUPCTL" shutdown || fail "supctl shutdown"
  eventually 10 is ActiveState inactive || fail "ActiveState=$(prop ActiveState) after supctl shutdown"
  is ActiveState active supd.socket || fail "supd.socket went away with supd"
  [ -S "$SOCK" ] || fail "supd removed systemd's socket"
  [ "$(ntagged)" -eq 0 ] || fail "left after supctl shutdown: $(tagged)"
  "$SUPCTL" status >/dev/null || fail "the second activation failed"
  is ActiveState active || fail "supd.service not activated a second time"
  systemctl --user stop supd.socket supd.service || fail "systemctl --user stop supd.socket supd.service"
  [ "$(ntagged)" -eq 0 ] || fail "left after the last stop: $(tagged)"
  echo "PASS (inside the sandbox)"
  exit 0
fi

skip() { echo "SKIP: $*"; exit 77; }
[ $# -eq 3 ] || { echo "usage: $0 SUPD SUPCTL SOURCE_DIR" >&2; exit 2; }
SUPD=$(realpath "$1") SUPCTL=$(realpath "$2") SRC=$(realpath "$3")
[ "$(id -u)" -eq 0 ] || skip "needs root for a private systemd --user in its own cgroup and namespaces"
[ -x /lib/systemd/systemd ] || skip "no /lib/systemd/systemd (apt-get install systemd)"
for tool in systemctl systemd-analyze unshare pgrep realpath; do
  command -v $tool >/dev/null || skip "no $tool"
done
ROOT=/sys/fs/cgroup/unified; [ -d $ROOT ] || ROOT=/sys/fs/cgroup
[ "$(stat -f -c %T $ROOT 2>/dev/null)" = cgroup2fs ] || skip "no cgroup v2 hierarchy at $ROOT"
probe=$ROOT/supd-probe.$$
mkdir "$probe" 2>/dev/null && rmdir "$probe" || skip "cannot create a cgroup under $ROOT"
unshare --mount --cgroup --propagation private true 2>/dev/null || skip "unshare of mount+cgroup namespaces refused"
[ -d /run/systemd ] || skip "no /run/systemd to mount over"

W=$(mktemp -d /tmp/supd-sd.XXXXXX)
TAG=$((100000 + $$))
# SUPD_SD_TEST_KEEP=1 keeps the work dir (supd.out, manager.log) for a look afterwards.
if [ -n "${SUPD_SD_TEST_KEEP:-}" ]; then echo "work dir: $W"; else trap 'rm -rf "$W"' EXIT; fi
mounts_before=$(grep -c . /proc/self/mountinfo)
cgroups_before=$(ls -d "$ROOT"/supd-sandbox.* 2>/dev/null)
had_system=$([ -e /run/systemd/system ] && echo yes || echo no)

bash "$HERE/sandbox.sh" "$W" bash "$HERE/user_service_test.sh" --in-sandbox "$SUPD" "$SUPCTL" "$SRC" "$W" "$TAG"
rc=$?

# After the sandbox: nothing of it may be left on the host.
left=$(pgrep -fx "sleep $TAG")
[ -z "$left" ] || { echo "FAIL: processes left after the sandbox: $left"; kill -9 $left; rc=1; }
cgroups_after=$(ls -d "$ROOT"/supd-sandbox.* 2>/dev/null)
new_cgroups=$(comm -13 <(echo "$cgroups_before") <(echo "$cgroups_after"))
[ -z "$new_cgroups" ] || { echo "FAIL: cgroup left: $new_cgroups"; rc=1; }
if grep -q "$W" /proc/self/mountinfo; then echo "FAIL: a mount under $W is left"; rc=1; fi
[ "$(grep -c . /proc/self/mountinfo)" -eq "$mounts_before" ] || { echo "FAIL: the host's mount count changed"; rc=1; }
[ "$had_system" = yes ] || [ ! -e /run/systemd/system ] || { echo "FAIL: /run/systemd/system appeared on the host"; rc=1; }
[ $rc -eq 0 ] && echo "PASS"
exit $rc
