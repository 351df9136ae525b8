#include "daemon/process/cgroup_sweep.hpp"
#include "daemon/process/cgroup.hpp"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

namespace supd::daemon {
namespace fs = std::filesystem;

std::size_t kill_rest_of_service_cgroup() {
  std::ifstream self("/proc/self/cgroup");
  std::stringstream text;
  text << self.rdbuf();
  const std::string cgroup = own_cgroup_path(text.str());
  const std::string unit = cgroup.ends_with("/supd") ? cgroup.substr(0, cgroup.size() - 5) : cgroup;
  if (unit.size() < 9 || !unit.ends_with(".service")) return 0;
  // The v2 hierarchy: at /sys/fs/cgroup (unified), or /sys/fs/cgroup/unified (hybrid).
  for (const char* root : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
    std::ifstream procs(fs::path(root + cgroup) / "cgroup.procs");
    if (!procs) continue;
    std::vector<pid_t> killed;
    for (pid_t pid = 0; procs >> pid;)
      if (pid != ::getpid() && ::kill(pid, SIGKILL) == 0) killed.push_back(pid);
    if (!killed.empty())
      spdlog::info("killed {} process(es) left in {} after every job stopped: {}", killed.size(),
                   fs::path(cgroup).filename().string(), fmt::join(killed, " "));
    return killed.size();
  }
  return 0;
}

}  // namespace supd::daemon
