// The fd holder: a tiny process that keeps a duplicate of every job's output pipe (read end),
// so that a job's output pipe outlives supd. When supd dies (kill -9) or leaves with
// `shutdown --leave-running`, the jobs write on into their pipes (1 MiB each) instead of
// getting SIGPIPE, and the next supd takes the pipes back and copies what waited into the logs.
//
// It is forked by supd when the first pipe needs holding (not exec'd: it runs the small loop
// below and nothing of supd's), in its own session, named "supd-fdholder", with no fd of
// supd's but its listening socket (<socket>.fds, 0600): not the control socket, not the lock,
// not a log file, not stdio. It is not a job. It exits once it holds no pipe and no supd is
// connected, and at once when supd, shutting down for good, says QUIT.
//
// Protocol: SOCK_SEQPACKET, one message each, fields separated by NUL; the holder greets each
// connection with HELLO <its pid> (SO_PEERCRED would name the supd that bound the socket):
//   PUT <job> <log path>  + the pipe fd (SCM_RIGHTS)  keep it
//   DROP <inode>                                      supd saw EOF: close it
//   TAKE                                              -> FD <job> <log path> <inode> + fd, ..., END
//   QUIT                                              close everything and exit
#pragma once
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/fd.hpp"
#include "daemon/core/pipe_keeper.hpp"

namespace supd::daemon {

std::filesystem::path fd_holder_path_for(const std::filesystem::path& socket);  // <socket>.fds

// supd's side. Every call is best effort: a holder that cannot be reached or started is
// logged once, and supd runs on without it (a job then gets SIGPIPE if supd dies).
class FdHolder final : public PipeKeeper {
public:
  explicit FdHolder(std::filesystem::path path) : path_(std::move(path)) {}
  ~FdHolder() override;
  FdHolder(const FdHolder&) = delete;
  FdHolder& operator=(const FdHolder&) = delete;

  // Start-up: the pipes a holder left by a previous supd keeps (none when there is none).
  // They stay held until their EOF is reported with closed().
  std::vector<HeldPipe> take_all() override;
  // A job's new output pipe: the holder keeps a duplicate (started on first use).
  void opened(const std::string& job, const std::filesystem::path& log_path, int pipe_fd) override;
  // supd read EOF on this pipe and closes it: the holder closes its duplicate too.
  void closed(int pipe_fd) override;
  // Shutting down for good: the holder closes everything and exits; waits (2 s at most) until
  // it is gone, so nothing of supd's outlives `supctl shutdown`.
  void quit() override;
  // Leaving the jobs running (shutdown --leave-running, upgrade): just hang up.
  void disconnect() override { conn_.reset(); }
  bool keeps_pipes() const override { return static_cast<bool>(conn_); }

  pid_t pid() const { return pid_; }
  int connection_fd() const { return conn_.get(); }

private:
  bool ensure_connected(bool start);
  bool connect_existing();
  bool start_new();
  bool send(const std::string& message, int fd = -1);

  std::filesystem::path path_;
  common::UniqueFd conn_;
  pid_t pid_ = 0;            // the holder's pid (from its HELLO), for quit()
  std::set<ino_t> held_;     // pipes the holder has (by inode): not PUT twice
  bool failed_logged_ = false;
};

// Under systemd the pipes live in its fd store (fd_store.hpp), which systemd empties when the
// unit stops -- as it does after `shutdown --leave-running`. So supd hands them to a holder
// then, and the next supd takes them from it (and lets it exit) beside the fd store's.
void hand_to_holder(const std::filesystem::path& path, std::vector<HeldPipe> pipes);
std::vector<HeldPipe> take_from_holder(const std::filesystem::path& path);

// The holder's own loop (in the forked child). Never returns.
[[noreturn]] void run_fd_holder(int listen_fd, const std::filesystem::path& path);

}  // namespace supd::daemon
