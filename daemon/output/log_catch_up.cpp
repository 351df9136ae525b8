#include "daemon/output/log_catch_up.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <utility>

#include "daemon/output/tail_reader.hpp"

namespace supd::daemon {

LogCatchUp::LogCatchUp(std::filesystem::path path, int keep, std::uint64_t from, bool with_index)
    : path_(std::move(path)), keep_(keep), with_index_(with_index), at_(from) {}

// The files as they are now, placed end to end so that the live one ends at `end`. Without
// the live file (deleted, not yet made again) nothing can be placed: what is missing is skipped.
void LogCatchUp::open_files(std::uint64_t end) {
  files_.clear();
  opened_ = true;
  files_end_ = end;
  auto opened = open_tail_files(path_, keep_, with_index_);  // newest first
  if (opened.empty() || opened.front().name != path_.filename().string()) return;
  auto starts_at = static_cast<std::int64_t>(end);
  for (auto& file : opened) {
    starts_at -= static_cast<std::int64_t>(file.size);
    files_.push_back({std::move(file), starts_at, std::nullopt});
  }
  std::reverse(files_.begin(), files_.end());
}

std::optional<LogCatchUp::Piece> LogCatchUp::next(std::uint64_t end, std::size_t max) {
  while (at_ < end) {
    if (!opened_ || at_ >= files_end_) open_files(end);
    const auto at = static_cast<std::int64_t>(at_);
    File* holder = nullptr;
    std::int64_t gap_end = static_cast<std::int64_t>(files_end_);  // where the next byte on disk is
    for (auto& file : files_) {
      const std::int64_t file_end = file.starts_at + static_cast<std::int64_t>(file.opened.size);
      if (at >= file.starts_at && at < file_end) {
        holder = &file;
        break;
      }
      if (file.starts_at > at) {
        gap_end = file.starts_at;
        break;
      }
    }
    if (holder == nullptr) {  // rotated away (or deleted) before it was read
      skipped_ += static_cast<std::uint64_t>(gap_end) - at_;
      at_ = static_cast<std::uint64_t>(gap_end);
      continue;
    }
    const auto offset = static_cast<std::uint64_t>(at - holder->starts_at);
    const auto left = holder->opened.size - offset;
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(left, max));
    std::string text(want, '\0');
    ssize_t n;
    do {
      n = ::pread(holder->opened.fd.get(), text.data(), want, static_cast<off_t>(offset));
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw std::system_error(errno, std::generic_category(), "reading " + holder->opened.name);
    if (n == 0) {  // truncated from outside since it was opened: the rest of it is gone
      skipped_ += left;
      at_ += left;
      continue;
    }
    text.resize(static_cast<std::size_t>(n));
    // More of this file follows: end on a whole character, the rest starts the next piece.
    if (static_cast<std::uint64_t>(n) < left) {
      const std::size_t whole = utf8_cut(text);
      if (whole > 0) text.resize(whole);
    }
    at_ += text.size();
    if (with_index_ && !holder->index)
      holder->index = holder->opened.index ? read_index(holder->opened.index.get()) : std::vector<IndexEntry>{};
    return Piece{std::move(text), offset, with_index_ ? &*holder->index : nullptr};
  }
  return std::nullopt;
}

}  // namespace supd::daemon
