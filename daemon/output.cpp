#include "daemon/output.hpp"

#include <cerrno>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "common/sys_error.hpp"

namespace supd::daemon {
namespace {

// write(2) until all of it is written; false on an error (errno set).
bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

OutputCapture::~OutputCapture() { close_all(); }

void OutputCapture::attach(const std::string& job, std::vector<CaptureStream> streams) {
  for (auto& s : streams) {
    const int fd = s.pipe.release();
    auto reader = std::make_shared<Reader>(Reader{job, asio::posix::stream_descriptor(io_, fd), std::move(s), false});
    std::error_code ec;
    reader->pipe.non_blocking(true, ec);
    readers_.emplace(job, reader);
    wait(reader);
  }
}

void OutputCapture::wait(const std::shared_ptr<Reader>& reader) {
  reader->pipe.async_wait(asio::posix::stream_descriptor::wait_read, [this, reader](std::error_code ec) {
    if (ec) return;  // cancelled: closed by close_all()
    if (copy_available(*reader))
      wait(reader);
    else
      close(reader);
  });
}

bool OutputCapture::copy_available(Reader& r) {
  for (;;) {
    const ssize_t n = ::read(r.pipe.native_handle(), buffer_.data(), buffer_.size());
    if (n > 0) {
      if (!write_all(r.stream.file.get(), buffer_.data(), static_cast<std::size_t>(n)) && !r.write_failed) {
        r.write_failed = true;  // the output issue adds blocking on a full disk; for now: say it once
        spdlog::error("job {}: writing {} failed: {}; output is being dropped", r.job, r.stream.path.string(),
                      common::errno_message(errno));
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;  // EOF: every writer (the job and its descendants) closed the pipe
  }
}

void OutputCapture::close(const std::shared_ptr<Reader>& reader) {
  for (auto [it, end] = readers_.equal_range(reader->job); it != end; ++it) {
    if (it->second == reader) {
      readers_.erase(it);
      break;
    }
  }
  std::error_code ec;
  reader->pipe.close(ec);
}

void OutputCapture::drain(const std::string& job) {
  for (auto [it, end] = readers_.equal_range(job); it != end; ++it) copy_available(*it->second);
}

void OutputCapture::close_all() {
  for (auto& [job, reader] : readers_) {
    copy_available(*reader);
    std::error_code ec;
    reader->pipe.close(ec);
  }
  readers_.clear();
}

}  // namespace supd::daemon
