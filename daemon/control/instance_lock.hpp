// One supd per log dir (so, by default, per user and state dir): an flock on
// `<log_dir>/.supd.lock` held for supd's lifetime, naming its pid and socket. Two supds started
// with different XDG_RUNTIME_DIRs would otherwise both run every job into the same files.
#pragma once
#include <filesystem>

#include "common/fd.hpp"
#include "daemon/core/startup_error.hpp"

namespace supd::daemon {

class InstanceLock {
public:
  // Takes the lock or throws StartupError naming the running supd's pid and socket and the
  // commands that reach it. Close-on-exec: `upgrade`'s new image takes it again.
  explicit InstanceLock(const std::filesystem::path& log_dir);

  // Writes who holds it, once the socket is known (systemd may have chosen it).
  void record(const std::filesystem::path& socket) const;

private:
  common::UniqueFd fd_;
};

}  // namespace supd::daemon
