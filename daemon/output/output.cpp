#include "daemon/output/output.hpp"

#include <asio/post.hpp>

#include <cerrno>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "common/sys_error.hpp"
#include "common/time_format.hpp"

namespace supd::daemon {

OutputCapture::OutputCapture(asio::io_context& io, std::filesystem::path log_dir, PipeHooks hooks)
    : io_(io),
      log_dir_(std::move(log_dir)),
      watch_(
          io, [this](const std::filesystem::path& path, bool within) { on_name_changed(path, within); },
          [this] {
            for (auto& [path, file] : files_)
              if (file->is_open() && file->whereabouts() == LogFile::Whereabouts::Deleted)
                recreate(*file, "was deleted");
          }),
      hooks_(std::move(hooks)),
      aside_(io) {}

OutputCapture::~OutputCapture() { close_all(); }

void OutputCapture::on_name_changed(const std::filesystem::path& path, bool renamed_within) {
  const auto it = files_.find(path.lexically_normal().native());
  if (it == files_.end() || !it->second->is_open()) return;
  switch (it->second->whereabouts()) {
  case LogFile::Whereabouts::AtPath: return;  // supd's own rotation, or created again already
  case LogFile::Whereabouts::Deleted: return recreate(*it->second, "was deleted");
  case LogFile::Whereabouts::Renamed:
    if (!renamed_within) recreate(*it->second, "was moved out of the log dir");
    return;
  }
}

void OutputCapture::recreate(LogFile& file, std::string_view what) {
  std::string writers;
  const std::string* last = nullptr;  // readers_ is sorted by job: one job's readers are adjacent
  for (const auto& [job, reader] : readers_)
    if (reader->file.get() == &file && (last == nullptr || *last != job)) {
      writers += (writers.empty() ? "" : ", ") + job;
      last = &job;
    }
  std::string error;
  if (file.reopen(error)) {
    watch_.watch(file.path().parent_path());  // a directory made anew has a new watch
    spdlog::warn("{}: the live log file {}; created it again (written by job {})", file.path().string(), what,
                 writers.empty() ? "-" : writers);
  } else {
    spdlog::error("{}: the live log file {} and creating it again failed: {}; its output goes on into the old "
                  "file until `supctl logs --reopen`",
                  file.path().string(), what, error);
  }
}

void OutputCapture::attach(const std::string& job, std::vector<CaptureStream> streams) {
  for (auto& s : streams) {
    auto& file = file_for(s.path);
    watch_.watch(s.path.parent_path());
    // A new fd: re-created if it was deleted.
    file->adopt(std::move(s.file), s.max_size, s.keep, s.timestamps == config::Timestamps::Index);
    hooks_.opened(job, s.path, s.pipe.get());
    // An earlier run ended mid-line and nothing writes the file now: end that line, so this
    // run's first line is not glued to it (TESTPLAN R34). Not for a pipe taken back from a
    // previous supd: its job is the same run, and may be finishing that very line.
    bool written_by_another = false;
    for (const auto& [name, other] : readers_) written_by_another = written_by_another || other->file == file;
    if (s.new_run && !file->at_line_start() && !written_by_another) (void)file->write("\n");
    const int fd = s.pipe.release();
    auto reader = std::make_shared<Reader>(Reader{job, asio::posix::stream_descriptor(io_, fd), file, {}, {},
                                                  asio::steady_timer(io_), false});
    if (s.timestamps == config::Timestamps::Prefix) reader->stamper.emplace(s.new_run || file->at_line_start());
    std::error_code ec;
    reader->pipe.non_blocking(true, ec);
    readers_.emplace(job, reader);
    wait(reader);
  }
}

void OutputCapture::wait(const std::shared_ptr<Reader>& reader) {
  if (reader->waiting) return;
  reader->waiting = true;
  reader->pipe.async_wait(asio::posix::stream_descriptor::wait_read, [this, reader](std::error_code ec) {
    reader->waiting = false;
    if (ec) return;  // cancelled: closed by close_all()
    on_readable(reader);
  });
}

void OutputCapture::on_readable(const std::shared_ptr<Reader>& reader) {
  bool limited = false;
  if (!copy_available(reader, kReadsPerTurn, &limited)) {
    close(reader);
    return;
  }
  if (!reader->pending.empty()) return;  // held back: the retry timer reads on once written
  if (limited)  // more is waiting: read on after whatever else the loop has to do
    asio::post(io_, [this, reader] {
      if (reader->pipe.is_open() && !reader->waiting) on_readable(reader);
    });
  else
    wait(reader);
}

bool OutputCapture::copy_available(const std::shared_ptr<Reader>& reader, std::size_t max_reads, bool* limited) {
  Reader& r = *reader;
  if (!r.pending.empty() && !flush_pending(r)) return true;
  for (std::size_t reads = 0; reads < max_reads; ++reads) {
    const ssize_t n = ::read(r.pipe.native_handle(), buffer_.data(), buffer_.size());
    if (n > 0) {
      std::string_view chunk(buffer_.data(), static_cast<std::size_t>(n));
      std::string stamped;
      if (r.stamper) {  // every line of one chunk arrived at the same time
        stamped = r.stamper->stamp(chunk, common::iso8601_utc_ms(common::unix_ms_now()) + " ");
        chunk = stamped;
      }
      std::size_t written = 0;
      if (!r.file->write(chunk, &written)) {
        hold_back(reader, chunk.substr(written));
        return true;
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;  // EOF: every writer (the job and its descendants) closed the pipe
  }
  if (limited) *limited = true;  // more may be there
  return true;
}

void OutputCapture::hold_back(const std::shared_ptr<Reader>& reader, std::string_view rest) {
  const int err = errno;
  reader->pending.assign(rest);
  if (held_back_++ == 0 || err != ENOSPC)
    spdlog::error("job {}: writing {} failed: {}; holding its output back (the job blocks once its pipe is "
                  "full, nothing is dropped) and retrying every second",
                  reader->job, reader->file->path().string(), common::errno_message(err));
  retry_later(reader);
}

bool OutputCapture::flush_pending(Reader& r) {
  std::size_t written = 0;
  const bool ok = r.file->write(r.pending, &written);
  r.pending.erase(0, written);
  if (!ok) return false;
  if (held_back_ > 0) --held_back_;
  spdlog::info("job {}: writing {} works again; the output held back is written", r.job, r.file->path().string());
  return true;
}

void OutputCapture::retry_later(const std::shared_ptr<Reader>& reader) {
  reader->retry.expires_after(std::chrono::seconds(1));
  reader->retry.async_wait([this, reader](std::error_code ec) {
    if (ec || reader->pending.empty()) return;  // cancelled, or written meanwhile by a drain
    if (flush_pending(*reader))
      on_readable(reader);  // read on; the pipe's waiting writers wake up
    else
      retry_later(reader);
  });
}

void OutputCapture::close(const std::shared_ptr<Reader>& reader) {
  for (auto [it, end] = readers_.equal_range(reader->job); it != end; ++it) {
    if (it->second == reader) {
      readers_.erase(it);
      break;
    }
  }
  std::error_code ec;
  reader->retry.cancel();
  hooks_.closed(reader->pipe.native_handle());
  reader->pipe.close(ec);
  // The last reader of a file closes it (fds as before); the object stays for followers.
  bool shared = false;
  for (const auto& [job, other] : readers_) shared = shared || other->file == reader->file;
  if (!shared) reader->file->close();
}

void OutputCapture::drain(const std::string& job) {
  // What the pipe holds now; not an endless stream from a grandchild that writes on.
  for (auto [it, end] = readers_.equal_range(job); it != end; ++it) copy_available(it->second, kReadsToDrain);
}

void OutputCapture::set_log_limits(const std::string& job, std::uint64_t max_size, int keep) {
  for (auto [it, end] = readers_.equal_range(job); it != end; ++it) it->second->file->set_limits(max_size, keep);
}

void OutputCapture::close_all() {
  for (auto& [job, reader] : readers_) {
    copy_available(reader, kReadsToDrain);
    if (!reader->pending.empty())
      spdlog::error("job {}: {} byte(s) of output could not be written to {} before supd exited", job,
                    reader->pending.size(), reader->file->path().string());
    std::error_code ec;
    reader->retry.cancel();
    reader->pipe.close(ec);
    reader->file->close();
  }
  readers_.clear();
  watch_.close();
  auto followers = std::move(followers_);  // on_end may unfollow
  followers_.clear();
  for (auto& [token, entry] : followers) {
    entry.first->remove_follower(token);
    if (entry.second) entry.second();
  }
}

std::shared_ptr<LogFile>& OutputCapture::file_for(const std::filesystem::path& path) {
  auto& file = files_[path.lexically_normal().native()];
  if (!file) file = std::make_shared<LogFile>(path, log_dir_, &rotation_worker_);
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
