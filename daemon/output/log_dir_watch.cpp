#include "daemon/output/log_dir_watch.hpp"

#include <cerrno>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/sys_error.hpp"

namespace supd::daemon {

LogDirWatch::LogDirWatch(asio::io_context& io, Changed changed, std::function<void()> lost)
    : io_(io), changed_(std::move(changed)), lost_(std::move(lost)) {
  open();  // at once, so supd's fd count does not change with its first job
}

bool LogDirWatch::open() {
  if (fd_) return true;
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    if (!failure_logged_)
      spdlog::warn("cannot watch the log dir (inotify_init1: {}); a deleted log file is re-created at its next "
                   "rotation or `supctl logs --reopen`",
                   common::errno_message(errno));
    failure_logged_ = true;
    return false;
  }
  fd_.emplace(io_, fd);
  wait();
  return true;
}

void LogDirWatch::watch(const std::filesystem::path& dir) {
  const std::string key = (dir.empty() ? std::filesystem::path(".") : dir).lexically_normal().native();
  if (watched_.contains(key)) return;
  auto fail = [&](const char* what) {
    if (!failure_logged_)
      spdlog::warn("cannot watch {} ({}: {}); a deleted log file there is re-created at its next rotation or "
                   "`supctl logs --reopen`",
                   key, what, common::errno_message(errno));
    failure_logged_ = true;
  };
  if (!open()) return;
  const int wd = ::inotify_add_watch(fd_->native_handle(), key.c_str(),
                                     IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR | IN_DONT_FOLLOW);
  if (wd < 0) return fail("inotify_add_watch");
  watched_.insert(key);
  dirs_[wd] = key;
}

void LogDirWatch::close() {
  if (!fd_) return;
  std::error_code ec;
  fd_->close(ec);
  fd_.reset();
  dirs_.clear();
  watched_.clear();
}

void LogDirWatch::wait() {
  fd_->async_wait(asio::posix::stream_descriptor::wait_read, [this](std::error_code ec) {
    if (ec) return;  // closed: `this` may be gone
    on_readable();
  });
}

void LogDirWatch::on_readable() {
  alignas(inotify_event) std::array<char, 16 * 1024> buf{};
  for (;;) {
    const ssize_t n = ::read(fd_->native_handle(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EAGAIN: all read
    struct Event {
      std::uint32_t mask, cookie;
      int wd;
      std::string name;
    };
    std::vector<Event> events;
    for (std::size_t at = 0; at + sizeof(inotify_event) <= static_cast<std::size_t>(n);) {
      inotify_event e{};
      std::memcpy(&e, buf.data() + at, sizeof e);
      const char* name = buf.data() + at + sizeof e;
      events.push_back({e.mask, e.cookie, e.wd, e.len > 0 ? std::string(name, ::strnlen(name, e.len)) : std::string()});
      at += sizeof e + e.len;
    }
    // A rename within the watched directories comes as MOVED_FROM and MOVED_TO with one cookie.
    std::vector<std::uint32_t> arrived;
    for (const auto& e : events)
      if (e.mask & IN_MOVED_TO) arrived.push_back(e.cookie);
    for (const auto& e : events) {
      if (e.mask & IN_Q_OVERFLOW) {
        lost_();
        continue;
      }
      const auto it = dirs_.find(e.wd);
      if (it == dirs_.end()) continue;
      if (e.mask & IN_IGNORED) {  // the directory itself is gone
        watched_.erase(it->second);
        dirs_.erase(it);
        continue;
      }
      if (e.name.empty()) continue;
      const bool within = (e.mask & IN_MOVED_TO) != 0 ||
                          ((e.mask & IN_MOVED_FROM) != 0 &&
                           std::find(arrived.begin(), arrived.end(), e.cookie) != arrived.end());
      changed_(std::filesystem::path(it->second) / e.name, within);
    }
  }
  if (fd_) wait();
}

}  // namespace supd::daemon
