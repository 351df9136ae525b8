// TestDaemon: a real supd in a fresh temp dir, a supctl runner pointed at it, status
// helpers, the post-test invariants, and a cleanup that leaves no process behind.
//
// Layout of the temp dir (/tmp/supd-XXXXXX):
//   supd.toml     the config (@DIR@ @HELPERS@ @AMSA@ @LOGS@ @HOME@ replaced)
//   run/          0700, XDG_RUNTIME_DIR; the socket is run/supd.sock (or run/supd/supd.sock)
//   config/ state/ home/   XDG_CONFIG_HOME, XDG_STATE_HOME, HOME
//   logs/         --log-dir
//   supd.output   supd's own stdout and stderr, appended over restarts
//
// supd gets a clean environment carrying SUPD_TEST_TAG=<unique tag>; jobs inherit it, so
// every process a test caused is found through /proc/*/environ and killed at the end.
#pragma once
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sys/types.h>

#include <nlohmann/json.hpp>

#include "tests/support/files.hpp"
#include "tests/support/process.hpp"
#include "tests/support/procfs.hpp"
#include "tests/support/wait.hpp"

namespace supd::test {

using nlohmann::json;

// supctl exit codes (DESIGN.md).
inline constexpr int kOk = 0;
inline constexpr int kRefused = 1;
inline constexpr int kUsage = 2;
inline constexpr int kUnreachable = 3;

struct DaemonOptions {
  bool start = true;         // start supd (and wait until it answers) in the constructor
  bool pass_socket = true;   // --socket run/supd.sock; else the XDG default run/supd/supd.sock
  bool pass_log_dir = true;  // --log-dir logs/; else the XDG default state/supd/logs
  std::optional<mode_t> umask;                // supd's umask
  std::vector<std::pair<int, int>> keep_fds;  // {fd in supd, fd in the test} left open in supd
  std::vector<std::string> extra_args;
  std::string binary;  // the supd to run; "" = the one built (SUPD_BIN)
  // A command put before supd's own (e.g. setpriv to run it as another uid); it must exec
  // supd in place, so pid() is supd's.
  std::vector<std::string> wrapper;
  // The same for every supctl the harness runs: supctl talks only to a supd of its own uid
  // (or root's), so a supd run as another uid is asked by a supctl run as that uid too.
  std::vector<std::string> ctl_wrapper;
};

using CtlResult = RunResult;

// Exactly one non-empty line, '\n'-terminated: what every supctl failure prints on stderr.
bool is_one_line(const std::string& text);
// A refused reload's stderr: one config error a line, as `supd --check` prints them, then one
// "supctl: ..." line saying what it means.
bool is_error_list(const std::string& text);

class TestDaemon {
public:
  explicit TestDaemon(std::string_view toml, DaemonOptions options = {});
  ~TestDaemon();  // never throws; SIGKILLs everything when unwinding from a failure
  TestDaemon(const TestDaemon&) = delete;
  TestDaemon& operator=(const TestDaemon&) = delete;

  // ---- where things are
  const fs::path& dir() const { return dir_.path(); }
  fs::path config_path() const { return dir() / "supd.toml"; }
  fs::path socket() const;
  fs::path log_dir() const;
  fs::path log_file(std::string_view job) const { return log_dir() / (std::string(job) + ".out"); }
  std::string read_log(std::string_view job) const { return read_file(log_file(job)); }
  std::string supd_output() const { return read_file(dir() / "supd.output"); }
  const std::string& tag() const { return tag_; }
  const std::vector<std::string>& env() const { return env_; }
  std::string expand(std::string_view text) const;  // the @...@ placeholders

  // ---- supd itself
  std::vector<std::string> supd_flags() const;  // --config, and --socket/--log-dir as configured
  void start();                                 // spawns supd and REQUIREs that it answers
  void set_binary(std::string path) { options_.binary = std::move(path); }  // for the next start
  pid_t spawn_supd(const std::vector<std::string>& extra_args = {});  // no waiting
  bool wait_ready(Millis deadline = 30s);       // false (and pid() == 0) if supd exited
  RunResult run_supd(const std::vector<std::string>& args, Millis timeout = 30s) const;  // SUPD_BIN args
  pid_t pid() const { return pid_; }
  bool running() const;
  void kill_daemon(int signo);                           // kill(2) to supd
  std::optional<int> wait_daemon_exit(Millis deadline);  // wait status; pid() becomes 0
  std::optional<int> last_exit_status() const { return last_exit_status_; }

  // ---- supctl
  CtlResult ctl(const std::vector<std::string>& args, Millis timeout = 60s) const;   // with --socket
  CtlResult ctl_bare(const std::vector<std::string>& args, Millis timeout = 60s) const;  // without
  std::optional<json> status_json(const std::vector<std::string>& jobs = {});  // --json status
  std::optional<json> job(std::string_view name);  // its row of --json status
  std::string state(std::string_view name);        // "" if unknown
  pid_t job_pid(std::string_view name);            // 0 if none
  bool wait_state(std::string_view name, std::string_view state, Millis deadline = 15s);
  pid_t wait_running(std::string_view name, Millis deadline = 15s);  // its pid, 0 on timeout
  // Waits until `name` runs with a pid other than `old_pid` (a restart); the new pid or 0.
  pid_t wait_new_pid(std::string_view name, pid_t old_pid, Millis deadline = 15s);

  // ---- processes
  std::vector<pid_t> tagged() const;      // live processes with the tag, supd and its fd holder excluded
  std::size_t supd_fd_count() const;
  // Invariant 4: supd's fds now (after earlier supctl connections have been closed);
  // check_invariants() then expects them back. Take it when the jobs are in the state they
  // will be in at the check: it is for client traffic.
  void record_fd_baseline();

  // ---- the post-test invariants (TESTPLAN): Catch CHECKs, so a failure names itself
  // Answers, same pid; tagged = the jobs' sessions; no zombies; fds back to the baseline
  // (when recorded); run dir 0700 and socket 0600.
  void check_invariants();
  void shutdown_and_check(); // supctl shutdown: 0, supd exit 0, socket gone, nothing left, then 3
  void finish() { shutdown_and_check(); }

  void kill_everything() noexcept;  // SIGKILL supd and everything tagged

private:
  void remember_pids(const json& status);
  void cleanup() noexcept;

  TempDir dir_;
  std::string tag_;
  DaemonOptions options_;
  std::vector<std::string> env_;
  pid_t pid_ = 0;
  std::optional<int> last_exit_status_;
  std::optional<FdCensus> fd_baseline_;
  std::map<pid_t, unsigned long long> seen_job_pids_;  // pid -> starttime, for cleanup
  // The cgroup subtree supd made for its jobs ("supd-KEY", as root), removed at cleanup even
  // when the test killed supd with SIGKILL and never started it again.
  std::optional<fs::path> cgroup_subtree_;
};

}  // namespace supd::test
