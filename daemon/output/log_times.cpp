#include "daemon/output/log_times.hpp"

#include <deque>
#include <utility>
#include <vector>

#include "common/time_format.hpp"
#include "daemon/output/log_index.hpp"

namespace supd::daemon {

std::string unknown_time_stamp() { return "-" + std::string(common::kIsoTimeWidth - 1, ' '); }

std::string timed_tail(const std::filesystem::path& path, int keep, const TimedTailRequest& r) {
  if (r.lines == 0) return {};
  return timed_tail(open_tail_files(path, keep, !r.prefixed), r);
}

std::string timed_tail(const std::vector<OpenedLogFile>& files, const TimedTailRequest& r) {
  if (r.lines == 0) return {};
  // With --since the cut is by time, so read as far back as the byte limit allows.
  const auto pieces = read_tail_pieces(files, r.since_ms ? SIZE_MAX : r.lines, r.max_bytes);
  std::deque<std::string> kept;  // the output lines, newest last
  for (const auto& piece : pieces) {
    std::size_t pos = 0;
    while (pos < piece.text.size()) {
      const auto nl = piece.text.find('\n', pos);
      const auto end = nl == std::string::npos ? piece.text.size() : nl + 1;
      const std::string_view line(piece.text.data() + pos, end - pos);
      const auto time = r.prefixed ? common::parse_iso8601_utc_ms(line)
                                   : time_at(piece.index, piece.offset + pos);
      pos = end;
      if (r.since_ms && (!time || *time < *r.since_ms)) continue;
      std::string out;
      if (r.stamp && !r.prefixed) out = (time ? common::iso8601_utc_ms(*time) : unknown_time_stamp()) + " ";
      out.append(line);
      kept.push_back(std::move(out));
      if (kept.size() > r.lines) kept.pop_front();
    }
  }
  std::string text;
  for (const auto& line : kept) text += line;
  return text;
}

}  // namespace supd::daemon
