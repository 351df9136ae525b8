#include "daemon/process/oom.hpp"

#include <fstream>
#include <sstream>
#include <string>

#include "daemon/process/cgroup.hpp"

namespace supd::daemon {

std::optional<long> read_oom_kills() {
  std::ifstream self("/proc/self/cgroup");
  std::stringstream cgroup;
  cgroup << self.rdbuf();
  const std::string path = own_cgroup_path(cgroup.str());  // the v2 (unified) hierarchy
  if (path.empty()) return std::nullopt;
  std::ifstream events("/sys/fs/cgroup" + path + "/memory.events");
  std::stringstream text;
  text << events.rdbuf();
  const auto parsed = parse_memory_events(text.str());
  if (!parsed) return std::nullopt;
  return parsed->oom_kill;
}

}  // namespace supd::daemon
