// When a log file rotates: a pure decision over sizes and bytes, no I/O, unit-tested.
//
// The rule: bytes are written as they come. Before a line starts, when the file is not empty
// and its size plus that line would pass max_size, the file rotates first. "That line" is
// the complete line with its '\n', or, for a line whose newline has not come yet, the bytes
// known so far. A line is never split across files, so a line longer than max_size is kept
// whole (alone in its file) and a partial line is written at once, never held back.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace supd::daemon {

class RotationPolicy {
public:
  static constexpr std::size_t npos = std::string_view::npos;

  explicit RotationPolicy(std::uint64_t max_size = 0) : max_size_(max_size) {}

  // The file as it is now: its size, and whether its last byte is '\n' (or it is empty).
  void reset(std::uint64_t size, bool at_line_start) {
    size_ = size;
    at_line_start_ = at_line_start || size == 0;
  }
  void set_max_size(std::uint64_t max_size) { max_size_ = max_size; }

  // The offset in `chunk` before which the file must rotate (0: rotate before writing any
  // of it), or npos when all of it goes into the current file.
  std::size_t next_cut(std::string_view chunk) const {
    if (max_size_ == 0 || chunk.empty()) return npos;
    if (size_ + chunk.size() <= max_size_) return npos;  // the common case: no scan
    std::uint64_t size = size_;
    bool at_start = at_line_start_;
    std::size_t pos = 0;
    while (pos < chunk.size()) {
      const std::size_t nl = chunk.find('\n', pos);
      const std::size_t len = (nl == npos ? chunk.size() : nl + 1) - pos;
      if (at_start && size > 0 && size + len > max_size_) return pos;
      size += len;
      at_start = nl != npos;
      pos += len;
    }
    return npos;
  }

  // `bytes` went into the file.
  void wrote(std::string_view bytes) {
    if (bytes.empty()) return;
    size_ += bytes.size();
    at_line_start_ = bytes.back() == '\n';
  }
  void rotated() { reset(0, true); }

  std::uint64_t size() const { return size_; }
  bool at_line_start() const { return at_line_start_; }
  std::uint64_t max_size() const { return max_size_; }

private:
  std::uint64_t max_size_ = 0;  // 0: never rotate
  std::uint64_t size_ = 0;
  bool at_line_start_ = true;
};

}  // namespace supd::daemon
