#include "daemon/output.hpp"

#include <cerrno>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "common/sys_error.hpp"

namespace supd::daemon {

OutputCapture::~OutputCapture() { close_all(); }

void OutputCapture::attach(const std::string& job, std::vector<CaptureStream> streams) {
  for (auto& s : streams) {
    auto& file = file_for(s.path);
    file->adopt(std::move(s.file), s.max_size, s.keep);  // a new fd: re-created if it was deleted
    const int fd = s.pipe.release();
    auto reader = std::make_shared<Reader>(Reader{job, asio::posix::stream_descriptor(io_, fd), file, s.path, false});
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
      const bool ok = r.file->write({buffer_.data(), static_cast<std::size_t>(n)});
      if (!ok && !r.write_failed) {
        r.write_failed = true;  // back-pressure on a full disk comes later; for now: say it once
        spdlog::error("job {}: writing {} failed: {}; output is being dropped", r.job, r.path.string(),
                      common::errno_message(errno));
      } else if (ok && r.write_failed) {
        r.write_failed = false;
        spdlog::info("job {}: writing {} works again", r.job, r.path.string());
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
  // The last reader of a file closes it (fds as before); the object stays for followers.
  bool shared = false;
  for (const auto& [job, other] : readers_) shared = shared || other->file == reader->file;
  if (!shared) reader->file->close();
}

void OutputCapture::drain(const std::string& job) {
  for (auto [it, end] = readers_.equal_range(job); it != end; ++it) copy_available(*it->second);
}

void OutputCapture::close_all() {
  for (auto& [job, reader] : readers_) {
    copy_available(*reader);
    std::error_code ec;
    reader->pipe.close(ec);
    reader->file->close();
  }
  readers_.clear();
  auto followers = std::move(followers_);  // on_end may unfollow
  followers_.clear();
  for (auto& [token, entry] : followers) {
    entry.first->remove_follower(token);
    if (entry.second) entry.second();
  }
}

std::shared_ptr<LogFile>& OutputCapture::file_for(const std::filesystem::path& path) {
  auto& file = files_[path.lexically_normal()];
  if (!file) file = std::make_shared<LogFile>(path);
  return file;
}

std::uint64_t OutputCapture::follow(const std::filesystem::path& file, LogFollower follower) {
  const auto token = next_token_++;
  auto& log = file_for(file);
  log->add_follower(token, std::move(follower.on_output));
  followers_.emplace(token, std::make_pair(log, std::move(follower.on_end)));
  return token;
}

void OutputCapture::unfollow(std::uint64_t token) {
  const auto it = followers_.find(token);
  if (it == followers_.end()) return;
  it->second.first->remove_follower(token);
  followers_.erase(it);
}

std::size_t OutputCapture::reopen_all() {
  std::size_t count = 0;
  for (auto& [path, file] : files_) {
    if (!file->is_open()) continue;
    std::string error;
    if (file->reopen(error))
      ++count;
    else
      spdlog::error("reopening a log file failed: {}", error);
  }
  spdlog::info("reopened {} log file(s)", count);
  return count;
}

}  // namespace supd::daemon
