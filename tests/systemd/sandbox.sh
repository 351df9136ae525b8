#!/bin/bash
# sandbox.sh WORKDIR CMD [ARG...]: runs CMD next to a private `systemd --user` (Debian 12,
# systemd 252) that lives in its own cgroup-v2 subtree and in private mount and cgroup
# namespaces, as root. The project's copy of ../shared/reference/systemd-user-testing.md.
# Never start `systemd --user` outside such a sandbox: unconfined, it takes over the cgroups
# of every process on the machine.
#
# Inside, XDG_RUNTIME_DIR, XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_STATE_HOME and XDG_CACHE_HOME
# point into WORKDIR; unit files go in WORKDIR/config/systemd/user/. The manager's own output
# is WORKDIR/manager.log. Whatever happens (a failing CMD, a signal), every process of the
# subtree is killed and the subtree removed on the way out; the mounts die with the
# namespace. Exit status: CMD's.
set -eu
if [ "${1:-}" = --inner ]; then                     # second stage, inside the namespaces
  shift; W=$1; shift
  mount -n -t cgroup2 cgroup2 /sys/fs/cgroup         # the manager sees only its own subtree, pure v2
  mount -n -t tmpfs -o mode=755 tmpfs /run/systemd   # private; sd_booted() wants /run/systemd/system/
  mkdir /run/systemd/system
  export XDG_RUNTIME_DIR=$W/xdg XDG_CONFIG_HOME=$W/config XDG_DATA_HOME=$W/data XDG_STATE_HOME=$W/state XDG_CACHE_HOME=$W/cache
  unset NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID LISTEN_FDS LISTEN_PID LISTEN_FDNAMES DBUS_SESSION_BUS_ADDRESS
  /lib/systemd/systemd --user >"$W/manager.log" 2>&1 & M=$!
  for _ in $(seq 200); do systemctl --user is-system-running >/dev/null 2>&1 && break; sleep 0.05; done
  set +e; "$@"; rc=$?
  systemctl --user exit 2>/dev/null || kill $M
  wait $M
  exit $rc
fi

W=$(realpath -m "$1"); shift
ROOT=/sys/fs/cgroup/unified; [ -d $ROOT ] || ROOT=/sys/fs/cgroup    # hybrid host vs pure-v2 host
CG=$ROOT/supd-sandbox.$$

kill_subtree() {  # every process under $CG, deepest first, until none is left
  [ -d "$CG" ] || return 0
  if [ -e "$CG/cgroup.kill" ]; then echo 1 >"$CG/cgroup.kill" 2>/dev/null || true; fi
  for _ in $(seq 100); do
    local pids
    pids=$(find "$CG" -name cgroup.procs -exec cat {} + 2>/dev/null)
    [ -z "$pids" ] && break
    kill -9 $pids 2>/dev/null || true
    sleep 0.05
  done
  find "$CG" -depth -type d -exec rmdir {} \; 2>/dev/null || true
}
trap 'kill_subtree' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir "$CG"
mkdir -p -m700 "$W/xdg"; mkdir -p "$W/config/systemd/user" "$W/data" "$W/state" "$W/cache"
set +e
( echo $BASHPID >"$CG/cgroup.procs"; exec unshare --mount --cgroup --propagation private /bin/bash "$0" --inner "$W" "$@" )
rc=$?
exit $rc
