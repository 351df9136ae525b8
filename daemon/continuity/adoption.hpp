// Jobs outlive supd (issue 9). Two halves, both driven by the event loop:
//  - records: after every event, each job with a live process group has a record in the
//    records dir (<socket>.jobs/records, a journal: record_store.hpp), and a job whose group is
//    gone has none; so whatever kills supd, the records on disk name every process it leaves.
//  - adoption: at start-up, before the autostart jobs, each record whose process is still the
//    same one (pidfd_open, then the start time in /proc/PID/stat) becomes a running job again:
//    same pid, uptime and restart count. An adopted process is not supd's child, so its exit
//    is learned from its pidfd becoming readable ("exited, status unknown (adopted)" unless it
//    is a child after all, after `upgrade`), and its group is watched by polling. Without
//    pidfds (old kernels) the start time alone identifies it and /proc is polled for its exit.
#pragma once
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "daemon/core/clock.hpp"
#include "daemon/core/event_hub.hpp"
#include "daemon/continuity/fd_holder.hpp"
#include "daemon/continuity/job_record.hpp"
#include "daemon/continuity/record_store.hpp"
#include "daemon/core/output_sink.hpp"
#include "daemon/core/supervisor.hpp"

namespace supd::daemon {

// Where the records of the supd on `socket` live: <socket>.jobs/ (beside <socket>.lock).
std::filesystem::path records_dir_for(const std::filesystem::path& socket);

class Cgroups;
// After adoption: a job that runs nothing here but whose cgroup still holds processes (a
// previous supd was killed, and the job's recorded process is gone or unknown while what it
// started lives on) has them killed, so its start begins clean. Found by cgroup, not by pid.
std::size_t kill_unowned_leftovers(const Cgroups& cgroups, const Supervisor& sup);

// /proc/PID/stat field 22, or nullopt when the process is gone.
std::optional<std::uint64_t> process_starttime(pid_t pid);

class Adoption {
public:
  // Exits of adopted processes, and groups that may have emptied, go to `hub`.
  Adoption(asio::io_context& io, Supervisor& sup, EventHub& hub, std::filesystem::path records_dir);
  ~Adoption();
  Adoption(const Adoption&) = delete;
  Adoption& operator=(const Adoption&) = delete;

  // Start-up, before the autostart jobs. Returns how many jobs were adopted.
  std::size_t adopt_from_records(TimePoint now);
  // Start-up: the output pipes a previous supd's fd holder kept, read again into their log
  // files (what the jobs wrote meanwhile waits in them), with the job's rotation settings.
  void reattach(std::vector<HeldPipe> pipes, OutputSink& output);
  // After every event: records follow the jobs; adopted groups are watched.
  void sync(TimePoint now);

private:
  bool adopt(const Job& job, const JobRecord& record, TimePoint now);
  void watch_exit(const Job& job, std::uint64_t starttime);
  // An adopted process exited: its status from /proc while it is a zombie, or from its pidfd
  // once its parent reaped it (Linux 6.15+), asked every kExitInfoRetry up to kExitInfoTries
  // times; else "status unknown (adopted)".
  void report_exit(std::shared_ptr<asio::posix::stream_descriptor> watch, pid_t pid, std::uint64_t starttime,
                   int tries);
  static constexpr int kExitInfoTries = 100;
  static constexpr std::chrono::milliseconds kExitInfoRetry{10};
  void poll_groups_soon();
  void poll_exits_soon();

  struct Written {
    pid_t pid = 0;
  };

  asio::io_context& io_;
  Supervisor& sup_;
  RecordStore store_;
  EventHub& hub_;
  std::map<std::string, Written> written_;  // jobs whose record is on disk
  std::set<std::string> adopted_;           // jobs whose current process group is not ours to reap
  std::set<std::string> adopted_lingering_;  // of those, the ones whose main process is gone
  std::map<std::string, std::shared_ptr<asio::posix::stream_descriptor>> watches_;
  asio::steady_timer group_poll_;
  bool polling_ = false;
  struct Polled {
    pid_t pid = 0;
    std::uint64_t starttime = 0;
  };
  std::map<std::string, Polled> polled_;  // adopted without a pidfd: their exit is looked for in /proc
  asio::steady_timer exit_poll_;
  bool exit_polling_ = false;
};

}  // namespace supd::daemon
