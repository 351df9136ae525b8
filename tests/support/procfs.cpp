#include "tests/support/procfs.hpp"

#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>

#include <unistd.h>

#include "tests/support/files.hpp"

namespace supd::test {
namespace {

std::string proc(pid_t pid, std::string_view what) {
  return "/proc/" + std::to_string(pid) + "/" + std::string(what);
}

std::optional<std::string> read_link(const std::string& path) {
  std::error_code ec;
  auto target = fs::read_symlink(path, ec);
  if (ec) return std::nullopt;
  return target.string();
}

}  // namespace

std::optional<ProcStat> proc_stat(pid_t pid) {
  const std::string text = read_file(proc(pid, "stat"));
  const auto close = text.rfind(')');  // comm may hold spaces and parentheses
  if (text.empty() || close == std::string::npos) return std::nullopt;
  std::istringstream in(text.substr(close + 2));
  ProcStat s;
  s.pid = pid;
  // fields 3.. : state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
  //              utime stime cutime cstime priority nice num_threads itrealvalue starttime
  long skip = 0;
  in >> s.state >> s.ppid >> s.pgid >> s.sid >> s.tty_nr;
  for (int i = 0; i < 14; ++i) in >> skip;
  in >> s.starttime;
  if (!in) return std::nullopt;
  return s;
}

std::optional<std::string> status_field(pid_t pid, std::string_view name) {
  for (const auto& line : split_lines(read_file(proc(pid, "status")))) {
    if (line.size() > name.size() && line.compare(0, name.size(), name) == 0 && line[name.size()] == ':')
      return trim(std::string_view(line).substr(name.size() + 1));
  }
  return std::nullopt;
}

std::optional<std::uint64_t> signal_mask(pid_t pid, std::string_view field) {
  const auto v = status_field(pid, field);
  if (!v || v->empty()) return std::nullopt;
  return std::strtoull(v->c_str(), nullptr, 16);
}

long memory_kib(pid_t pid, std::string_view field) {
  const auto v = status_field(pid, field);
  return v ? std::strtol(v->c_str(), nullptr, 10) : 0;
}

std::uint64_t sig_bit(int signo) { return std::uint64_t{1} << (signo - 1); }

std::map<int, std::string> list_fds(pid_t pid) {
  std::map<int, std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(proc(pid, "fd"), ec)) {
    const auto name = e.path().filename().string();
    if (auto target = read_link(e.path().string())) out[std::atoi(name.c_str())] = *target;
  }
  return out;
}

std::size_t fd_count(pid_t pid) { return list_fds(pid).size(); }

FdCensus fd_census(pid_t pid) {
  // /proc/net/unix: Num RefCount Protocol Flags Type St Inode [Path]; St 03 = connected.
  std::set<std::string> connected;
  for (const auto& line : split_lines(read_file("/proc/net/unix"))) {
    const auto w = split_words(line);
    // Stream sockets only (Type 0001): supd's link to its fd holder is a SOCK_SEQPACKET one
    // that lives as long as supd, not a client connection.
    if (w.size() >= 7 && w[5] == "03" && w[4] == "0001") connected.insert(w[6]);
  }
  FdCensus c;
  for (const auto& [fd, target] : list_fds(pid)) {
    (void)fd;
    const bool is_conn = target.rfind("socket:[", 0) == 0 && target.back() == ']' &&
                         connected.count(target.substr(8, target.size() - 9));
    ++(is_conn ? c.connections : c.others);
  }
  return c;
}

std::optional<std::string> comm_of(pid_t pid) {
  std::string text = read_file(proc(pid, "comm"));
  if (text.empty()) return std::nullopt;
  if (text.back() == '\n') text.pop_back();
  return text;
}

std::string cmdline_of(pid_t pid) {
  std::string text = read_file(proc(pid, "cmdline"));
  while (!text.empty() && text.back() == '\0') text.pop_back();
  for (char& c : text)
    if (c == '\0') c = ' ';
  return text;
}

bool is_fd_holder(pid_t pid) { return comm_of(pid) == "supd-fdholder"; }

bool is_http_probe(pid_t pid) { return comm_of(pid) == "supd-probe"; }

std::map<std::string, std::string> environ_of(pid_t pid) {
  std::map<std::string, std::string> out;
  const std::string text = read_file(proc(pid, "environ"));
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\0', start);
    if (end == std::string::npos) end = text.size();
    const std::string entry = text.substr(start, end - start);
    const auto eq = entry.find('=');
    if (eq != std::string::npos) out[entry.substr(0, eq)] = entry.substr(eq + 1);
    start = end + 1;
  }
  return out;
}

std::optional<std::string> cwd_of(pid_t pid) { return read_link(proc(pid, "cwd")); }
std::optional<std::string> exe_of(pid_t pid) { return read_link(proc(pid, "exe")); }

bool process_alive(pid_t pid, std::optional<unsigned long long> starttime) {
  if (pid <= 0) return false;
  const auto s = proc_stat(pid);
  if (!s || s->state == 'Z' || s->state == 'X') return false;
  return !starttime || s->starttime == *starttime;
}

std::vector<pid_t> all_pids() {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const auto name = e.path().filename().string();
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos)
      out.push_back(static_cast<pid_t>(std::atoi(name.c_str())));
  }
  return out;
}

std::vector<pid_t> tagged_pids(std::string_view tag) {
  const std::string needle = "SUPD_TEST_TAG=" + std::string(tag);
  std::vector<pid_t> out;
  for (pid_t pid : all_pids()) {
    if (pid == ::getpid()) continue;
    const std::string env = read_file(proc(pid, "environ"));
    bool found = false;
    for (std::size_t start = 0; start < env.size();) {
      auto end = env.find('\0', start);
      if (end == std::string::npos) end = env.size();
      if (std::string_view(env).substr(start, end - start) == needle) {
        found = true;
        break;
      }
      start = end + 1;
    }
    if (found && process_alive(pid)) out.push_back(pid);
  }
  return out;
}

std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  for (pid_t pid : all_pids())
    if (auto s = proc_stat(pid); s && s->ppid == parent) out.push_back(pid);
  return out;
}

std::vector<pid_t> session_members(pid_t sid) {
  std::vector<pid_t> out;
  for (pid_t pid : all_pids())
    if (auto s = proc_stat(pid); s && s->sid == sid && s->state != 'Z' && s->state != 'X') out.push_back(pid);
  return out;
}

std::string describe_processes(const std::vector<pid_t>& pids) {
  std::string out;
  for (pid_t pid : pids) {
    const auto s = proc_stat(pid);
    const std::string comm = trim(read_file(proc(pid, "comm")));
    out += "pid " + std::to_string(pid) + " (" + comm + ")";
    if (s) {
      out += " state ";
      out += s->state;
      out += " ppid " + std::to_string(s->ppid) + " pgid " + std::to_string(s->pgid) + " sid " +
             std::to_string(s->sid);
    }
    out += "\n";
  }
  return out;
}

}  // namespace supd::test
