// systemd's fd store as the keeper of the jobs' output pipes when supd runs as a systemd
// service (supd.service sets FileDescriptorStoreMax=): each pipe is sent to the service
// manager with FDSTORE=1 and comes back in LISTEN_FDS when systemd starts supd again after a
// crash. The manager keeps an fd until supd removes it (FDSTOREREMOVE=1) or the service is
// stopped; FDPOLL=0 keeps it past the job's exit, since the pipe still holds the last output.
//
// An FDNAME is short and may not hold any path, so a pipe is named by its inode,
// "supd-pipe-<inode>", and its job and log file are written beside the job records, in
// <socket>.pipes/<inode> (job, newline, log path). Across an upgrade's exec, which systemd
// does not see, supd hands its own duplicates of the pipes over directly.
#pragma once
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/fd.hpp"
#include "daemon/control/notify.hpp"
#include "daemon/core/pipe_keeper.hpp"

namespace supd::daemon {

std::filesystem::path fd_store_dir_for(const std::filesystem::path& socket);  // <socket>.pipes

class FdStore final : public PipeKeeper {
public:
  // `stored`: what systemd passed back at this start; `handed`: what an upgrade's exec carried.
  FdStore(Notifier& notifier, std::filesystem::path dir, std::vector<std::pair<std::string, int>> stored,
          std::vector<HandedPipe> handed);
  FdStore(const FdStore&) = delete;
  FdStore& operator=(const FdStore&) = delete;

  std::vector<HeldPipe> take_all() override;
  void opened(const std::string& job, const std::filesystem::path& log_path, int pipe_fd) override;
  void closed(int pipe_fd) override;
  void quit() override;
  void disconnect() override {}  // systemd keeps them; our duplicates close as supd exits
  bool keeps_pipes() const override { return true; }
  std::vector<HandedPipe> pipes_for_exec() override;

private:
  struct Entry {
    std::string job;
    std::filesystem::path log_path;
    common::UniqueFd fd;  // our own duplicate: for take_all() and an upgrade's exec
  };
  void forget(ino_t inode);

  Notifier& notifier_;
  std::filesystem::path dir_;
  std::map<ino_t, Entry> held_;
  bool failed_logged_ = false;
};

}  // namespace supd::daemon
