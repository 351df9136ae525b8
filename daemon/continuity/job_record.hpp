// What supd remembers about a job's live process outside its own memory, so that the next
// supd (after a kill -9, `shutdown --leave-running` or `upgrade`) finds the process again
// instead of starting a second one. Pure (JSON text in and out, /proc lines parsed) but for
// read_proc_stat_line(), the one place that reads /proc/PID/stat.
//
//   {"version": 1, "name": "amsa", "pid": 4242, "pgid": 4242, "starttime": 123456,
//    "spawned_at_ms": 1764090000000, "spawns": 3, "argv": ["python3", "-u", "amsa.py"]}
//
// `starttime` is field 22 of /proc/PID/stat (clock ticks after boot): a PID the kernel gave
// to another process since has another start time, so it is never adopted.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace supd::daemon {

inline constexpr int kJobRecordVersion = 1;

struct JobRecord {
  std::string name;
  pid_t pid = 0;
  pid_t pgid = 0;
  std::uint64_t starttime = 0;     // /proc/PID/stat field 22
  std::int64_t spawned_at_ms = 0;  // wall clock (ms since the epoch): uptime survives supd
  int spawns = 0;                  // RESTARTS = spawns - 1
  std::vector<std::string> argv;   // the command it was started with
  bool operator==(const JobRecord&) const = default;
};

std::string encode_record(const JobRecord& record);  // one line of JSON, '\n'-terminated
// Never throws. nullopt (and `error` says why) for anything but a complete record of this
// version with a valid job name and positive pid/pgid.
std::optional<JobRecord> decode_record(std::string_view text, std::string* error = nullptr) noexcept;

// The records of one supd are a journal of such lines (record_store.hpp); a removal line says a
// job's record is gone: {"version": 1, "name": "amsa", "removed": true}.
std::string encode_removal(std::string_view name);  // '\n'-terminated
// The jobs a journal names, each by its last line (a removal forgets it), fed in pieces of any
// size (a journal is read a block at a time: a whole one in memory would raise supd's RSS for
// good). A line that is torn (supd killed mid-write) or unreadable is skipped and counted.
class JournalFold {
public:
  void feed(std::string_view bytes);
  std::map<std::string, JobRecord> take(std::size_t* skipped = nullptr);  // ends the fold

private:
  void line(std::string_view text);
  std::string partial_;  // a line not yet ended
  std::map<std::string, JobRecord> live_;
  std::size_t bad_ = 0;
};
std::map<std::string, JobRecord> fold_journal(std::string_view text, std::size_t* skipped = nullptr);

// Field 22 (starttime) of a /proc/PID/stat line; the command name (field 2) may hold spaces
// and parentheses, so fields are counted from the last ')'.
std::optional<std::uint64_t> parse_stat_starttime(std::string_view stat_line) noexcept;
// Field 52 (exit_code, Linux 3.5+): a zombie's wait status, as waitpid would give it.
std::optional<int> parse_stat_exit_code(std::string_view stat_line) noexcept;

// Field 3 (state: 'R', 'S', 'Z', ...) and field 4 (ppid) of a /proc/PID/stat line, counted the
// same way; nullopt for a line too short to hold them.
struct StatState {
  char state = '?';
  long ppid = 0;
};
std::optional<StatState> parse_stat_state(std::string_view stat_line) noexcept;

// The line of /proc/PID/stat, or nullopt when the process is gone: the one reader of it for
// adoption and the fd holder.
std::optional<std::string> read_proc_stat_line(pid_t pid);

}  // namespace supd::daemon
