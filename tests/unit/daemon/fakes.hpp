// Fakes and helpers shared by the daemon unit tests and the control-server fuzz target: a
// ProcessOps that records calls as strings ("spawn amsa", "signal 1000 TERM group") over a
// tiny model of the kernel's process table, an OutputSink that records attach/drain, and job
// spec builders. No test framework here (the fuzz target links none); the Catch printers
// are in daemon_fakes.hpp.
#pragma once
#include <chrono>
#include <csignal>
#include <deque>
#include <fcntl.h>
#include <functional>
#include <map>
#include <stdexcept>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/exit_status.hpp"
#include "common/signals.hpp"
#include "config/job_spec.hpp"
#include "daemon/core/job_state.hpp"
#include "daemon/core/output_sink.hpp"
#include "daemon/core/process_ops.hpp"
#include "daemon/core/supervisor.hpp"

namespace supd::daemon::test {

using namespace std::chrono_literals;
using common::ExitStatus;
using config::JobSpec;
using config::RestartPolicy;

// The supervisor logs every transition; the tests read calls, not log lines.
[[maybe_unused]] inline const bool kQuietLogs = [] {
  spdlog::set_level(spdlog::level::off);
  return true;
}();

// ---- job specs ---------------------------------------------------------------------------

struct SpecOptions {
  RestartPolicy restart = RestartPolicy::OnFailure;
  std::chrono::milliseconds start_secs = 1s;
  int start_retries = 3;
  std::chrono::milliseconds backoff_initial = 1s;
  std::chrono::milliseconds backoff_max = 60s;
  int stop_signal = SIGTERM;
  std::chrono::milliseconds stop_timeout = 10s;
  std::vector<int> forward_signals = {};
  bool autostart = true;
  std::optional<std::chrono::milliseconds> fatal_retry_after = {};
};

inline JobSpec named_spec(std::string name, const SpecOptions& o = {}) {
  JobSpec spec;
  spec.name = name;
  spec.argv = {name};
  spec.directory = "/srv";
  spec.autostart = o.autostart;
  spec.restart = o.restart;
  spec.start_secs = o.start_secs;
  spec.start_retries = o.start_retries;
  spec.backoff_initial = o.backoff_initial;
  spec.backoff_max = o.backoff_max;
  spec.stop_signal = o.stop_signal;
  spec.stop_timeout = o.stop_timeout;
  spec.forward_signals = o.forward_signals;
  spec.fatal_retry_after = o.fatal_retry_after;
  spec.stdout_file = std::move(name) + ".out";
  return spec;
}

inline JobSpec make_spec(const SpecOptions& o = {}) { return named_spec("amsa", o); }

inline config::Config config_of(std::vector<JobSpec> jobs) {
  config::Config c;
  c.jobs = std::move(jobs);
  return c;
}

// ---- the fake process layer --------------------------------------------------------------

// A spawn that the fake makes fail, as PosixProcessOps reports it.
struct SpawnFailure {
  std::string error;  // "exec nope: No such file or directory"
  bool permanent = true;
};

// Records every call; keeps a model of which main processes and process groups exist, so a
// test (or the random walk) can tell a signal to a dead target from a legitimate one.
class FakeProcessOps final : public ProcessOps {
public:
  std::vector<std::string> calls;          // "spawn amsa", "signal 1000 TERM group", "signal 1000 USR1"
  std::deque<SpawnFailure> failures;       // the next spawns fail, in order; then they succeed
  pid_t next_pid = 1000;                   // pids handed out in sequence
  std::set<pid_t> live;                    // main processes spawned and not yet reaped
  std::set<pid_t> live_groups;             // process groups with live members (pgid = leader pid)
  std::map<pid_t, std::string> owner;      // pid -> job name
  bool give_pidfd = false;                 // spawn returns a real fd (of /dev/null) as the pidfd
  std::vector<int> pidfds_used;            // the pidfd argument of every non-group signal
  int signal_errno = 0;                    // what send_signal answers
  std::vector<std::string> violations;     // signals that reached a dead target
  std::map<std::string, std::string> last_environment;  // spec.environment of the last spawn
  std::vector<std::string> spawn_warnings;  // what each spawn could not give the job (a cgroup limit)

