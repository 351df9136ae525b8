#include "ctl/inspect.hpp"

#include <time.h>

#include <chrono>
#include <utility>

#include <fmt/format.h>

#include "common/duration.hpp"
#include "ctl/exit_codes.hpp"
#include "ctl/render.hpp"

namespace supd::ctl {
namespace {

constexpr std::size_t kLabelWidth = 10;  // "started:" and the longest label fit, plus a space

// An argument as a shell would need it to read it back: quoted when it holds anything odd.
std::string shell_word(const std::string& arg) {
  if (!arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789_-+=.,/:@%") == std::string::npos)
    return arg;
  std::string out = "'";
  for (const char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string command_text(const ProcessInfo& info) {
  if (info.argv.empty()) return "[" + info.stat.comm + "]";
  std::string out;
  for (const auto& a : info.argv) out += (out.empty() ? "" : " ") + shell_word(a);
  return out;
}

std::string optional_size(const std::optional<std::uint64_t>& bytes) { return bytes ? size_text(*bytes) : "?"; }

std::string start_text(const ProcessInfo& info) {
  std::string out = "?";
  if (info.start_epoch) {
    const time_t t = static_cast<time_t>(*info.start_epoch);
    tm local{};
    char buf[64];
    if (::localtime_r(&t, &local) != nullptr && ::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %Z", &local) > 0)
      out = buf;
  }
  if (info.uptime_s)
    out += fmt::format(" (up {})", common::format_duration(std::chrono::milliseconds(
                                       static_cast<long long>(*info.uptime_s * 1000))));
  return out;
}

std::string names_or_nothing(std::uint64_t mask) {
  std::string out;
  for (const auto& n : signal_mask_names(mask)) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "nothing" : out;
}

void line(std::string& out, std::string_view label, std::string_view value) {
  // An empty label continues the line above (the group's further members), aligned.
  const std::string head = label.empty() ? std::string() : std::string(label) + ":";
  out += fmt::format("{:<{}}{}\n", head, kLabelWidth, one_line(value));
}

nlohmann::json names(std::uint64_t mask) { return signal_mask_names(mask); }

// "nofile 4096/524288, core unlimited/unlimited": the limits a job's config sets, soft/hard.
std::string limits_text(const std::vector<ProcLimit>& limits) {
  constexpr std::string_view kShown[] = {"nofile", "nproc", "core", "as", "memlock", "stack"};
  const auto value = [](const std::optional<std::uint64_t>& v) { return v ? std::to_string(*v) : "unlimited"; };
  std::string out;
  for (const auto name : kShown)
    for (const auto& l : limits)
      if (l.name == name) out += fmt::format("{}{} {}/{}", out.empty() ? "" : ", ", l.name, value(l.soft), value(l.hard));
  return out.empty() ? "?" : out;
}

}  // namespace

std::string render_inspect(const std::string& job, const ProcessInfo& info, const std::vector<GroupMember>& group,
                           const std::vector<GroupMember>& in_cgroup) {
  const auto& s = info.stat;
  std::string out;
  line(out, "job", job);
  line(out, "pid", std::to_string(s.pid));
  line(out, "ppid", info.ppid_comm.empty() ? std::to_string(s.ppid) : fmt::format("{} ({})", s.ppid, info.ppid_comm));
  line(out, "pgid", std::to_string(s.pgid));
  line(out, "sid", std::to_string(s.sid));
  line(out, "state", fmt::format("{} ({})", s.state, state_name(s.state)));
  line(out, "command", command_text(info));
  line(out, "cwd", info.cwd.value_or("?"));
  line(out, "fds", info.fds ? std::to_string(*info.fds) : "?");
  line(out, "threads", std::to_string(s.threads));
  line(out, "cpu", fmt::format("{:.2f}s (user {:.2f}s, sys {:.2f}s)", info.cpu_user_s + info.cpu_system_s,
                               info.cpu_user_s, info.cpu_system_s));
  line(out, "memory", fmt::format("rss {}, peak {}", optional_size(info.rss_bytes), optional_size(info.hwm_bytes)));
  line(out, "started", start_text(info));
  line(out, "signals", describe_dispositions(info.sig_ignored, info.sig_caught, info.sig_blocked));
  line(out, "pending", names_or_nothing(info.sig_pending | info.sig_shared_pending));
  line(out, "umask", info.umask.value_or("?"));
  line(out, "limits", limits_text(info.limits));
  if (group.empty()) {
    line(out, "group", "no other process");
  } else {
    for (std::size_t i = 0; i < group.size(); ++i)
      line(out, i == 0 ? "group" : "", fmt::format("{} {}", group[i].pid, group[i].command));
  }
  if (!info.cgroup.empty()) line(out, "cgroup", info.cgroup);
  // What its own cgroup holds beyond the main process: the group above, and what left it (setsid).
  bool first = true;
  for (const auto& m : in_cgroup) {
    if (m.pid == info.stat.pid) continue;
    line(out, first ? "in cgroup" : "", fmt::format("{} {}", m.pid, m.command));
    first = false;
  }
  return out;
}

nlohmann::json inspect_json(const std::string& job, const ProcessInfo& info, const std::vector<GroupMember>& group,
                            const std::vector<GroupMember>& in_cgroup) {
  const auto& s = info.stat;
  nlohmann::json members = nlohmann::json::array();
  for (const auto& m : group) members.push_back({{"pid", m.pid}, {"command", m.command}});
  nlohmann::json cgroup_members_json = nlohmann::json::array();
  for (const auto& m : in_cgroup) cgroup_members_json.push_back({{"pid", m.pid}, {"command", m.command}});
  nlohmann::json limits = nlohmann::json::object();
  const auto limit = [](const std::optional<std::uint64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json("unlimited"); };
  for (const auto& l : info.limits) limits[l.name] = {{"soft", limit(l.soft)}, {"hard", limit(l.hard)}};
  const auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  return {
      {"job", job},
      {"pid", s.pid},
      {"ppid", s.ppid},
      {"parent", info.ppid_comm.empty() ? nlohmann::json(nullptr) : nlohmann::json(info.ppid_comm)},
      {"pgid", s.pgid},
      {"sid", s.sid},
      {"state", std::string(1, s.state)},
      {"state_name", state_name(s.state)},
      {"comm", s.comm},
      {"command", info.argv},
      {"cwd", opt(info.cwd)},
      {"fds", opt(info.fds)},
      {"threads", s.threads},
      {"cpu_user_s", info.cpu_user_s},
      {"cpu_system_s", info.cpu_system_s},
      {"rss_bytes", opt(info.rss_bytes)},
      {"hwm_bytes", opt(info.hwm_bytes)},
      {"start_time", opt(info.start_epoch)},
      {"uptime_s", opt(info.uptime_s)},
      {"signals",
       {{"ignored", names(info.sig_ignored)},
        {"caught", names(info.sig_caught)},
        {"blocked", names(info.sig_blocked)},
        {"pending", names(info.sig_pending)},
        {"shared_pending", names(info.sig_shared_pending)}}},
      {"group", members},
      {"umask", opt(info.umask)},
      {"limits", limits},
      {"cgroup", info.cgroup.empty() ? nlohmann::json(nullptr) : nlohmann::json(info.cgroup)},
      {"cgroup_processes", cgroup_members_json},
  };
}

int print_inspect(const std::string& job, pid_t pid, bool json, std::ostream& out, std::ostream& err) {
  const auto info = read_process(pid, "/proc");
  if (!info || info->stat.state == 'Z') {
    err << "supctl: " << one_line(fmt::format("job '{}' is not running (pid {} exited just now); see: supctl status {}",
                                              job, pid, job))
        << '\n';
    err.flush();
    return kFailed;
  }
  const auto group = group_members(info->stat.pgid, pid, "/proc");
  const auto in_cgroup = cgroup_members(info->cgroup);
  if (json)
    out << inspect_json(job, *info, group, in_cgroup).dump() << '\n';
  else
    out << render_inspect(job, *info, group, in_cgroup);
  out.flush();
  if (!out) {
    err << "supctl: cannot write to standard output\n";
    return kFailed;
  }
  return kOk;
}

}  // namespace supd::ctl
