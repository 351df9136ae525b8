// Which bytes of a chunk bound for a log file are still at the head of the job's pipe and which
// are supd's own (a timestamp prefix): runs in order. The pipe's runs are moved into the file
// with splice(2), which takes from the pipe exactly what the file got, so a kill of supd at any
// point loses or doubles none of them. Pure, unit-tested.
#pragma once
#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace supd::daemon {

struct ChunkRun {
  std::size_t size = 0;
  bool from_pipe = true;  // else supd's own bytes, written with write(2)
};

class ChunkLayout {
public:
  // Appends `size` bytes, joining a last run of the same kind: one splice(2) for what is adjacent.
  void add(std::size_t size, bool from_pipe) {
    if (size == 0) return;
    if (!runs_.empty() && runs_.back().from_pipe == from_pipe)
      runs_.back().size += size;
    else
      runs_.push_back({size, from_pipe});
  }
  const std::vector<ChunkRun>& runs() const { return runs_; }
  std::size_t size() const {
    std::size_t n = 0;
    for (const auto& r : runs_) n += r.size;
    return n;
  }
  // Of the first `bytes` of the chunk, how many came from the pipe.
  std::size_t from_pipe_within(std::size_t bytes) const {
    std::size_t n = 0;
    for (const auto& r : runs_) {
      const auto take = std::min(bytes, r.size);
      if (r.from_pipe) n += take;
      bytes -= take;
      if (bytes == 0) break;
    }
    return n;
  }
  std::size_t from_pipe() const { return from_pipe_within(size()); }

  // The runs within [from, from + size) of the chunk, cut at both ends, in order.
  std::vector<ChunkRun> within(std::size_t from, std::size_t size) const {
    std::vector<ChunkRun> out;
    std::size_t at = 0;
    for (const auto& r : runs_) {
      const std::size_t begin = std::max(at, from), end = std::min(at + r.size, from + size);
      if (begin < end) out.push_back({end - begin, r.from_pipe});
      at += r.size;
      if (at >= from + size) break;
    }
    return out;
  }

private:
  std::vector<ChunkRun> runs_;
};

// After writing `text` (laid out by `layout`) stopped at `written` bytes (a full disk; or the
// file cannot be spliced into and the rest goes by read(2) and write(2)): what supd owes the
// file before it takes more from the pipe, and whether the pipe's next byte starts a line
// (gets a timestamp). A timestamp cut short is owed in full from where it stopped; one whose
// line has begun is not given again. `before`: whether the chunk's first byte started a line.
struct ChunkResume {
  std::string owed;
  bool at_line_start = true;
};
inline ChunkResume resume_after(std::string_view text, const ChunkLayout& layout, std::size_t written,
                                bool before) {
  std::size_t at = 0;
  for (const auto& r : layout.runs()) {
    if (written < at + r.size) {
      if (!r.from_pipe) return {std::string(text.substr(written, at + r.size - written)), false};
      break;
    }
    at += r.size;
  }
  return {{}, written == 0 ? before : text[written - 1] == '\n'};
}

}  // namespace supd::daemon
