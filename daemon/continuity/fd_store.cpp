#include "daemon/continuity/fd_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <fstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/atomic_file.hpp"
#include "common/sys_error.hpp"

namespace supd::daemon {
namespace fs = std::filesystem;
using common::inode_of;
using common::UniqueFd;

namespace {

std::string fd_name(ino_t inode) { return fmt::format("{}{}", kStoredPipePrefix, inode); }

// A duplicate at fd 3 or above, close-on-exec.
UniqueFd duplicate(int fd) { return UniqueFd(::fcntl(fd, F_DUPFD_CLOEXEC, 3)); }

}  // namespace

fs::path fd_store_dir_for(const fs::path& socket) { return fs::path(socket.string() + ".pipes"); }

FdStore::FdStore(Notifier& notifier, fs::path dir, std::vector<std::pair<std::string, int>> stored,
                 std::vector<HandedPipe> handed)
    : notifier_(notifier), dir_(std::move(dir)) {
  for (auto& h : handed) {
    UniqueFd fd(h.fd);
    ::fcntl(fd.get(), F_SETFD, FD_CLOEXEC);
    if (const ino_t ino = inode_of(fd.get()); ino != 0) held_[ino] = Entry{h.job, h.log_path, std::move(fd)};
  }
  for (auto& [name, raw] : stored) {
    UniqueFd fd(raw);
    const ino_t ino = inode_of(fd.get());
    std::ifstream in(dir_ / std::to_string(ino));
    std::string job, log_path;
    if (ino == 0 || held_.count(ino) != 0 || !std::getline(in, job) || !std::getline(in, log_path) || job.empty()) {
      // Not ours to read (its note is gone): let systemd drop it too.
      notifier_.send(fmt::format("FDSTOREREMOVE=1\nFDNAME={}", name));
      continue;
    }
    held_[ino] = Entry{job, log_path, std::move(fd)};
  }
  if (!stored.empty())
    spdlog::info("systemd's fd store gave back {} output pipe(s) of a previous supd", held_.size());
}

std::vector<HeldPipe> FdStore::take_all() {
  std::vector<HeldPipe> out;
  for (const auto& [ino, e] : held_)
    if (auto fd = duplicate(e.fd.get())) out.push_back({e.job, e.log_path, std::move(fd)});
  return out;
}

void FdStore::opened(const std::string& job, const fs::path& log_path, int pipe_fd) {
  const ino_t ino = inode_of(pipe_fd);
  if (ino == 0 || held_.count(ino) != 0) return;  // taken back at start-up: kept already
  auto fd = duplicate(pipe_fd);
  if (!fd) return;
  std::error_code ec;
  fs::create_directory(dir_, ec);
  ::chmod(dir_.c_str(), 0700);
  const auto error = common::write_file_atomically(dir_ / std::to_string(ino), job + "\n" + log_path.string() + "\n");
  const bool sent = error.empty() &&
                    notifier_.send_with_fd(fmt::format("FDSTORE=1\nFDNAME={}\nFDPOLL=0", fd_name(ino)), fd.get());
  if (!sent && !failed_logged_) {  // once: the jobs run on, their output just would not outlive supd
    failed_logged_ = true;
    spdlog::warn("cannot keep job {}'s output pipe in systemd's fd store ({}); if supd dies, its jobs' output "
                 "pipes close with it (supd.service sets FileDescriptorStoreMax=)",
                 job, error.empty() ? "the notification failed" : error);
  }
  held_[ino] = Entry{job, log_path, std::move(fd)};
}

void FdStore::forget(ino_t ino) {
  held_.erase(ino);
  std::error_code ec;
  fs::remove(dir_ / std::to_string(ino), ec);
  notifier_.send(fmt::format("FDSTOREREMOVE=1\nFDNAME={}", fd_name(ino)));
}

void FdStore::closed(int pipe_fd) {
  const ino_t ino = inode_of(pipe_fd);
  if (held_.count(ino) != 0) forget(ino);
}

void FdStore::quit() {
  while (!held_.empty()) forget(held_.begin()->first);
}

std::vector<HandedPipe> FdStore::pipes_for_exec() {
  std::vector<HandedPipe> out;
  for (const auto& [ino, e] : held_) {
    ::fcntl(e.fd.get(), F_SETFD, 0);  // crosses the exec; the new supd sets it again
    out.push_back({e.job, e.log_path.string(), e.fd.get()});
  }
  return out;
}

}  // namespace supd::daemon
