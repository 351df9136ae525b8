// Fuzz target: the two line splitters that see bytes in whatever chunks the kernel hands
// over. common::LineReader frames control requests (with a cap); daemon::LineStamper puts a
// timestamp before each line of captured output (timestamps = "prefix"). Chunking must never
// change the result, so both are fed chunk by chunk and compared with the whole stream.
// Input: [cap] then chunks [len][len bytes]...; cap = first byte % 64, a short last chunk
// takes what is left.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/line_reader.hpp"
#include "daemon/output/line_stamper.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

using supd::common::LineReader;

struct Event {
  bool too_long = false;
  std::string line;
  bool operator==(const Event&) const = default;
};

// What LineReader's contract says for the whole stream: each '\n'-ended line, without the '\n'
// and one trailing '\r', or TooLong when it (with its '\r') is over the cap; an unfinished
// last line is TooLong once it is over the cap, else still waiting.
std::vector<Event> expected_lines(std::string_view stream, std::size_t cap) {
  std::vector<Event> out;
  std::size_t pos = 0;
  while (pos < stream.size()) {
    const auto nl = stream.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? stream.size() : nl;
    std::string_view line = stream.substr(pos, end - pos);
    if (line.size() > cap) {
      out.push_back({true, {}});
    } else if (nl != std::string_view::npos) {
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      out.push_back({false, std::string(line)});
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return out;
}

// LineStamper's contract: the prefix before the first byte of every line.
std::string expected_stamped(std::string_view stream, std::string_view prefix) {
  std::string out;
  for (std::size_t i = 0; i < stream.size(); ++i) {
    if (i == 0 || stream[i - 1] == '\n') out += prefix;
    out += stream[i];
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t cap = data[0] % 64;
  std::vector<std::string_view> chunks;
  std::string stream;
  for (std::size_t pos = 1; pos < size;) {
    const std::size_t len = std::min<std::size_t>(data[pos], size - pos - 1);
    chunks.emplace_back(reinterpret_cast<const char*>(data) + pos + 1, len);
    stream += chunks.back();
    pos += 1 + len;
  }

  LineReader reader(cap);
  supd::daemon::LineStamper stamper;
  const std::string_view prefix = "2026-01-01T00:00:00.000Z ";
  std::vector<Event> got;
  std::string stamped;
  for (const auto chunk : chunks) {
    reader.feed(chunk);
    std::string line;
    for (;;) {
      const auto status = reader.next(line);
      if (status == LineReader::Status::NeedMore) break;
      if (status == LineReader::Status::TooLong) got.push_back({true, {}});
      else got.push_back({false, line});
      FUZZ_CHECK(got.back().too_long || line.size() <= cap);
    }
    // What a session keeps between reads is bounded by the cap, however the bytes arrive.
    FUZZ_CHECK(reader.buffered() <= cap);
    stamped += stamper.stamp(chunk, prefix);
  }
  FUZZ_CHECK(got == expected_lines(stream, cap));
  FUZZ_CHECK(stamped == expected_stamped(stream, prefix));
  FUZZ_CHECK(stamper.at_line_start() == (stream.empty() || stream.back() == '\n'));
  return 0;
}
