// What /proc says about one process, for `supctl inspect`: pure parsers that take the text of
// /proc/PID/stat, /proc/PID/status and /proc/PID/cmdline (so tests feed fixed text), the
// signal-mask decoding, and the one reader that gathers it all for a live pid.
// The lecture does this by hand (ps, grep SigCgt /proc/PID/status); this decodes it.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

namespace supd::ctl {

// The fields of /proc/PID/stat that inspect shows (proc(5) numbering in comments).
struct ProcStat {
  pid_t pid = 0;                      // (1)
  std::string comm;                   // (2) without the parentheses; may hold spaces and ')'
  char state = '?';                   // (3) R S D Z T t X I ...
  pid_t ppid = 0;                     // (4)
  pid_t pgid = 0;                     // (5)
  pid_t sid = 0;                      // (6)
  unsigned long long utime = 0;       // (14) clock ticks
  unsigned long long stime = 0;       // (15) clock ticks
  long threads = 0;                   // (20)
  unsigned long long starttime = 0;   // (22) clock ticks after boot
  bool operator==(const ProcStat&) const = default;
};

// comm is found between the first '(' and the LAST ')', since a program may name itself
// "a) b (c"; nullopt when the text is not a stat line.
std::optional<ProcStat> parse_proc_stat(std::string_view text);

// "Name:\tvalue" lines of /proc/PID/status -> {"Name": "value"} (value trimmed).
std::map<std::string, std::string> parse_proc_status(std::string_view text);

// "0000000000010002" -> bits; nullopt unless 1..16 hex digits.
std::optional<std::uint64_t> parse_signal_mask(std::string_view hex);

// Bit N-1 stands for signal N: "HUP", "USR1", "RTMIN+2", "RTMAX"; 32 and 33 (kept by glibc
// for itself, below SIGRTMIN) by number. Ascending signal numbers.
std::vector<std::string> signal_mask_names(std::uint64_t mask);

// "ignores HUP; catches USR1, TERM; blocks nothing".
std::string describe_dispositions(std::uint64_t ignored, std::uint64_t caught, std::uint64_t blocked);

// "1234 kB" -> bytes; nullopt when not that shape.
std::optional<std::uint64_t> parse_kib(std::string_view text);

// NUL-separated argv; a trailing NUL is no extra empty argument.
std::vector<std::string> parse_cmdline(std::string_view text);

// One row of /proc/PID/limits, by the short name a config's `limits` uses ("nofile").
struct ProcLimit {
  std::string name;
  std::optional<std::uint64_t> soft, hard;  // nullopt: unlimited
  bool operator==(const ProcLimit&) const = default;
};
// The table of /proc/PID/limits ("Max open files  1024  524288  files"), rows it knows only.
std::vector<ProcLimit> parse_proc_limits(std::string_view text);

// The v2 path of /proc/PID/cgroup ("0::/supd-1a2b/web.job"), or "" when there is none.
std::string parse_cgroup_v2(std::string_view text);

// 'S' -> "sleeping", 'R' -> "running", ... ("unknown" otherwise).
std::string_view state_name(char state);

// Everything inspect prints, gathered once.
struct ProcessInfo {
  ProcStat stat;
  std::string ppid_comm;                 // the parent's comm, "" when unreadable
  std::vector<std::string> argv;         // empty for a zombie or kernel thread
  std::optional<std::string> cwd;        // nullopt when unreadable
  std::optional<std::size_t> fds;        // open fds
  std::optional<std::uint64_t> rss_bytes, hwm_bytes;
  double cpu_user_s = 0, cpu_system_s = 0;
  std::optional<double> uptime_s;        // now - start
  std::optional<long long> start_epoch;  // start time, seconds since the epoch
  std::uint64_t sig_ignored = 0, sig_caught = 0, sig_blocked = 0, sig_pending = 0, sig_shared_pending = 0;
  std::optional<std::string> umask;      // "0022", from status
  std::vector<ProcLimit> limits;
  std::string cgroup;                    // its v2 cgroup; ends in ".job" when supd gave the job its own
};

struct GroupMember {
  pid_t pid = 0;
  std::string command;  // argv joined by spaces, or "[comm]" when it has none
};

// Reads /proc (or `root`, for tests) about `pid`; nullopt when the process is gone.
std::optional<ProcessInfo> read_process(pid_t pid, const std::filesystem::path& root = "/proc");

// The other processes in process group `pgid` (not `except`), ascending pids.
std::vector<GroupMember> group_members(pid_t pgid, pid_t except, const std::filesystem::path& root = "/proc");

// Every process in the job's own cgroup (a path ending in ".job"), under the v2 mount found
// below `sys_root`; empty for any other cgroup.
std::vector<GroupMember> cgroup_members(const std::string& cgroup, const std::filesystem::path& proc = "/proc",
                                        const std::filesystem::path& sys_root = "/sys/fs/cgroup");

}  // namespace supd::ctl
