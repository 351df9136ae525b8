// The seam between the supervisor and the kernel: spawn, signal, look at a process group.
// PosixProcessOps does it for real; unit tests use a fake that records calls.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "common/fd.hpp"
#include "config/job_spec.hpp"

namespace supd::daemon {

// One output stream of a job: the read end of its pipe, and the log file it goes to.
struct CaptureStream {
  common::UniqueFd pipe;
  common::UniqueFd file;
  std::filesystem::path path;
  std::uint64_t max_size = 0;  // rotation: the job's log_max_size (0 = never) and log_keep
  int keep = 0;
  config::Timestamps timestamps = config::Timestamps::Index;
  bool new_run = true;  // false: a pipe taken back from a previous supd (the same run goes on)
};

struct SpawnResult {
  pid_t pid = -1;                      // > 0 on success
  common::UniqueFd pidfd;              // empty when the kernel has no pidfd_open
  std::string error;                   // "exec amsa.py: No such file or directory" on failure
  bool permanent = true;               // false for errors that may pass (fork EAGAIN, EMFILE)
  std::vector<CaptureStream> output;   // stdout (merged with stderr), and stderr when apart
  std::vector<std::string> warnings;   // what was asked and cannot be had here (a cgroup limit), for one event
};

class ProcessOps {
public:
  virtual ~ProcessOps() = default;
  virtual SpawnResult spawn(const config::JobSpec& spec, const std::filesystem::path& log_dir) = 0;
  // 0 or an errno. Without `group`, goes through the pidfd when there is one, so it never
  // reaches a recycled PID; with `group`, to the process group (whose id is the job's PID) and,
  // where the job has its own cgroup, to every process in it (setsid escapees included).
  virtual int send_signal(std::string_view job, pid_t pid, int pidfd, int signo, bool group) = 0;
  // Whether anything of the job is left: its process group, or its cgroup where it has one.
  virtual bool group_alive(std::string_view job, pid_t pgid) = 0;
  // How many processes the OOM killer has killed in the job's cgroup (or else supd's) so far
  // (daemon/process/oom.hpp); nullopt where nobody counts. Read at each spawn and exit, for `why`.
  virtual std::optional<long> oom_kills(std::string_view job) = 0;
  // Whether a process of the group listens on a TCP or Unix stream socket (ready = "listen";
  // daemon/process/listen_check.hpp). Seams that cannot tell say no.
  virtual bool group_listens(pid_t /*pgid*/) { return false; }
  // Every process in the job's own cgroup (setsid escapees included); none without one.
  virtual std::vector<pid_t> cgroup_pids(std::string_view /*job*/) { return {}; }
};

}  // namespace supd::daemon
