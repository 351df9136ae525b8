#include "daemon/output/line_backlog.hpp"

#include <algorithm>
#include <cerrno>
#include <utility>

#include <fmt/format.h>

namespace supd::daemon {

LineBacklog::LineBacklog(WriteFn write, std::size_t capacity) : write_(std::move(write)), capacity_(capacity) {}

std::string LineBacklog::dropped_line(std::uint64_t count) {
  return fmt::format("supd: {} log line{} dropped (stderr was not being read)\n", count, count == 1 ? "" : "s");
}

void LineBacklog::push(std::string_view line) {
  flush();
  // Once a line is dropped, later ones wait behind the count: they are dropped too until
  // everything kept has been written and the count with it.
  if (dropped_ > 0 || pending_.size() + line.size() > capacity_) {
    ++dropped_;
    return;
  }
  pending_.append(line);
  write_pending();
}

void LineBacklog::flush() {
  write_pending();
  if (pending_.empty() && dropped_ > 0 && !blocked_) report_dropped();
}

LineBacklog::Outcome LineBacklog::write_some(std::string_view bytes, std::size_t& done) {
  done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write_(bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Outcome::Blocked;
    return Outcome::Failed;
  }
  return Outcome::Written;
}

void LineBacklog::write_pending() {
  blocked_ = false;
  if (pending_.empty()) return;
  std::size_t done = 0;
  const auto outcome = write_some(pending_, done);
  blocked_ = outcome == Outcome::Blocked;
  if (outcome == Outcome::Failed) {
    // The reader is gone (EPIPE) or the disk refuses: what waits is lost, and counted.
    dropped_ += static_cast<std::uint64_t>(
        std::count(pending_.begin() + static_cast<std::ptrdiff_t>(done), pending_.end(), '\n'));
    pending_.clear();
    return;
  }
  pending_.erase(0, done);
}

// Written apart from the lines, so a failed attempt loses no count: the count stays.
void LineBacklog::report_dropped() {
  const std::string line = dropped_line(dropped_);
  std::size_t done = 0;
  const auto outcome = write_some(line, done);
  blocked_ = outcome == Outcome::Blocked;
  if (done == 0) return;
  dropped_ = 0;
  pending_.assign(line, done);  // the rest of a partly written count goes out like a line
}

}  // namespace supd::daemon
