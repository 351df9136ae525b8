#include "daemon/process/oom.hpp"

#include <fstream>
#include <sstream>
#include <string>

#include "daemon/process/cgroup.hpp"

namespace supd::daemon {

namespace {

std::string read_own_cgroup() {
  std::ifstream self("/proc/self/cgroup");
  std::stringstream cgroup;
  cgroup << self.rdbuf();
  return own_cgroup_path(cgroup.str());  // the v2 (unified) hierarchy
}

}  // namespace

std::optional<long> read_oom_kills() {
  // Asked at every spawn; supd's own cgroup is where it was started (supd never moves itself),
  // so it is read once, not once a spawn.
  static const std::string path = read_own_cgroup();
  if (path.empty()) return std::nullopt;
  std::ifstream events("/sys/fs/cgroup" + path + "/memory.events");
  std::stringstream text;
  text << events.rdbuf();
  const auto parsed = parse_memory_events(text.str());
  if (!parsed) return std::nullopt;
  return parsed->oom_kill;
}

}  // namespace supd::daemon
