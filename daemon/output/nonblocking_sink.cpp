#include "daemon/output/nonblocking_sink.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/log_text.hpp"

namespace supd::daemon {
namespace {

NonblockingSink::Mode mode_for(int fd, common::UniqueFd& own) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) return NonblockingSink::Mode::File;
  if (S_ISSOCK(st.st_mode)) return NonblockingSink::Mode::Socket;
  // Opening /proc/self/fd/N of a pipe, FIFO or terminal makes a new open file description
  // of the same object: O_NONBLOCK on it is ours alone.
  own.reset(::open(fmt::format("/proc/self/fd/{}", fd).c_str(), O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (own) return NonblockingSink::Mode::Reopened;
  // No /proc, or a FIFO whose reader is gone: better a shared non-blocking flag than a
  // frozen supd.
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  return NonblockingSink::Mode::SharedNonblocking;
}

}  // namespace

NonblockingSink::NonblockingSink(int fd, std::size_t capacity)
    : fd_(fd),
      mode_(mode_for(fd, own_)),  // own_ is declared (so constructed) before mode_
      backlog_([this](const char* data, std::size_t size) { return write_out(data, size); }, capacity) {}

NonblockingSink::~NonblockingSink() {
  std::lock_guard lock(mutex_);
  backlog_.flush();  // one last try, without waiting
}

ssize_t NonblockingSink::write_out(const char* data, std::size_t size) {
  ssize_t n = -1;
  switch (mode_) {
  case Mode::Socket: n = ::send(fd_, data, size, MSG_DONTWAIT | MSG_NOSIGNAL); break;
  case Mode::Reopened: n = ::write(own_.get(), data, size); break;
  case Mode::File:
  case Mode::SharedNonblocking: n = ::write(fd_, data, size); break;
  }
  if (n < 0 && errno == EIO && divert_locked()) n = ::write(fd_, data, size);
  return n;
}

void NonblockingSink::divert_on_hangup(OpenFile open_file) {
  std::lock_guard lock(mutex_);
  open_divert_ = std::move(open_file);
}

bool NonblockingSink::divert_locked() {
  if (!open_divert_ || diverted_) return false;
  auto file = open_divert_();
  open_divert_ = nullptr;  // one try: a state dir that cannot take it will not later
  if (!file) return false;
  diverted_ = std::move(file);
  fd_ = diverted_.get();
  mode_ = Mode::File;  // a file never makes a writer wait: the watch is not armed again
  const auto note = fmt::format("supd[{}]: its terminal is gone (write: EIO); its own log continues here\n", ::getpid());
  [[maybe_unused]] const auto w = ::write(fd_, note.data(), note.size());
  return true;
}

void NonblockingSink::sink_it_(const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t formatted;
  if (common::has_control(std::string_view(msg.payload.data(), msg.payload.size()))) {
    // A newline in a job's argv or a directory must not start a line of its own.
    const std::string safe = common::escape_control(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg copy = msg;
    copy.payload = spdlog::string_view_t(safe.data(), safe.size());
    formatter_->format(copy, formatted);
  } else {
    formatter_->format(msg, formatted);
  }
  backlog_.push(std::string_view(formatted.data(), formatted.size()));
  arm_locked();
}

void NonblockingSink::watch(asio::io_context& io) {
  std::lock_guard lock(mutex_);
  if (mode_ == Mode::File) return;  // epoll does not take regular files; they never wait
  // Asio sets O_NONBLOCK on what it waits on: on our own description that changes nothing;
  // on a socket (journald) it is set once a write had to wait, which supd alone writes.
  const int fd = ::fcntl(mode_ == Mode::Reopened ? own_.get() : fd_, F_DUPFD_CLOEXEC, 3);
  if (fd < 0) return;  // then the backlog goes out with the next line
  writable_ = std::make_unique<asio::posix::stream_descriptor>(io, fd);
  armed_ = false;
  arm_locked();
}

void NonblockingSink::unwatch() {
  std::lock_guard lock(mutex_);
  writable_.reset();  // closes the dup; a wait in flight is cancelled
  armed_ = false;
}

// Only while the reader lags: a writable pipe would wake the loop all the time.
void NonblockingSink::arm_locked() {
  if (!writable_ || armed_ || !backlog_.waiting_for_reader()) return;
  armed_ = true;
  writable_->async_wait(asio::posix::stream_descriptor::wait_write, [this](const std::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;
    std::lock_guard lock(mutex_);
    armed_ = false;
    backlog_.flush();
    arm_locked();
  });
}

std::shared_ptr<NonblockingSink> install_stderr_logger(bool under_journald) {
  auto sink = std::make_shared<NonblockingSink>(STDERR_FILENO);
  auto logger = std::make_shared<spdlog::logger>("supd", sink);
  // Under journald the journal adds its own time stamp.
  logger->set_pattern(under_journald ? "%l: %v" : "%Y-%m-%d %H:%M:%S.%e supd[%P] %l: %v");
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
  return sink;
}

SinkWatch::SinkWatch(std::shared_ptr<NonblockingSink> sink, asio::io_context& io) : sink_(std::move(sink)) {
  if (sink_) sink_->watch(io);
}

SinkWatch::~SinkWatch() { stop(); }

void SinkWatch::stop() {
  if (sink_) sink_->unwatch();
}

}  // namespace supd::daemon
