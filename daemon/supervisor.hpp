// Owns the jobs: feeds events into the pure state machine, records the result, and carries the
// actions out through ProcessOps. The only place that calls ProcessOps. Knows nothing of Asio.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/exit_status.hpp"
#include "common/fd.hpp"
#include "common/protocol.hpp"
#include "config/job_spec.hpp"
#include "daemon/job_state.hpp"
#include "daemon/origin.hpp"
#include "daemon/output_sink.hpp"
#include "daemon/process_ops.hpp"

namespace supd::daemon {

struct Job {
  config::JobSpec spec;
  JobRuntime rt;
  pid_t pid = 0;                 // main process while rt.main_alive
  pid_t pgid = 0;                // its process group (= the first pid), kept until the group is empty
  common::UniqueFd pidfd;
  TimePoint started_at{};
  int spawns = 0;
  std::optional<common::ExitStatus> last_exit;
  std::string error;             // the last spawn error, shown while fatal/backoff

  int restarts() const { return spawns > 1 ? spawns - 1 : 0; }
};

class Supervisor {
public:
  Supervisor(ProcessOps& ops, OutputSink& output, config::Config config, std::filesystem::path log_dir);

  void start_autostart_jobs(TimePoint now);

  // Requests. Unknown names are the caller's to check (find()).
  void start(Job& job, const Origin& who, TimePoint now);
  void stop(Job& job, const Origin& who, TimePoint now);
  void restart(Job& job, const Origin& who, TimePoint now);
  // 0, or an errno (ESRCH when the job has no process). Never reaches a reaped process.
  int signal(Job& job, int signo, bool group, const Origin& who);

  // Events from the loop.
  void on_reaped(pid_t pid, const common::ExitStatus& status, TimePoint now);
  void on_deadline(TimePoint now);
  // Forgets process groups that are empty now (and ends stops waiting on them): called after
  // reaping an orphan, and polled for adopted jobs, whose members are not our descendants.
  void on_group_check(TimePoint now);
  void forward(int signo);  // a signal supd received: relayed to jobs that list it

  std::optional<TimePoint> next_deadline() const;

  void begin_shutdown(TimePoint now);
  bool shutting_down() const { return shutting_down_; }
  bool shutdown_complete() const;
  // `shutdown --leave-running`: supd exits at once, its jobs stay for the next supd to adopt.
  void leave_running() { shutting_down_ = leaving_running_ = true; }
  bool leaving_running() const { return leaving_running_; }

  Job* find(std::string_view name);
  std::vector<Job>& jobs() { return jobs_; }
  const std::vector<Job>& jobs() const { return jobs_; }
  const std::filesystem::path& log_dir() const { return log_dir_; }

  protocol::JobStatus status_of(const Job& job, TimePoint now) const;
  std::string summary() const;  // "3 running, 1 fatal"

private:
  void feed(Job& job, const JobEvent& event, TimePoint now, const Origin& who);
  void execute(Job& job, const JobAction& action, TimePoint now, const Origin& who);
  void do_spawn(Job& job, TimePoint now, const Origin& who);
  int deliver(Job& job, int signo, bool group, const Origin& who);

  ProcessOps& ops_;
  OutputSink& output_;
  config::Config config_;
  std::filesystem::path log_dir_;
  std::vector<Job> jobs_;  // stable after construction (reload will rebuild carefully)
  bool shutting_down_ = false;
  bool leaving_running_ = false;
};

}  // namespace supd::daemon
