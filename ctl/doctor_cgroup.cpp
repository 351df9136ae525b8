// doctor's cgroups line: whether supd gives each job its own cgroup (it moves itself into a
// leaf named "supd" when it does), and which controllers the jobs' limits may use. Gathered
// from files under a root the tests can point elsewhere, judged by a pure check.
#include <algorithm>
#include <fstream>
#include <sstream>
#include <system_error>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ctl/doctor.hpp"
#include "ctl/render.hpp"

namespace supd::ctl {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kWanted[] = {"cpu", "memory", "pids"};
constexpr std::string_view kHowToDelegate =
    "run supd as root, or as a systemd user service with Delegate=yes (the installed supd.service has it)";

std::optional<std::string> read_text(const fs::path& p) {
  std::ifstream in(p);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

CgroupFacts gather_cgroup_facts(const fs::path& root, const std::optional<std::string>& supd_cgroup_text) {
  CgroupFacts f;
  if (!supd_cgroup_text) return f;
  f.known = true;
  std::istringstream in(*supd_cgroup_text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("0::", 0) == 0) f.path = line.substr(3);
  // The v2 hierarchy: /sys/fs/cgroup on a unified machine, /sys/fs/cgroup/unified on a hybrid one.
  for (const char* mount : {"sys/fs/cgroup", "sys/fs/cgroup/unified"}) {
    std::error_code ec;
    if (fs::exists(root / mount / "cgroup.controllers", ec)) {
      f.mount = root / mount;
      break;
    }
  }
  if (!f.path || f.mount.empty()) return f;
  const fs::path base = fs::path(*f.path).parent_path();
  if (const auto text = read_text(f.mount / base.relative_path() / "cgroup.subtree_control")) {
    std::istringstream words(*text);
    for (std::string w; words >> w;) f.controllers.push_back(w);
  }
  return f;
}

Check check_cgroups(const SocketFacts& socket, const CgroupFacts& f) {
  const auto make = [](CheckStatus status, std::string message) {
    return make_check("cgroups", status, std::move(message));
  };
  if (!f.known)
    return make(socket.state == SocketFacts::State::Answers ? CheckStatus::Warn : CheckStatus::NotApplicable,
                "not checked: cannot read supd's /proc/PID/cgroup (see the socket line)");
  if (!f.path || f.mount.empty())
    return make(CheckStatus::Warn, fmt::format("no cgroup v2 hierarchy here: each job is tracked by its process "
                                               "group, so a daemon that calls setsid escapes its stop; memory_max, "
                                               "cpu_max and pids_max are not applied"));
  if (!f.path->ends_with("/supd"))
    return make(CheckStatus::Warn,
                fmt::format("supd runs in cgroup {}, where it may not make one per job: each job is tracked by its "
                            "process group (a daemon that calls setsid escapes its stop) and memory_max, cpu_max and "
                            "pids_max are not applied; {}",
                            printable(*f.path), kHowToDelegate));
  std::vector<std::string_view> missing;
  for (const auto c : kWanted)
    if (std::find(f.controllers.begin(), f.controllers.end(), c) == f.controllers.end()) missing.push_back(c);
  const std::string base = fs::path(*f.path).parent_path().string();
  if (missing.empty())
    return make(CheckStatus::Ok, fmt::format("each job runs in its own cgroup below {}, with the cpu, memory and "
                                             "pids controllers for its limits", printable(base)));
  return make(CheckStatus::Warn,
              fmt::format("each job runs in its own cgroup below {} (its stop reaches every process), but the {} "
                          "controller{} {} not delegated there, so {} {} not applied (a hybrid cgroup layout holds them "
                          "in v1; or {})",
                          printable(base), fmt::join(missing, ", "), missing.size() > 1 ? "s" : "",
                          missing.size() > 1 ? "are" : "is",
                          fmt::join([&] {
                            std::vector<std::string_view> keys;
                            for (const auto c : missing)
                              keys.push_back(c == "memory" ? "memory_max and memory_high"
                                             : c == "cpu"  ? "cpu_max"
                                                           : "pids_max");
                            return keys;
                          }(), ", "),
                          missing.size() > 1 || missing.front() == "memory" ? "are" : "is", kHowToDelegate));
}

}  // namespace supd::ctl
