#!/usr/bin/env bash
# Builds the libFuzzer targets in their own tree (clang, ASan + UBSan) and runs each one for
# FUZZ_SECONDS. Used by `make fuzz` (600 s each) and `make fuzz-smoke` (30 s each, CI).
#   scripts/fuzz.sh BUILD_DIR SECONDS [target...]      default: every target (see below)
# Targets run FUZZ_JOBS at a time (default: one per CPU), so the smoke of 7 targets takes
# 4 x 30 s on 2 CPUs. New interesting inputs go to BUILD_DIR/fuzz/corpus/<target>/ (the seeds
# in fuzz/corpus/ stay as committed); a crash is saved as BUILD_DIR/fuzz/crash-* and fails
# the run; each target's output is in BUILD_DIR/fuzz/<target>.log.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
usage="usage: scripts/fuzz.sh BUILD_DIR SECONDS [target...]"
build=${1:?$usage}
seconds=${2:?$usage}
shift 2
all_targets=(protocol round_trip config signal parsers line_splitter control_server)  # fuzz/CMakeLists.txt
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  [[ " ${all_targets[*]} " == *" $t "* ]] || { echo "fuzz: no target $t (have: ${all_targets[*]})" >&2; exit 2; }
done

bash scripts/deps.sh --fuzz
# -O1 -gline-tables-only, as OSS-Fuzz builds: fast enough to run, quicker to build than -O2 -g
# (the smoke's budget includes this build), and stack traces still have file:line.
[ -f "$build/build.ninja" ] ||
  cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang -DSUPD_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG"
cmake --build "$build" -j "${JOBS:-$(nproc)}" --target "${targets[@]/#/fuzz_}"
# FUZZ_BUILD_ONLY=1: the build alone (CI builds the tree beside other work, then runs the smoke).
[ -z "${FUZZ_BUILD_ONLY:-}" ] || exit 0

# Any sanitizer report is a finding; leaks too. ASan needs <= 28 bits of mmap randomness here.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
rnd_bits=$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 0)
if [ "$rnd_bits" -gt 28 ]; then
  if [ -w /proc/sys/vm/mmap_rnd_bits ] && echo 28 >/proc/sys/vm/mmap_rnd_bits; then
    echo "fuzz: vm.mmap_rnd_bits lowered from $rnd_bits to 28 for ASan" >&2
  else
    echo "fuzz: warning: vm.mmap_rnd_bits is $rnd_bits; ASan may crash spuriously" >&2
  fi
fi

run_target() {
  local t=$1 work="$build/fuzz/corpus/$1"
  mkdir -p "$work"
  # -max_len: requests are capped at 1 MiB by supd but the decoders' paths are all reached by
  # small inputs (fuzz_control_server builds its over-long lines itself); 64 KiB keeps the runs
  # fast. -timeout: one input taking 10 s is a hang.
  "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build/fuzz/$t-" "$work" "fuzz/corpus/$t" >"$build/fuzz/$t.log" 2>&1
}

declare -A running=()  # pid -> target
status=0
finish_one() {  # waits for any running target and reports it
  local pid rc=0
  wait -n -p pid "${!running[@]}" || rc=$?
  local t=${running[$pid]}
  unset "running[$pid]"
  if [ "$rc" -eq 0 ]; then
    echo "== fuzz_$t: ok ($(grep -ho 'stat::number_of_executed_units: *[0-9]*' "$build/fuzz/$t.log" | grep -o '[0-9]*$' || echo '?') inputs)"
  else
    echo "== fuzz_$t: FAILED; its input is in $build/fuzz/$t-* (crash-, leak-, timeout-); log $build/fuzz/$t.log" >&2
    tail -n 40 "$build/fuzz/$t.log" >&2
    status=1
  fi
}
jobs=${FUZZ_JOBS:-$(nproc)}
echo "== fuzzing ${targets[*]} for ${seconds}s each, $jobs at a time"
for t in "${targets[@]}"; do
  [ "${#running[@]}" -lt "$jobs" ] || finish_one
  run_target "$t" &
  running[$!]=$t
done
while [ "${#running[@]}" -gt 0 ]; do finish_one; done
exit $status
