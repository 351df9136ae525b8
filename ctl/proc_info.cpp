#include "ctl/proc_info.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <csignal>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>

#include "common/signals.hpp"

namespace supd::ctl {
namespace {

namespace fs = std::filesystem;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

template <typename T>
std::optional<T> number(std::string_view s) {
  T v{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    const auto start = s.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    s.remove_prefix(start);
    const auto end = s.find_first_of(" \n");
    out.push_back(s.substr(0, end));
    s = end == std::string_view::npos ? std::string_view{} : s.substr(end);
  }
  return out;
}

// /proc files report size 0, so read until EOF rather than by size.
std::optional<std::string> read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return text;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

// "btime N" of /proc/stat: boot time, seconds since the epoch.
std::optional<long long> boot_time(const fs::path& root) {
  const auto text = read_text(root / "stat");
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("btime ", 0) == 0) return number<long long>(trim(std::string_view(line).substr(6)));
  return std::nullopt;
}

// The first number of /proc/uptime: seconds since boot.
std::optional<double> seconds_since_boot(const fs::path& root) {
  const auto text = read_text(root / "uptime");
  if (!text) return std::nullopt;
  const auto w = words(*text);
  if (w.empty()) return std::nullopt;
  try {
    return std::stod(std::string(w[0]));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::uint64_t mask_field(const std::map<std::string, std::string>& status, const char* name) {
  const auto it = status.find(name);
  if (it == status.end()) return 0;
  return parse_signal_mask(it->second).value_or(0);
}

std::optional<std::uint64_t> kib_field(const std::map<std::string, std::string>& status, const char* name) {
  const auto it = status.find(name);
  if (it == status.end()) return std::nullopt;
  return parse_kib(it->second);
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view text) {
  const auto open = text.find('(');
  const auto close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return std::nullopt;
  ProcStat s;
  const auto pid = number<pid_t>(trim(text.substr(0, open)));
  if (!pid) return std::nullopt;
  s.pid = *pid;
  s.comm = std::string(text.substr(open + 1, close - open - 1));
  // Fields from (3) on, so rest[0] is field 3.
  const auto rest = words(text.substr(close + 1));
  if (rest.size() < 20 || rest[0].size() != 1) return std::nullopt;
  const auto field = [&](std::size_t n) { return rest[n - 3]; };
  s.state = rest[0][0];
  const auto ppid = number<pid_t>(field(4)), pgid = number<pid_t>(field(5)), sid = number<pid_t>(field(6));
  const auto utime = number<unsigned long long>(field(14)), stime = number<unsigned long long>(field(15));
  const auto threads = number<long>(field(20));
  const auto start = number<unsigned long long>(field(22));
  if (!ppid || !pgid || !sid || !utime || !stime || !threads || !start) return std::nullopt;
  s.ppid = *ppid;
  s.pgid = *pgid;
  s.sid = *sid;
  s.utime = *utime;
  s.stime = *stime;
  s.threads = *threads;
  s.starttime = *start;
  return s;
}

std::map<std::string, std::string> parse_proc_status(std::string_view text) {
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const auto line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    out.emplace(std::string(line.substr(0, colon)), std::string(trim(line.substr(colon + 1))));
  }
  return out;
}

std::optional<std::uint64_t> parse_signal_mask(std::string_view hex) {
  if (hex.empty() || hex.size() > 16) return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), v, 16);
  if (ec != std::errc{} || end != hex.data() + hex.size()) return std::nullopt;
  return v;
}

std::vector<std::string> signal_mask_names(std::uint64_t mask) {
  std::vector<std::string> out;
  for (int signo = 1; signo <= 64; ++signo) {
    if ((mask & (std::uint64_t{1} << (signo - 1))) == 0) continue;
    auto name = common::signal_name(signo);
    out.push_back(name.empty() ? std::to_string(signo) : std::move(name));
  }
  return out;
}

std::string describe_dispositions(std::uint64_t ignored, std::uint64_t caught, std::uint64_t blocked) {
  const auto list = [](std::uint64_t mask) {
    const auto names = signal_mask_names(mask);
    return names.empty() ? std::string("nothing") : join(names, ", ");
  };
  return "ignores " + list(ignored) + "; catches " + list(caught) + "; blocks " + list(blocked);
}

std::optional<std::uint64_t> parse_kib(std::string_view text) {
  text = trim(text);
  if (!text.ends_with(" kB")) return std::nullopt;
  const auto n = number<std::uint64_t>(trim(text.substr(0, text.size() - 3)));
  if (!n) return std::nullopt;
  return *n * 1024;
}

std::vector<std::string> parse_cmdline(std::string_view text) {
  std::vector<std::string> out;
  if (!text.empty() && text.back() == '\0') text.remove_suffix(1);
  if (text.empty()) return out;
  for (;;) {
    const auto nul = text.find('\0');
    out.emplace_back(text.substr(0, nul));
    if (nul == std::string_view::npos) break;
    text.remove_prefix(nul + 1);
  }
  return out;
}

std::string_view state_name(char state) {
  switch (state) {
  case 'R': return "running";
  case 'S': return "sleeping";
  case 'D': return "disk sleep";
  case 'Z': return "zombie";
  case 'T': return "stopped";
  case 't': return "tracing stop";
  case 'X': return "dead";
  case 'I': return "idle";
  case 'P': return "parked";
  default: return "unknown";
  }
}

