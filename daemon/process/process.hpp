// The real spawn/signal/reap layer over POSIX, behind ProcessOps.
#pragma once
#include <vector>

#include "common/exit_status.hpp"
#include "daemon/core/process_ops.hpp"
#include "daemon/process/spawn_slots.hpp"

namespace supd::daemon {

class Cgroups;
struct ExecPlan;

class PosixProcessOps final : public ProcessOps {
public:
  SpawnResult spawn(const config::JobSpec& spec, const std::filesystem::path& log_dir) override;
  int send_signal(std::string_view job, pid_t pid, int pidfd, int signo, bool group) override;
  bool group_alive(std::string_view job, pid_t pgid) override;
  std::optional<long> oom_kills(std::string_view job) override;
  bool group_listens(pid_t pgid) override;
  std::vector<pid_t> cgroup_pids(std::string_view job) override;

  // Each job in its own cgroup below supd's, where supd may write one (null: process groups only).
  void use_cgroups(const Cgroups* cgroups) { cgroups_ = cgroups; }

private:
  // The child's fds into slots_, and the plan pointed at them; false (errno set) if a dup fails.
  bool into_slots(ExecPlan& plan);

  const Cgroups* cgroups_ = nullptr;
  SpawnSlots slots_;  // made with supd's first fds, in main
};

struct Reaped {
  pid_t pid;
  common::ExitStatus status;
};

// Every child that has exited, without blocking. One SIGCHLD may stand for several exits, and
// as a sub-reaper supd also collects orphans of its jobs here.
std::vector<Reaped> reap_all();

// Variables a job must never inherit from supd (systemd's notify/activation/watchdog).
bool is_private_variable(std::string_view name_eq_value);

}  // namespace supd::daemon
