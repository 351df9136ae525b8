#!/usr/bin/env bash
# Builds the libFuzzer targets in their own tree (clang, ASan + UBSan) and runs each one for
# FUZZ_SECONDS. Used by `make fuzz` (600 s each) and `make fuzz-smoke` (60 s each, CI).
#   scripts/fuzz.sh BUILD_DIR SECONDS [target...]      targets: protocol config signal
# New interesting inputs go to BUILD_DIR/fuzz/corpus/<target>/ (the seeds in fuzz/corpus/
# stay as committed); a crash is saved as BUILD_DIR/fuzz/crash-* and fails the run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:?usage: scripts/fuzz.sh BUILD_DIR SECONDS [target...]}
seconds=${2:?usage: scripts/fuzz.sh BUILD_DIR SECONDS [target...]}
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(protocol config signal)

bash scripts/deps.sh --fuzz
[ -f "$build/build.ninja" ] ||
  cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang -DSUPD_FUZZ=ON
cmake --build "$build" -j "${JOBS:-$(nproc)}"

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

status=0
for t in "${targets[@]}"; do
  bin="$build/fuzz/fuzz_$t"
  [ -x "$bin" ] || { echo "fuzz: no target $t (have: protocol config signal)" >&2; exit 2; }
  work="$build/fuzz/corpus/$t"
  mkdir -p "$work"
  echo "== fuzz_$t for ${seconds}s (corpus $work + fuzz/corpus/$t)"
  # -max_len: requests are capped at 1 MiB by supd but the decoders' paths are all reached by
  # small inputs; 64 KiB keeps the runs fast. -timeout: one input taking 10 s is a hang.
  if ! "$bin" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$build/fuzz/" "$work" "fuzz/corpus/$t"; then
    echo "fuzz: fuzz_$t found a problem; the input is in $build/fuzz/ (crash-*, leak-*, timeout-*)" >&2
    status=1
  fi
done
exit $status
