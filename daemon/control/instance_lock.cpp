#include "daemon/control/instance_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "common/instance_record.hpp"
#include "common/sys_error.hpp"

namespace supd::daemon {

InstanceLock::InstanceLock(const std::filesystem::path& log_dir) {
  const auto path = common::instance_lock_path(log_dir);
  fd_ = common::UniqueFd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd_) throw StartupError(fmt::format("cannot open {}: {}", path.string(), common::errno_message(errno)));
  if (::flock(fd_.get(), LOCK_EX | LOCK_NB) == 0) return;
  // The holder wrote its record right after taking the lock; a holder still starting has not.
  char buf[4096] = {};
  const auto n = ::pread(fd_.get(), buf, sizeof buf - 1, 0);
  const auto held = n > 0 ? common::decode_instance_record(std::string_view(buf, static_cast<std::size_t>(n)))
                          : std::nullopt;
  if (!held)
    throw StartupError(fmt::format("another supd is already running on the log dir {} (it holds {}); stop it "
                                   "first, or give this one its own --log-dir",
                                   log_dir.string(), path.string()));
  const auto socket = held->socket.string();
  throw StartupError(fmt::format("supd is already running (pid {}, socket {}) on the log dir {}; use it with: "
                                 "supctl --socket {} status, stop it with: supctl --socket {} shutdown",
                                 held->pid, socket, log_dir.string(), socket, socket));
}

void InstanceLock::record(const std::filesystem::path& socket) const {
  const auto line = common::encode_instance_record({::getpid(), socket});
  if (::ftruncate(fd_.get(), 0) == 0) [[maybe_unused]] auto w = ::pwrite(fd_.get(), line.data(), line.size(), 0);
}

}  // namespace supd::daemon
