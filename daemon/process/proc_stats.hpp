// What a process uses, as /proc/PID/stat says: its process group, CPU ticks and resident
// pages; and one pass over /proc that reads every process's once (`stats`, `ready = "listen"`).
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

namespace supd::daemon {

struct ProcStat {
  pid_t pid = 0;
  pid_t pgid = 0;
  std::uint64_t cpu_ticks = 0;  // utime + stime, in clock ticks (sysconf(_SC_CLK_TCK))
  std::uint64_t rss_pages = 0;
  bool operator==(const ProcStat&) const = default;
};

// One /proc/PID/stat line. The command name (field 2) may hold blanks and parentheses, so
// the fields are counted from the last ')'. nullopt for a line that is not one.
std::optional<ProcStat> parse_proc_stat(pid_t pid, std::string_view line);

// A /proc entry that is a process: its name is all digits.
bool is_pid_name(std::string_view name);

// /proc/PID/stat of one process; nullopt once it is gone.
std::optional<ProcStat> read_proc_stat(pid_t pid, const std::filesystem::path& proc = "/proc");

// Every process's, in one pass over `proc` (those that exit meanwhile are left out).
std::vector<ProcStat> read_all_proc_stats(const std::filesystem::path& proc = "/proc");

}  // namespace supd::daemon
