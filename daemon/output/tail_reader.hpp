// `supctl logs` without -f: the tail of a log and its rotated files, read from the files in
// pieces as the client drains them rather than built as one string. Where the tail starts is
// found at once (read_tail_pieces), and the files it spans are held open from then on, so a
// rotation meanwhile changes nothing of what is read.
#pragma once
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/fd.hpp"

namespace supd::daemon {

class TailReader {
public:
  // The text read_tail(path, keep, lines, max_bytes) would give, in pieces.
  TailReader(const std::filesystem::path& path, int keep, std::size_t lines, std::size_t max_bytes);

  // The next at most `max` bytes (never a UTF-8 character cut in two, unless `max` < 4);
  // empty once the tail is read.
  std::string next(std::size_t max);
  bool done() const { return spans_.empty(); }

private:
  struct Span {
    common::UniqueFd fd;
    std::uint64_t from = 0;  // the next byte to read
    std::uint64_t to = 0;    // one past the last byte of the tail in this file
  };
  std::deque<Span> spans_;  // oldest file first
};

// How much of `text` can end a piece without cutting a UTF-8 character: text.size(), or less
// when its last bytes start a character that goes on past it.
std::size_t utf8_cut(std::string_view text);

}  // namespace supd::daemon