std::optional<ProcessInfo> read_process(pid_t pid, const fs::path& root) {
  const fs::path dir = root / std::to_string(pid);
  const auto stat_text = read_text(dir / "stat");
  if (!stat_text) return std::nullopt;
  const auto stat = parse_proc_stat(*stat_text);
  if (!stat) return std::nullopt;

  ProcessInfo info;
  info.stat = *stat;
  if (const auto parent = read_text(root / std::to_string(stat->ppid) / "stat"))
    if (const auto ps = parse_proc_stat(*parent)) info.ppid_comm = ps->comm;
  if (const auto cmdline = read_text(dir / "cmdline")) info.argv = parse_cmdline(*cmdline);
  std::error_code ec;
  if (const auto cwd = fs::read_symlink(dir / "cwd", ec); !ec) info.cwd = cwd.string();
  std::size_t fds = 0;
  bool counted = true;
  for (fs::directory_iterator it(dir / "fd", ec), end; !ec && it != end; it.increment(ec)) ++fds;
  if (ec) counted = false;
  if (counted) info.fds = fds;

  const auto status = parse_proc_status(read_text(dir / "status").value_or(""));
  info.rss_bytes = kib_field(status, "VmRSS");
  info.hwm_bytes = kib_field(status, "VmHWM");
  info.sig_ignored = mask_field(status, "SigIgn");
  info.sig_caught = mask_field(status, "SigCgt");
  info.sig_blocked = mask_field(status, "SigBlk");
  info.sig_pending = mask_field(status, "SigPnd");
  info.sig_shared_pending = mask_field(status, "ShdPnd");
  if (const auto it = status.find("Umask"); it != status.end()) info.umask = it->second;
  info.limits = parse_proc_limits(read_text(dir / "limits").value_or(""));
  info.cgroup = parse_cgroup_v2(read_text(dir / "cgroup").value_or(""));

  const long ticks = ::sysconf(_SC_CLK_TCK);
  const double hz = ticks > 0 ? static_cast<double>(ticks) : 100.0;
  info.cpu_user_s = static_cast<double>(stat->utime) / hz;
  info.cpu_system_s = static_cast<double>(stat->stime) / hz;
  const double started_after_boot = static_cast<double>(stat->starttime) / hz;
  if (const auto up = seconds_since_boot(root)) info.uptime_s = std::max(0.0, *up - started_after_boot);
  if (const auto btime = boot_time(root))
    info.start_epoch = *btime + static_cast<long long>(started_after_boot);
  return info;
}

std::vector<ProcLimit> parse_proc_limits(std::string_view text) {
  // proc(5)'s row names, by the names of setrlimit's resources that `limits` uses.
  static constexpr std::pair<std::string_view, std::string_view> kRows[] = {
      {"Max cpu time", "cpu"},          {"Max file size", "fsize"},         {"Max data size", "data"},
      {"Max stack size", "stack"},      {"Max core file size", "core"},     {"Max resident set", "rss"},
      {"Max processes", "nproc"},       {"Max open files", "nofile"},       {"Max locked memory", "memlock"},
      {"Max address space", "as"},      {"Max file locks", "locks"},        {"Max pending signals", "sigpending"},
      {"Max msgqueue size", "msgqueue"}, {"Max nice priority", "nice"},     {"Max realtime priority", "rtprio"},
      {"Max realtime timeout", "rttime"},
  };
  std::vector<ProcLimit> out;
  std::istringstream in{std::string(text)};
  for (std::string row; std::getline(in, row);) {
    for (const auto& [label, name] : kRows) {
      if (row.rfind(label, 0) != 0 || row.size() <= label.size() || row[label.size()] != ' ') continue;
      std::istringstream values(row.substr(label.size()));
      std::string soft, hard;
      values >> soft >> hard;
      const auto value = [](const std::string& v) -> std::optional<std::uint64_t> {
        if (v == "unlimited") return std::nullopt;
        return number<std::uint64_t>(v);
      };
      out.push_back({std::string(name), value(soft), value(hard)});
    }
  }
  return out;
}

std::string parse_cgroup_v2(std::string_view text) {
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);)
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  return {};
}

std::vector<GroupMember> cgroup_members(const std::string& cgroup, const fs::path& proc, const fs::path& sys_root) {
  std::vector<GroupMember> out;
  if (!cgroup.ends_with(".job")) return out;
  std::error_code ec;
  // The v2 hierarchy: the mount itself on a unified machine, its "unified" folder on a hybrid one.
  const fs::path mount = fs::exists(sys_root / "cgroup.controllers", ec) ? sys_root : sys_root / "unified";
  std::istringstream pids(read_text(mount / fs::path(cgroup).relative_path() / "cgroup.procs").value_or(""));
  for (pid_t pid = 0; pids >> pid;) {
    const auto dir = proc / std::to_string(pid);
    const auto stat = parse_proc_stat(read_text(dir / "stat").value_or(""));
    if (!stat) continue;  // gone meanwhile
    const auto argv = parse_cmdline(read_text(dir / "cmdline").value_or(""));
    out.push_back({pid, argv.empty() ? "[" + stat->comm + "]" : join(argv, " ")});
  }
  std::sort(out.begin(), out.end(), [](const GroupMember& a, const GroupMember& b) { return a.pid < b.pid; });
  return out;
}

std::vector<GroupMember> group_members(pid_t pgid, pid_t except, const fs::path& root) {
  std::vector<GroupMember> out;
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().string();
    const auto pid = number<pid_t>(name);
    if (!pid || *pid == except) continue;
    const auto text = read_text(it->path() / "stat");
    if (!text) continue;  // gone meanwhile
    const auto stat = parse_proc_stat(*text);
    if (!stat || stat->pgid != pgid) continue;
    const auto argv = parse_cmdline(read_text(it->path() / "cmdline").value_or(""));
    out.push_back({*pid, argv.empty() ? "[" + stat->comm + "]" : join(argv, " ")});
  }
  std::sort(out.begin(), out.end(), [](const GroupMember& a, const GroupMember& b) { return a.pid < b.pid; });
  return out;
}

}  // namespace supd::ctl
