// `supctl logs A B` and `logs all`: several logs as one, pure. Each stream's text (asked of
// supd with each line's time before it) is cut into whole lines with their times; the
// history of all streams is merged by time; each line is printed after a prefix naming its
// job, aligned, coloured by job on a terminal, with stderr lines marked (docker compose's and
// foreman's habit for several processes' output).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace supd::ctl {

// One log followed: a job's stdout file, or its own stderr file.
struct LogSource {
  std::string job;
  bool from_stderr = false;
};

struct TimedLine {
  std::string time;  // "2026-11-25T17:20:01.123Z", or "-" when supd knows none
  std::string text;  // the line as the job wrote it, '\n' included (a last partial one without)
};

// Cuts one stream's text into lines as pieces arrive; a line split across pieces comes out
// whole once its end arrives. Each line's "TIME " prefix is taken off into its time.
class TimedLineAssembler {
public:
  std::vector<TimedLine> feed(std::string_view piece);
  // What is left without a newline (when the stream ends), as a line; empty when nothing.
  std::vector<TimedLine> finish();

private:
  std::string pending_;
};

// The lines of several streams in time order; lines with equal times (or none) keep their
// stream's order, and streams are taken in the order given. Each comes with its stream's index.
struct MergedLine {
  std::size_t source;
  TimedLine line;
};
std::vector<MergedLine> merge_by_time(const std::vector<std::vector<TimedLine>>& streams);

// How the prefixes look: every job name padded to the longest, so the text starts in one
// column; on a terminal without NO_COLOR, each job in its own colour.
class LinePrefixes {
public:
  LinePrefixes(const std::vector<LogSource>& sources, bool colour);
  // "api        | ", "api stderr | " (coloured when asked).
  std::string prefix(std::size_t source) const;
  // A printable line for `source`: the prefix, the time when `with_time`, then the text with
  // a newline at its end whatever it had.
  std::string line(std::size_t source, const TimedLine& line, bool with_time) const;

private:
  std::vector<LogSource> sources_;
  std::vector<std::size_t> colour_of_;  // each source's job's colour
  std::size_t width_ = 0;
  bool colour_;
};

// Whether colour is wanted: stdout is a terminal and NO_COLOR is unset or empty
// (https://no-color.org).
bool want_colour(bool stdout_is_terminal, const char* no_color);

}  // namespace supd::ctl
