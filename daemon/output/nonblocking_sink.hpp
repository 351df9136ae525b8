// supd's own log sink: stderr (supd.log under --detach, a socket under journald) written
// without ever blocking the loop. Lines wait in a bounded LineBacklog while nobody reads
// and go out when the fd is writable again; every line is one line (control bytes escaped).
#pragma once
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <spdlog/sinks/base_sink.h>

#include "common/fd.hpp"
#include "daemon/output/line_backlog.hpp"

namespace supd::daemon {

class NonblockingSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
  // How the fd is written: a regular file (or block device) plainly, since it never makes
  // a writer wait for a reader; a socket with MSG_DONTWAIT; a pipe, FIFO or terminal
  // through a description of our own opened with O_NONBLOCK, so the flag does not leak to
  // whoever shares the original (a shell, its terminal).
  enum class Mode { File, Socket, Reopened, SharedNonblocking };

  explicit NonblockingSink(int fd, std::size_t capacity = LineBacklog::kDefaultCapacity);
  ~NonblockingSink() override;

  Mode mode() const { return mode_; }

  // A foreground supd's terminal can close under it: its writes then fail with EIO, and
  // every later line would be lost. From the first such failure on, lines go to the file
  // `open_file` opens (the state dir's supd.log), with one line there saying why.
  using OpenFile = std::function<common::UniqueFd()>;
  void divert_on_hangup(OpenFile open_file);

  // From now on, a backlog is written as soon as the fd is writable (an epoll wait on the
  // loop), not only at the next log line. unwatch() before the io_context goes away.
  void watch(asio::io_context& io);
  void unwatch();

protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

private:
  ssize_t write_out(const char* data, std::size_t size);
  void arm_locked();

  // The fd is a terminal that hung up: the lines go to the divert file from now on.
  bool divert_locked();

  int fd_;
  OpenFile open_divert_;
  common::UniqueFd diverted_;
  common::UniqueFd own_;  // the private description (Mode::Reopened); before mode_, which sets it
  Mode mode_ = Mode::File;
  LineBacklog backlog_;
  std::unique_ptr<asio::posix::stream_descriptor> writable_;
  bool armed_ = false;
};

// supd's logger on fd 2 through a NonblockingSink; returns the sink for watch().
std::shared_ptr<NonblockingSink> install_stderr_logger(bool under_journald);

// Keeps the sink watched for the lifetime of the loop's io_context (declare it after the io).
// A wait in flight keeps io.run() from returning: stop() once the loop has nothing else to do.
class SinkWatch {
public:
  SinkWatch(std::shared_ptr<NonblockingSink> sink, asio::io_context& io);
  ~SinkWatch();
  void stop();
  SinkWatch(const SinkWatch&) = delete;
  SinkWatch& operator=(const SinkWatch&) = delete;

private:
  std::shared_ptr<NonblockingSink> sink_;
};

}  // namespace supd::daemon
