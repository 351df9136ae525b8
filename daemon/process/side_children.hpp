// Children supd starts for itself, not for a job (the upgrade's `--check` of the new binary).
// While one runs, the loop reaps with waitid(P_ALL) (ChildReaper::sweep()); such a child's exit goes to whoever started
// it, never to the supervisor, and nobody else may wait for it (the loop would race them).
#pragma once
#include <sys/types.h>

#include <functional>
#include <unordered_map>
#include <utility>

#include "common/exit_status.hpp"

namespace supd::daemon {

class SideChildren {
public:
  using OnExit = std::function<void(const common::ExitStatus&)>;

  // Called on the loop right after the child is started, before the loop can reap it.
  void watch(pid_t pid, OnExit on_exit) { watched_[pid] = std::move(on_exit); }

  bool empty() const { return watched_.empty(); }

  // True when `pid` was a side child: its callback has run and it is forgotten.
  bool take(pid_t pid, const common::ExitStatus& status) {
    const auto it = watched_.find(pid);
    if (it == watched_.end()) return false;
    auto on_exit = std::move(it->second);
    watched_.erase(it);
    if (on_exit) on_exit(status);
    return true;
  }

private:
  std::unordered_map<pid_t, OnExit> watched_;
};

}  // namespace supd::daemon
