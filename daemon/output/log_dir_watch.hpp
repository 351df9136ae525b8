// Noticing at once that a live log file was deleted or moved out of the log dir: one inotify
// fd on the loop, watching each directory that holds an open log file. Event-driven: nothing
// polls, and no write pays for an fstat.
#pragma once
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace supd::daemon {

class LogDirWatch {
public:
  // `changed(path, renamed_within)`: the name `path` was unlinked, renamed away, or replaced
  // by a rename onto it; `renamed_within` when it was renamed to another name in the watched
  // directories (NAME -> NAME.1, as logrotate and supd's own rotation do). `lost()`: the
  // kernel's queue overflowed; look at every file.
  using Changed = std::function<void(const std::filesystem::path& path, bool renamed_within)>;
  LogDirWatch(asio::io_context& io, Changed changed, std::function<void()> lost);
  ~LogDirWatch() { close(); }
  LogDirWatch(const LogDirWatch&) = delete;
  LogDirWatch& operator=(const LogDirWatch&) = delete;

  // Watches `dir` (once; best effort: a failure is logged once and files there are noticed at
  // their next rotation, as before).
  void watch(const std::filesystem::path& dir);
  void close();

private:
  bool open();  // the inotify fd, once; false (logged once) when the kernel refuses
  void wait();
  void on_readable();

  asio::io_context& io_;
  Changed changed_;
  std::function<void()> lost_;
  std::optional<asio::posix::stream_descriptor> fd_;
  std::map<int, std::string> dirs_;  // watch descriptor -> directory
  std::set<std::string, std::less<>> watched_;
  bool failure_logged_ = false;
};

}  // namespace supd::daemon
