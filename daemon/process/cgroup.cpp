#include "daemon/process/cgroup.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "common/read_blocks.hpp"
#include "common/sys_error.hpp"

namespace supd::daemon {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kLeaf = "supd";  // supd's own leaf in its subtree
constexpr std::string_view kWanted[] = {"cpu", "memory", "pids"};
constexpr std::string_view kHowToDelegate =
    "run supd as root, or as a systemd user service with Delegate=yes (the installed supd.service has it)";

std::optional<std::string> read_text(const fs::path& p) { return common::read_text(p.c_str()); }

// One write, as cgroupfs wants each value; 0 or the errno.
int write_text(const fs::path& p, std::string_view text) {
  common::UniqueFd fd(::open(p.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd) return errno;
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) return errno;
  return 0;
}

// 0 when the directory is there now (made or found), else the errno.
int make_dir(const fs::path& p) { return ::mkdir(p.c_str(), 0755) == 0 || errno == EEXIST ? 0 : errno; }

bool is_cgroup2(const char* path) {
  struct statfs st {};
  return ::statfs(path, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

fs::path under(const fs::path& root, std::string_view path) { return root / fs::path(path).relative_path(); }

}  // namespace

std::string own_cgroup_path(std::string_view text) {
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);)
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  return {};
}

std::string base_for(std::string_view own, std::string_view key) {
  std::string path(own);
  if (path.ends_with(fmt::format("/{}", kLeaf))) path.resize(path.size() - kLeaf.size() - 1);
  if (path.empty()) path = "/";
  const std::string last = fs::path(path).filename().string();
  const std::string mine = fmt::format("supd-{}", key);
  if (last.ends_with(".service") || last == mine) return path;
  return path == "/" ? "/" + mine : path + "/" + mine;
}

std::string cgroup_key(const fs::path& log_dir) {
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a: stable across builds, unlike std::hash
  std::string path = log_dir.lexically_normal().string();
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  for (const unsigned char c : path) h = (h ^ c) * 1099511628211ull;
  return fmt::format("{:012x}", h & 0xffffffffffffull);
}

std::string job_cgroup_name(std::string_view job) { return fmt::format("{}.job", job); }

bool parse_populated(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string key;
  long value = 0;
  while (in >> key >> value)
    if (key == "populated") return value != 0;
  return false;
}

std::optional<MemoryEvents> parse_memory_events(std::string_view text) {
  std::istringstream in{std::string(text)};
  MemoryEvents e;
  bool any = false;
  std::string key;
  long value = 0;
  while (in >> key >> value) {
    any = true;
    if (key == "high") e.high = value;
    else if (key == "max") e.max = value;
    else if (key == "oom") e.oom = value;
    else if (key == "oom_kill") e.oom_kill = value;
  }
  if (!any) return std::nullopt;
  return e;
}

