#include "daemon/output/output.hpp"

#include <asio/post.hpp>

#include <cerrno>
#include <sys/ioctl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "common/sys_error.hpp"
#include "common/time_format.hpp"

namespace supd::daemon {
namespace {

// A supd killed while it wrote a line's timestamp may have left only the timestamp's start
// (TESTPLAN R88): the rest is written now, from this moment's timestamp, so the line keeps
// one whole timestamp. Its last digits are then this moment's rather than the line's own.
void complete_torn_prefix(LogFile& file) {
  const std::string stamp = common::iso8601_utc_ms(common::unix_ms_now()) + " ";
  const std::string rest = LineStamper::rest_of_torn_prefix(file.unfinished_line(stamp.size()), stamp);
  if (!rest.empty() && file.write(rest))
    spdlog::info("{}: the last line's timestamp was cut short by the previous supd; completed it",
                 file.path().string());
}

}  // namespace

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

void OutputCapture::forget_census_soon() {
  if (census_.empty() || census_forget_posted_) return;
  census_forget_posted_ = true;
  asio::post(io_, [this] {
    census_.forget();
    census_forget_posted_ = false;
  });
}

void OutputCapture::attach(const std::string& job, std::vector<CaptureStream> streams) {
  for (auto& s : streams) {
    auto& file = file_for(s.path);
    watch_.watch(s.path.parent_path());
    // A new fd: re-created if it was deleted.
    file->adopt(std::move(s.file), s.max_size, s.keep, s.timestamps == config::Timestamps::Index);
    forget_census_soon();
    hooks_.opened(job, s.path, s.pipe.get());
    // An earlier run ended mid-line and nothing writes the file now: end that line, so this
    // run's first line is not glued to it (TESTPLAN R34). Not for a pipe taken back from a
    // previous supd: its job is the same run, and may be finishing that very line.
    const bool written_by_another = readers_of_[file.get()]++ > 0;
    if (s.new_run && !file->at_line_start() && !written_by_another) (void)file->write("\n");
    const int fd = s.pipe.release();
    auto reader = std::make_shared<Reader>(Reader{job, asio::posix::stream_descriptor(io_, fd), file, {}, {},
                                                  asio::steady_timer(io_)});
    if (s.timestamps == config::Timestamps::Prefix) {
      if (!s.new_run && !written_by_another) complete_torn_prefix(*file);
      reader->stamper.emplace(s.new_run || file->at_line_start());
    }
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
  if (!copy_available(reader, {kReadsPerTurn, SIZE_MAX}, &limited)) {
    close(reader);
    return;
  }
  if (reader->held) return;  // the retry timer reads on once a write works
  if (limited)  // more is waiting: read on after whatever else the loop has to do
    asio::post(io_, [this, reader] {
      if (reader->pipe.is_open() && !reader->waiting) on_readable(reader);
    });
  else
    wait(reader);
}

bool OutputCapture::copy_available(const std::shared_ptr<Reader>& reader, Budget budget, bool* limited) {
  std::size_t taken = 0;
  for (std::size_t chunks = 0; chunks < budget.chunks; ++chunks) {
    if (!reader->pending.empty() && !flush_pending(reader)) return true;
    if (taken >= budget.bytes) return true;
    switch (copy_chunk(reader, taken)) {
    case Copied::Some: continue;
    case Copied::Empty:
      released(*reader);  // nothing failed to go in: no reason to hold back
      return true;
    case Copied::Held: return true;
    case Copied::End: return false;  // EOF: every writer (the job and its descendants) closed the pipe
    }
  }
  if (limited) *limited = true;  // more may be there
  return true;
}

OutputCapture::Copied OutputCapture::copy_chunk(const std::shared_ptr<Reader>& reader, std::size_t& taken) {
  if (!peek_.ready() && !peek_said_) {
    peek_said_ = true;
    spdlog::warn("job output is copied with read(2) and write(2), where a kill -9 of supd may lose a chunk: no "
                 "scratch pipe for tee(2): {}",
                 common::errno_message(peek_.error()));
  }
  if (reader->peek && peek_.ready() && reader->file->can_splice()) return splice_chunk(reader, taken);
  return read_chunk(reader, taken);
}

OutputCapture::Copied OutputCapture::splice_chunk(const std::shared_ptr<Reader>& reader, std::size_t& taken) {
  Reader& r = *reader;
  const int pipe = r.pipe.native_handle();
  const ssize_t n = peek_.peek(pipe, buffer_.data(), r.stamper ? kStampedChunkBytes : buffer_.size());
  if (n == 0) return Copied::End;
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Copied::Empty;
    if (errno != EINVAL && errno != ENOSYS) return Copied::End;  // as a read error
    r.peek = false;
    spdlog::warn("job {}: tee(2) on its output pipe failed: {}; its output is copied with read(2) and write(2) "
                 "instead, where a kill -9 of supd may lose a chunk",
                 r.job, common::errno_message(errno));
    return read_chunk(reader, taken);
  }
  const std::string_view chunk(buffer_.data(), static_cast<std::size_t>(n));
  ChunkLayout layout;
  std::string stamped;
  std::string_view text = chunk;
  const bool line_start = r.stamper && r.stamper->at_line_start();
  if (r.stamper) {
    stamped = r.stamper->stamp(chunk, common::iso8601_utc_ms(common::unix_ms_now()) + " ", layout,
                               kStampedLinesPerChunk);
    text = stamped;
  } else {
    layout.add(chunk.size(), true);
  }
  std::size_t written = 0;
  const bool ok = r.file->write_from_pipe(pipe, text, layout, &written);
  taken += layout.from_pipe_within(written);
  if (ok) {
    released(r);
    return Copied::Some;
  }
  const int err = errno;
  if (r.stamper) {  // what was not written waits in the pipe; the stamper goes back to where the file is
    auto resume = resume_after(text, layout, written, line_start);
    r.pending = std::move(resume.owed);
    r.stamper.emplace(resume.at_line_start);
  }
  if (!r.file->can_splice()) return Copied::Some;  // said in supd's log; the rest goes by read(2)
  errno = err;
  hold_back(reader);
  return Copied::Held;
}

OutputCapture::Copied OutputCapture::read_chunk(const std::shared_ptr<Reader>& reader, std::size_t& taken) {
  Reader& r = *reader;
  for (;;) {
    const ssize_t n = ::read(r.pipe.native_handle(), buffer_.data(), buffer_.size());
    if (n > 0) {
      taken += static_cast<std::size_t>(n);
      std::string_view chunk(buffer_.data(), static_cast<std::size_t>(n));
      std::string stamped;
      if (r.stamper) {  // every line of one chunk arrived at the same time
        stamped = r.stamper->stamp(chunk, common::iso8601_utc_ms(common::unix_ms_now()) + " ");
        chunk = stamped;
      }
      std::size_t written = 0;
      if (!r.file->write(chunk, &written)) {
        r.pending.assign(chunk.substr(written));
        hold_back(reader);
        return Copied::Held;
      }
      released(r);
      return Copied::Some;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Copied::Empty;
    return Copied::End;
  }
}

std::optional<std::size_t> OutputCapture::in_pipe(Reader& reader) {
  int holds = 0;
  if (::ioctl(reader.pipe.native_handle(), FIONREAD, &holds) != 0 || holds < 0) return std::nullopt;
  return static_cast<std::size_t>(holds);
}

OutputCapture::Budget OutputCapture::drain_budget(Reader& reader) {
  if (const auto holds = in_pipe(reader)) return {SIZE_MAX, *holds};
  return {kReadsToDrain, SIZE_MAX};
}

void OutputCapture::hold_back(const std::shared_ptr<Reader>& reader) {
  const int err = errno;
  if (!reader->held) {
    reader->held = true;
    if (held_back_++ == 0 || err != ENOSPC)
      spdlog::error("job {}: writing {} failed: {}; holding its output back (the job blocks once its pipe is "
                    "full, nothing is dropped) and retrying every second",
                    reader->job, reader->file->path().string(), common::errno_message(err));
  }
  retry_later(reader);
}

bool OutputCapture::flush_pending(const std::shared_ptr<Reader>& reader) {
  Reader& r = *reader;
  std::size_t written = 0;
  const bool ok = r.file->write(r.pending, &written);
  r.pending.erase(0, written);
  if (!ok) {
    hold_back(reader);
    return false;
  }
  released(r);
  return true;
}

void OutputCapture::released(Reader& r) {
  if (!r.held) return;
  r.held = false;
  if (held_back_ > 0) --held_back_;
  spdlog::info("job {}: writing {} works again; the output held back is written", r.job, r.file->path().string());
}

void OutputCapture::retry_later(const std::shared_ptr<Reader>& reader) {
  reader->retry.expires_after(std::chrono::seconds(1));
  reader->retry.async_wait([this, reader](std::error_code ec) {
    if (ec || !reader->held || !reader->pipe.is_open()) return;  // cancelled, or written meanwhile by a drain
    on_readable(reader);  // read on once a write works; else held again, with the timer armed
  });
}

void OutputCapture::close(const std::shared_ptr<Reader>& reader) {
  bool was_reading = false;  // a second close of the same reader counts nothing twice
  for (auto [it, end] = readers_.equal_range(reader->job); it != end; ++it) {
    if (it->second == reader) {
      readers_.erase(it);
      was_reading = true;
      break;
    }
  }
  std::error_code ec;
  reader->retry.cancel();
  if (reader->held && held_back_ > 0) --held_back_;
  hooks_.closed(reader->pipe.native_handle());
  reader->pipe.close(ec);
  // The last reader of a file closes it (fds as before); the object stays for followers.
  const auto count = readers_of_.find(reader->file.get());
  if (!was_reading || (count != readers_of_.end() && --count->second > 0)) return;
  if (count != readers_of_.end()) readers_of_.erase(count);
  reader->file->close();
}

void OutputCapture::drain(const std::string& job) {
  // What the pipe holds now; not an endless stream from a grandchild that writes on.
  for (auto [it, end] = readers_.equal_range(job); it != end; ++it)
    copy_available(it->second, drain_budget(*it->second));
}

void OutputCapture::set_log_limits(const std::string& job, std::uint64_t max_size, int keep) {
  for (auto [it, end] = readers_.equal_range(job); it != end; ++it) it->second->file->set_limits(max_size, keep);
}

void OutputCapture::close_all() {
  for (auto& [job, reader] : readers_) {
    copy_available(reader, drain_budget(*reader));
    if (reader->held) {  // by splice, what could not be written stays in the pipe (for the next supd, if any)
      spdlog::error("job {}: {} byte(s) of output could not be written to {} before supd exited", job,
                    reader->pending.size() + in_pipe(*reader).value_or(0), reader->file->path().string());
    }
    std::error_code ec;
    reader->retry.cancel();
    reader->pipe.close(ec);
    reader->file->close();
  }
  readers_.clear();
  readers_of_.clear();
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
  if (!file) file = std::make_shared<LogFile>(path, log_dir_, &rotation_worker_, &census_);
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
