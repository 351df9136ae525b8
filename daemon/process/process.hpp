// The real spawn/signal layer over POSIX, behind ProcessOps (the reaping: child_reaper).
#pragma once
#include <vector>

#include "common/exit_status.hpp"
#include "daemon/core/process_ops.hpp"
#include "daemon/process/spawn_slots.hpp"

namespace supd::daemon {

class ChildReaper;
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
  // Told of every job process spawned, so its exit is reaped by its pidfd (null: by sweeps only).
  void use_reaper(ChildReaper* reaper) { reaper_ = reaper; }

private:
  // The child's fds into slots_, and the plan pointed at them; false (errno set) if a dup fails.
  bool into_slots(ExecPlan& plan);

  const Cgroups* cgroups_ = nullptr;
  ChildReaper* reaper_ = nullptr;
  SpawnSlots slots_;  // made with supd's first fds, in main
};

// Variables a job must never inherit from supd (systemd's notify/activation/watchdog).
bool is_private_variable(std::string_view name_eq_value);

}  // namespace supd::daemon
