#include "daemon/log_file.hpp"

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

std::filesystem::path numbered(const std::filesystem::path& path, int n) {
  return path.string() + "." + std::to_string(n);
}

}  // namespace

UniqueFd open_log_file(const std::filesystem::path& path, std::string& error) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0640);
  if (fd < 0) error = fmt::format("open {}: {}", path.string(), common::errno_message(errno));
  return UniqueFd(fd);
}

void LogFile::adopt(UniqueFd fd, std::uint64_t max_size, int keep) {
  fd_ = std::move(fd);
  keep_ = std::max(keep, 0);
  policy_.set_max_size(max_size);
  sync_from_fd();
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
  auto fd = open_log_file(path_, error);
  if (!fd) return false;
  fd_ = std::move(fd);
  sync_from_fd();
  return true;
}

bool LogFile::reopen_if_unlinked() {
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0 || st.st_nlink > 0) return false;
  std::string error;
  if (!reopen(error)) spdlog::error("{}: the log file was deleted and re-creating it failed: {}", path_.string(), error);
  return true;
}

bool LogFile::rotate() {
  const auto dir = path_.parent_path();
  const std::string name = path_.filename().string();
  UniqueFd dirfd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  auto fail = [&](const std::string& what) {
    if (!rotate_failed_)
      spdlog::error("{}: rotating failed ({}: {}); writing on into the same file", path_.string(), what,
                    common::errno_message(errno));
    rotate_failed_ = true;
    return false;
  };
  if (!dirfd) return fail("open " + dir.string());
  if (keep_ == 0) {
    if (::unlinkat(dirfd.get(), name.c_str(), 0) != 0 && errno != ENOENT) return fail("unlink " + name);
  } else {
    for (int k = keep_; k >= 2; --k) {
      const auto from = name + "." + std::to_string(k - 1), to = name + "." + std::to_string(k);
      if (::renameat(dirfd.get(), from.c_str(), dirfd.get(), to.c_str()) != 0 && errno != ENOENT)
        return fail("rename " + from);
    }
    const auto first = name + ".1";
    if (::renameat(dirfd.get(), name.c_str(), dirfd.get(), first.c_str()) != 0 && errno != ENOENT)
      return fail("rename " + name);
  }
  std::string error;
  if (!reopen(error)) {
    errno = EIO;
    return fail(error);
  }
  if (rotate_failed_) spdlog::info("{}: rotating works again", path_.string());
  rotate_failed_ = false;
  policy_.rotated();
  return true;
}

bool LogFile::write(std::string_view chunk, std::size_t* written) {
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
    std::size_t done = 0;
    const bool ok = write_all(fd_.get(), piece.data(), piece.size(), done);
    const int saved = errno;
    policy_.wrote(piece.substr(0, done));
    tell_followers(piece.substr(0, done));  // followers see exactly what is in the file
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

void LogFile::tell_followers(std::string_view chunk) {
  if (followers_.empty() || chunk.empty()) return;
  std::vector<std::uint64_t> tokens;
  for (const auto& [token, fn] : followers_) tokens.push_back(token);
  for (const auto token : tokens) {
    const auto it = followers_.find(token);
    if (it == followers_.end()) continue;
    const FollowFn fn = it->second;  // a copy: the call may remove the follower
    if (!fn(chunk)) followers_.erase(token);
  }
}

std::string read_tail(const std::filesystem::path& path, int keep, std::size_t lines, std::size_t max_bytes) {
  if (lines == 0 || max_bytes == 0) return {};
  std::vector<std::string> pieces;  // newest first
  std::size_t total = 0, newlines = 0;
  bool at_end = true;   // no byte seen yet: a final '\n' ends the last line, it starts none
  bool finished = false;
  bool trim = false;    // stopped at max_bytes: drop the leading partial line
  std::array<char, 1 << 16> buf{};
  for (int k = 0; k <= std::max(keep, 0) && !finished; ++k) {
    UniqueFd fd(::open((k == 0 ? path : numbered(path, k)).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
      if (k == 0) continue;  // renamed away just now: the rotated ones still count
      break;
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    auto off = static_cast<std::uint64_t>(st.st_size);
    while (off > 0 && !finished) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(off, buf.size()));
      off -= n;
      if (::pread(fd.get(), buf.data(), n, static_cast<off_t>(off)) != static_cast<ssize_t>(n)) break;
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
      pieces.emplace_back(buf.data() + from, n - from);
      total += n - from;
    }
  }
  std::string out;
  out.reserve(total);
  for (auto it = pieces.rbegin(); it != pieces.rend(); ++it) out += *it;
  if (trim) {
    const auto nl = out.find('\n');
    if (nl != std::string::npos && nl + 1 < out.size()) out.erase(0, nl + 1);
  }
  return out;
}

}  // namespace supd::daemon
