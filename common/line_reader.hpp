// NDJSON framing with a cap: bytes in, whole lines out. Knows nothing of JSON.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace supd::common {

class LineReader {
public:
  enum class Status { Line, NeedMore, TooLong };

  explicit LineReader(std::size_t max_line_bytes) : max_(max_line_bytes) {}

  void feed(std::string_view bytes);

  // Line: `line` holds the next line without its '\n' (and without a trailing '\r').
  // TooLong: a line longer than the cap was found; its bytes are skipped up to and
  //          including its '\n' (reported once per long line, as soon as the cap is passed).
  // NeedMore: no complete line is buffered.
  Status next(std::string& line);

  std::size_t buffered() const { return buf_.size() - start_; }

private:
  std::size_t max_;
  std::string buf_;
  std::size_t start_ = 0;    // consumed prefix of buf_
  bool skipping_ = false;    // inside an over-long line, dropping bytes until '\n'
  std::size_t scan_ = 0;     // buf_[start_, scan_) is known to hold no '\n' (no rescans)
};

}  // namespace supd::common
