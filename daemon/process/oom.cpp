#include "daemon/process/oom.hpp"

#include <fstream>
#include <string>

namespace supd::daemon {

std::optional<long> read_oom_kills() {
  std::ifstream cgroup("/proc/self/cgroup");
  std::string line, path;
  while (std::getline(cgroup, line))
    if (line.rfind("0::", 0) == 0) path = line.substr(3);  // the v2 (unified) hierarchy
  if (path.empty()) return std::nullopt;
  std::ifstream events("/sys/fs/cgroup" + path + "/memory.events");
  std::string key;
  long value = 0;
  while (events >> key >> value)
    if (key == "oom_kill") return value;
  return std::nullopt;
}

}  // namespace supd::daemon