  SpawnResult spawn(const JobSpec& spec, const std::filesystem::path& /*log_dir*/) override {
    calls.push_back("spawn " + spec.name);
    last_environment = spec.environment;
    SpawnResult r;
    if (!failures.empty()) {
      r.error = failures.front().error;
      r.permanent = failures.front().permanent;
      failures.pop_front();
      return r;
    }
    r.pid = next_pid++;
    r.warnings = spawn_warnings;
    live.insert(r.pid);
    live_groups.insert(r.pid);
    owner[r.pid] = spec.name;
    if (give_pidfd) r.pidfd = common::UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (on_spawn) on_spawn(spec);
    return r;
  }

  int send_signal(std::string_view /*job*/, pid_t pid, int pidfd, int signo, bool group) override {
    calls.push_back(fmt::format("signal {} {}{}", pid, common::signal_name(signo), group ? " group" : ""));
    if (group ? !live_groups.contains(pid) : !live.contains(pid))
      violations.push_back(calls.back() + ": no such " + (group ? "group" : "process"));
    if (!group) pidfds_used.push_back(pidfd);
    if (on_signal) on_signal(pid, signo, group);
    return signal_errno;
  }

  bool group_alive(std::string_view /*job*/, pid_t pgid) override { return live_groups.contains(pgid); }
  std::set<pid_t> listening;               // groups with a listening socket (ready = "listen")
  bool group_listens(pid_t pgid) override { return listening.contains(pgid); }
  // Called at every spawn that succeeds and every signal, after it is recorded (property tests).
  std::function<void(const JobSpec&)> on_spawn;
  std::function<void(pid_t, int, bool)> on_signal;
  std::optional<long> oom_kills(std::string_view /*job*/) override { return oom_kill_count; }
  std::optional<long> oom_kill_count;      // what the OOM counter says (nullopt: no cgroup v2)

  void fail_next_spawn(std::string error, bool permanent = true) {
    failures.push_back({std::move(error), permanent});
  }
  // How many live main processes belong to `job` (never more than one).
  int live_instances(const std::string& job) const {
    int n = 0;
    for (const pid_t pid : live)
      if (owner.at(pid) == job) ++n;
    return n;
  }
};

// Counts attach/drain; on_drain lets a test look at the supervisor at the moment of a drain.
class FakeOutputSink final : public OutputSink {
public:
  std::vector<std::string> calls;  // "attach amsa", "drain amsa"
  std::function<void(const std::string&)> on_drain;

  void attach(const std::string& job, std::vector<CaptureStream> /*streams*/) override {
    calls.push_back("attach " + job);
  }
  void drain(const std::string& job) override {
    calls.push_back("drain " + job);
    if (on_drain) on_drain(job);
  }
  void set_log_limits(const std::string& job, std::uint64_t max_size, int keep) override {
    calls.push_back(fmt::format("limits {} {} {}", job, max_size, keep));
  }
};

// A supervisor wired to the fakes, plus the kernel's side of a process ending.
struct Rig {
  FakeProcessOps ops;
  FakeOutputSink sink;
  Supervisor sup;

  explicit Rig(std::vector<JobSpec> jobs) : sup(ops, sink, config_of(std::move(jobs)), "/tmp/supd-test-logs") {}

  const Job& job(std::string_view name = "amsa") {
    const Job* j = sup.find(name);
    if (j == nullptr) throw std::logic_error("no job named " + std::string(name));  // fails the test
    return *j;
  }
  // The main process `pid` was reaped; its group empties with it unless `leftovers`.
  void reap(pid_t pid, ExitStatus status, TimePoint now, bool leftovers = false) {
    ops.live.erase(pid);
    if (!leftovers) ops.live_groups.erase(pid);
    sup.on_reaped(pid, status, now);
  }
  // The last leftover of group `pgid` (some orphan `pid`) was reaped: the group is empty.
  void reap_orphan(pid_t pgid, pid_t pid, TimePoint now) {
    ops.live_groups.erase(pgid);
    sup.on_reaped(pid, ExitStatus::killed(SIGKILL), now);
  }
  // supd's start-up: the autostart jobs started and every queued spawn done.
  void autostart(TimePoint now) {
    sup.start_autostart_jobs(now);
    sup.run_queued_spawns(~std::size_t{0}, now);
  }
  // Everything recorded since the last call, then forgets it.
  std::vector<std::string> take_calls() { return std::exchange(ops.calls, {}); }
};

}  // namespace supd::daemon::test

