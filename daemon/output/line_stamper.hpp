// Puts a prefix (a timestamp) before every line of a byte stream that arrives in arbitrary
// chunks: a line split across chunks gets one prefix, at its start. Pure, unit-tested; one
// per stream (pipe), since each stream has its own line state.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "daemon/output/chunk_layout.hpp"

namespace supd::daemon {

class LineStamper {
public:
  // `at_line_start`: whether the stream's file ends a line now. A pipe taken over from an
  // earlier supd (upgrade, or adoption after kill -9) may be in the middle of a line that
  // already has its prefix; the next bytes continue it (TESTPLAN R88).
  explicit LineStamper(bool at_line_start = true) : at_line_start_(at_line_start) {}

  // A kill -9 of supd in the middle of writing a prefix can leave only its first bytes (a
  // write that crosses a page of the file stops there). When `tail`, the file's unfinished
  // last line, is such a start of a prefix shaped like `prefix` (a digit where it has one, its
  // other characters exactly), the rest of `prefix` that completes it; else "".
  static std::string rest_of_torn_prefix(std::string_view tail, std::string_view prefix) {
    if (tail.empty() || tail.size() >= prefix.size()) return {};
    for (std::size_t i = 0; i < tail.size(); ++i) {
      const bool digit = prefix[i] >= '0' && prefix[i] <= '9';
      if (digit ? !(tail[i] >= '0' && tail[i] <= '9') : tail[i] != prefix[i]) return {};
    }
    return std::string(prefix.substr(tail.size()));
  }

  // `chunk` with `prefix` inserted at each line start it contains.
  std::string stamp(std::string_view chunk, std::string_view prefix) {
    return stamp_each(chunk, [prefix](std::size_t) { return prefix; });
  }
  // The same with each line's own prefix: prefix_at(offset of the line's start in `chunk`).
  template <class PrefixAt>
  std::string stamp_each(std::string_view chunk, PrefixAt prefix_at) {
    std::string out;
    out.reserve(chunk.size() + 64);
    std::size_t pos = 0;
    while (pos < chunk.size()) {
      if (at_line_start_) out += prefix_at(pos);
      const auto nl = chunk.find('\n', pos);
      const auto end = nl == std::string_view::npos ? chunk.size() : nl + 1;
      out.append(chunk.substr(pos, end - pos));
      at_line_start_ = nl != std::string_view::npos;
      pos = end;
    }
    return out;
  }
  // stamp() of at most the chunk's first `max_lines` lines (a line's end or the chunk's end
  // closes one), laid out in `layout`: the prefixes supd's own, the chunk's bytes from the pipe
  // (layout.from_pipe() of them were used). The bound keeps the per-line splice(2)s of one
  // chunk few (daemon/output/output.cpp).
  std::string stamp(std::string_view chunk, std::string_view prefix, ChunkLayout& layout, std::size_t max_lines) {
    std::string out;
    std::size_t pos = 0;
    for (std::size_t lines = 0; pos < chunk.size() && lines < max_lines; ++lines) {
      if (at_line_start_) {
        out += prefix;
        layout.add(prefix.size(), false);
      }
      const auto nl = chunk.find('\n', pos);
      const auto end = nl == std::string_view::npos ? chunk.size() : nl + 1;
      out.append(chunk.substr(pos, end - pos));
      layout.add(end - pos, true);
      at_line_start_ = nl != std::string_view::npos;
      pos = end;
    }
    return out;
  }
  bool at_line_start() const { return at_line_start_; }

private:
  bool at_line_start_ = true;
};

}  // namespace supd::daemon
