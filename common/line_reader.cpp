#include "common/line_reader.hpp"

namespace supd::common {

void LineReader::feed(std::string_view bytes) {
  if (skipping_) {  // the rest of a line already reported TooLong: drop it, never buffer it
    const auto nl = bytes.find('\n');
    if (nl == std::string_view::npos) return;
    skipping_ = false;
    bytes.remove_prefix(nl + 1);
  }
  // Reclaim the consumed prefix once it is at least half the buffer: each byte is moved
  // O(1) times on average, and memory stays near the unconsumed size.
  if (start_ > 0 && start_ >= buf_.size() / 2) {
    buf_.erase(0, start_);
    scan_ -= start_;
    start_ = 0;
  }
  buf_.append(bytes);
}

LineReader::Status LineReader::next(std::string& line) {
  const auto nl = buf_.find('\n', scan_);
  if (nl == std::string::npos) {
    scan_ = buf_.size();
    if (buffered() > max_) {
      // Over the cap with no end in sight: report it now, once, and let feed() skip the
      // remainder up to its '\n'. Whatever was buffered of it is freed.
      buf_.clear();
      buf_.shrink_to_fit();
      start_ = scan_ = 0;
      skipping_ = true;
      return Status::TooLong;
    }
    return Status::NeedMore;
  }
  const std::size_t begin = start_;
  const std::size_t len = nl - begin;
  start_ = scan_ = nl + 1;
  if (len > max_) return Status::TooLong;  // arrived whole in one feed; nothing left to skip
  line.assign(buf_, begin, len);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return Status::Line;
}

}  // namespace supd::common
