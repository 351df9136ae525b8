// Where a job's output pipe (its read end) waits while no supd reads it, so that the pipe
// outlives supd: a job whose supd died writes on into it, gets no SIGPIPE, and the next supd
// takes it back and copies what waited into the log. Two keepers, one interface:
// - FdHolder (fd_holder.hpp): a tiny process of our own, for supd started by hand;
// - FdStore (fd_store.hpp): systemd's fd store (FDSTORE=1), for supd as a systemd service.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "common/fd.hpp"

namespace supd::daemon {

struct HeldPipe {
  std::string job;
  std::filesystem::path log_path;
  common::UniqueFd fd;
};

// A pipe handed straight across an upgrade's exec (its fd without close-on-exec).
struct HandedPipe {
  std::string job;
  std::string log_path;
  int fd = -1;
};

class PipeKeeper {
public:
  virtual ~PipeKeeper() = default;
  // Start-up: the pipes kept for a previous supd (none when there are none). They stay kept
  // until their EOF is reported with closed().
  virtual std::vector<HeldPipe> take_all() = 0;
  // A job's new output pipe: the keeper keeps a duplicate.
  virtual void opened(const std::string& job, const std::filesystem::path& log_path, int pipe_fd) = 0;
  // supd read EOF on this pipe and closes it: the keeper lets go of its duplicate too.
  virtual void closed(int pipe_fd) = 0;
  // Shutting down for good (every job stopped): let go of everything.
  virtual void quit() = 0;
  // Leaving the jobs running (shutdown --leave-running, upgrade): keep everything.
  virtual void disconnect() = 0;
  // upgrade: whether every open pipe survives the exec (kept elsewhere or handed across it).
  virtual bool keeps_pipes() const = 0;
  // upgrade: the pipes that must cross the exec itself; their fds lose close-on-exec.
  virtual std::vector<HandedPipe> pipes_for_exec() { return {}; }
};

}  // namespace supd::daemon
