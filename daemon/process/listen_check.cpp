#include "daemon/process/listen_check.hpp"

#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "daemon/process/proc_stats.hpp"

namespace supd::daemon {
namespace fs = std::filesystem;
namespace {

using Inodes = std::unordered_set<std::uint64_t>;

// The n-th (from 0) blank-separated field of a /proc line, or "" when it has fewer.
std::string_view field(std::string_view line, std::size_t n) {
  constexpr std::string_view blanks = " \t";
  std::size_t pos = 0;
  for (std::size_t i = 0;; ++i) {
    pos = line.find_first_not_of(blanks, pos);
    if (pos == std::string_view::npos) return {};
    const std::size_t end = line.find_first_of(blanks, pos);
    if (i == n) return line.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    if (end == std::string_view::npos) return {};
    pos = end;
  }
}

std::optional<std::uint64_t> number(std::string_view text, int base) {
  std::uint64_t value = 0;
  const auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (text.empty() || err != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::string> first_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return line;
}

std::optional<std::string> link_target(const fs::path& link) {
  char buf[256];
  const ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
  if (n <= 0 || static_cast<std::size_t>(n) == sizeof buf) return std::nullopt;
  return std::string(buf, static_cast<std::size_t>(n));
}

// The inodes of the sockets a process holds: its /proc/PID/fd links that read "socket:[INODE]".
// A process that exits meanwhile ends the listing early; what was read stays valid.
std::vector<std::uint64_t> socket_inodes(const fs::path& fd_dir) {
  std::vector<std::uint64_t> out;
  std::error_code ec;
  for (fs::directory_iterator it(fd_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto target = link_target(it->path());
    constexpr std::string_view prefix = "socket:[";
    if (!target || !target->starts_with(prefix) || !target->ends_with(']')) continue;
    const std::string_view digits = std::string_view(*target).substr(prefix.size(), target->size() - prefix.size() - 1);
    if (const auto inode = number(digits, 10)) out.push_back(*inode);
  }
  return out;
}

// Adds the inodes of a /proc/PID/net/tcp or tcp6 table whose state (column 4) is 0A, LISTEN.
// False when the table cannot be read.
bool add_tcp_listeners(const fs::path& table, Inodes& out) {
  std::ifstream in(table);
  std::string line;
  if (!in || !std::getline(in, line)) return false;  // the header
  while (std::getline(in, line))
    if (field(line, 3) == "0A")
      if (const auto inode = number(field(line, 9), 10)) out.insert(*inode);
  return true;
}

// Adds the inodes of a /proc/PID/net/unix table that are stream sockets (type 0001) accepting
// connections (flag 00010000, __SO_ACCEPTCON: listen() was called). False when it cannot be read.
bool add_unix_listeners(const fs::path& table, Inodes& out) {
  constexpr std::uint64_t kAcceptCon = 0x10000;
  std::ifstream in(table);
  std::string line;
  if (!in || !std::getline(in, line)) return false;  // the header
  while (std::getline(in, line)) {
    const auto flags = number(field(line, 3), 16);
    if (!flags || (*flags & kAcceptCon) == 0 || number(field(line, 4), 16) != 1u) continue;
    if (const auto inode = number(field(line, 6), 10)) out.insert(*inode);
  }
  return true;
}

// Every listening socket of one network namespace, read through a process inside it; nullopt
// when the process went away before its tables were read (tcp6 may be absent: no IPv6).
std::optional<Inodes> listening_inodes(const fs::path& net_dir) {
  Inodes out;
  if (!add_tcp_listeners(net_dir / "tcp", out) || !add_unix_listeners(net_dir / "unix", out)) return std::nullopt;
  add_tcp_listeners(net_dir / "tcp6", out);
  return out;
}

}  // namespace

bool group_listens(pid_t pgid, const fs::path& proc) {
  if (pgid <= 0) return false;
  // Each namespace's tables are read once per call, keyed by the /proc/PID/ns/net link ("net:[N]").
  std::unordered_map<std::string, Inodes> listeners_by_netns;
  std::error_code ec;
  for (fs::directory_iterator it(proc, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& dir = it->path();
    if (!is_pid_name(dir.filename().native())) continue;
    const auto stat = first_line(dir / "stat");
    const auto proc_stat = stat ? parse_proc_stat(0, *stat) : std::nullopt;
    if (!proc_stat || proc_stat->pgid != pgid) continue;
    const auto sockets = socket_inodes(dir / "fd");
    if (sockets.empty()) continue;
    const auto netns = link_target(dir / "ns" / "net");
    if (!netns) continue;
    auto known = listeners_by_netns.find(*netns);
    if (known == listeners_by_netns.end()) {
      auto read = listening_inodes(dir / "net");
      if (!read) continue;  // gone meanwhile: nothing cached, another process may read them
      known = listeners_by_netns.emplace(*netns, std::move(*read)).first;
    }
    for (const auto inode : sockets)
      if (known->second.contains(inode)) return true;
  }
  return false;
}

}  // namespace supd::daemon