std::vector<std::string> parse_words(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string memory_value(std::optional<std::uint64_t> bytes) { return bytes ? std::to_string(*bytes) : "max"; }

std::string cpu_max_value(std::optional<double> percent) {
  constexpr long kPeriod = 100000;  // microseconds, the kernel's default period
  if (!percent) return fmt::format("max {}", kPeriod);
  const long quota = std::max(1000L, static_cast<long>(*percent * kPeriod / 100.0 + 0.5));
  return fmt::format("{} {}", quota, kPeriod);
}

std::string pids_value(std::optional<long> count) { return count ? std::to_string(*count) : "max"; }

Cgroups::Cgroups(fs::path root, std::string base, std::vector<std::string> controllers)
    : root_(std::move(root)), base_(std::move(base)), controllers_(std::move(controllers)) {}

std::optional<Cgroups> Cgroups::set_up(std::string_view key, std::string& why) {
  const char* mount = is_cgroup2("/sys/fs/cgroup")           ? "/sys/fs/cgroup"
                      : is_cgroup2("/sys/fs/cgroup/unified") ? "/sys/fs/cgroup/unified"
                                                             : nullptr;
  if (mount == nullptr) {
    why = "no cgroup v2 hierarchy is mounted";
    return std::nullopt;
  }
  const auto own = own_cgroup_path(read_text("/proc/self/cgroup").value_or(""));
  if (own.empty()) {
    why = "/proc/self/cgroup names no cgroup v2 for supd";
    return std::nullopt;
  }
  return set_up_at(mount, own, key, why);
}

std::optional<Cgroups> Cgroups::set_up_at(const fs::path& root, std::string_view own, std::string_view key,
                                          std::string& why) {
  const std::string base = base_for(own, key);
  const fs::path dir = under(root, base);
  const fs::path leaf = dir / kLeaf;
  if (const int err = make_dir(dir); err != 0) {
    why = fmt::format("cannot make cgroup {}: {}; {}", base, common::errno_message(err), kHowToDelegate);
    return std::nullopt;
  }
  if (const int err = make_dir(leaf); err != 0) {
    why = fmt::format("cannot make cgroup {}/{}: {}; {}", base, kLeaf, common::errno_message(err), kHowToDelegate);
    return std::nullopt;
  }
  // Out of the subtree's top first: a cgroup that holds processes cannot hand controllers down.
  if (const int err = write_text(leaf / "cgroup.procs", "0"); err != 0) {
    why = fmt::format("cannot move supd into cgroup {}/{}: {}; {}", base, kLeaf, common::errno_message(err),
                      kHowToDelegate);
    return std::nullopt;
  }
  std::vector<std::string> offered;
  for (auto& c : parse_words(read_text(dir / "cgroup.controllers").value_or("")))
    if (std::find(std::begin(kWanted), std::end(kWanted), c) != std::end(kWanted)) offered.push_back(std::move(c));
  return Cgroups(root, base, std::move(offered));
}

bool Cgroups::has(std::string_view controller) const {
  if (std::find(controllers_.begin(), controllers_.end(), controller) == controllers_.end()) return false;
  // Enabled for the jobs at the first limit that needs it, not before: a unit's cgroup that
  // hands controllers down may hold no process, and systemd 252 puts the next supd there
  // after a crash (docs/design-decisions.md, "A cgroup per job").
  if (std::find(enabled_.begin(), enabled_.end(), controller) != enabled_.end()) return true;
  if (write_text(under(root_, base_) / "cgroup.subtree_control", fmt::format("+{}", controller)) != 0) return false;
  enabled_.emplace_back(controller);
  return true;
}

fs::path Cgroups::path_of(std::string_view job) const { return under(root_, base_) / job_cgroup_name(job); }

common::UniqueFd Cgroups::prepare(std::string_view job, const config::CgroupLimits& limits,
                                  std::vector<std::string>& missing, std::string& error) const {
  const fs::path dir = path_of(job);
  if (const int err = make_dir(dir); err != 0) {
    error = fmt::format("cannot make cgroup {}: {}", dir.filename().string(), common::errno_message(err));
    return {};
  }
  struct Limit {
    std::string_view key, controller, file;
    bool set;
    std::string value;
  };
  const Limit all[] = {
      {"memory_max", "memory", "memory.max", limits.memory_max.has_value(), memory_value(limits.memory_max)},
      {"memory_high", "memory", "memory.high", limits.memory_high.has_value(), memory_value(limits.memory_high)},
      {"cpu_max", "cpu", "cpu.max", limits.cpu_max_percent.has_value(), cpu_max_value(limits.cpu_max_percent)},
      {"pids_max", "pids", "pids.max", limits.pids_max.has_value(), pids_value(limits.pids_max)},
  };
  for (const auto& l : all) {
    const bool enabled = std::find(enabled_.begin(), enabled_.end(), l.controller) != enabled_.end();
    if (!l.set && !enabled) continue;  // nothing asked, nothing to lift
    if (!has(l.controller)) {
      if (l.set)
        missing.push_back(fmt::format("{} is not applied: the {} controller is not delegated to supd here", l.key,
                                      l.controller));
      continue;
    }
    // Unset limits are written as "max" too, so a reload that drops one lifts it.
    if (const int err = write_text(dir / l.file, l.value); err != 0 && l.set)
      missing.push_back(fmt::format("{} is not applied: {}: {}", l.key, l.file, common::errno_message(err)));
  }
  common::UniqueFd procs(::open((dir / "cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC));
  if (!procs) error = fmt::format("cannot open {}/cgroup.procs: {}", dir.filename().string(), common::errno_message(errno));
  return procs;
}

bool Cgroups::populated(std::string_view job) const {
  const auto text = read_text(path_of(job) / "cgroup.events");
  return text && parse_populated(*text);
}

std::vector<pid_t> Cgroups::pids(std::string_view job) const {
  std::vector<pid_t> out;
  for (const auto& w : parse_words(read_text(path_of(job) / "cgroup.procs").value_or("")))
    out.push_back(static_cast<pid_t>(std::stol(w)));
  return out;
}

std::size_t Cgroups::kill_all(std::string_view job) const {
  const auto there = pids(job);
  if (there.empty() || write_text(path_of(job) / "cgroup.kill", "1") == 0) return there.size();
  // Before Linux 5.14: each process, and again for what forked meanwhile.
  for (int round = 0; round < 3; ++round) {
    const auto now = round == 0 ? there : pids(job);
    if (now.empty()) break;
    for (const pid_t p : now) ::kill(p, SIGKILL);
  }
  return there.size();
}

std::optional<MemoryEvents> Cgroups::memory_events(std::string_view job) const {
  if (std::find(enabled_.begin(), enabled_.end(), "memory") == enabled_.end()) return std::nullopt;
  const auto text = read_text(path_of(job) / "memory.events");
  if (!text) return std::nullopt;
  return parse_memory_events(*text);
}

void Cgroups::kill_all_jobs() const {
  const fs::path dir = under(root_, base_);
  std::error_code ec;
  std::vector<std::string> jobs;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const auto name = entry.path().filename().string();
    if (entry.is_directory(ec) && name.ends_with(".job")) jobs.push_back(name.substr(0, name.size() - 4));
  }
  for (const auto& job : jobs) kill_all(job);
  // A killed process leaves its cgroup as it exits: a moment, bounded here.
  for (int i = 0; i < 100; ++i) {
    if (std::none_of(jobs.begin(), jobs.end(), [this](const std::string& j) { return populated(j); })) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void Cgroups::release() const {
  const fs::path dir = under(root_, base_);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))  // the empty ones: a populated one stays
    if (entry.path().filename().string().ends_with(".job")) ::rmdir(entry.path().c_str());
  // A subtree of supd's own making ("supd-KEY" below where it started) goes too, once no job's
  // cgroup is left in it: supd steps back into the cgroup it came from. A systemd unit's
  // cgroup is systemd's to remove.
  const fs::path base(base_);
  if (!base.filename().string().starts_with("supd-")) return;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().filename().string().ends_with(".job")) return;  // jobs left running: their cgroups stay
  if (write_text(under(root_, base.parent_path().string()) / "cgroup.procs", "0") != 0) return;
  ::rmdir((dir / kLeaf).c_str());
  ::rmdir(dir.c_str());
}

}  // namespace supd::daemon
