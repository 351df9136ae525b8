#include "daemon/process/proc_stats.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <string>

#include "common/fd.hpp"

namespace supd::daemon {
namespace fs = std::filesystem;
namespace {

// The fields after the command name, from 0 (state) on: 2 pgrp, 11 utime, 12 stime, 21 rss.
constexpr std::size_t kPgrp = 2, kUtime = 11, kStime = 12, kRss = 21;

template <class Int>
bool parse_int(std::string_view text, Int& out) {
  const auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && err == std::errc{} && end == text.data() + text.size();
}

}  // namespace

bool is_pid_name(std::string_view name) {
  return !name.empty() && name.find_first_not_of("0123456789") == std::string_view::npos;
}

std::optional<ProcStat> parse_proc_stat(pid_t pid, std::string_view line) {
  const auto close = line.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(close + 1);
  ProcStat s;
  s.pid = pid;
  std::uint64_t utime = 0, stime = 0;
  std::int64_t rss = 0;
  for (std::size_t i = 0; i <= kRss; ++i) {
    const auto start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(start);
    const auto end = rest.find_first_of(" \n");
    const std::string_view field = rest.substr(0, end);
    bool ok = true;
    if (i == kPgrp) ok = parse_int(field, s.pgid);
    if (i == kUtime) ok = parse_int(field, utime);
    if (i == kStime) ok = parse_int(field, stime);
    if (i == kRss) ok = parse_int(field, rss);
    if (!ok) return std::nullopt;
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  }
  s.cpu_ticks = utime + stime;
  s.rss_pages = rss > 0 ? static_cast<std::uint64_t>(rss) : 0;
  return s;
}

std::optional<ProcStat> read_proc_stat(pid_t pid, const fs::path& proc) {
  const auto path = proc / std::to_string(pid) / "stat";
  const common::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  char buf[1024];  // a stat line is well under this; a longer one (a huge comm) does not exist
  const ssize_t n = ::read(fd.get(), buf, sizeof buf);
  if (n <= 0) return std::nullopt;
  return parse_proc_stat(pid, std::string_view(buf, static_cast<std::size_t>(n)));
}

std::vector<ProcStat> read_all_proc_stats(const fs::path& proc) {
  std::vector<ProcStat> out;
  std::error_code ec;
  for (fs::directory_iterator it(proc, ec), end; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().native();
    pid_t pid = 0;
    if (!is_pid_name(name) || !parse_int(std::string_view(name), pid)) continue;
    if (auto s = read_proc_stat(pid, proc)) out.push_back(*s);
  }
  return out;
}

}  // namespace supd::daemon
