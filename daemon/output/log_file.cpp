#include "daemon/output/log_file.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/sys_error.hpp"
#include "common/time_format.hpp"
#include "daemon/output/log_dir.hpp"
#include "daemon/output/rotation_repair.hpp"

namespace supd::daemon {
namespace {

using common::UniqueFd;

// Writes what it can; `done` counts the bytes that went in, also on failure.
bool write_all(int fd, const char* data, std::size_t size, std::size_t& done) {
  done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// The same at an explicit offset (the fd has O_APPEND cleared), which it advances.
bool pwrite_all(int fd, const char* data, std::size_t size, loff_t& off, std::size_t& done) {
  done = 0;
  while (done < size) {
    const ssize_t n = ::pwrite(fd, data + done, size - done, off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
    off += n;
  }
  return true;
}

// Moves `size` bytes from the head of `pipe` into `fd` at `off`, which it advances; `done`
// counts what went in, which is exactly what left the pipe.
bool splice_all(int pipe, int fd, loff_t& off, std::size_t size, std::size_t& done) {
  done = 0;
  while (done < size) {
    const ssize_t n = ::splice(pipe, nullptr, fd, &off, size - done, SPLICE_F_NONBLOCK);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    // The pipe is empty though the bytes were peeked there: something else read it. Held
    // back, the caller peeks afresh at its retry, so nothing is owed for them.
    if (n == 0 || errno == EAGAIN) errno = EIO;
    return false;
  }
  return true;
}

}  // namespace

std::filesystem::path rotated_path(const std::filesystem::path& path, int k) {
  return k == 0 ? path : std::filesystem::path(path.string() + "." + std::to_string(k));
}

UniqueFd open_log_file(const std::filesystem::path& path, std::string& error) {
  return open_log_path({}, path, error);
}

void LogFile::adopt(UniqueFd fd, std::uint64_t max_size, int keep, bool indexed) {
  fd_ = std::move(fd);
  clear_append();
  keep_ = std::max(keep, 0);
  policy_.set_max_size(max_size);
  sync_from_fd();
  indexed_ = indexed;
  if (indexed_)
    index_.open(path_, policy_.size() == 0);  // a new (or emptied) log starts a new index
  else
    index_.close();
  // A rotation an earlier supd left half done is finished (off the loop when log_keep is large).
  if (keep_ > 0 && !settle_queued_) {
    settle_queued_ = true;
    if (may_have_rotated()) settle();
  }
}

bool LogFile::may_have_rotated() const {
  if (census_ == nullptr) return true;
  std::string why;
  UniqueFd dirfd = open_log_parent(log_dir_, path_, why);
  if (!dirfd) return true;  // settle() says why
  const auto path = this->path();
  return census_->may_have_rotated(dirfd.get(), path.parent_path().string(), path.filename().string());
}

void LogFile::settle() {
  if (worker_ && keep_ > kSettleOnLoopUpTo) {
    worker_->settle(path_, keep_, log_dir_);
    return;
  }
  std::string why;
  UniqueFd dirfd = open_log_parent(log_dir_, path_, why);
  if (dirfd && !settle_rotation(dirfd.get(), path().filename().string(), keep_)) why = common::errno_message(errno);
  if (!why.empty()) spdlog::error("{}: numbering its rotated files failed: {}", path_, why);
}

std::string LogFile::unfinished_line(std::size_t max) const {
  loff_t size = 0;
  if (at_line_start() || !end_offset(size) || size == 0) return {};
  const auto from = static_cast<off_t>(size > static_cast<loff_t>(max + 1) ? size - static_cast<loff_t>(max + 1) : 0);
  std::string tail(static_cast<std::size_t>(size - from), '\0');
  const ssize_t n = ::pread(fd_.get(), tail.data(), tail.size(), from);
  if (n != static_cast<ssize_t>(tail.size())) return {};
  const auto nl = tail.rfind('\n');
  if (nl == std::string::npos && from > 0) return {};  // longer than `max`
  return nl == std::string::npos ? tail : tail.substr(nl + 1);
}

void LogFile::sync_from_fd() {
  struct stat st {};
  if (!fd_ || ::fstat(fd_.get(), &st) != 0) {
    policy_.reset(0, true);
    return;
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  char last = '\n';
  if (size > 0 && ::pread(fd_.get(), &last, 1, static_cast<off_t>(size - 1)) != 1) last = '\n';
  policy_.reset(size, last == '\n');
}

bool LogFile::reopen(std::string& error) {
  auto fd = open_log_path(log_dir_, path_, error);
  if (!fd) return false;
  fd_ = std::move(fd);
  clear_append();
  sync_from_fd();
  if (indexed_) index_.open(path_, policy_.size() == 0);
  return true;
}

void LogFile::clear_append() {
  appends_ = true;
  if (!fd_) return;
  // The open file description is supd's alone (no job is handed it), so its flags are ours.
  const int flags = ::fcntl(fd_.get(), F_GETFL);
  if (flags >= 0 && ::fcntl(fd_.get(), F_SETFL, flags & ~O_APPEND) == 0) {
    appends_ = false;
    return;
  }
  cannot_splice("clearing O_APPEND failed: " + common::errno_message(errno));
}

bool LogFile::end_offset(loff_t& off) const {
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) return false;
  off = st.st_size;  // where O_APPEND would write: a truncate from outside leaves no hole
  return true;
}

void LogFile::cannot_splice(const std::string& why) {
  if (splice_said_) return;
  splice_said_ = true;
  spdlog::warn("{}: {}; its output is copied with read(2) and write(2) instead, where a kill -9 of supd may lose a "
               "chunk",
               path_, why);
}

LogFile::Whereabouts LogFile::whereabouts() const {
  struct stat open {}, named {};
  if (!fd_ || ::fstat(fd_.get(), &open) != 0) return Whereabouts::AtPath;  // nothing to follow
  if (open.st_nlink == 0) return Whereabouts::Deleted;
  if (::lstat(path_.c_str(), &named) != 0 || named.st_dev != open.st_dev || named.st_ino != open.st_ino)
    return Whereabouts::Renamed;
  return Whereabouts::AtPath;
}

bool LogFile::reopen_if_unlinked() {
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0 || st.st_nlink > 0) return false;
  std::string error;
  if (!reopen(error)) spdlog::error("{}: the log file was deleted and re-creating it failed: {}", path_, error);
  return true;
}

std::uint64_t LogFile::take_pending_seq(int dirfd, const std::string& name) {
  if (next_pending_seq_ == 0) {  // once per file and supd: one readdir, no rename
    const std::lock_guard lock(rotation_step_lock());
    next_pending_seq_ = scan_rotation(dirfd, name).max_seq + 1;
  }
  return next_pending_seq_++;
}

bool LogFile::rotate() {
  const std::string name = path().filename().string();
  if (worker_)
    if (const auto error = worker_->take_error()) spdlog::error("{}", *error);
  std::string why;
  UniqueFd dirfd = open_log_parent(log_dir_, path_, why);
  auto fail = [&](const std::string& what) {
    if (!rotate_failed_)
      spdlog::error("{}: rotating failed ({}); writing on into the same file", path_, what);
    rotate_failed_ = true;
    return false;
  };
  auto failed_call = [&](const char* call) {
    return fail(fmt::format("{} {}: {}", call, name, common::errno_message(errno)));
  };
  if (!dirfd) return fail(why);
  const auto live_index = index_path(name).string();
  if (keep_ == 0) {
    (void)::unlinkat(dirfd.get(), live_index.c_str(), 0);
    if (::unlinkat(dirfd.get(), name.c_str(), 0) != 0 && errno != ENOENT) return failed_call("unlink");
  } else {
    if (!rename_to_pending(dirfd.get(), name, take_pending_seq(dirfd.get(), name))) return failed_call("rename");
  }
  std::string error;
  if (!reopen(error)) return fail(error);
  if (rotate_failed_) spdlog::info("{}: rotating works again", path_);
  rotate_failed_ = false;
  policy_.rotated();
  if (keep_ > 0) settle();
  return true;
}

template <class Put>
bool LogFile::put_pieces(std::string_view chunk, std::size_t* written, Put put) {
  std::size_t total = 0;
  if (written) *written = 0;
  if (!fd_) {
    errno = EBADF;
    return false;
  }
  bool synced = false;
  while (!chunk.empty()) {
    std::size_t cut = policy_.next_cut(chunk);
    if (cut == 0) {
      // Before renaming, look at the file itself once: it may have been truncated or deleted
      // from outside, which changes what is due.
      if (!synced) {
        synced = true;
        if (!reopen_if_unlinked()) sync_from_fd();
        continue;
      }
      if (!rotate()) cut = RotationPolicy::npos;  // keep writing; never lose bytes
      else continue;
    }
    const auto piece = chunk.substr(0, cut == RotationPolicy::npos ? chunk.size() : cut);
    if (indexed_) index_.note(path_, policy_.size(), common::unix_ms_now());
    std::size_t done = 0;
    const bool ok = put(piece, total, done);
    const int saved = errno;
    policy_.wrote(piece.substr(0, done));
    tell_followers(piece.substr(0, done), bytes_written_);  // exactly what is in the file
    bytes_written_ += done;
    total += done;
    if (written) *written = total;
    if (!ok) {
      errno = saved;
      return false;
    }
    chunk.remove_prefix(piece.size());
  }
  return true;
}

bool LogFile::write(std::string_view chunk, std::size_t* written) {
  return put_pieces(chunk, written, [this](std::string_view piece, std::size_t, std::size_t& done) {
    if (appends_) return write_all(fd_.get(), piece.data(), piece.size(), done);
    done = 0;
    loff_t off = 0;
    return end_offset(off) && pwrite_all(fd_.get(), piece.data(), piece.size(), off, done);
  });
}

bool LogFile::write_from_pipe(int pipe, std::string_view chunk, const ChunkLayout& layout, std::size_t* written) {
  return put_pieces(chunk, written, [&](std::string_view piece, std::size_t from, std::size_t& done) {
    done = 0;
    if (!can_splice()) {  // this piece's file (after a rotation) cannot: the caller reads the rest
      errno = EINVAL;
      return false;
    }
    loff_t off = 0;
    if (!end_offset(off)) return false;
    for (const auto& run : layout.within(from, piece.size())) {
      std::size_t n = 0;
      const bool ok = run.from_pipe ? splice_all(pipe, fd_.get(), off, run.size, n)
                                    : pwrite_all(fd_.get(), piece.data() + done, run.size, off, n);
      done += n;
      if (ok) continue;
      if (run.from_pipe && (errno == EINVAL || errno == ENOSYS)) {  // a file system without splice
        const int err = errno;
        splice_refused_ = true;
        cannot_splice("splice(2) into it failed: " + common::errno_message(err));
        errno = err;
      }
      return false;
    }
    return true;
  });
}

void LogFile::tell_followers(std::string_view chunk, std::uint64_t at) {
  if (followers_.empty() || chunk.empty()) return;
  std::vector<std::uint64_t> tokens;
  for (const auto& [token, fn] : followers_) tokens.push_back(token);
  for (const auto token : tokens) {
    const auto it = followers_.find(token);
    if (it == followers_.end()) continue;
    const FollowFn fn = it->second;  // a copy: the call may remove the follower
    if (!fn(chunk, at)) followers_.erase(token);
  }
}

std::vector<OpenedLogFile> open_tail_files(const std::filesystem::path& path, int keep, bool with_index) {
  std::vector<OpenedLogFile> files;
  const auto dir = path.parent_path();
  const std::string name = path.filename().string();
  const std::lock_guard lock(rotation_step_lock());  // a consistent set while the worker renames
  UniqueFd dirfd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dirfd) return files;
  std::vector<std::string> names{name};
  for (auto& rotated : rotated_newest_first(name, scan_rotation(dirfd.get(), name), std::max(keep, 0)))
    names.push_back(std::move(rotated));
  for (auto& file : names) {
    UniqueFd fd(::openat(dirfd.get(), file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) continue;  // the live file renamed away just now: the rotated ones still count
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    UniqueFd index;
    if (with_index)
      index = UniqueFd(::openat(dirfd.get(), index_path(file).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    files.push_back({std::move(file), std::move(fd), static_cast<std::uint64_t>(st.st_size), std::move(index)});
  }
  return files;
}

std::vector<TailPiece> read_tail_pieces(const std::vector<OpenedLogFile>& files, std::size_t lines,
                                        std::size_t max_bytes) {
  std::vector<TailPiece> pieces;  // newest first while reading
  if (lines == 0 || max_bytes == 0) return pieces;
  std::size_t total = 0, newlines = 0;
  bool at_end = true;   // no byte seen yet: a final '\n' ends the last line, it starts none
  bool finished = false;
  bool trim = false;    // stopped at max_bytes: drop the leading partial line
  std::array<char, 1 << 16> buf{};
  for (std::size_t f = 0; f < files.size() && !finished; ++f) {
    const OpenedLogFile& file = files[f];
    auto off = file.size;
    const std::size_t first_piece = pieces.size();
    while (off > 0 && !finished) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(off, buf.size()));
      off -= n;
      if (::pread(file.fd.get(), buf.data(), n, static_cast<off_t>(off)) != static_cast<ssize_t>(n)) break;
      std::size_t from = 0;  // what of buf goes into the text
      for (std::size_t i = n; i-- > 0;) {
        if (buf[i] == '\n' && !at_end && ++newlines == lines) {
          from = i + 1;
          finished = true;
          break;
        }
        at_end = false;
        if (total + (n - i) >= max_bytes) {
          from = i;
          finished = trim = true;
          break;
        }
      }
      const std::string_view got(buf.data() + from, n - from);
      if (pieces.size() > first_piece) {  // contiguous: one piece per file
        pieces.back().text.insert(0, got);
        pieces.back().offset = off + from;
      } else {
        pieces.push_back({file.name, off + from, std::string(got), {}, f});
      }
      total += n - from;
    }
    if (file.index && pieces.size() > first_piece) pieces.back().index = read_index(file.index.get());
  }
  std::reverse(pieces.begin(), pieces.end());
  if (trim && !pieces.empty()) {
    auto& first = pieces.front();
    const auto nl = first.text.find('\n');
    if (nl != std::string::npos && !(pieces.size() == 1 && nl + 1 == first.text.size())) {
      first.text.erase(0, nl + 1);
      first.offset += nl + 1;
    }
  }
  std::erase_if(pieces, [](const TailPiece& p) { return p.text.empty(); });
  return pieces;
}

std::vector<TailPiece> read_tail_pieces(const std::filesystem::path& path, int keep, std::size_t lines,
                                        std::size_t max_bytes, bool with_index) {
  if (lines == 0 || max_bytes == 0) return {};
  return read_tail_pieces(open_tail_files(path, keep, with_index), lines, max_bytes);
}

std::string read_tail(const std::filesystem::path& path, int keep, std::size_t lines, std::size_t max_bytes) {
  std::string out;
  for (auto& piece : read_tail_pieces(path, keep, lines, max_bytes)) out += piece.text;
  return out;
}

}  // namespace supd::daemon
