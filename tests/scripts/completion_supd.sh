# Sourced by the completion tests (bash and zsh): a real supd in $dir with two jobs, alpha and
# beta-2, that the completions must offer. Needs $supd, $supctl, $dir and a say() function;
# sets $pid, which the caller's cleanup stops. Exits 1 when supd does not answer in 15 s.
start_completion_supd() {
  mkdir -m 0700 "$dir/run"
  cat > "$dir/supd.toml" <<'TOML'
[jobs.alpha]
command = ["sleep", "1000"]
autostart = false
[jobs.beta-2]
command = ["sleep", "1000"]
autostart = false
TOML
  env -i PATH="$PATH" HOME="$dir" XDG_RUNTIME_DIR="$dir/run" XDG_STATE_HOME="$dir/state" \
    "$supd" --config "$dir/supd.toml" --socket "$dir/run/supd.sock" --log-dir "$dir/logs" \
    >"$dir/supd.out" 2>&1 &
  pid=$!
  local _
  for _ in $(seq 150); do  # wait, with a deadline, until supd answers
    SUPD_SOCKET=$dir/run/supd.sock "$supctl" status >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { say "supd exited: $(cat "$dir/supd.out")"; exit 1; }
    sleep 0.1
  done
  SUPD_SOCKET=$dir/run/supd.sock "$supctl" status >/dev/null || { say "supd did not answer in 15s"; exit 1; }
}
