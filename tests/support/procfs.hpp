// What /proc says about a process: stat fields, status lines, signal masks, fds, environment,
// and the processes that carry a test's tag.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

namespace supd::test {

struct ProcStat {
  pid_t pid = 0;
  char state = '?';  // R S D Z T ...
  pid_t ppid = 0;
  pid_t pgid = 0;
  pid_t sid = 0;
  int tty_nr = 0;    // 0: no controlling terminal
  unsigned long long starttime = 0;  // clock ticks after boot: tells a recycled pid apart
};

std::optional<ProcStat> proc_stat(pid_t pid);

// The value of one /proc/PID/status line ("SigIgn" -> "0000000000000001"), trimmed.
std::optional<std::string> status_field(pid_t pid, std::string_view name);
// SigIgn/SigBlk/SigCgt/SigPnd/ShdPnd as a bit set: bit (N-1) stands for signal N.
std::optional<std::uint64_t> signal_mask(pid_t pid, std::string_view field);
std::uint64_t sig_bit(int signo);  // 1 << (signo - 1)
// A memory line of /proc/PID/status (VmRSS, VmHWM) in KiB, 0 if unknown.
long memory_kib(pid_t pid, std::string_view field);
inline long rss_kib(pid_t pid) { return memory_kib(pid, "VmRSS"); }
// The ASan+UBSan build. There, ASan's quarantine, redzones and shadow make a process's RSS say
// nothing about its own use, so memory bounds are checked in the normal build only (CI runs
// both); and every request costs more, so the longest loads run a part of their count.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitizerBuild = true;
#else
inline constexpr bool kSanitizerBuild = false;
#endif
inline constexpr bool kRssMeasuresUse = !kSanitizerBuild;

std::map<int, std::string> list_fds(pid_t pid);  // fd -> readlink target
std::size_t fd_count(pid_t pid);
// Of pid's fds: connected Unix stream sockets (client connections, by /proc/net/unix), and
// everything else.
struct FdCensus {
  std::size_t connections = 0;
  std::size_t others = 0;
  bool operator==(const FdCensus&) const = default;
};
FdCensus fd_census(pid_t pid);
std::map<std::string, std::string> environ_of(pid_t pid);
std::optional<std::string> cwd_of(pid_t pid);
std::optional<std::string> exe_of(pid_t pid);
std::optional<std::string> comm_of(pid_t pid);  // /proc/PID/comm, without the newline
std::string cmdline_of(pid_t pid);  // /proc/PID/cmdline, its NULs as spaces, trailing ones dropped
// supd's fd holder (daemon/continuity/fd_holder.hpp): a helper process of supd's, not a job.
bool is_fd_holder(pid_t pid);
// supd's own http health check in flight (`supd --probe-http`), named so.
bool is_http_probe(pid_t pid);

// Alive means: /proc/PID exists, is not a zombie, and (when given) started at `starttime`.
bool process_alive(pid_t pid, std::optional<unsigned long long> starttime = std::nullopt);

std::vector<pid_t> all_pids();
// Every live (non-zombie) process whose environment holds SUPD_TEST_TAG=<tag>.
std::vector<pid_t> tagged_pids(std::string_view tag);
std::vector<pid_t> children_of(pid_t parent);  // any state, zombies included
std::vector<pid_t> session_members(pid_t sid); // live processes with this session id

// "pid 123 (sleep) state S ppid 1 sid 123" lines, for failure messages.
std::string describe_processes(const std::vector<pid_t>& pids);

}  // namespace supd::test
